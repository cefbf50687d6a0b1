/**
 * The crash-feed scan: the file is read in chunks of a megabyte, split on 0x0A by hand, each
 * line parsed in place (core/feed.ts) and folded into per-device hour bitmaps of the versions of
 * interest.
 * Nothing is kept per event: memory is the device index plus, per version, two bits per device
 * and hour of its window (formats.md: "a feed of any length is streamed"). On a large feed, when
 * a core is free, a worker thread takes chunks of the file alongside the main thread; the two
 * scanners' bitmaps are OR-ed together, so the result is the same as one pass.
 */
import { promises as fs } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import {
  BLANK,
  codes,
  FUTURE_SLACK_MS,
  KIND_SESSION,
  LineParser,
  REJECT_REASONS,
  R_TOO_LONG,
  UNKNOWN,
  type RejectReason,
} from '../core/feed.js';

const HOUR = 3_600_000;
/**
 * A chunk of the feed (scanChunks): large enough that reads cost little, small enough that two
 * threads finish close together.
 */
const CHUNK = 1 << 20;
/** Read past each chunk: enough to finish its last line, nearly always. */
const LOOKAHEAD = 16 << 10;
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

const SEEN = 1,
  CRASHED = 2,
  RECENT = 4,
  RECENT_CRASHED = 8;

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

  constructor(
    readonly w: FeedWindow,
    nowMs: number,
  ) {
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
      rows: this.rows,
      crashRows: this.crashRows,
      unitsPerHour: this.unitsPerHour,
      crashUnitsPerHour: this.crashUnitsPerHour,
      sessions: this.sessions,
      crashes: this.crashes,
      signatures: this.signatures,
    };
  }

  /**
   * OR another half's bits in; `map` turns its device ids into ours. Its hour counts add to
   * ours, less the bits both halves set (a device-hour that straddles the split).
   */
  merge(other: WindowState, map: Int32Array): void {
    const otherDevices = Math.min(map.length, other.rows.length / this.stride);
    const stride = this.stride,
      words = this.words;
    const from = other.rows,
      fromCrash = other.crashRows;
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
    let devices = 0,
      crashed = 0,
      recentDevices = 0,
      recentCrashed = 0;
    const n = Math.min(deviceCount, this.rows.length / this.stride);
    const rows = this.rows,
      stride = this.stride;
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
      version: this.w.version,
      units,
      crashUnits,
      devices,
      crashed,
      recentDevices,
      recentCrashed,
      sessions: this.sessions,
      crashes: this.crashes,
      signatures,
      firstHourMs: this.firstHour * HOUR,
      unitsPerHour,
      crashUnitsPerHour,
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
 * processor overlaps the misses (with 200,000 devices, half the time it took line by line).
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
    this.count(this.parser.parse(buf, start, end, this.latestMs));
  }

  /** A line the parser has read (`r`: its result); an event of interest waits in the batch. */
  private count(r: number): void {
    if (r === BLANK) return;
    this.lines++;
    if (r !== 0) {
      this.rejectedBy[r]!++;
      return;
    }
    this.accepted++;
    const p = this.parser;
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
    const dev = this.bDev,
      h1 = this.bH1,
      h2 = this.bH2,
      devices = this.devices;
    this.sink ^= devices.touch(h1, n);
    for (let k = 0; k < n; k++) dev[k] = devices.intern(h1[k]!, h2[k]!);
    const ts = this.bTs,
      what = this.bWhat,
      sig = this.bSig,
      tallies = this.tallies;
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

  /**
   * Every line of `buf[start, end)` that starts before `startsBefore`; returns where the first
   * line left starts: at or past `startsBefore`, or a line with no newline before `end`.
   */
  scanLines(buf: Buffer, start: number, end: number, startsBefore = end): number {
    let pos = start;
    const p = this.parser;
    while (pos < startsBefore) {
      // Most lines are read to their newline by the parser; for the others it is searched for.
      const r = p.parseTo(buf, pos, end, this.latestMs);
      let nl = p.lineEnd;
      if (r === UNKNOWN) {
        nl = buf.indexOf(0x0a, pos);
        if (nl < 0 || nl >= end) break;
        this.take(buf, pos, nl);
      } else {
        if (nl >= end) break; // no newline yet: the line goes on past `end`
        if (nl - pos > MAX_LINE) this.reject(R_TOO_LONG);
        else this.count(r);
      }
      pos = nl + 1;
    }
    this.flush();
    return pos;
  }

  state(): ScannerState {
    return {
      lines: this.lines,
      accepted: this.accepted,
      bytes: this.bytes,
      rejectedBy: this.rejectedBy,
      devices: this.devices.state(),
      windows: this.tallies.map((t) => t.state()),
    };
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
    return {
      lines: this.lines,
      accepted: this.accepted,
      rejected,
      rejectedBy,
      bytes: this.bytes,
      versions: this.tallies.map((t) => t.result(devices)),
    };
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
 * The feed is cut in chunks of CHUNK bytes, handed out one at a time to whichever scanner asks
 * first: `next` holds the index of the next chunk to give (shared between threads when a worker
 * helps). A scanner owns the lines that start in its chunk; a read takes LOOKAHEAD bytes past the
 * chunk, which nearly always finish its last line. So the work splits itself by how fast each
 * thread really runs, and a thread that gets no core leaves the chunks to the other.
 */
async function scanChunks(
  fh: fs.FileHandle,
  total: number,
  next: Int32Array,
  scanner: FeedScanner,
  progress?: (bytes: number) => void,
  afterChunk?: () => void,
): Promise<void> {
  const chunks = Math.ceil(total / CHUNK);
  // A read is the byte before the chunk, the chunk and the lookahead; one byte more holds a
  // newline put after the data, which stops every search there.
  const bufs = [Buffer.allocUnsafe(CHUNK + LOOKAHEAD + 2), Buffer.allocUnsafe(CHUNK + LOOKAHEAD + 2)];
  let tail: Buffer | null = null;
  const claim = (into: Buffer) => {
    const k = Atomics.add(next, 0, 1);
    if (k >= chunks) return null;
    const start = k * CHUNK,
      end = Math.min(total, start + CHUNK);
    // From the byte before the chunk: a newline there means a line starts right at `start`.
    const from = start === 0 ? 0 : start - 1;
    return { start, end, from, read: fh.read(into, 0, Math.min(total, end + LOOKAHEAD) - from, from) };
  };
  let turn = 0;
  let job = claim(bufs[0]!);
  while (job) {
    const work = bufs[turn]!;
    turn ^= 1;
    const { bytesRead } = await job.read;
    const cur = job;
    job = claim(bufs[turn]!); // read the next chunk while this one is parsed
    work[bytesRead] = 0x0a;
    const own = Math.min(bytesRead, cur.end - cur.from); // lines starting before this are ours
    let pos: number;
    if (cur.start === 0) {
      pos = bytesRead >= 3 && hasBom(work) ? 3 : 0;
    } else {
      const nl = work.indexOf(0x0a);
      pos = nl < own ? nl + 1 : own; // no newline: no line starts in this chunk
    }
    const rest = scanner.scanLines(work, pos, bytesRead, own);
    if (rest < own) {
      tail ??= Buffer.allocUnsafe(MAX_LINE + 1);
      await finishLine(fh, total, cur.from + bytesRead, work.subarray(rest, bytesRead), tail, scanner);
    }
    scanner.bytes += cur.end - cur.start;
    progress?.(cur.end - cur.start);
    afterChunk?.();
  }
}

/** Read on from `offset` to the end of the line whose first bytes are `head`, and scan it. */
async function finishLine(
  fh: fs.FileHandle,
  total: number,
  offset: number,
  head: Buffer,
  tail: Buffer,
  scanner: FeedScanner,
): Promise<void> {
  let len = head.length;
  if (len > MAX_LINE) {
    scanner.reject(R_TOO_LONG);
    return;
  }
  head.copy(tail, 0);
  // Lines are short: a small read nearly always finds the end; a long one takes a few more.
  for (let step = 16 << 10; ; step *= 4) {
    const want = Math.min(step, MAX_LINE + 1 - len, total - offset);
    if (want <= 0) break;
    const { bytesRead } = await fh.read(tail, len, want, offset);
    if (bytesRead === 0) break;
    const nl = tail.subarray(len, len + bytesRead).indexOf(0x0a);
    if (nl >= 0) {
      scanner.line(tail, 0, len + nl);
      return;
    }
    len += bytesRead;
    offset += bytesRead;
    if (len > MAX_LINE) {
      scanner.reject(R_TOO_LONG);
      return;
    }
  }
  scanner.line(tail, 0, len); // the feed's last line, without a final newline
}

export interface ScanOptions {
  /** Called with the bytes done and the total, after each chunk. */
  progress?: (done: number, total: number) => void;
  /**
   * Scan with this many threads (1 or 2). By default a feed of SPLIT_FROM bytes or more gets a
   * second thread if, over the first SAMPLE_MS of the scan, other work left a core free.
   */
  parts?: number;
}

/**
 * Below this a second thread costs more than it saves: it takes some 50 ms to start and warm up,
 * merging its devices takes tens of ms, and two scans side by side each run slower (they are
 * bound by memory, not by the core). Measured on 2 cores: a loss at 32–128 MiB, about even at
 * 200 MiB.
 */
const SPLIT_FROM = 128 << 20;
/**
 * A second thread only helps on a core of its own: on a machine busy with other work it slows
 * the scan down (it must start, warm up and be merged). So the machine's CPU use is sampled for
 * this long first, and a helper started only when other processes left at least FREE_CORE of a
 * core beside the main thread's.
 */
const SAMPLE_MS = 40,
  FREE_CORE = 0.6;

/** Stream a feed file; a large one is scanned by two threads at once when a core is free. */
export async function scanFeedFile(path: string, query: FeedQuery, opts: ScanOptions = {}): Promise<FeedScan> {
  const fh = await fs.open(path, 'r');
  try {
    const total = (await fh.stat()).size;
    let done = 0;
    const progress = (n: number) => {
      done += n;
      opts.progress?.(done, total);
    };
    const auto = opts.parts === undefined;
    const parts = opts.parts ?? (total >= SPLIT_FROM && availableParallelism() > 1 ? 2 : 1);
    const scanner = new FeedScanner(query);
    if (parts < 2 || total <= CHUNK) {
      await scanChunks(fh, total, new Int32Array(1), scanner, progress);
      return scanner.result();
    }
    const shared = new Int32Array(new SharedArrayBuffer(8)); // [next chunk, helper state]
    if (canUseWorker()) {
      const job: WorkerJob = { fridayFeedScan: true, path, total, shared: shared.buffer as SharedArrayBuffer, query };
      let helper = auto ? null : startWorker(job, progress);
      let sample = auto ? cpuSample() : null;
      const decide = () => {
        if (sample === null || performance.now() - sample.at < SAMPLE_MS) return;
        if (spareCores(sample) >= FREE_CORE) helper = startWorker(job, progress);
        sample = null;
      };
      await scanChunks(fh, total, shared, scanner, progress, decide);
      if (helper === null) return scanner.result();
      // Done before the helper took a chunk (it may still be starting): it is not waited for.
      if (Atomics.compareExchange(shared, 1, HELPER_IDLE, HELPER_CANCELLED) === HELPER_IDLE) {
        helper.cancel();
        return scanner.result();
      }
      scanner.merge(await helper.state);
      return scanner.result();
    }
    // Running from the sources (tests), which a worker cannot load: two scanners take turns in
    // this thread, sharing the chunks the same way, and are merged the same way.
    const other = new FeedScanner(query);
    await Promise.all([scanChunks(fh, total, shared, scanner, progress), scanChunks(fh, total, shared, other, progress)]);
    scanner.merge(other.state());
    return scanner.result();
  } finally {
    await fh.close();
  }
}

interface CpuSample {
  at: number;
  cores: number;
  /** Idle time of all cores so far, and CPU time of this process (all its threads), in ms. */
  idle: number;
  ours: number;
}

function cpuSample(): CpuSample {
  const all = cpus();
  let idle = 0;
  for (const c of all) idle += c.times.idle;
  const u = process.cpuUsage();
  return { at: performance.now(), cores: all.length, idle, ours: (u.user + u.system) / 1000 };
}

/**
 * Cores left for a second thread since `then`: all of them, less the main thread, less what
 * other processes used. This process's own background threads (compiling, reading) do not count
 * against it: they are brief and ours.
 */
function spareCores(then: CpuSample): number {
  const now = cpuSample();
  const dt = Math.max(1, now.at - then.at);
  const busy = now.cores * dt - (now.idle - then.idle);
  const others = Math.max(0, busy - (now.ours - then.ours));
  return now.cores - 1 - others / dt;
}

function canUseWorker(): boolean {
  return /\.m?js$/.test(new URL(import.meta.url).pathname);
}

const HELPER_IDLE = 0,
  HELPER_RUNNING = 1,
  HELPER_CANCELLED = 2;

interface WorkerJob {
  fridayFeedScan: true;
  path: string;
  total: number;
  /** [next chunk, helper state]: see scanChunks; the helper moves its state from IDLE to RUNNING. */
  shared: SharedArrayBuffer;
  query: FeedQuery;
}

function startWorker(job: WorkerJob, progress: (n: number) => void): { state: Promise<ScannerState>; cancel: () => void } {
  let cancelled = false;
  let worker!: Worker;
  const state = new Promise<ScannerState>((resolve, reject) => {
    worker = new Worker(new URL(import.meta.url), { workerData: job });
    worker.on('message', (m: { progress?: number; state?: ScannerState; error?: string }) => {
      if (m.progress !== undefined) progress(m.progress);
      if (m.state) resolve(m.state);
      if (m.error) reject(new Error(m.error));
    });
    worker.on('error', (err) => {
      if (!cancelled) reject(err);
    });
    worker.on('exit', (code) => {
      if (code !== 0 && !cancelled) reject(new Error(`feed scan worker exited with code ${code}`));
    });
  });
  state.catch(() => {}); // awaited once this thread is done with its own chunks; not unhandled before
  return {
    state,
    cancel: () => {
      cancelled = true;
      void worker.terminate();
    },
  };
}

async function runWorker(job: WorkerJob): Promise<void> {
  const shared = new Int32Array(job.shared);
  const scanner = new FeedScanner(job.query);
  if (Atomics.compareExchange(shared, 1, HELPER_IDLE, HELPER_RUNNING) === HELPER_IDLE) {
    const fh = await fs.open(job.path, 'r');
    try {
      await scanChunks(fh, job.total, shared, scanner, (n) => parentPort!.postMessage({ progress: n }));
    } catch (err) {
      parentPort!.postMessage({ error: String(err) });
      return;
    } finally {
      await fh.close();
    }
  }
  const state = scanner.state();
  const transfer = [
    state.devices.table.buffer,
    ...state.windows.flatMap((w) => [w.rows.buffer, w.crashRows.buffer, w.unitsPerHour.buffer, w.crashUnitsPerHour.buffer]),
  ];
  parentPort!.postMessage({ state }, transfer as ArrayBuffer[]);
}

// This module is also the worker's entry: loaded in a worker with a scan job, it runs it.
if (!isMainThread && (workerData as Partial<WorkerJob> | null)?.fridayFeedScan === true) {
  void runWorker(workerData as WorkerJob);
}
