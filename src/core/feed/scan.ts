/**
 * The crash-feed scan over bytes (docs/formats.md "The feed"): each line parsed in place (parse.ts),
 * its device numbered (devices.ts), its event folded into the tally of its version (tally.ts).
 * Nothing is kept per event: memory is the device index plus, per version, two bits per device
 * and hour of its window ("a feed of any length is streamed"). The reading of a file, in chunks
 * and on two threads, is io/feed.ts's; a scanner of each thread hands its state to be merged.
 */
import { DeviceIndex, type DeviceIndexState } from './devices.js';
import { codes } from './bytes.js';
import {
  BLANK,
  FUTURE_SLACK_MS,
  KIND_SESSION,
  LineParser,
  MAX_LINE,
  REJECT_REASONS,
  R_FUTURE,
  R_TOO_LONG,
  UNKNOWN,
  type RejectReason,
} from './parse.js';
import { WindowTally, type FeedWindow, type VersionTally, type WindowState } from './tally.js';

export interface FeedQuery {
  nowMs: number;
  windows: FeedWindow[];
  /**
   * The configured device codenames: an event whose `model` is none of them is rejected
   * (`rejectedBy.model`). Absent: any model is accepted, and counts only for a window of that model.
   */
  devices?: string[];
  /** The watched channel: an event naming another channel counts for none of the windows. */
  channel?: string;
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

/** A scanner's whole state, as a worker posts it back. */
export interface ScannerState {
  lines: number;
  accepted: number;
  bytes: number;
  rejectedBy: number[];
  devices: DeviceIndexState;
  windows: WindowState[];
  /**
   * The lines rejected as in the future (each counted in `lines` and rejectedBy), kept to be read
   * again by the next check, whose clock may have come to them (docs/formats.md "Incremental
   * checks"); `futureLost` when there were more than FUTURE_LINES or FUTURE_BYTES of them.
   */
  future: Uint8Array[];
  futureLost: boolean;
}

/** Lines in the future a scan keeps for the next check; past this the next check reads all. */
const FUTURE_LINES = 10_000,
  FUTURE_BYTES = 8 << 20;

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
  private tallies: WindowTally[];
  private readonly versionBytes: number[][];
  private readonly versionNames: string[];
  /** Per version (versionNames), its fleet window or -1, and per version × model its model window or -1. */
  private readonly fleetWindow: Int32Array;
  private readonly modelWindow: Int32Array;
  private readonly models: number;
  /** Per window, bit set (models ≤ 32) or list of the models whose events it leaves out. */
  private readonly except: (Set<number> | null)[];
  private readonly channelBytes: number[] | null;
  private readonly channelName: string;
  private devices = new DeviceIndex();
  private future: Uint8Array[] = [];
  private futureBytes = 0;
  private futureLost = false;
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
  /** The event's model window + 1, or 0. */
  private readonly bModel = new Int32Array(BATCH);
  private readonly bSig = new Array<string>(BATCH).fill('');
  private readonly bDev = new Int32Array(BATCH);
  /** What `touch` read, kept so that the reads are not optimised away. */
  private sink = 0;

  constructor(query: FeedQuery) {
    this.latestMs = query.nowMs + FUTURE_SLACK_MS;
    this.tallies = query.windows.map((w) => new WindowTally(w, query.nowMs));
    this.versionNames = [...new Set(query.windows.map((w) => w.version))];
    this.versionBytes = this.versionNames.map(codes);
    const modelNames = query.devices ?? [...new Set(query.windows.flatMap((w) => (w.model === undefined ? [] : [w.model])))];
    this.parser.setModels(modelNames, query.devices !== undefined);
    this.models = modelNames.length;
    this.fleetWindow = new Int32Array(this.versionNames.length).fill(-1);
    this.modelWindow = new Int32Array(this.versionNames.length * this.models).fill(-1);
    query.windows.forEach((w, i) => {
      const v = this.versionNames.indexOf(w.version);
      if (w.model === undefined) {
        if (this.fleetWindow[v] === -1) this.fleetWindow[v] = i;
      } else {
        const m = modelNames.indexOf(w.model);
        if (m >= 0 && this.modelWindow[v * this.models + m] === -1) this.modelWindow[v * this.models + m] = i;
      }
    });
    this.except = query.windows.map((w) =>
      w.exceptModels?.length ? new Set(w.exceptModels.map((m) => modelNames.indexOf(m)).filter((m) => m >= 0)) : null,
    );
    this.channelBytes = query.channel === undefined ? null : codes(query.channel);
    this.channelName = query.channel ?? '';
  }

