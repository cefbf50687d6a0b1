/**
 * The crash-feed scan's reference for tests: every line through JSON.parse and the rules of
 * docs/formats.md ("The feed", "Units"), devices and device-hours kept as strings in Sets, and a
 * generated feed with garbage mixed in to compare it on.
 */
import { parseTime } from '../../src/core/time.js';
import { MAX_LINE } from '../../src/core/feed/parse.js';
import type { FeedQuery, FeedScan } from '../../src/core/feed/scan.js';
import type { VersionTally } from '../../src/core/feed/tally.js';
// @ts-expect-error: a plain ES module without types, shared with the demo and the benchmarks
import { feedText } from '../../fixtures/feeds/generate.mjs';
import { prng } from './index.js';

export const NOW = Date.parse('2026-11-28T05:00:00Z');
export const H = 3_600_000;
const SLACK = 5 * 60_000;

/** One feed line: a session of d-1 on 2026.48.0 four hours before NOW, fields replaced by `o`. */
export const event = (o: Record<string, unknown>) =>
  JSON.stringify({ ts: '2026-11-28T01:00:00Z', device: 'd-1', version: '2026.48.0', kind: 'session', ...o });

/** The candidate since 20 hours before NOW and the baseline over the week, as watch asks. */
export const query: FeedQuery = {
  nowMs: NOW,
  windows: [
    { version: '2026.48.0', fromMs: NOW - 20 * H, recentFromMs: NOW - 6 * H, stageFromMs: NOW - 10 * H },
    { version: '2026.47.0', fromMs: NOW - 168 * H, recentFromMs: NOW - 6 * H },
  ],
};

/** The configured devices of the model tests. */
export const MODELS = ['cepheus', 'umi', 'lmi'];

/**
 * A generated feed's lines with a model by their device (one device in 97 an unknown one,
 * rejected) and, on three in five, a channel: the watched `beta` or another.
 */
export function withModels(data: Uint8Array): Buffer {
  const channels = ['', '', ',"channel":"beta"', ',"channel":"stable"', ',"channel":"nightly"'];
  return Buffer.from(
    Buffer.from(data)
      .toString('latin1')
      .replace(/"device":"d-(\d+)","version"/g, (_all, n: string) => {
        const k = Number(n);
        const model = k % 97 === 0 ? 'bogus' : MODELS[k % 3]!;
        return `"device":"d-${n}","model":"${model}"${channels[k % 5]!},"version"`;
      }),
    'latin1',
  );
}

/** `q` as watch asks with models: `beta` only, lmi rolled back (left out of the fleet's candidate), a window per model and version. */
export function withModelWindows(q: FeedQuery): FeedQuery {
  return {
    ...q,
    devices: MODELS,
    channel: 'beta',
    windows: [
      { ...q.windows[0]!, exceptModels: ['lmi'] },
      q.windows[1]!,
      ...MODELS.flatMap((model) => q.windows.map((w) => ({ ...w, model }))),
    ],
  };
}

