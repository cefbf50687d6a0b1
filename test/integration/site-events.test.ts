/**
 * The release page's reader of audit logs (src/io/site-events.ts): what it reads from a watch
 * line's bytes is what the parsed line says, and what it keeps between runs gives the same log as
 * reading the whole file again.
 */
import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { channelLog, type ChannelLog } from '../../src/core/site/log.js';
import type { SiteEvent } from '../../src/core/site/model.js';
import { createStore } from '../../src/io/store.js';
import { readChannelLog } from '../../src/io/site-events.js';
import { tmpDir } from '../helpers/index.js';

const watch = (at: string, version: string, verdict: string, reason: string, units: number, crashUnits: number) => ({
  at,
  action: 'watch',
  serial: 7,
  version,
  actor: 'ci',
  detail: {
    verdict,
    rule: null,
    reason,
    candidate: { version, units, crashUnits, devices: 3, crashed: 1, recentDevices: 3, recentCrashed: 1 },
    baseline: null,
  },
});

const publish = (at: string, version: string) => ({ at, action: 'publish', serial: 7, version, actor: 'ci', detail: { rollout: 10 } });

const lines: SiteEvent[] = [
  publish('2026-12-01T00:00:00Z', '2026.48.0'),
  watch('2026-12-01T01:00:00Z', '2026.48.0', 'healthy', 'crash units 1/100 — fine', 100, 1),
  watch('2026-12-01T02:00:00Z', '2026.48.0', 'unhealthy', 'a "quoted" reason\\with escapes <b>', 250, 40),
  // Another shape (fields in another order): read in full.
  {
    action: 'watch',
    at: '2026-12-01T03:00:00Z',
    serial: 7,
    version: '2026.48.0',
    detail: { candidate: { crashUnits: 2, units: 9 }, verdict: 'healthy', reason: 'other shape' },
  } as SiteEvent,
  // More checks than a page lists, of two versions.
  ...Array.from({ length: 30 }, (_, i) =>
    watch(
      `2026-12-02T${String(i % 24).padStart(2, '0')}:${i < 24 ? '00' : '30'}:00Z`,
      i % 3 ? '2026.48.0' : '2026.47.0',
      'healthy',
      `check ${i}`,
      300 + i,
      41 + i,
    ),
  ),
];

const strip = (log: ChannelLog) => ({ ...log, origin: null });

function logDir(): string {
  const dir = tmpDir();
  mkdirSync(join(dir, 'channels/beta'), { recursive: true });
  return dir;
}

const ctx = { dryRun: false, info: () => {}, cwd: '/' };

describe('readChannelLog', () => {
  it('reads every line as JSON.parse would, the figures of watch lines from their bytes, and skips a torn line', async () => {
    const dir = logDir();
    writeFileSync(
      join(dir, 'channels/beta/events.ndjson'),
      lines.map((l) => JSON.stringify(l)).join('\n') + '\n{"at":"2026-12-01T04:00:00Z","action":"wat',
    );
    const read = await readChannelLog(dir, 'beta', { cacheDir: null, store: null });
    expect(strip(read.log)).toEqual(strip(channelLog(lines)));
    expect(read.log.checks.get('2026.48.0')!.latest).toHaveLength(12);
    expect(read.log.lastCheck?.check.reason).toBe('check 29');
    expect((await readChannelLog(dir, 'stable', { cacheDir: null, store: null })).log).toEqual(channelLog([]));
  });

  it('reads on from its cache: only the lines appended since, and the same log as a whole read', async () => {
    const dir = logDir();
    const cacheDir = join(dir, 'cache');
    const log = join(dir, 'channels/beta/events.ndjson');
    const text = (from: number, to: number) =>
      lines
        .slice(from, to)
        .map((l) => JSON.stringify(l) + '\n')
        .join('');
    writeFileSync(log, text(0, 10));
    const store = createStore(ctx);
    const first = await readChannelLog(dir, 'beta', { cacheDir, store });
    expect(first.resumedFrom).toBe(0);
    expect(strip(first.log)).toEqual(strip(channelLog(lines.slice(0, 10))));
    // A line still being written at the end: read, never kept.
    appendFileSync(log, text(10, 20) + JSON.stringify(lines[20]));
    const second = await readChannelLog(dir, 'beta', { cacheDir, store });
    expect(second.resumedFrom).toBe(Buffer.byteLength(text(0, 10)));
    expect(strip(second.log)).toEqual(strip(channelLog(lines.slice(0, 21))));
    appendFileSync(log, '\n' + text(21, lines.length));
    const third = await readChannelLog(dir, 'beta', { cacheDir, store });
    expect(third.resumedFrom).toBe(Buffer.byteLength(text(0, 20)));
    expect(strip(third.log)).toEqual(strip(channelLog(lines)));
    // Under --dry-run (no store), nothing is kept: the next run starts where the last kept one ended.
    appendFileSync(log, text(0, 1));
    await readChannelLog(dir, 'beta', { cacheDir, store: null });
    expect((await readChannelLog(dir, 'beta', { cacheDir, store })).resumedFrom).toBe(Buffer.byteLength(text(0, lines.length)));
  });

  it('reads the whole log again when it was truncated, rewritten or replaced, or the cache is damaged or of another format', async () => {
    const dir = logDir();
    const cacheDir = join(dir, 'cache');
    const log = join(dir, 'channels/beta/events.ndjson');
    const store = createStore(ctx);
    const all = lines.map((l) => JSON.stringify(l) + '\n').join('');
    const fresh = async (want: SiteEvent[], why: RegExp) => {
      const r = await readChannelLog(dir, 'beta', { cacheDir, store });
      expect(r.resumedFrom).toBe(0);
      expect(r.reread).toMatch(why);
      expect(strip(r.log)).toEqual(strip(channelLog(want)));
      // …and keeps what it read again: the next run reads on.
      expect((await readChannelLog(dir, 'beta', { cacheDir, store })).resumedFrom).toBe(readFileSync(log).length);
    };
    writeFileSync(log, all);
    await readChannelLog(dir, 'beta', { cacheDir, store });
    // Truncated.
    writeFileSync(
      log,
      lines
        .slice(0, 5)
        .map((l) => JSON.stringify(l) + '\n')
        .join(''),
    );
    await fresh(lines.slice(0, 5), /truncated/);
    // Rewritten in place, longer than what was read: other bytes where the read stopped.
    const other = [...lines.slice(0, 4), publish('2026-12-01T00:30:00Z', '2026.47.0'), ...lines.slice(5)];
    writeFileSync(log, other.map((l) => JSON.stringify(l) + '\n').join(''));
    await fresh(other, /changed/);
    // Replaced by another file with the same first bytes.
    const cache = join(cacheDir, 'site-beta.cache');
    writeFileSync(log + '.new', readFileSync(log));
    renameSync(log + '.new', log);
    await fresh(other, /another file/);
    // A damaged cache: one byte changed.
    const bytes = readFileSync(cache);
    bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0x20;
    writeFileSync(cache, bytes);
    await fresh(other, /damaged/);
    // Not a cache at all, and a cache of another format.
    writeFileSync(cache, 'garbage');
    await fresh(other, /damaged/);
    writeFileSync(cache, readFileSync(cache, 'utf8').replace(/^\{"format":"[^"]*"/, '{"format":"friday.site-cache/0"'));
    await fresh(other, /another format/);
  });
});