  /**
   * The scanner of an earlier check, carried on to `query` (its windows as before, or starting
   * later on an hour boundary; a clock no earlier): the lines it kept as in the future are read
   * again with this clock, as a scan from scratch would read them.
   */
  static resume(query: FeedQuery, s: ScannerState): FeedScanner {
    const scanner = new FeedScanner(query);
    scanner.devices = DeviceIndex.fromState(s.devices);
    scanner.tallies = query.windows.map((w, i) => WindowTally.resume(w, query.nowMs, s.windows[i]!, s.devices.size));
    scanner.lines = s.lines - s.future.length;
    scanner.accepted = s.accepted;
    scanner.bytes = s.bytes;
    scanner.rejectedBy = scanner.rejectedBy.map((_, i) => s.rejectedBy[i] ?? 0);
    scanner.rejectedBy[R_FUTURE]! -= s.future.length;
    for (const line of s.future) scanner.line(line, 0, line.length);
    return scanner;
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
    const r = this.parser.parse(buf, start, end, this.latestMs);
    this.count(r);
    if (r === R_FUTURE) this.keepFuture(buf, start, end);
  }

  private keepFuture(buf: Uint8Array, start: number, end: number): void {
    if (this.futureLost) return;
    if (this.future.length >= FUTURE_LINES || this.futureBytes + end - start > FUTURE_BYTES) {
      this.futureLost = true;
      this.future = [];
      return;
    }
    this.future.push(new Uint8Array(buf.subarray(start, end))); // a copy: the buffer is reused
    this.futureBytes += end - start;
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
    // Another channel's devices are not this channel's (docs/formats.md "The feed").
    if (this.channelBytes !== null && p.otherChannel(this.channelBytes, this.channelName)) return;
    let fw = this.fleetWindow[vi]!;
    // Outside the window: ignored, not rejected.
    if (fw >= 0 && (p.tsMs < this.tallies[fw]!.w.fromMs || (p.model >= 0 && this.except[fw]?.has(p.model) === true))) fw = -1;
    let mw = p.model >= 0 ? this.modelWindow[vi * this.models + p.model]! : -1;
    if (mw >= 0 && p.tsMs < this.tallies[mw]!.w.fromMs) mw = -1;
    if (fw < 0 && mw < 0) return;
    const k = this.pending++;
    this.bH1[k] = p.devHash;
    this.bH2[k] = p.devHash2;
    this.bTs[k] = p.tsMs;
    this.bWhat[k] = (fw << 2) | p.kind;
    this.bModel[k] = mw + 1;
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
    const model = this.bModel;
    for (let k = 0; k < n; k++) {
      const w = what[k]!;
      const s = (w & 3) === KIND_SESSION ? '' : sig[k]!;
      if (w >= 0) tallies[w >> 2]!.add(dev[k]!, ts[k]!, w & 3, s);
      const m = model[k]!;
      if (m !== 0) tallies[m - 1]!.add(dev[k]!, ts[k]!, w & 3, s);
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
        else {
          this.count(r);
          if (r === R_FUTURE) this.keepFuture(buf, pos, nl);
        }
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
      future: this.future,
      futureLost: this.futureLost,
    };
  }

  merge(other: ScannerState): void {
    const map = this.devices.absorb(other.devices);
    this.tallies.forEach((t, i) => t.merge(other.windows[i]!, map));
    this.lines += other.lines;
    this.accepted += other.accepted;
    this.bytes += other.bytes;
    this.rejectedBy = this.rejectedBy.map((n, i) => n + (other.rejectedBy[i] ?? 0));
    for (const line of other.future) this.keepFuture(line, 0, line.length);
    this.futureLost ||= other.futureLost;
    if (this.futureLost) this.future = [];
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

export function hasBom(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf;
}