/** The figures of docs/formats.md computed the obvious way. */
export function reference(data: Uint8Array, q: FeedQuery): FeedScan {
  const decoder = new TextDecoder();
  const rejectedBy: Record<string, number> = {};
  let lines = 0,
    accepted = 0;
  const reject = (why: string) => {
    rejectedBy[why] = (rejectedBy[why] ?? 0) + 1;
  };
  const tallies = q.windows.map((w) => {
    const firstHour = Math.floor(w.fromMs / H);
    return {
      w,
      firstHour,
      hours: Math.max(1, Math.floor((q.nowMs + SLACK) / H) - firstHour + 1),
      units: new Set<string>(),
      crashUnits: new Set<string>(),
      devices: new Set<string>(),
      crashed: new Set<string>(),
      recent: new Set<string>(),
      recentCrashed: new Set<string>(),
      stage: new Set<string>(),
      sessions: 0,
      crashes: 0,
      signatures: new Map<string, Set<string>>(),
    };
  });
  const start = data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? 3 : 0;
  const ends: number[] = [];
  for (let i = start; i < data.length; i++) if (data[i] === 0x0a) ends.push(i);
  if (ends.at(-1) !== data.length - 1 || data.length === start) ends.push(data.length);
  let from = start;
  for (const end of ends) {
    const bytes = data.subarray(from, end);
    from = end + 1;
    if (bytes.length > MAX_LINE) {
      lines++;
      reject('too-long');
      continue;
    }
    const text = decoder.decode(bytes);
    if (/^[ \t\r\n]*$/.test(text)) continue;
    lines++;
    let o: unknown;
    try {
      o = JSON.parse(text);
    } catch {
      reject('invalid-json');
      continue;
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) {
      reject('not-an-object');
      continue;
    }
    const { ts, device, version, kind, signature, model, channel } = o as Record<string, unknown>;
    const required = [ts, device, version, kind];
    if (required.some((v) => v === undefined)) {
      reject('missing-field');
      continue;
    }
    const optional = [signature, model, channel];
    if (required.some((v) => typeof v !== 'string') || optional.some((v) => v != null && typeof v !== 'string')) {
      reject('wrong-type');
      continue;
    }
    if (device === '' || version === '') {
      reject('missing-field');
      continue;
    }
    if (kind !== 'session' && kind !== 'crash' && kind !== 'anr') {
      reject('unknown-kind');
      continue;
    }
    const t = parseTime(ts as string)?.getTime();
    if (t === undefined || Number.isNaN(t)) {
      reject('bad-timestamp');
      continue;
    }
    if (t > q.nowMs + SLACK) {
      reject('future');
      continue;
    }
    if (typeof model === 'string' && q.devices && !q.devices.includes(model)) {
      reject('model');
      continue;
    }
    accepted++;
    if (q.channel !== undefined && typeof channel === 'string' && channel !== q.channel) continue;
    const fleet = tallies.find((x) => x.w.version === version && x.w.model === undefined);
    const own = typeof model === 'string' ? tallies.find((x) => x.w.version === version && x.w.model === model) : undefined;
    for (const tally of [fleet, own]) {
      if (!tally || t < tally.w.fromMs) continue;
      if (tally === fleet && typeof model === 'string' && tally.w.exceptModels?.includes(model)) continue;
      count(tally, device as string, t, kind as string, signature);
    }
  }
  function count(tally: (typeof tallies)[number], dev: string, t: number, kind: string, signature: unknown) {
    const unit = `${dev}\u0000${Math.floor(t / H) - tally.firstHour}`;
    const recent = t >= tally.w.recentFromMs;
    tally.units.add(unit);
    tally.devices.add(dev);
    if (recent) tally.recent.add(dev);
    if (t >= (tally.w.stageFromMs ?? tally.w.fromMs)) tally.stage.add(dev);
    if (kind === 'session') {
      tally.sessions++;
    } else {
      tally.crashes++;
      tally.crashUnits.add(unit);
      tally.crashed.add(dev);
      if (recent) tally.recentCrashed.add(dev);
      const sig = (signature as string | null | undefined) ?? '(no signature)';
      if (!tally.signatures.has(sig)) tally.signatures.set(sig, new Set());
      tally.signatures.get(sig)!.add(dev);
    }
  }
  const perHour = (units: Set<string>, hours: number) => {
    const out = new Array<number>(hours).fill(0);
    for (const u of units) out[Number(u.slice(u.indexOf('\u0000') + 1))]!++;
    return out;
  };
  const versions: VersionTally[] = tallies.map((t) => ({
    version: t.w.version,
    units: t.units.size,
    crashUnits: t.crashUnits.size,
    devices: t.devices.size,
    crashed: t.crashed.size,
    recentDevices: t.recent.size,
    recentCrashed: t.recentCrashed.size,
    stageDevices: t.stage.size,
    sessions: t.sessions,
    crashes: t.crashes,
    signatures: [...t.signatures]
      .map(([signature, d]) => ({ signature, devices: d.size }))
      .sort((a, b) => b.devices - a.devices || (a.signature < b.signature ? -1 : a.signature > b.signature ? 1 : 0)),
    firstHourMs: t.firstHour * H,
    unitsPerHour: perHour(t.units, t.hours),
    crashUnitsPerHour: perHour(t.crashUnits, t.hours),
  }));
  const rejected = Object.values(rejectedBy).reduce((a, b) => a + b, 0);
  return { lines, accepted, rejected, rejectedBy, bytes: data.length, versions };
}

/**
 * A generated feed with awkward and broken lines mixed in, as bytes: `devices` devices over the
 * day before NOW (2026.47.0 for its first 10 hours, then 2026.48.0), a BOM, no final newline.
 */
