/**
 * The feed file scan on disk: the bad-input corpus, huge lines, a generated feed scanned by one
 * thread and by two (the second is the build's worker: npm run build first).
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FeedQuery } from '../../src/core/feed/scan.js';
import { scanFeedFile } from '../../src/io/feed.js';
import { ROOT, tmpDir } from '../helpers/index.js';
// @ts-expect-error: a plain ES module without types, shared with the demo and the benchmarks
import { writeFeed } from '../../fixtures/feeds/generate.mjs';

const NOW = Date.parse('2026-11-28T05:00:00Z');
const H = 3_600_000;
const CORPUS = join(ROOT, 'test/corpus/feeds');
const query: FeedQuery = { nowMs: NOW, windows: [{ version: '2026.48.0', fromMs: NOW - 24 * H, recentFromMs: NOW - 24 * H }] };

describe('feed file scan', () => {
  it('scans every corpus feed with its garbage counted by reason', async () => {
    const expected = JSON.parse(await fs.readFile(join(CORPUS, 'expected.json'), 'utf8')) as Record<
      string,
      { lines: number; accepted: number; rejectedBy: Record<string, number> }
    >;
    for (const [file, want] of Object.entries(expected)) {
      const s = await scanFeedFile(join(CORPUS, file), query);
      expect([file, s.lines, s.accepted, s.rejectedBy]).toEqual([file, want.lines, want.accepted, want.rejectedBy]);
    }
    const loops = await scanFeedFile(join(CORPUS, 'duplicates-and-loops.ndjson'), query);
    expect(loops.versions[0]).toMatchObject({ units: 3, crashUnits: 2, devices: 2, crashed: 1, sessions: 5, crashes: 61 });
  });

  it('rejects a line over 1 MiB without holding it, and goes on after it', async () => {
    const dir = tmpDir();
    const path = join(dir, 'long.ndjson');
    const good = '{"ts":"2026-11-28T01:00:00Z","device":"d-1","version":"2026.48.0","kind":"session"}\n';
    await fs.writeFile(path, good + '{"ts":"' + 'x'.repeat(9 << 20) + '"}\n' + good.replace('d-1', 'd-2') + 'y'.repeat(2 << 20));
    const s = await scanFeedFile(path, query);
    expect(s).toMatchObject({ lines: 4, accepted: 2, rejectedBy: { 'too-long': 2 } });
    expect(s.versions[0]!.devices).toBe(2);
  });

  it('gives the same figures scanned by one thread or two', async () => {
    const dir = tmpDir();
    const path = join(dir, 'feed.ndjson');
    writeFeed(path, {
      start: '2026-11-27T05:00:00Z',
      hours: 24,
      devices: 3000,
      active: 0.6,
      seed: 11,
      versions: [
        { version: '2026.47.0', toHour: 12, crashRate: 0.02 },
        { version: '2026.48.0', fromHour: 12, crashRate: 0.05, crashesPerHit: 3 },
      ],
    });
    const q: FeedQuery = {
      nowMs: NOW,
      windows: [
        { version: '2026.48.0', fromMs: NOW - 12 * H, recentFromMs: NOW - 6 * H },
        { version: '2026.47.0', fromMs: NOW - 168 * H, recentFromMs: NOW - 6 * H },
      ],
    };
    const whole = await scanFeedFile(path, q, { parts: 1 });
    const shared = await scanFeedFile(path, q, { parts: 2 });
    expect(shared).toEqual(whole);
    expect(whole.versions[0]!.devices).toBeGreaterThan(2000);
  });

  it('fails clearly on a feed that does not exist', async () => {
    await expect(scanFeedFile(join(tmpDir(), 'none.ndjson'), query)).rejects.toThrow(/ENOENT/);
  });
});
