/**
 * The crash-feed scan: the file is read in large buffers, split on 0x0A by hand, each line parsed
 * in place (core/feed.ts) and folded into per-device hour bitmaps of the versions of interest.
 * Nothing is kept per event: memory is the device index plus, per version, two bits per device
 * and hour of its window (formats.md: "a feed of any length is streamed"). A large feed is split
 * in two at a line boundary and the second half scanned by a worker thread; the halves' bitmaps
 * are OR-ed together, so the result is the same as one pass.
 */
import { promises as fs } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { BLANK, codes, FUTURE_SLACK_MS, KIND_SESSION, LineParser, REJECT_REASONS, R_TOO_LONG, type RejectReason } from '../core/feed.js';

const HOUR = 3_600_000;
const CHUNK = 4 << 20;
/** A longer line is no event: rejected without being buffered whole. */
export const MAX_LINE = 1 << 20;

/** One version of interest and the times whose events count for it. */
export interface FeedWindow {
  version: string;
  fromMs: number;
  /** Events at or after this time also count as recent (the absolute rule's windowHours). */
  recentFromMs: number;
}

export interface FeedQuery {
  nowMs: number;
  windows: FeedWindow[];
}

export interface SignatureCount {
  signature: string;
  devices: number;
}

export interface VersionTally {
  version: string;
  units: number;
  crashUnits: number;
  devices: number;
  crashed: number;
  recentDevices: number;
  recentCrashed: number;
  /** Accepted lines, not units: retries count here and nowhere else. */
  sessions: number;
  crashes: number;
  signatures: SignatureCount[];
  /** Exposure and crash units per UTC hour, oldest first, from `firstHourMs`. */
  firstHourMs: number;
  unitsPerHour: number[];
  crashUnitsPerHour: number[];
}

export interface FeedScan {
  /** Non-blank lines read. */
  lines: number;
  accepted: number;
  rejected: number;
  rejectedBy: Partial<Record<RejectReason, number>>;
  bytes: number;
  versions: VersionTally[];
}

/**
 * Devices numbered 0, 1, 2… by their 64-bit fingerprint (LineParser.devHash, devHash2), in an
 * open-addressing table of [hash, hash2, id + 1] slots: one cache miss per lookup, and no id kept.
 */
export class DeviceIndex {
  // 512 k slots (6 MiB, its pages touched only as devices come): no rehash below 256 k devices.
  private table: Int32Array<ArrayBuffer> = new Int32Array(3 << 19);
  size = 0;

  intern(h1: number, h2: number): number {
    const t = this.table;
    const mask = t.length / 3 - 1;
    for (let slot = h1 & mask; ; slot = (slot + 1) & mask) {
      const at = slot * 3;
      const id = t[at + 2]!;
      if (id === 0) {
        // A new device: it goes in the free slot the probe stopped at.
        const fresh = this.size++;
        t[at] = h1;
        t[at + 1] = h2;
        t[at + 2] = fresh + 1;
        if (this.size * 2 > mask + 1) this.rehash();
        return fresh;
      }
      if (t[at] === h1 && t[at + 1] === h2) return id - 1;
    }
  }

  /**
   * Read the home slot of each of `n` fingerprints, and nothing else: a loop without branches, so
   * the processor has all those cache misses in flight at once and `intern` then finds them cached.
   */
  touch(h1: Int32Array, n: number): number {
    const t = this.table;
    const mask = t.length / 3 - 1;
    let x = 0;
    for (let k = 0; k < n; k++) x ^= t[(h1[k]! & mask) * 3]!;
    return x;
  }

  private rehash(): void {
    const old = this.table;
    this.table = new Int32Array(old.length * 2);
    for (let at = 0; at < old.length; at += 3) if (old[at + 2] !== 0) place(this.table, old[at]!, old[at + 1]!, old[at + 2]! - 1);
  }

  /** Map every device of `other` to its id here (adding the new ones). */
  absorb(other: DeviceIndexState): Int32Array {
    const map = new Int32Array(other.size);
    const t = other.table;
    for (let at = 0; at < t.length; at += 3) if (t[at + 2] !== 0) map[t[at + 2]! - 1] = this.intern(t[at]!, t[at + 1]!);
    return map;
  }