export function messyFeed(devices = 2500): Buffer {
  const lines: (string | Uint8Array)[] = (
    feedText({
      start: '2026-11-27T05:00:00Z',
      hours: 24,
      devices,
      active: 0.8,
      seed: 5,
      versions: [
        { version: '2026.47.0', toHour: 10, crashRate: 0.05 },
        { version: '2026.48.0', fromHour: 10, crashRate: 0.2, crashesPerHit: 2 },
      ],
    }) as string
  )
    .split('\n')
    .filter(Boolean);
  const e = (o: Record<string, unknown>) =>
    JSON.stringify({ ts: '2026-11-28T01:15:00Z', device: 'd-000042', version: '2026.48.0', kind: 'crash', ...o });
  const odd: (string | Uint8Array)[] = [
    // Rejected, each for its reason.
    'not json',
    '{"ts":',
    '{"a":1}x',
    "{'ts':1}",
    '{"a":01}',
    '{"a":1.}',
    '{"a":-}',
    '[1,2]',
    '42',
    '"text"',
    'null',
    'true',
    '{}',
    e({ device: undefined }),
    e({ ts: undefined }),
    e({ kind: undefined }),
    e({ version: undefined }),
    e({ device: '' }),
    e({ version: '' }),
    e({ device: 42 }),
    e({ device: null }),
    e({ ts: 1795850400000 }),
    e({ version: ['2026.48.0'] }),
    e({ kind: true }),
    e({ signature: 3 }),
    e({ signature: { f: [] } }),
    e({ kind: 'Crash' }),
    e({ kind: '' }),
    e({ kind: 'crashes' }),
    e({ kind: 'anrx' }),
    e({ ts: 'yesterday' }),
    e({ ts: '2026-02-30T01:00:00Z' }),
    e({ ts: '2026-11-28T01:00:00' }),
    e({ ts: '2026-11-28T24:00:00Z' }),
    e({ ts: '2026-11-28T01:60:00Z' }),
    e({ ts: '2026-11-28T05:05:01Z' }),
    e({ ts: '2026-12-01T00:00:00Z' }),
    e({}).replace('d-000042', 'd-\u0001'),
    e({ signature: 'SIG' }).replace('SIG', 'S\tG'),
    e({ signature: 'SIG' }).replace('SIG', 'S\\qG'),
    // Accepted by way of escapes, spacing, duplicate keys, nested values, other encodings of a known device.
    e({ device: 'd-000042', signature: 'SIGSEGV libcamera.so' }).replace('d-000042', 'd-0000\\u00342'),
    e({ device: 'd-000077', kind: 'anr' }).replace('2026.48.0', '2026\\u002e48.0'),
    e({ device: 'd-000078' }).replace('01:15:00Z', '01:15:00\\u005a'),
    ` { "ts" : "2026-11-28T02:00:00Z" ,\t"device":"d-000100", "version" : "2026.48.0" , "kind":"session" } \r`,
    '{"ts":"2026-11-28T02:00:00Z","device":"d-000101","version":"2026.48.0","kind":"session","kind":"crash","signature":"dup"}',
    '{"ts":"2026-11-28T02:00:00Z","device":"d-000102","version":"2026.48.0","kind":"crash","kind":7}',
    e({ device: 'd-000103', extra: { a: [1, -2.5e3, { b: null }], s: 'x\\"y' }, n: 0, f: false }),
    e({ device: 'd-000104', signature: null }),
    e({ device: 'dév-1', signature: 'SIGBUS ✗' }),
    e({ device: 'd\\u00e9v-1', signature: 'SIGBUS \\u2717' }).replaceAll('\\\\', '\\'),
    e({ device: 'd-000105', ts: '2026-11-28T01:15:00.250Z' }),
    e({ device: 'd-000106', ts: '2026-11-28T03:15:00+01:00' }),
    e({ device: 'd-000107', ts: '2026-11-28 01:15:00Z' }),
    e({ device: 'd-000108', ts: '2026-11-28T05:05:00Z' }),
    e({ device: 'd-000109', ts: '2026-11-28' }),
    e({ device: 'd-000110', signature: 'S'.repeat(300_000) }),
    // Accepted but ignored: other versions, or before the window.
    e({ version: '2026.46.0' }),
    e({ ts: '2026-11-01T00:00:00Z' }),
    e({ version: '2026.48.0 ' }),
    // Raw bytes: control characters, invalid UTF-8 in a device, in a version, a whole binary line.
    new Uint8Array([0, 1, 2, 0xff, 0xfe]),
    Buffer.from(e({ device: 'd-X' })).map((c) => (c === 0x58 ? 0xff : c)),
    Buffer.from(e({ version: '2026.48.X' })).map((c) => (c === 0x58 ? 0xc3 : c)),
    // Blank lines (not counted) and a line too long to be an event.
    '',
    '   ',
    '\t\r',
    'x'.repeat(MAX_LINE + 10),
  ];
  const rand = prng(99);
  for (const line of odd) lines.splice(Math.floor(rand() * lines.length), 0, line);
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [new Uint8Array([0xef, 0xbb, 0xbf])];
  lines.forEach((l, i) => {
    parts.push(typeof l === 'string' ? enc.encode(l) : l);
    if (i < lines.length - 1) parts.push(new Uint8Array([0x0a])); // and no final newline
  });
  return Buffer.concat(parts);
}
