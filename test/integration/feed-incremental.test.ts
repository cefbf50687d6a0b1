/**
 * `watch` on a growing feed (docs/formats.md "Incremental checks"): a check that reads only what
 * was appended gives every figure a scan from scratch gives, fleet and per-model windows alike, on
 * random feeds cut at random points with the clock and the rollout's stage moving between checks;
 * and each reason for a full scan is found and said.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanBuffer, type FeedQuery } from '../../src/core/feed/scan.js';
import { scanFeedIncremental, type IncrementalScan } from '../../src/io/feed-incremental.js';
import { createStore } from '../../src/io/store.js';
import { messyFeed, MODELS, NOW, query as watchQuery, reference, withModels, withModelWindows } from '../helpers/feed-reference.js';
import { prng, tmpDir } from '../helpers/index.js';

const H = 3_600_000;
const T0 = Date.parse('2026-11-28T05:17:23.450Z');
const CAND = '2026.48.0',
  BASE = '2026.47.0';
const POLICY = { windowHours: 6, baselineHours: 30 };

const LIVE = T0 - 20 * H + 61_000;

interface Asked {
  candidate?: string;
  /** The rollout's stage started then (default: when the candidate went live). */
  stageFromMs?: number;
  /** Models rolled back from the candidate: left out of the fleet's windows. */
  except?: string[];
  devices?: string[];
}

/**
 * What watch asks at `nowMs` (src/workflow/watch.ts): the candidate since it went live, with its
 * stage, the baseline over whole hours, both less the rolled-back models, then each configured
 * model's candidate and baseline; the channel beta only.
 */
function queryAt(nowMs: number, a: Asked = {}): FeedQuery {
  const recentFromMs = nowMs - POLICY.windowHours * H;
  const devices = a.devices ?? MODELS;
  const except = { exceptModels: a.except ?? ['lmi'] };
  const candidate = { version: a.candidate ?? CAND, fromMs: LIVE, recentFromMs };
  const baseline = { version: BASE, fromMs: Math.ceil((nowMs - POLICY.baselineHours * H) / H) * H, recentFromMs };
  return {
    nowMs,
    devices,
    channel: 'beta',
    windows: [
      { ...candidate, stageFromMs: a.stageFromMs ?? LIVE, ...except },
      { ...baseline, ...except },
      ...devices.flatMap((model) => [
        { ...candidate, model },
        { ...baseline, model },
      ]),
    ],
  };
}

const iso = (ms: number, rand: () => number) => {
  const s = new Date(ms).toISOString();
  return rand() < 0.7 ? s.replace(/\.\d{3}Z$/, 'Z') : s; // with and without milliseconds
};

/**
 * Random lines around the clock `nowMs`: retries (few devices), crashes and ANRs with a few
 * signatures, times out of order over two days and some hours into the future, other versions,
 * garbage and blank lines; a model by device (some unknown, some none) and, on most, a channel
 * (beta, the one watched, or another).
 */
function randomLines(rand: () => number, nowMs: number, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.04) {
      out.push(
        ['not json', '{"ts":', '', '   ', '{}', '[1]', '{"ts":"yesterday","device":"d","version":"x","kind":"session"}'][
          Math.floor(rand() * 7)
        ]!,
      );
      continue;
    }
    // Mostly the last day, some older, one in ten ahead of the clock (most of those beyond the slack).
    const ts = r < 0.14 ? nowMs + rand() * 3 * H : nowMs - (rand() < 0.8 ? rand() * 24 * H : rand() * 48 * H);
    const kindR = rand();
    const kind = kindR < 0.75 ? 'session' : kindR < 0.93 ? 'crash' : 'anr';
    const vr = rand();
    const device = Math.floor(rand() * 60);
    const o: Record<string, unknown> = {
      ts: iso(Math.floor(ts), rand),
      device: `d-${device}`,
      version: vr < 0.5 ? CAND : vr < 0.9 ? BASE : '2026.46.0',
      kind,
    };
    // A device keeps its model; d-7 and d-37 name none configured (rejected), d-0 to d-4 none at all.
    if (device >= 5) o.model = device % 30 === 7 ? 'bogus' : MODELS[device % MODELS.length];
    const cr = rand();
    if (cr < 0.75) o.channel = cr < 0.6 ? 'beta' : 'stable';
    if (kind !== 'session' && rand() < 0.9) o.signature = ['SIGSEGV a', 'SIGABRT b', 'ANR c'][Math.floor(rand() * 3)];
    out.push(JSON.stringify(o));
  }
  return out;
}