  state(): DeviceIndexState {
    return { size: this.size, table: this.table };
  }
}

function place(t: Int32Array, h1: number, h2: number, id: number): void {
  const mask = t.length / 3 - 1;
  let slot = h1 & mask;
  while (t[slot * 3 + 2] !== 0) slot = (slot + 1) & mask;
  t[slot * 3] = h1;
  t[slot * 3 + 1] = h2;
  t[slot * 3 + 2] = id + 1;
}

export interface DeviceIndexState {
  size: number;
  table: Int32Array;
}

/** Rows made before the first grow: a few doublings, not a dozen, on a large fleet. */
const INITIAL_DEVICES = 16_384;

const SEEN = 1, CRASHED = 2, RECENT = 4, RECENT_CRASHED = 8;

/** What a tally hands to another (a worker's half of the feed) to be merged. */
export interface WindowState {
  rows: Int32Array;
  crashRows: Int32Array;
  unitsPerHour: Int32Array;
  crashUnitsPerHour: Int32Array;
  sessions: number;
  crashes: number;
  signatures: Map<string, Set<number>>;
}

/**
 * Units of one version. Per device a row [flags, exposure words…] (one cache line for the common
 * session event) and, apart, its crash words, touched only by crashes. Bit h of a row is the UTC
 * hour firstHour + h. A bit counts into its hour when it is first set, so retries change nothing
 * and no bit is counted at the end.
 */
class WindowTally {
  readonly firstHour: number;
  readonly hours: number;
  readonly words: number;
  readonly stride: number;
  // Int32, not Uint32: a word with bit 31 set must stay an integer, not become a double.
  rows: Int32Array;
  crashRows: Int32Array;
  readonly unitsPerHour: Int32Array;
  readonly crashUnitsPerHour: Int32Array;
  sessions = 0;
  crashes = 0;
  signatures = new Map<string, Set<number>>();

  constructor(readonly w: FeedWindow, nowMs: number) {
    this.firstHour = Math.floor(w.fromMs / HOUR);
    this.hours = Math.max(1, Math.floor((nowMs + FUTURE_SLACK_MS) / HOUR) - this.firstHour + 1);
    this.words = Math.ceil(this.hours / 32);
    this.stride = 1 + this.words;
    this.rows = new Int32Array(INITIAL_DEVICES * this.stride);
    this.crashRows = new Int32Array(INITIAL_DEVICES * this.words);
    this.unitsPerHour = new Int32Array(this.words * 32);
    this.crashUnitsPerHour = new Int32Array(this.words * 32);
  }

  /** One accepted event of device `dev`; `signature` is that of a crash or ANR. */
  add(dev: number, ts: number, kind: number, signature: string): void {
    const base = dev * this.stride;
    if (base >= this.rows.length) this.grow(dev);
    const h = Math.floor(ts / HOUR) - this.firstHour;
    const bit = 1 << (h & 31);
    const rows = this.rows;
    let flags = rows[base]! | SEEN;
    const recent = ts >= this.w.recentFromMs;
    if (recent) flags |= RECENT;
    const at = base + 1 + (h >>> 5);
    const word = rows[at]!;
    if ((word & bit) === 0) {
      rows[at] = word | bit;
      this.unitsPerHour[h]!++;
    }
    if (kind === KIND_SESSION) {
      this.sessions++;
    } else {
      this.crashes++;
      flags |= recent ? CRASHED | RECENT_CRASHED : CRASHED;
      const cat = dev * this.words + (h >>> 5);
      const cword = this.crashRows[cat]!;
      if ((cword & bit) === 0) {
        this.crashRows[cat] = cword | bit;
        this.crashUnitsPerHour[h]!++;
      }
      let set = this.signatures.get(signature);
      if (!set) this.signatures.set(signature, (set = new Set()));
      set.add(dev);
    }
    rows[base] = flags;
  }

  private grow(dev: number): void {
    let cap = this.rows.length / this.stride;
    while (cap <= dev) cap *= 2;
    const rows = new Int32Array(cap * this.stride);
    rows.set(this.rows);
    this.rows = rows;
    const crashRows = new Int32Array(cap * this.words);
    crashRows.set(this.crashRows);
    this.crashRows = crashRows;
  }

