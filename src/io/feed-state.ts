/**
 * What `watch` keeps of a feed between checks (docs/formats.md "Incremental checks"): the
 * scanner's state after the last whole line read, with the feed's identity and the query it
 * answered. Binary: a JSON header, then the typed arrays as they are in memory, then a CRC-32 of
 * all before it. A JSON file of the same tallies (200,000 devices) would be some ten times larger
 * and take seconds to parse; this one is a few copies of memory.
 */
import { crc32 } from 'node:zlib';
import { DeviceIndex } from '../core/feed/devices.js';
import type { ScannerState } from '../core/feed/scan.js';
import { CRASHED, SEEN, type WindowState } from '../core/feed/tally.js';

import type { FileIdentity } from './file-identity.js';

const MAGIC = 'FRIDAYW1';

/** Which feed was read, and how far (io/file-identity.ts). */
export type FeedIdentity = FileIdentity;

export interface SavedScan {
  feed: FeedIdentity;
  /** The query, less its clock (io/feed-incremental.ts `queryKey`). */
  key: string;
  nowMs: number;
  /** Where each window started at that check. */
  fromMs: number[];
  scanner: ScannerState;
}

interface Header {
  format: 1;
  feed: FeedIdentity;
  key: string;
  nowMs: number;
  lines: number;
  accepted: number;
  bytes: number;
  rejectedBy: number[];
  devices: number;
  windows: {
    fromMs: number;
    firstHour: number;
    words: number;
    /** A model's window (core/feed/tally.ts): how many rows it numbered, their device ids kept; null: one row per device. */
    ids: number | null;
    /** The words [from, to) of a row that hold any bit: only those are kept. */
    from: number;
    to: number;
    /** Devices with a crash in the window: only theirs crash words and times are kept. */
    crashed: number;
    /** The signatures, and how many (signature, device) pairs follow. */
    signatures: string[];
    pairs: number;
  }[];
  future: number[];
  futureLost: boolean;
}

/** The state as bytes: a copy, so the scanner may go on counting after. */
export function encodeScan(saved: SavedScan): Buffer {
  const s = saved.scanner;
  const n = s.devices.size;
  const header: Header = {
    format: 1,
    feed: saved.feed,
    key: saved.key,
    nowMs: saved.nowMs,
    lines: s.lines,
    accepted: s.accepted,
    bytes: s.bytes,
    rejectedBy: s.rejectedBy,
    devices: n,
    windows: s.windows.map((w, i) => ({
      fromMs: saved.fromMs[i]!,
      firstHour: w.firstHour,
      words: w.words,
      ids: w.ids === null ? null : w.ids.length,
      ...extent(w, w.ids?.length ?? n),
      signatures: w.signatures.names,
      pairs: w.signatures.sig.length,
    })),
    future: s.future.map((l) => l.length),
    futureLost: s.futureLost,
  };
  const head = Buffer.from(JSON.stringify(header));
  const layout = sections(header);
  const bodyAt = align(12 + head.length);
  const size = bodyAt + layout.end + 4;
  const out = Buffer.from(new ArrayBuffer(size));
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(head.length, 8);
  head.copy(out, 12);
  const ab = out.buffer;
  const at = (name: string) => bodyAt + layout.at.get(name)!;
  new Int32Array(ab, at('devices'), n * 2).set(DeviceIndex.fromState(s.devices).fingerprints());
  s.windows.forEach((w, i) => windowOut(ab, (name) => at(`${i}.${name}`), w, header.windows[i]!, n));
  let f = at('future');
  for (const line of s.future) {
    out.set(line, f);
    f += line.length;
  }
  out.writeUInt32LE(crc32(out.subarray(0, size - 4)), size - 4);
  return out;
}

