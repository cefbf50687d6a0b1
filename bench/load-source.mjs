// Import a TypeScript module of src/ directly (benchmarks judge the pure core, not the CLI):
// esbuild bundles it to one ESM file in a temp folder, which is imported and removed.
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export async function loadSource(relPath) {
  const dir = mkdtempSync(join(tmpdir(), 'friday-bench-'));
  try {
    const outfile = join(dir, 'module.mjs');
    await build({
      entryPoints: [join(ROOT, relPath)],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      outfile,
      logLevel: 'error',
    });
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
