/**
 * The built scanner with its worker thread: a worker runs only the build's own entry
 * (dist/io/feed-worker.js), so this runs the scan module from dist/ (npm run build first) on a
 * feed large enough for both threads to take chunks, and holds it to the plain reference
 * (test/helpers/feed-reference.ts). Two threads asked for always means two: the worker scans the
 * first chunk, and a build without the worker fails rather than scan on one thread.
 */
import { promises as fs } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { scanFeedFile as ScanFeedFile } from '../../src/io/feed.js';
import type { scanFeedIncremental as ScanFeedIncremental } from '../../src/io/feed-incremental.js';
import type { Store } from '../../src/io/store.js';
import { messyFeed, query, reference } from '../helpers/feed-reference.js';
import { ROOT, tmpDir } from '../helpers/index.js';

/**
 * The built chunk that holds the feed scan, found the way the CLI loads it: dist/cli/main.js
 * imports the watch command's chunk, which imports the scanner's. From a copy of dist/ in `dist`.
 * Without a state file the incremental scan is the plain scan of the whole feed.
 */
async function builtScan(dist: string): Promise<typeof ScanFeedFile> {
  const imported = async (file: string, name: string) => {
    const m = new RegExp(`import\\("(\\.{1,2}/${name}-[A-Z0-9]+\\.js)"\\)`).exec(await fs.readFile(file, 'utf8'));
    if (!m) throw new Error(`${file} imports no ${name} chunk: run npm run build`);
    return join(dirname(file), m[1]!);
  };
  const feed = await imported(await imported(join(dist, 'cli', 'main.js'), 'watch'), 'feed-incremental');
  const { scanFeedIncremental } = (await import(pathToFileURL(feed).href)) as { scanFeedIncremental: typeof ScanFeedIncremental };
  const store = { dryRun: true } as Store;
  return async (path, query, opts) => (await scanFeedIncremental(path, query, { ...opts, statePath: null, store })).scan;
}

describe('feed scan with a worker thread (built)', () => {
  it('gives the reference figures on a 45 MiB feed with garbage, with the worker and without', async () => {
    const scan = await builtScan(join(ROOT, 'dist'));
    const data = messyFeed(20_000);
    expect(data.length).toBeGreaterThan(45 << 20); // dozens of chunks: some are left when the worker starts
    const want = reference(data, query);
    const path = join(tmpDir(), 'big.ndjson');
    await fs.writeFile(path, data);
    expect(await scan(path, query, { parts: 2 })).toEqual(want);
    expect(await scan(path, query)).toEqual(want);
  }, 60_000);

  it('fails, naming the missing file, when the build has no worker entry, instead of scanning on one thread', async () => {
    const dist = join(tmpDir(), 'dist');
    await fs.cp(join(ROOT, 'dist'), dist, {
      recursive: true,
      filter: (src) => !relative(join(ROOT, 'dist'), src).startsWith(join('io', 'feed-worker')),
    });
    const scan = await builtScan(dist);
    const path = join(tmpDir(), 'feed.ndjson');
    await fs.writeFile(path, messyFeed(600));
    await expect(scan(path, query, { parts: 2 })).rejects.toThrow(
      `worker thread's build is missing: ${join(dist, 'io', 'feed-worker.js')}`,
    );
    expect((await scan(path, query, { parts: 1 })).accepted).toBe(reference(await fs.readFile(path), query).accepted);
  });
});
