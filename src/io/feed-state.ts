/**
 * What `watch` keeps of a feed between checks (docs/formats.md "Incremental checks"): the
 * scanner's state after the last whole line read, with the feed's identity and the query it
 * answered. Binary: a JSON header, then the typed arrays as they are in memory, then a CRC-32 of
 * all before it. A JSON file of the same tallies (200,000 devices) would be some ten times larger
 * and take seconds to parse; this one is a few copies of memory.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { crc32 } from 'node:zlib';
import { DeviceIndex } from '../core/feed/devices.js';
import type { ScannerState } from '../core/feed/scan.js';
import type { WindowState } from '../core/feed/tally.js';

const MAGIC = 'FRIDAYW1';

/** Which file was read, and how far: a feed replaced, rotated or rewritten no longer matches. */
export interface FeedIdentity {
  path: string;
  dev: string;
  ino: string;
  /** Bytes read: always just past a newline (or 0). */
  offset: number;
  /** SHA-256 of the first and of the last (up to) IDENTITY_BYTES bytes before `offset`. */
  head: string;
  tail: string;
}

/** The bytes of a feed whose hashes tell it apart from another with the same name and size. */
const IDENTITY_BYTES = 4096;

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
  windows: { fromMs: number; firstHour: number; words: number; signatures: [string, number][] }[];
  future: number[];
  futureLost: boolean;
}

/** The identity of the first `offset` bytes of the open feed `fh`. */
export async function feedIdentity(fh: fs.FileHandle, path: string, offset: number): Promise<FeedIdentity> {
  const st = await fh.stat({ bigint: true });
  const hash = async (from: number, len: number) => {
    const buf = Buffer.alloc(len);
    const { bytesRead } = await fh.read(buf, 0, len, from);
    return createHash('sha256').update(buf.subarray(0, bytesRead)).digest('hex');
  };
  const n = Math.min(offset, IDENTITY_BYTES);
  return { path, dev: String(st.dev), ino: String(st.ino), offset, head: await hash(0, n), tail: await hash(offset - n, n) };
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
      signatures: [...w.signatures].map(([sig, devs]) => [sig, devs.size] as [string, number]),
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
  s.windows.forEach((w, i) => windowOut(ab, (name) => at(`${i}.${name}`), w, n));
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
  if (header.format !== 1 || !Array.isArray(header.windows) || !Array.isArray(header.future))
    return 'its header is not one this version reads';
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
    put(`${i}.rows`, n * (1 + w.words) * 4);
    put(`${i}.crashRows`, n * w.words * 4);
    put(`${i}.lastMs`, n * 8);
    put(`${i}.lastCrashMs`, n * 8);
    for (const name of PER_HOUR) put(`${i}.${name}`, w.words * 32 * 4);
    w.signatures.forEach(([, count], k) => {
      put(`${i}.sig${k}.devices`, count * 4);
      put(`${i}.sig${k}.ms`, count * 8);
    });
  });
  put(
    'future',
    h.future.reduce((a, b) => a + b, 0),
  );
  return { at, end: pos };
}

const PER_HOUR = ['unitsPerHour', 'crashUnitsPerHour', 'sessionsPerHour', 'crashesPerHour'] as const;

function windowOut(ab: ArrayBuffer, at: (name: string) => number, w: WindowState, n: number): void {
  // A tally grows its rows only for its own version's devices: it may hold fewer than n.
  const have = Math.min(n, w.lastMs.length);
  new Int32Array(ab, at('rows'), n * (1 + w.words)).set(w.rows.subarray(0, have * (1 + w.words)));
  new Int32Array(ab, at('crashRows'), n * w.words).set(w.crashRows.subarray(0, have * w.words));
  new Float64Array(ab, at('lastMs'), n).fill(-Infinity).set(w.lastMs.subarray(0, have));
  new Float64Array(ab, at('lastCrashMs'), n).fill(-Infinity).set(w.lastCrashMs.subarray(0, have));
  for (const name of PER_HOUR) new Int32Array(ab, at(name), w.words * 32).set(w[name]);
  [...w.signatures.values()].forEach((devs, k) => {
    new Int32Array(ab, at(`sig${k}.devices`), devs.size).set([...devs.keys()]);
    new Float64Array(ab, at(`sig${k}.ms`), devs.size).set([...devs.values()]);
  });
}

function windowIn(ab: ArrayBuffer, at: (name: string) => number, h: Header['windows'][number], n: number): WindowState {
  const signatures = new Map<string, Map<number, number>>();
  h.signatures.forEach(([sig, count], k) => {
    const devs = new Int32Array(ab, at(`sig${k}.devices`), count);
    const ms = new Float64Array(ab, at(`sig${k}.ms`), count);
    signatures.set(sig, new Map(Array.from(devs, (d, j) => [d, ms[j]!])));
  });
  const perHour = (name: (typeof PER_HOUR)[number]) => new Int32Array(ab, at(name), h.words * 32);
  return {
    firstHour: h.firstHour,
    words: h.words,
    rows: new Int32Array(ab, at('rows'), n * (1 + h.words)),
    crashRows: new Int32Array(ab, at('crashRows'), n * h.words),
    lastMs: new Float64Array(ab, at('lastMs'), n),
    lastCrashMs: new Float64Array(ab, at('lastCrashMs'), n),
    unitsPerHour: perHour('unitsPerHour'),
    crashUnitsPerHour: perHour('crashUnitsPerHour'),
    sessionsPerHour: perHour('sessionsPerHour'),
    crashesPerHour: perHour('crashesPerHour'),
    signatures,
  };
}

const align = (n: number) => (n + 7) & ~7;
