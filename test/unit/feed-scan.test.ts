/** The scan's unit accounting on literal bytes (docs/formats.md "Units"), and scanners merged as two threads merge them. */
import { describe, expect, it } from 'vitest';
import { FeedScanner, hasBom, scanBuffer, type FeedQuery, type FeedScan } from '../../src/core/feed/scan.js';
import { event as ev, H, messyFeed, NOW, query as watchQuery, reference } from '../helpers/feed-reference.js';

const query = (windows: Partial<FeedQuery['windows'][number]>[] = [{}]): FeedQuery => ({
  nowMs: NOW,
  windows: windows.map((w) => ({ version: '2026.48.0', fromMs: NOW - 24 * H, recentFromMs: NOW - 24 * H, ...w })),
});
const scan = (text: string | Uint8Array, q = query()) => scanBuffer(typeof text === 'string' ? new TextEncoder().encode(text) : text, q);

describe('unit accounting', () => {
  it('counts device-hours, not lines: retries and a crash-looping device add nothing', () => {
    const lines = [
      ev({ device: 'd-1', kind: 'session' }),
      ev({ device: 'd-1', kind: 'session' }),
      ev({ device: 'd-1', kind: 'session', ts: '2026-11-28T01:59:59Z' }),
      ...Array.from({ length: 30 }, (_, m) =>
        ev({ device: 'd-2', kind: 'crash', ts: `2026-11-28T02:${String(m).padStart(2, '0')}:00Z`, signature: 'SIGSEGV init' }),
      ),
      ev({ device: 'd-2', kind: 'anr', ts: '2026-11-28T03:00:00Z' }),
    ];
    const s = scan(lines.join('\n'));
    const v = s.versions[0]!;
    expect(v).toMatchObject({ units: 3, crashUnits: 2, devices: 2, crashed: 1, sessions: 3, crashes: 31 });
    expect(v.signatures).toEqual([
      { signature: '(no signature)', devices: 1 },
      { signature: 'SIGSEGV init', devices: 1 },
    ]);
    expect(s).toMatchObject({ lines: 34, accepted: 34, rejected: 0 });
    const hour = (iso: string) => (Date.parse(iso) - v.firstHourMs) / H;
    expect(v.crashUnitsPerHour[hour('2026-11-28T02:00:00Z')]).toBe(1);
    expect(v.unitsPerHour[hour('2026-11-28T01:00:00Z')]).toBe(1);
  });

  it('judges models and channels: unknown or mistyped ones rejected, other channels skipped, a model window its own', () => {
    const q: FeedQuery = {
      ...query([{}, { model: 'umi' }, { model: 'cepheus' }]),
      devices: ['cepheus', 'umi'],
      channel: 'beta',
    };
    const s = scan(
      [
        ev({ device: 'd-1', model: 'umi' }),
        ev({ device: 'd-2', model: 'umi', channel: 'beta', kind: 'crash' }),
        ev({ device: 'd-3', model: 'cepheus', channel: null }),
        ev({ device: 'd-4' }), // no model: the fleet only
        ev({ device: 'd-5', model: 'umi', channel: 'stable' }), // stable's device: not beta's
        ev({ device: 'd-6', model: 'umi', channel: 'nightly' }), // a channel that is none: counts for none
        ev({ device: 'd-7', model: 'sagit' }),
        ev({ device: 'd-8', model: '' }),
        ev({ device: 'd-9', model: 3 }),
        ev({ device: 'd-10', channel: ['beta'] }),
        ev({ device: 'd-11', model: 'umi' }).replace('"umi"', '"\\u0075mi"'),
      ].join('\n'),
      q,
    );
    expect(s).toMatchObject({ lines: 11, accepted: 7, rejected: 4, rejectedBy: { model: 2, 'wrong-type': 2 } });
    expect(s.versions.map((v) => v.devices)).toEqual([5, 3, 1]);
    expect(s.versions[1]).toMatchObject({ crashed: 1, crashUnits: 1 });
    // Without the configured devices any model is accepted; one without a window counts for the fleet only.
    const loose = scan([ev({ model: 'sagit' }), ev({ device: 'd-2', model: 'umi' })].join('\n'), query([{}, { model: 'umi' }]));
    expect(loose).toMatchObject({ rejected: 0 });
    expect(loose.versions.map((v) => v.devices)).toEqual([2, 1]);
  });

  it('leaves the models of exceptModels out of a window', () => {
    const s = scan([ev({ device: 'd-1', model: 'umi' }), ev({ device: 'd-2', model: 'cepheus' }), ev({ device: 'd-3' })].join('\n'), {
      ...query([{ exceptModels: ['umi'] }, { model: 'umi' }]),
      devices: ['cepheus', 'umi'],
    });
    expect(s.versions.map((v) => v.devices)).toEqual([2, 1]);
  });

  it('ignores (does not reject) events outside the window and versions not asked for', () => {
    const s = scan([ev({ ts: '2026-11-20T01:00:00Z' }), ev({ version: '2026.46.0' }), ev({})].join('\n'));
    expect(s).toMatchObject({ lines: 3, accepted: 3, rejected: 0 });
    expect(s.versions[0]).toMatchObject({ units: 1, devices: 1 });
  });

  it('counts recent devices for the absolute rule by event time, and each version in its own window', () => {
    const q = query([
      { fromMs: NOW - 48 * H, recentFromMs: NOW - 2 * H },
      { version: '2026.47.0', fromMs: NOW - 168 * H, recentFromMs: NOW - 2 * H },
    ]);
    const s = scan(
      [
        ev({ device: 'a', ts: '2026-11-27T06:00:00Z', kind: 'crash' }),
        ev({ device: 'b', ts: '2026-11-28T04:30:00Z', kind: 'crash' }),
        ev({ device: 'c', ts: '2026-11-28T04:30:00Z' }),
        ev({ device: 'a', ts: '2026-11-22T04:30:00Z', version: '2026.47.0' }),
      ].join('\n'),
      q,
    );
    expect(s.versions[0]).toMatchObject({ devices: 3, crashed: 2, recentDevices: 2, recentCrashed: 1 });
    expect(s.versions[1]).toMatchObject({ version: '2026.47.0', devices: 1, units: 1, crashUnits: 0 });
  });

  it("counts a rollout stage's devices from its start, inclusive, apart from the window's", () => {
    const q = query([{ fromMs: NOW - 48 * H, recentFromMs: NOW - 2 * H, stageFromMs: Date.parse('2026-11-28T01:00:00Z') }]);
    const s = scan(
      [
        ev({ device: 'a', ts: '2026-11-27T06:00:00Z' }),
        ev({ device: 'b', ts: '2026-11-28T01:00:00Z' }),
        ev({ device: 'c', ts: '2026-11-28T00:59:59Z' }),
        ev({ device: 'c', ts: '2026-11-28T04:30:00Z', kind: 'crash' }),
      ].join('\n'),
      q,
    );
    expect(s.versions[0]).toMatchObject({ devices: 3, stageDevices: 2 });
    // Without a stage start, the stage is the whole window.
    expect(scan(ev({ device: 'a', ts: '2026-11-27T06:00:00Z' }), query([{ fromMs: NOW - 48 * H }])).versions[0]!.stageDevices).toBe(1);
  });

  it('scans garbage, blank and binary lines, a BOM, CRLF and a missing final newline without failing', () => {
    const bytes = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(ev({}) + '\r\n'),
      Buffer.from([0, 1, 2, 0xff, 0x0a]),
      Buffer.from('\n\n  \n'),
      Buffer.from('garbage\n'),
      Buffer.from(ev({ device: 'd-2' })),
    ]);
    const s = scan(bytes);
    expect(s).toMatchObject({ lines: 4, accepted: 2, rejected: 2, rejectedBy: { 'invalid-json': 2 } });
    expect(s.versions[0]!.devices).toBe(2);
  });

  it('works with no window at all (no version of interest) and with an empty feed', () => {
    expect(scan(ev({}), { nowMs: NOW, windows: [] })).toMatchObject({ lines: 1, accepted: 1, versions: [] });
    expect(scan('').versions[0]).toMatchObject({ units: 0, devices: 0, signatures: [] });
  });
});

