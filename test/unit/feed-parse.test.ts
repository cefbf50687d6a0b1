/** One feed line at a time, read from its bytes (docs/formats.md "The feed"): the fast path held to JSON.parse and parseTime. */
import { describe, expect, it } from 'vitest';
import { fastTime } from '../../src/core/feed/bytes.js';
import { LineParser, REJECT_REASONS, UNKNOWN } from '../../src/core/feed/parse.js';
import { parseTime } from '../../src/core/time.js';
import { event as ev, NOW } from '../helpers/feed-reference.js';
import { prng } from '../helpers/index.js';

function parse(line: string) {
  const p = new LineParser();
  const b = Buffer.from(line);
  const r = p.parse(b, 0, b.length, NOW + 5 * 60_000);
  return { r: r > 0 ? REJECT_REASONS[r] : r, p };
}

describe('a feed line', () => {
  it('accepts the documented shape and reads its fields', () => {
    const { r, p } = parse(
      '{"id":"e2","ts":"2026-11-27T18:03:00Z","device":"d-001","version":"2026.48.0","kind":"crash","signature":"SIGSEGV libcamera.so"}',
    );
    expect(r).toBe(0);
    expect(p.tsMs).toBe(Date.parse('2026-11-27T18:03:00Z'));
    expect(p.kind).toBe(2);
    expect(p.signature()).toBe('SIGSEGV libcamera.so');
  });

  it('reads the same fields whether the line takes the fast path or JSON.parse', () => {
    const plain = parse('{"ts":"2026-11-28T01:02:03Z","device":"dév-1","version":"2026.48.0","kind":"anr","signature":"ANR ✗"}');
    const odd = parse(
      ' { "signature" : "ANR \\u2717", "kind":"anr", "version":"2026.48.0", "device":"d\\u00e9v-1", "ts":"2026-11-28T01:02:03Z", "extra": {"nested": [1, 2]} } ',
    );
    expect(plain.r).toBe(0);
    expect(odd.r).toBe(0);
    expect([odd.p.tsMs, odd.p.kind, odd.p.signature(), odd.p.devHash, odd.p.devHash2]).toEqual([
      plain.p.tsMs,
      plain.p.kind,
      plain.p.signature(),
      plain.p.devHash,
      plain.p.devHash2,
    ]);
  });

  it('rejects each kind of bad line with its reason, and skips blank ones', () => {
    const cases: [string, string | number][] = [
      ['', -1],
      ['   \t\r', -1],
      ['{"ts":', 'invalid-json'],
      ['{"a":1}x', 'invalid-json'],
      ["{'ts':1}", 'invalid-json'],
      ['{"a":01}', 'invalid-json'],
      ['[]', 'not-an-object'],
      ['42', 'not-an-object'],
      ['null', 'not-an-object'],
      [ev({ device: undefined }), 'missing-field'],
      [ev({ device: '' }), 'missing-field'],
      [ev({ version: '' }), 'missing-field'],
      [ev({ ts: 5 }), 'wrong-type'],
      [ev({ device: null }), 'wrong-type'],
      [ev({ kind: true }), 'wrong-type'],
      [ev({ signature: 3 }), 'wrong-type'],
      [ev({ kind: 'Crash' }), 'unknown-kind'],
      [ev({ kind: 'crashes' }), 'unknown-kind'],
      [ev({ ts: '2026-13-01T00:00:00Z' }), 'bad-timestamp'],
      [ev({ ts: '2026-11-28T01:00:00' }), 'bad-timestamp'],
      [ev({ ts: '2026-11-28T24:00:00Z' }), 'bad-timestamp'],
      [ev({ ts: '2026-11-28T05:05:01Z' }), 'future'],
      [ev({ ts: '2026-11-28T05:05:00Z' }), 0],
      [ev({ signature: null }), 0],
      [ev({ id: 7, extra: [1, { a: null }] }), 0],
      [ev({ ts: '2026-11-28T06:00:00+01:00' }), 0],
      [ev({ ts: '2026-11-28T01:00:00.123456Z' }), 0],
    ];
    for (const [line, want] of cases) expect([line, parse(line).r]).toEqual([line, want]);
  });

  it('reads a line to its newline without being told where it ends, or says it cannot, never crossing into the next line', () => {
    const lines = [
      ev({}),
      ev({ kind: 'crash', signature: 'SIGSEGV x' }) + '\r',
      '',
      '   ',
      ' \t\r',
      '{}',
      '  {"ts" : 1 }  ',
      ev({ ts: '2026-11-28T05:06:00Z' }),
      ev({ kind: 'reboot' }),
      ev({ device: 'dév' }),
      '{"a":1}x',
      '{"ts":',
      '{"a":"b',
      '[1]',
      'garbage',
      '{"ts":"2026-11-28T01:00:00Z","device":"d-1","version":"v","kind":"session"',
      '{"ts":"2026-11-28T01:00',
      '{"id":12',
      '{"id":tru',
    ];
    const text = Buffer.from(lines.join('\n') + '\n' + ev({ device: 'next' }));
    const p = new LineParser();
    const latest = NOW + 5 * 60_000;
    let start = 0;
    for (const line of lines) {
      const end = start + Buffer.byteLength(line);
      const r = p.parseTo(text, start, text.length, latest);
      if (r !== UNKNOWN) {
        const one = new LineParser();
        const want = one.parse(text, start, end, latest);
        expect([line, r, p.lineEnd]).toEqual([line, want, end]);
        if (r === 0) expect([p.tsMs, p.kind, p.devHash, p.devHash2]).toEqual([one.tsMs, one.kind, one.devHash, one.devHash2]);
      }
      start = end + 1;
    }
    // The fast path takes the usual lines, blank ones included.
    expect(
      [0, 2, 3, 4, 7].map((i) => {
        const at = lines.slice(0, i).reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
        return p.parseTo(text, at, text.length, NOW) !== UNKNOWN;
      }),
    ).toEqual([true, true, true, true, true]);
    // A last line without its newline ends at the limit.
    const last = text.length - Buffer.byteLength(ev({ device: 'next' }));
    expect(p.parseTo(text, last, text.length, NOW + 5 * 60_000)).toBe(0);
    expect(p.lineEnd).toBe(text.length);
  });

  it('keeps the last of duplicate keys, as JSON.parse does', () => {
    expect(parse('{"ts":"2026-11-28T01:00:00Z","device":"d","version":"v","kind":"bogus","kind":"crash"}').p.kind).toBe(2);
    expect(parse('{"ts":"2026-11-28T01:00:00Z","device":"d","version":"v","kind":"crash","kind":1}').r).toBe('wrong-type');
  });

  it('reads timestamps exactly as parseTime does (property)', () => {
    const r = prng(7);
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    for (let i = 0; i < 5000; i++) {
      const s = `${1990 + Math.floor(r() * 80)}-${pad(Math.floor(r() * 14))}-${pad(Math.floor(r() * 33))}T${pad(Math.floor(r() * 26))}:${pad(Math.floor(r() * 61))}:${pad(Math.floor(r() * 61))}${r() < 0.3 ? `.${pad(Math.floor(r() * 1000), 3)}` : ''}Z`;
      const b = Buffer.from(s);
      const fast = fastTime(b, 0, b.length);
      const ref = parseTime(s)?.getTime() ?? NaN;
      expect([s, fast]).toEqual([s, ref]);
    }
  });
});