  state(): WindowState {
    return {
      rows: this.rows, crashRows: this.crashRows, unitsPerHour: this.unitsPerHour, crashUnitsPerHour: this.crashUnitsPerHour,
      sessions: this.sessions, crashes: this.crashes, signatures: this.signatures,
    };
  }

  /**
   * OR another half's bits in; `map` turns its device ids into ours. Its hour counts add to
   * ours, less the bits both halves set (a device-hour that straddles the split).
   */
  merge(other: WindowState, map: Int32Array): void {
    const otherDevices = Math.min(map.length, other.rows.length / this.stride);
    const stride = this.stride, words = this.words;
    const from = other.rows, fromCrash = other.crashRows;
    for (let d = 0; d < otherDevices; d++) {
      const f = d * stride;
      const flags = from[f]!;
      if (flags === 0) continue;
      const m = map[d]!;
      if (m * stride >= this.rows.length) this.grow(m);
      const rows = this.rows;
      const t = m * stride;
      rows[t]! |= flags;
      for (let k = 1; k < stride; k++) {
        const o = from[f + k]!;
        if (o === 0) continue;
        const both = rows[t + k]! & o;
        if (both !== 0) uncount(both, (k - 1) * 32, this.unitsPerHour);
        rows[t + k]! |= o;
      }
      if ((flags & CRASHED) === 0) continue;
      const crashRows = this.crashRows;
      for (let k = 0; k < words; k++) {
        const o = fromCrash[d * words + k]!;
        if (o === 0) continue;
        const both = crashRows[m * words + k]! & o;
        if (both !== 0) uncount(both, k * 32, this.crashUnitsPerHour);
        crashRows[m * words + k]! |= o;
      }
    }
    for (let h = 0; h < this.unitsPerHour.length; h++) {
      this.unitsPerHour[h]! += other.unitsPerHour[h]!;
      this.crashUnitsPerHour[h]! += other.crashUnitsPerHour[h]!;
    }
    this.sessions += other.sessions;
    this.crashes += other.crashes;
    for (const [sig, devs] of other.signatures) {
      let set = this.signatures.get(sig);
      if (!set) this.signatures.set(sig, (set = new Set()));
      for (const d of devs) set.add(map[d]!);
    }
  }

  result(deviceCount: number): VersionTally {
    let devices = 0, crashed = 0, recentDevices = 0, recentCrashed = 0;
    const n = Math.min(deviceCount, this.rows.length / this.stride);
    const rows = this.rows, stride = this.stride;
    for (let d = 0; d < n; d++) {
      const flags = rows[d * stride]!;
      if (flags === 0) continue;
      devices++;
      if (flags & CRASHED) crashed++;
      if (flags & RECENT) recentDevices++;
      if (flags & RECENT_CRASHED) recentCrashed++;
    }
    const unitsPerHour = Array.from(this.unitsPerHour.subarray(0, this.hours));
    const crashUnitsPerHour = Array.from(this.crashUnitsPerHour.subarray(0, this.hours));
    const units = unitsPerHour.reduce((a, b) => a + b, 0);
    const crashUnits = crashUnitsPerHour.reduce((a, b) => a + b, 0);
    const signatures = [...this.signatures].map(([signature, set]) => ({ signature, devices: set.size }));
    signatures.sort((a, b) => b.devices - a.devices || (a.signature < b.signature ? -1 : a.signature > b.signature ? 1 : 0));
    return {
      version: this.w.version, units, crashUnits, devices, crashed, recentDevices, recentCrashed,
      sessions: this.sessions, crashes: this.crashes, signatures,
      firstHourMs: this.firstHour * HOUR, unitsPerHour, crashUnitsPerHour,
    };
  }
}

/** Take the set bits of `w` off their hours' counts (bit i is hour `first + i`). */
function uncount(w: number, first: number, perHour: Int32Array): void {
  while (w !== 0) {
    const low = w & -w;
    perHour[first + 31 - Math.clz32(low)]!--;
    w ^= low;
  }
}