/**
 * Two scanners over one buffer as two threads share a file: it is cut at line starts every `size`
 * bytes or so, `deal(k)` says which scanner takes piece k, and the second scanner's state, copied
 * as a worker posts it, is merged into the first.
 */
function scanInTwo(data: Buffer, q: FeedQuery, size: number, deal: (k: number) => number): FeedScan {
  const scanners = [new FeedScanner(q), new FeedScanner(q)];
  let from = 0;
  let pos = hasBom(data) ? 3 : 0;
  for (let k = 0; pos < data.length; k++) {
    const s = scanners[deal(k)]!;
    const before = Math.min(data.length, from + size);
    const rest = s.scanLines(data, pos, data.length, before);
    if (rest < before) {
      s.line(data, rest, data.length); // the last line, without a newline
      pos = data.length;
    } else {
      pos = rest;
    }
    s.bytes += pos - from;
    from = pos;
  }
  const [a, b] = scanners as [FeedScanner, FeedScanner];
  a.merge(structuredClone(b.state()));
  return a.result();
}

describe('two scanners merged', () => {
  it('give the figures of one pass, whichever lines each took', () => {
    const data = messyFeed(600);
    const want = reference(data, watchQuery);
    expect(want.versions.map((v) => v.crashUnits > 0 && v.devices > 100)).toEqual([true, true]);
    expect(scanInTwo(data, watchQuery, 64 << 10, (k) => k % 2)).toEqual(want);
    expect(scanInTwo(data, watchQuery, 256 << 10, (k) => (k % 3 === 1 ? 1 : 0))).toEqual(want);
  });

  it('count a device-hour found by both once, and each line found by either', () => {
    // The feed twice over, each copy to its own scanner: every unit is found by both.
    const once = messyFeed(600);
    const twice = Buffer.concat([once, Buffer.from('\n'), once.subarray(3)]);
    const one = reference(once, watchQuery);
    const got = scanInTwo(twice, watchQuery, once.length + 1, (k) => k);
    expect(got).toEqual(reference(twice, watchQuery));
    expect(got.versions.map((v) => [v.units, v.crashUnits, v.devices])).toEqual(
      one.versions.map((v) => [v.units, v.crashUnits, v.devices]),
    );
    expect(got.accepted).toBe(2 * one.accepted);
  });
});
