/**
 * The built scanner with its worker thread: a worker can only load the built files, so this
 * runs the scan module from dist/ (npm run build first) on a feed large enough for the worker to
 * take chunks, and holds it to the plain reference (test/helpers/feed-reference.ts).
 */
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { scanFeedFile as ScanFeedFile } from '../../src/io/feed.js';
import { messyFeed, query, reference } from '../helpers/feed-reference.js';
import { ROOT, tmpDir } from '../helpers/index.js';

/**
 * The built chunk that holds the feed scan (and is the worker's entry), found the way the CLI
 * loads it: dist/cli/main.js imports the watch command's chunk, which imports the scanner's.
 */
async function builtScan(): Promise<typeof ScanFeedFile> {
  const dist = join(ROOT, 'dist');
  const imported = async (file: string, name: string) => {
    const m = new RegExp(`import\\("(\\.{1,2}/${name}-[A-Z0-9]+\\.js)"\\)`).exec(await fs.readFile(file, 'utf8'));
    if (!m) throw new Error(`${file} imports no ${name} chunk: run npm run build`);
    return join(dirname(file), m[1]!);
  };
  const feed = await imported(await imported(join(dist, 'cli', 'main.js'), 'watch'), 'feed');
  return ((await import(pathToFileURL(feed).href)) as { scanFeedFile: typeof ScanFeedFile }).scanFeedFile;
}

describe('feed scan with a worker thread (built)', () => {
  it('gives the reference figures on a 45 MiB feed with garbage, with the worker and without', async () => {
    const scan = await builtScan();
    const data = messyFeed(20_000);
    expect(data.length).toBeGreaterThan(45 << 20); // dozens of chunks: some are left when the worker starts
    const want = reference(data, query);
    const path = join(tmpDir(), 'big.ndjson');
    await fs.writeFile(path, data);
    expect(await scan(path, query, { parts: 2 })).toEqual(want);
    expect(await scan(path, query)).toEqual(want);
  }, 60_000);
});