/** A scanner's whole state, as a worker posts it back. */
export interface ScannerState {
  lines: number;
  accepted: number;
  bytes: number;
  rejectedBy: number[];
  devices: DeviceIndexState;
  windows: WindowState[];
}

/**
 * Accepted events wait here, as numbers, until a batch is full; then all their devices are looked
 * up in one tight loop and all their bits set in another. Interleaved with parsing, each lookup
 * in a table larger than the cache stalls on its own; in a loop of independent lookups the
 * processor overlaps the misses (several times faster with 200,000 devices).
 */
const BATCH = 512;

/** The scanner over bytes: feed it buffers holding whole lines; pure but for its own state. */
export class FeedScanner {
  private readonly parser = new LineParser();
  private readonly tallies: WindowTally[];
  private readonly versionBytes: number[][];
  private readonly versionNames: string[];
  private readonly devices = new DeviceIndex();
  private readonly latestMs: number;
  private rejectedBy = new Array<number>(REJECT_REASONS.length).fill(0);
  private lines = 0;
  private accepted = 0;
  bytes = 0;
  // The batch: device fingerprint, time, window index * 4 + kind, and a crash's signature.
  private pending = 0;
  private readonly bH1 = new Int32Array(BATCH);
  private readonly bH2 = new Int32Array(BATCH);
  private readonly bTs = new Float64Array(BATCH);
  private readonly bWhat = new Int32Array(BATCH);
  private readonly bSig = new Array<string>(BATCH).fill('');
  private readonly bDev = new Int32Array(BATCH);
  /** What `touch` read, kept so that the reads are not optimised away. */
  private sink = 0;

  constructor(query: FeedQuery) {
    this.latestMs = query.nowMs + FUTURE_SLACK_MS;
    this.tallies = query.windows.map((w) => new WindowTally(w, query.nowMs));
    this.versionNames = query.windows.map((w) => w.version);
    this.versionBytes = this.versionNames.map(codes);
  }

  /** One line, without its newline. */
  line(buf: Uint8Array, start: number, end: number): void {
    this.take(buf, start, end);
    this.flush();
  }

  private take(buf: Uint8Array, start: number, end: number): void {
    if (end - start > MAX_LINE) {
      this.reject(R_TOO_LONG);
      return;
    }
    const p = this.parser;
    const r = p.parse(buf, start, end, this.latestMs);
    if (r === BLANK) return;
    this.lines++;
    if (r !== 0) {
      this.rejectedBy[r]!++;
      return;
    }
    this.accepted++;
    const vi = p.versionIndex(this.versionBytes, this.versionNames);
    if (vi < 0) return;
    if (p.tsMs < this.tallies[vi]!.w.fromMs) return; // outside the window: ignored, not rejected
    const k = this.pending++;
    this.bH1[k] = p.devHash;
    this.bH2[k] = p.devHash2;
    this.bTs[k] = p.tsMs;
    this.bWhat[k] = (vi << 2) | p.kind;
    if (p.kind !== KIND_SESSION) this.bSig[k] = p.signature() ?? '(no signature)';
    if (k + 1 === BATCH) this.flush();
  }

  /** Fold the waiting events into the tallies. */
  private flush(): void {
    const n = this.pending;
    if (n === 0) return;
    this.pending = 0;
    const dev = this.bDev, h1 = this.bH1, h2 = this.bH2, devices = this.devices;
    this.sink ^= devices.touch(h1, n);
    for (let k = 0; k < n; k++) dev[k] = devices.intern(h1[k]!, h2[k]!);
    const ts = this.bTs, what = this.bWhat, sig = this.bSig, tallies = this.tallies;
    for (let k = 0; k < n; k++) {
      const w = what[k]!;
      tallies[w >>> 2]!.add(dev[k]!, ts[k]!, w & 3, (w & 3) === KIND_SESSION ? '' : sig[k]!);
    }
  }

  /** A line found too long before its end was read. */
  reject(code: number): void {
    this.lines++;
    this.rejectedBy[code]!++;
  }

