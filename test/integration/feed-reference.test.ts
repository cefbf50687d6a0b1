/**
 * The scan against a plain reference (test/helpers/feed-reference.ts). Whatever the scanner does
 * for speed (the byte-level parse, fingerprinted devices, batches, chunks read ahead, a worker
 * thread taking chunks) it must give exactly the reference's figures, every rejection reason
 * included. Two threads run the build's worker (dist/io/feed-worker.js): npm run build first.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanBuffer } from '../../src/core/feed/scan.js';
import { scanFeedFile } from '../../src/io/feed.js';
import { messyFeed, query, reference, withModels, withModelWindows } from '../helpers/feed-reference.js';
import { ROOT, tmpDir } from '../helpers/index.js';

const CORPUS = join(ROOT, 'test/corpus/feeds');

describe('feed scan against a plain reference', () => {
  it('agrees on every corpus feed', async () => {
    const files = (await fs.readdir(CORPUS)).filter((f) => f.endsWith('.ndjson'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) {
      const data = await fs.readFile(join(CORPUS, f));
      const want = reference(data, query);
      expect([f, scanBuffer(data, query)]).toEqual([f, want]);
      expect([f, await scanFeedFile(join(CORPUS, f), query)]).toEqual([f, want]);
    }
  });

  it('agrees on a generated feed with garbage mixed in: in memory, from a file in chunks, with a worker thread sharing the chunks', async () => {
    const data = messyFeed();
    const want = reference(data, query);
    // The mix reaches every reason, both windows, crashes and both paths of the parser.
    expect(Object.keys(want.rejectedBy).sort()).toEqual([
      'bad-timestamp',
      'future',
      'invalid-json',
      'missing-field',
      'not-an-object',
      'too-long',
      'unknown-kind',
      'wrong-type',
    ]);
    expect(want.versions.map((v) => v.crashUnits > 50 && v.devices > 1000)).toEqual([true, true]);
    expect(want.versions[0]!.signatures.map((s) => s.signature)).toEqual(expect.arrayContaining(['SIGBUS ✗', 'dup', 'S'.repeat(300_000)]));
    expect(data.length).toBeGreaterThan(5 << 20); // more than one chunk
    expect(scanBuffer(data, query)).toEqual(want);
    const path = join(tmpDir(), 'messy.ndjson');
    await fs.writeFile(path, data);
    expect(await scanFeedFile(path, query, { parts: 1 })).toEqual(want);
    expect(await scanFeedFile(path, query, { parts: 2 })).toEqual(want);
  });

  it('agrees when both threads of a feed find the same device-hours', async () => {
    // The feed twice over, its chunks shared by two threads: a unit found by both counts once,
    // while accepted lines count twice.
    const once = messyFeed();
    const twice = Buffer.concat([once, Buffer.from('\n'), once.subarray(3)]);
    const want = reference(twice, query);
    expect(want.versions[0]!.units).toBe(reference(once, query).versions[0]!.units);
    const path = join(tmpDir(), 'twice.ndjson');
    await fs.writeFile(path, twice);
    expect(await scanFeedFile(path, query, { parts: 2 })).toEqual(want);
  });

  it('agrees with models and channels on the events: per-model windows, a model left out of the fleet, other channels skipped', async () => {
    const data = withModels(messyFeed());
    const q = withModelWindows(query);
    const want = reference(data, q);
    expect(want.rejectedBy.model).toBeGreaterThan(10);
    expect(want.versions.slice(2).every((v) => v.devices > 100 && v.crashUnits > 10)).toBe(true);
    // The model windows split the fleet's devices; lmi's are left out of the candidate's.
    expect(want.versions[3]!.devices + want.versions[5]!.devices + want.versions[7]!.devices).toBe(want.versions[1]!.devices);
    // (a few hand-written candidate lines carry no model: they count for the fleet only)
    const withoutModel = want.versions[0]!.devices - want.versions[2]!.devices - want.versions[4]!.devices;
    expect(withoutModel >= 0 && withoutModel < 20).toBe(true);
    expect(scanBuffer(data, q)).toEqual(want);
    const path = join(tmpDir(), 'models.ndjson');
    await fs.writeFile(path, data);
    expect(await scanFeedFile(path, q, { parts: 2 })).toEqual(want);
  });
});
