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
import { messyFeed, query, reference } from '../helpers/feed-reference.js';
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
    // Every generated line gets a model by its device (one in 97 an unknown one) and, on some, a channel.
    const models = ['cepheus', 'umi', 'lmi'];
    const channels = ['', '', ',"channel":"beta"', ',"channel":"stable"', ',"channel":"nightly"'];
    const data = Buffer.from(
      messyFeed()
        .toString('latin1')
        .replace(/"device":"d-(\d+)","version"/g, (all, n: string) => {
          const k = Number(n);
          const model = k % 97 === 0 ? 'bogus' : models[k % 3]!;
          return `"device":"d-${n}","model":"${model}"${channels[k % 5]!},"version"`;
        }),
      'latin1',
    );
    const q = {
      ...query,
      devices: models,
      channel: 'beta',
      windows: [
        { ...query.windows[0]!, exceptModels: ['lmi'] },
        query.windows[1]!,
        ...models.flatMap((model) => query.windows.map((w) => ({ ...w, model }))),
      ],
    };
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