  /** Every line of `buf[start, end)`; returns where the unfinished last line starts. */
  scanLines(buf: Buffer, start: number, end: number): number {
    let pos = start;
    for (;;) {
      const nl = buf.indexOf(0x0a, pos);
      if (nl < 0 || nl >= end) {
        this.flush();
        return pos;
      }
      this.take(buf, pos, nl);
      pos = nl + 1;
    }
  }

  state(): ScannerState {
    return { lines: this.lines, accepted: this.accepted, bytes: this.bytes, rejectedBy: this.rejectedBy, devices: this.devices.state(), windows: this.tallies.map((t) => t.state()) };
  }

  merge(other: ScannerState): void {
    const map = this.devices.absorb(other.devices);
    this.tallies.forEach((t, i) => t.merge(other.windows[i]!, map));
    this.lines += other.lines;
    this.accepted += other.accepted;
    this.bytes += other.bytes;
    this.rejectedBy = this.rejectedBy.map((n, i) => n + (other.rejectedBy[i] ?? 0));
  }

  result(): FeedScan {
    const rejectedBy: Partial<Record<RejectReason, number>> = {};
    let rejected = 0;
    this.rejectedBy.forEach((n, i) => {
      if (i > 0 && n > 0) {
        rejectedBy[REJECT_REASONS[i] as RejectReason] = n;
        rejected += n;
      }
    });
    const devices = this.devices.size;
    return { lines: this.lines, accepted: this.accepted, rejected, rejectedBy, bytes: this.bytes, versions: this.tallies.map((t) => t.result(devices)) };
  }
}

/** Scan a whole buffer (tests, small feeds): the same path as the file scan. */
export function scanBuffer(data: Uint8Array, query: FeedQuery): FeedScan {
  const s = new FeedScanner(query);
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const start = hasBom(buf) ? 3 : 0;
  const rest = s.scanLines(buf, start, buf.length);
  if (rest < buf.length) s.line(buf, rest, buf.length);
  s.bytes = buf.length;
  return s.result();
}

function hasBom(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf;
}

/**
 * Scan bytes [start, end) of an open file, `start` being the start of a line. Two buffers take
 * turns: the next read lands in one while the other is parsed, each read going in after a gap
 * of MAX_LINE + 1 bytes, where the unfinished last line of the buffer before is copied (only
 * that line is ever copied).
 */
async function scanRange(fh: fs.FileHandle, start: number, end: number, scanner: FeedScanner, progress?: (bytes: number) => void): Promise<void> {
  const HEAD = MAX_LINE + 1;
  const bufs = [Buffer.allocUnsafe(HEAD + CHUNK), Buffer.allocUnsafe(HEAD + CHUNK)];
  let turn = 0;
  let carry = 0;
  let skipping = false; // inside a line already rejected as too long
  let offset = start;
  const read = (into: Buffer) => {
    const len = Math.min(CHUNK, end - offset);
    const p = len > 0 ? fh.read(into, HEAD, len, offset) : Promise.resolve({ bytesRead: 0 });
    offset += len;
    return p;
  };
  let pending = read(bufs[0]!);
  let first = start === 0;
  for (;;) {
    const { bytesRead } = await pending;
    if (bytesRead === 0) break;
    const work = bufs[turn]!;
    const spare = bufs[turn ^ 1]!;
    turn ^= 1;
    pending = read(spare);
    scanner.bytes += bytesRead;
    const filled = HEAD + bytesRead;
    let pos = HEAD - carry;
    if (first) {
      first = false;
      if (hasBom(work.subarray(HEAD))) pos += 3;
    }
    if (skipping) {
      const nl = work.indexOf(0x0a, pos);
      if (nl < 0 || nl >= filled) {
        carry = 0;
        progress?.(bytesRead);
        continue;
      }
      skipping = false;
      pos = nl + 1;
    }
    pos = scanner.scanLines(work, pos, filled);
    const tail = filled - pos;
    if (tail > MAX_LINE) {
      scanner.reject(R_TOO_LONG);
      skipping = true;
      carry = 0;
    } else {
      // The spare buffer's read only writes from HEAD on: the gap before it is free.
      work.copy(spare, HEAD - tail, pos, filled);
      carry = tail;
    }
    progress?.(bytesRead);
  }
  if (carry > 0 && !skipping) {
    const last = bufs[turn]!;
    scanner.line(last, HEAD - carry, HEAD);
  }
}

