/**
 * `friday demo` (docs/cli.md `demo`): a whole Orange Friday week in a sandbox, the first thing a
 * newcomer runs; the week itself is src/workflow/demo.ts. Exit 0 only when every check held.
 */
import { promises as fs, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Context, Outcome } from '../context.js';
import { failure, usageError } from '../errors.js';
import { demoWeek } from '../workflow/demo.js';

export async function run(ctx: Context, opts: { dir?: string }): Promise<Outcome> {
  const sandbox = opts.dir ? resolve(ctx.cwd, opts.dir) : mkdtempSync(join(tmpdir(), 'friday-demo-'));
  if (opts.dir) {
    // A link to a folder is the folder the user named; anything else that is there (a file, a
    // FIFO, a device, a link to nothing) is refused rather than written over.
    const st = await fs.stat(sandbox).catch(() => null);
    const there = st ?? (await fs.lstat(sandbox).catch(() => null));
    if (there && !there.isDirectory())
      throw usageError(
        'E_USAGE',
        `demo: --dir ${sandbox}: ${st ? 'not a folder' : 'a symbolic link to nothing'}`,
        'pass an empty or new folder to --dir',
      );
    const existing = st ? await fs.readdir(sandbox) : [];
    if (existing.length) throw failure('E_EXISTS', `demo: ${sandbox} is not empty`, 'pass an empty or new folder to --dir');
  }
  const week = await demoWeek(ctx, sandbox);
  return { result: { ok: true, dir: week.dir, repo: week.repo, steps: week.steps }, text: week.text };
}