async function check(feed: string, statePath: string, q: FeedQuery, extra: unknown = POLICY, dryRun = false) {
  const reasons: string[] = [];
  const store = createStore({ dryRun, info: () => {}, cwd: feed });
  const r: IncrementalScan = await scanFeedIncremental(feed, q, { statePath, keyExtra: extra, store, fullScan: (w) => reasons.push(w) });
  return { ...r, reasons };
}

const fullScan = async (feed: string, q: FeedQuery) => scanBuffer(await fs.readFile(feed), q);

describe('an incremental check', () => {
  it('gives every figure of a full scan, per model too, on random feeds cut at random points with the clock and the stage moving', async () => {
    let stagedApart = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const rand = prng(seed);
      const dir = tmpDir();
      const feed = join(dir, 'crashes.ndjson');
      const statePath = join(dir, 'git', 'friday', 'watch-beta.state');
      let now = T0;
      let stage = LIVE;
      // The whole feed, written in pieces that end anywhere, mid-line included.
      const text = Buffer.from(randomLines(rand, T0 + 6 * H, 900).join('\n') + (rand() < 0.5 ? '\n' : ''));
      let written = 0;
      await fs.writeFile(feed, '');
      let checks = 0;
      while (written < text.length) {
        const next = Math.min(text.length, written + 1 + Math.floor(rand() * 9000));
        await fs.appendFile(feed, text.subarray(written, next));
        written = next;
        // Sometimes the same clock, mostly minutes later, sometimes hours (the baseline drops hours).
        const step = rand();
        now += step < 0.15 ? 0 : step < 0.8 ? rand() * 20 * 60_000 : rand() * 3 * H;
        // Now and then the rollout widens: its stage starts at this check.
        if (rand() < 0.2) stage = Math.floor(now) - Math.floor(rand() * H);
        const q = queryAt(Math.floor(now), { stageFromMs: stage });
        const got = await check(feed, statePath, q);
        const want = await fullScan(feed, q);
        expect(got.reasons, `seed ${seed}, check ${checks}`).toEqual([]);
        expect(got.scan, `seed ${seed}, check ${checks}`).toEqual(want);
        if (checks > 0) expect(got.resumedFrom).toBeGreaterThan(0);
        if (got.scan.versions[0]!.stageDevices < got.scan.versions[0]!.devices) stagedApart++;
        checks++;
      }
      // The reference (every line through JSON.parse, sets of strings) agrees as well.
      const q = queryAt(Math.floor(now), { stageFromMs: stage });
      const last = await check(feed, statePath, q);
      expect(last.reasons).toEqual([]);
      expect(last.scan).toEqual(reference(await fs.readFile(feed), q));
      expect(checks).toBeGreaterThan(5);
      // Every window had something to count, and the figures that set them apart moved.
      const [cand, , ...models] = last.scan.versions;
      expect(last.scan.rejectedBy.model).toBeGreaterThan(0);
      expect(models.every((v) => v.devices > 0)).toBe(true);
      // lmi's devices are left out of the fleet's candidate: cepheus's, umi's and the five without a model remain.
      expect(cand!.devices).toBeLessThanOrEqual(models[0]!.devices + models[2]!.devices + 5);
    }
    // Checks after a new stage counted fewer of the stage's devices than of all.
    expect(stagedApart).toBeGreaterThan(5);
  });

  it('reads again, once their time has come, the lines it kept as in the future', async () => {
    const dir = tmpDir();
    const feed = join(dir, 'crashes.ndjson');
    const statePath = join(dir, 'state');
    const line = (ts: number, device: string) => JSON.stringify({ ts: new Date(ts).toISOString(), device, version: CAND, kind: 'crash' });
    await fs.writeFile(feed, [line(T0 - H, 'a'), line(T0 + 2 * H, 'b'), line(T0 + 30 * 60_000, 'c')].join('\n') + '\n');
    const first = await check(feed, statePath, queryAt(T0));
    expect(first.scan.rejectedBy).toEqual({ future: 2 });
    expect(first.scan.versions[0]).toMatchObject({ devices: 1, crashed: 1 });
    const later = await check(feed, statePath, queryAt(T0 + H));
    expect(later.resumedFrom).toBeGreaterThan(0);
    expect(later.scan.rejectedBy).toEqual({ future: 1 });
    expect(later.scan.versions[0]).toMatchObject({ devices: 2, crashed: 2, crashes: 2 });
    const all = await check(feed, statePath, queryAt(T0 + 3 * H));
    expect(all.scan).toEqual(await fullScan(feed, queryAt(T0 + 3 * H)));
    expect(all.scan.rejected).toBe(0);
  });

  it('goes on from the saved state with two threads as with one, over garbage, a BOM and a last line without newline, with and without models', async () => {
    const plain = messyFeed(2500);
    for (const [data, asked] of [
      [plain, watchQuery],
      [withModels(plain), withModelWindows(watchQuery)],
    ] as const) {
      const dir = tmpDir();
      const feed = join(dir, 'crashes.ndjson');
      const cut = data.indexOf(0x0a, data.length >> 2) - 7; // mid-line
      await fs.writeFile(feed, data.subarray(0, cut));
      const q = { ...asked, nowMs: NOW - 2 * H };
      const store = createStore({ dryRun: false, info: () => {}, cwd: dir });
      const first = await scanFeedIncremental(feed, q, { statePath: join(dir, 'state'), store });
      expect(first.scan).toEqual(reference(data.subarray(0, cut), q));
      await fs.appendFile(feed, data.subarray(cut));
      // The rollout widened in between: its stage starts three hours before now.
      const later = { ...asked, windows: asked.windows.map((w, i) => (i === 0 ? { ...w, stageFromMs: NOW - 3 * H } : w)) };
      const want = reference(data, later);
      expect(want.versions[0]!.stageDevices).toBeLessThan(want.versions[0]!.devices);
      for (const parts of [2, 1]) {
        const statePath = join(dir, `state-${parts}`);
        await fs.copyFile(join(dir, 'state'), statePath);
        const r = await scanFeedIncremental(feed, later, { statePath, store, parts });
        expect(r.resumedFrom).toBeGreaterThan(0);
        expect(r.scan).toEqual(want);
      }
    }
  });

  it('with --dry-run writes no state, and uses one that is there', async () => {
    const dir = tmpDir();
    const feed = join(dir, 'crashes.ndjson');
    const statePath = join(dir, 'state');
    await fs.writeFile(feed, randomLines(prng(3), T0, 200).join('\n') + '\n');
    await check(feed, statePath, queryAt(T0), POLICY, true);
    await expect(fs.access(statePath)).rejects.toThrow();
    await check(feed, statePath, queryAt(T0));
    const saved = await fs.readFile(statePath);
    await fs.appendFile(feed, randomLines(prng(4), T0, 50).join('\n') + '\n');
    const dry = await check(feed, statePath, queryAt(T0 + 60_000), POLICY, true);
    expect(dry.resumedFrom).toBeGreaterThan(0);
    expect(dry.scan).toEqual(await fullScan(feed, queryAt(T0 + 60_000)));
    expect((await fs.readFile(statePath)).equals(saved)).toBe(true);
  });
  it('leaves the state alone when nothing was appended and nothing moved but the clock', async () => {
    const dir = tmpDir();
    const feed = join(dir, 'crashes.ndjson');
    const statePath = join(dir, 'state');
    await fs.writeFile(feed, randomLines(prng(5), T0 - 4 * H, 200).join('\n') + '\n'); // nothing in the future
    const first = await check(feed, statePath, queryAt(T0));
    const saved = await fs.readFile(statePath);
    const q = queryAt(T0 + 10 * 60_000); // the baseline still starts on the same hour
    expect(q.windows[1]!.fromMs).toBe(queryAt(T0).windows[1]!.fromMs);
    const again = await check(feed, statePath, q);
    expect(again.resumedFrom).toBe(first.scan.bytes);
    expect(again.scan).toEqual(await fullScan(feed, q));
    expect((await fs.readFile(statePath)).equals(saved)).toBe(true);
  });
});