/** A saved state, or why it cannot be used (a damaged or foreign file). */
export function decodeScan(data: Buffer): SavedScan | string {
  if (data.length < 16 || data.toString('latin1', 0, 8) !== MAGIC) return 'not a state file of this version';
  if (crc32(data.subarray(0, data.length - 4)) !== data.readUInt32LE(data.length - 4)) return 'its checksum does not match';
  let header: Header;
  try {
    header = JSON.parse(data.toString('utf8', 12, 12 + data.readUInt32LE(8))) as Header;
  } catch {
    return 'its header is not JSON';
  }
  const whole = (x: unknown, max = Number.MAX_SAFE_INTEGER): x is number =>
    Number.isInteger(x) && (x as number) >= 0 && (x as number) <= max;
  const sane =
    header.format === 1 &&
    whole(header.devices) &&
    Array.isArray(header.future) &&
    header.future.every((len) => whole(len)) &&
    Array.isArray(header.windows) &&
    header.windows.every(
      (w) =>
        whole(w.words, 1 << 16) &&
        (w.ids === null || whole(w.ids, header.devices)) &&
        whole(w.to, w.words) &&
        whole(w.from, w.to) &&
        whole(w.crashed, w.ids ?? header.devices) &&
        whole(w.pairs) &&
        Array.isArray(w.signatures) &&
        w.signatures.every((x) => typeof x === 'string'),
    );
  if (!sane) return 'its header is not one this version reads';
  const layout = sections(header);
  const bodyAt = align(12 + data.readUInt32LE(8));
  if (bodyAt + layout.end + 4 !== data.length) return 'its length does not match its header';
  // Typed arrays need aligned offsets: a copy when the read buffer is not.
  const ab = (data.byteOffset % 8 === 0 ? data.buffer : new Uint8Array(data).buffer) as ArrayBuffer;
  const base = data.byteOffset % 8 === 0 ? data.byteOffset : 0;
  const at = (name: string) => base + bodyAt + layout.at.get(name)!;
  const n = header.devices;
  const devices = DeviceIndex.fromFingerprints(new Int32Array(ab, at('devices'), n * 2)).state();
  const windows = header.windows.map((w, i) => windowIn(ab, (name) => at(`${i}.${name}`), w, n));
  const future: Uint8Array[] = [];
  let f = at('future');
  for (const len of header.future) {
    future.push(new Uint8Array(ab, f, len));
    f += len;
  }
  return {
    feed: header.feed,
    key: header.key,
    nowMs: header.nowMs,
    fromMs: header.windows.map((w) => w.fromMs),
    scanner: {
      lines: header.lines,
      accepted: header.accepted,
      bytes: header.bytes,
      rejectedBy: header.rejectedBy,
      devices,
      windows,
      future,
      futureLost: header.futureLost,
    },
  };
}

/** Where each array of the body starts, from the header alone: the writer and reader agree. */
function sections(h: Header): { at: Map<string, number>; end: number } {
  const at = new Map<string, number>();
  let pos = 0;
  const put = (name: string, bytes: number) => {
    at.set(name, pos);
    pos = align(pos + bytes);
  };
  const n = h.devices;
  put('devices', n * 8);
  h.windows.forEach((w, i) => {
    const kept = w.to - w.from,
      rows = w.ids ?? n;
    put(`${i}.ids`, (w.ids ?? 0) * 4);
    put(`${i}.lastMs`, rows * 8);
    put(`${i}.rows`, rows * kept * 4);
    put(`${i}.crashed`, w.crashed * 4);
    put(`${i}.crashRows`, w.crashed * kept * 4);
    put(`${i}.lastCrashMs`, w.crashed * 8);
    for (const name of PER_HOUR) put(`${i}.${name}`, w.words * 32 * 4);
    put(`${i}.sig`, w.pairs * 4);
    put(`${i}.sigDev`, w.pairs * 4);
    put(`${i}.sigMs`, w.pairs * 8);
  });
  put(
    'future',
    h.future.reduce((a, b) => a + b, 0),
  );
  return { at, end: pos };
}

const PER_HOUR = ['unitsPerHour', 'crashUnitsPerHour', 'sessionsPerHour', 'crashesPerHour'] as const;

/**
 * What of a tally's rows is kept: the words that hold any bit (a week's window over a feed of two
 * days has most words empty), and the crash words of the devices that crashed.
 */
function extent(w: WindowState, n: number): { from: number; to: number; crashed: number } {
  const have = Math.min(n, w.lastMs.length);
  const stride = 1 + w.words;
  let from = w.words,
    to = 0,
    crashed = 0;
  for (let d = 0; d < have; d++) {
    const at = d * stride;
    if (w.rows[at] === 0) continue;
    if (w.rows[at]! & CRASHED) crashed++;
    for (let k = 0; k < w.words; k++) {
      if (w.rows[at + 1 + k] === 0) continue;
      if (k < from) from = k;
      if (k >= to) to = k + 1;
    }
  }
  return from < to ? { from, to, crashed } : { from: 0, to: 0, crashed };
}