export interface ScanOptions {
  /** Called with the bytes done and the total, after each buffer. */
  progress?: (done: number, total: number) => void;
  /** Split the feed in this many parts (1 or 2); default 2 for a feed of 32 MiB or more. */
  parts?: number;
}

/** Below this a second thread costs more than it saves. */
const SPLIT_FROM = 32 << 20;

/** Stream a feed file; a large one is scanned in two halves at once. */
export async function scanFeedFile(path: string, query: FeedQuery, opts: ScanOptions = {}): Promise<FeedScan> {
  const fh = await fs.open(path, 'r');
  try {
    const total = (await fh.stat()).size;
    let done = 0;
    const progress = (n: number) => {
      done += n;
      opts.progress?.(done, total);
    };
    const parts = opts.parts ?? (total >= SPLIT_FROM ? 2 : 1);
    const split = parts > 1 ? await lineBoundary(fh, Math.floor(total / 2), total) : total;
    const scanner = new FeedScanner(query);
    if (split >= total || split === 0) {
      await scanRange(fh, 0, total, scanner, progress);
      return scanner.result();
    }
    // The second half: a worker thread when running from the built files, else in turn here
    // (tests run the sources, which a worker cannot load; the merge is the same).
    const second = canUseWorker()
      ? scanInWorker(path, split, total, query, progress)
      : null;
    await scanRange(fh, 0, split, scanner, progress);
    let other: ScannerState;
    if (second) {
      other = await second;
    } else {
      const s2 = new FeedScanner(query);
      await scanRange(fh, split, total, s2, progress);
      other = s2.state();
    }
    scanner.merge(other);
    return scanner.result();
  } finally {
    await fh.close();
  }
}

/** The first line start at or after `at` (`total` when the rest is one line). */
async function lineBoundary(fh: fs.FileHandle, at: number, total: number): Promise<number> {
  const buf = Buffer.allocUnsafe(64 << 10);
  for (let pos = at; pos < total; ) {
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) break;
    const nl = buf.subarray(0, bytesRead).indexOf(0x0a);
    if (nl >= 0) return pos + nl + 1;
    pos += bytesRead;
  }
  return total;
}

function canUseWorker(): boolean {
  return /\.m?js$/.test(new URL(import.meta.url).pathname);
}

interface WorkerJob {
  fridayFeedScan: true;
  path: string;
  start: number;
  end: number;
  query: FeedQuery;
}

function scanInWorker(path: string, start: number, end: number, query: FeedQuery, progress: (n: number) => void): Promise<ScannerState> {
  return new Promise((resolve, reject) => {
    const job: WorkerJob = { fridayFeedScan: true, path, start, end, query };
    const worker = new Worker(new URL(import.meta.url), { workerData: job });
    worker.on('message', (m: { progress?: number; state?: ScannerState; error?: string }) => {
      if (m.progress !== undefined) progress(m.progress);
      if (m.state) resolve(m.state);
      if (m.error) reject(new Error(m.error));
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (code !== 0) reject(new Error(`feed scan worker exited with code ${code}`));
    });
  });
}

async function runWorker(job: WorkerJob): Promise<void> {
  const fh = await fs.open(job.path, 'r');
  try {
    const scanner = new FeedScanner(job.query);
    await scanRange(fh, job.start, job.end, scanner, (n) => parentPort!.postMessage({ progress: n }));
    const state = scanner.state();
    const transfer = [state.devices.table.buffer, ...state.windows.flatMap((w) => [w.rows.buffer, w.crashRows.buffer, w.unitsPerHour.buffer, w.crashUnitsPerHour.buffer])];
    parentPort!.postMessage({ state }, transfer as ArrayBuffer[]);
  } catch (err) {
    parentPort!.postMessage({ error: String(err) });
  } finally {
    await fh.close();
  }
}

// This module is also the worker's entry: loaded in a worker with a scan job, it runs it.
if (!isMainThread && (workerData as Partial<WorkerJob> | null)?.fridayFeedScan === true) {
  void runWorker(workerData as WorkerJob);
}