describe('a full scan, said once, when', () => {
  /** A feed checked once at T0, then changed by `change`, then checked by `again`. */
  async function after(
    change: (feed: string, text: string) => Promise<void>,
    again: { q?: FeedQuery; extra?: unknown } = {},
  ): Promise<{ reasons: string[]; resumedFrom: number; ok: boolean }> {
    const dir = tmpDir();
    const feed = join(dir, 'crashes.ndjson');
    const statePath = join(dir, 'state');
    const text = randomLines(prng(11), T0, 300).join('\n') + '\n';
    await fs.writeFile(feed, text);
    await check(feed, statePath, queryAt(T0));
    await change(feed, text);
    const q = again.q ?? queryAt(T0 + 10 * 60_000);
    const r = await check(feed, statePath, q, again.extra ?? POLICY);
    return { reasons: r.reasons, resumedFrom: r.resumedFrom, ok: JSON.stringify(r.scan) === JSON.stringify(await fullScan(feed, q)) };
  }

  const expectFull = (r: { reasons: string[]; resumedFrom: number; ok: boolean }, why: RegExp) => {
    expect(r.reasons).toHaveLength(1);
    expect(r.reasons[0]).toMatch(why);
    expect(r.resumedFrom).toBe(0);
    expect(r.ok).toBe(true);
  };

  it('the feed was truncated', async () => {
    expectFull(await after((f, t) => fs.writeFile(f, t.slice(0, t.length >> 1))), /shorter .* \(truncated\)/);
  });

  it('the feed was replaced by another of the same size', async () => {
    expectFull(await after((f, t) => fs.writeFile(f, t.replaceAll('d-1', 'd-2'))), /changed|replaced/);
  });

  it('the feed was rotated (a new file at the same path)', async () => {
    expectFull(
      await after(async (f, t) => {
        await fs.rename(f, f + '.1');
        await fs.writeFile(f, t + t);
      }),
      /another file .*rotated/,
    );
  });

  it('the health policy changed', async () => {
    expectFull(await after(async () => {}, { extra: { ...POLICY, windowHours: 12 } }), /policy changed/);
  });

  it('there is a new candidate', async () => {
    expectFull(await after(async () => {}, { q: queryAt(T0 + 60_000, { candidate: '2026.49.0' }) }), /new candidate or baseline/);
  });

  it('a model was rolled back from the candidate since (the fleet leaves it out)', async () => {
    const q = queryAt(T0 + 60_000, { except: ['lmi', 'umi'] });
    expectFull(await after(async () => {}, { q }), /models rolled back from the candidate changed/);
  });

  it('the configured devices changed', async () => {
    const q = queryAt(T0 + 60_000, { devices: [...MODELS, 'raphael'] });
    expectFull(await after(async () => {}, { q }), /configured devices changed/);
  });

  it('the clock is earlier than the last check', async () => {
    expectFull(await after(async () => {}, { q: queryAt(T0 - 60_000) }), /earlier than the last check/);
  });

  it('a window starts earlier than it did', async () => {
    const q = queryAt(T0 + 60_000);
    q.windows[1]!.fromMs -= H;
    expectFull(await after(async () => {}, { q }), /window of 2026\.47\.0 starts at/);
  });

  it('the state file is damaged', async () => {
    for (const damage of [(b: Buffer) => (b[b.length >> 1]! ^= 0x10), (b: Buffer) => b.subarray(0, 100)]) {
      const r = await after(async (f) => {
        const path = join(f, '..', 'state');
        const b = await fs.readFile(path);
        const out = damage(b);
        await fs.writeFile(path, typeof out === 'number' ? b : out);
      });
      expectFull(r, /saved state .* is damaged/);
    }
  });

  it("but not when nothing changed but the clock, the rollout's stage and appended lines", async () => {
    const q = queryAt(T0 + 10 * 60_000, { stageFromMs: T0 + 5 * 60_000 });
    const r = await after((f) => fs.appendFile(f, randomLines(prng(12), T0, 40).join('\n') + '\n'), { q });
    expect(r).toMatchObject({ reasons: [], ok: true });
    expect(r.resumedFrom).toBeGreaterThan(0);
  });
});
