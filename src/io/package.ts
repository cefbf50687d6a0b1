/** Files shipped with the CLI itself (default channel policies, fixtures). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The folder holding orange-friday's own package.json, wherever the build put this chunk. */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'channels'))) return (cached = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the orange-friday package folder');
    dir = up;
  }
}