function windowOut(ab: ArrayBuffer, at: (name: string) => number, w: WindowState, h: Header['windows'][number], n: number): void {
  // A fleet tally grows its rows only for its own version's devices: it may hold fewer than n.
  const count = h.ids ?? n;
  const have = Math.min(count, w.lastMs.length);
  const stride = 1 + w.words,
    kept = h.to - h.from;
  if (w.ids !== null) new Int32Array(ab, at('ids'), count).set(w.ids);
  new Float64Array(ab, at('lastMs'), count).fill(-Infinity).set(w.lastMs.subarray(0, have));
  const rows = new Int32Array(ab, at('rows'), count * kept);
  const crashed = new Int32Array(ab, at('crashed'), h.crashed);
  const crashRows = new Int32Array(ab, at('crashRows'), h.crashed * kept);
  const lastCrashMs = new Float64Array(ab, at('lastCrashMs'), h.crashed);
  let c = 0;
  for (let d = 0; d < have; d++) {
    const flags = w.rows[d * stride]!;
    if (flags === 0) continue;
    for (let k = 0; k < kept; k++) rows[d * kept + k] = w.rows[d * stride + 1 + h.from + k]!;
    if ((flags & CRASHED) === 0) continue;
    crashed[c] = d;
    for (let k = 0; k < kept; k++) crashRows[c * kept + k] = w.crashRows[d * w.words + h.from + k]!;
    lastCrashMs[c++] = w.lastCrashMs[d]!;
  }
  for (const name of PER_HOUR) new Int32Array(ab, at(name), w.words * 32).set(w[name]);
  new Int32Array(ab, at('sig'), h.pairs).set(w.signatures.sig);
  new Int32Array(ab, at('sigDev'), h.pairs).set(w.signatures.dev);
  new Float64Array(ab, at('sigMs'), h.pairs).set(w.signatures.ms);
}

function windowIn(ab: ArrayBuffer, at: (name: string) => number, h: Header['windows'][number], n: number): WindowState {
  const signatures = {
    names: h.signatures,
    sig: new Int32Array(ab, at('sig'), h.pairs),
    dev: new Int32Array(ab, at('sigDev'), h.pairs),
    ms: new Float64Array(ab, at('sigMs'), h.pairs),
  };
  for (let i = 0; i < h.pairs; i++)
    if (!(signatures.sig[i]! >= 0 && signatures.sig[i]! < h.signatures.length && signatures.dev[i]! >= 0 && signatures.dev[i]! < n))
      throw new Error('a crash signature out of range');
  const perHour = (name: (typeof PER_HOUR)[number]) => new Int32Array(ab, at(name), h.words * 32);
  const stride = 1 + h.words,
    kept = h.to - h.from,
    count = h.ids ?? n;
  const ids = h.ids === null ? null : new Int32Array(ab, at('ids'), count);
  if (ids !== null) {
    // A model's rows name the scan's devices, each once (core/feed/tally.ts `renumber`).
    const seen = new Uint8Array(n);
    for (const d of ids) {
      if (!(d >= 0 && d < n) || seen[d]) throw new Error("a model window's device out of range or twice");
      seen[d] = 1;
    }
  }
  const lastMs = new Float64Array(ab, at('lastMs'), count);
  const rows = new Int32Array(count * stride);
  const crashRows = new Int32Array(count * h.words);
  const lastCrashMs = new Float64Array(count).fill(-Infinity);
  const keptRows = new Int32Array(ab, at('rows'), count * kept);
  for (let d = 0; d < count; d++) {
    if (lastMs[d] === -Infinity) continue;
    rows[d * stride] = SEEN;
    for (let k = 0; k < kept; k++) rows[d * stride + 1 + h.from + k] = keptRows[d * kept + k]!;
  }
  const crashed = new Int32Array(ab, at('crashed'), h.crashed);
  const keptCrash = new Int32Array(ab, at('crashRows'), h.crashed * kept);
  const crashMs = new Float64Array(ab, at('lastCrashMs'), h.crashed);
  for (let c = 0; c < h.crashed; c++) {
    const d = crashed[c]!;
    if (!(d >= 0 && d < count)) throw new Error('a crashed device out of range');
    rows[d * stride] = SEEN | CRASHED;
    for (let k = 0; k < kept; k++) crashRows[d * h.words + h.from + k] = keptCrash[c * kept + k]!;
    lastCrashMs[d] = crashMs[c]!;
  }
  return {
    firstHour: h.firstHour,
    words: h.words,
    rows,
    crashRows,
    lastMs,
    lastCrashMs,
    unitsPerHour: perHour('unitsPerHour'),
    crashUnitsPerHour: perHour('crashUnitsPerHour'),
    sessionsPerHour: perHour('sessionsPerHour'),
    crashesPerHour: perHour('crashesPerHour'),
    signatures,
    ids,
  };
}

const align = (n: number) => (n + 7) & ~7;
