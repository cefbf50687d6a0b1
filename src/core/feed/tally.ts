/**
 * The units of one version of interest (docs/formats.md "Units"): per device, a bit for each UTC hour
 * of the version's window in which it sent an event (exposure) or a crash, so a device counts once
 * per hour however often it retries or crash-loops. Two tallies of parts of a feed merge into the
 * tally of the whole.
 */
import { KIND_SESSION, FUTURE_SLACK_MS } from './parse.js';
import { SignatureDevices, type SignatureState } from './signatures.js';

const HOUR = 3_600_000;

/** One version of interest and the times whose events count for it. */
export interface FeedWindow {
  version: string;
  fromMs: number;
  /** Events at or after this time also count as recent (the absolute rule's windowHours). */
  recentFromMs: number;
  /** Only the events of this model (a configured device codename) count: a model's own figures. */
  model?: string;
  /** The events of these models do not count (models already rolled back: docs/formats.md). */
  exceptModels?: string[];
  /** Devices with an event at or after this time are counted apart (a rollout's stage); default `fromMs`. */
  stageFromMs?: number;
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
  /** Devices with an event since the window's `stageFromMs`. */
  stageDevices: number;
  /** Accepted lines, not units: retries count here and nowhere else. */
  sessions: number;
  crashes: number;
  signatures: SignatureCount[];
  /** Exposure and crash units per UTC hour, oldest first, from `firstHourMs`. */
  firstHourMs: number;
  unitsPerHour: number[];
  crashUnitsPerHour: number[];
}

/** Rows made before the first grow: a few doublings, not a dozen, on a large fleet. */
const INITIAL_DEVICES = 16_384;
/** A model's window starts smaller: it holds a part of the fleet. */
const INITIAL_MODEL_ROWS = INITIAL_DEVICES / 16;

/** A row's flags: the device has an event in the window; a crash or ANR too. */
export const SEEN = 1,
  CRASHED = 2;

/**
 * What a tally hands to another (a worker's half of the feed) to be merged, and what `watch`
 * keeps between checks (io/feed-state.ts). Nothing in it depends on the clock but the number of
 * hours: the recent and the stage's devices are found at result time from each device's latest
 * event and crash (docs/formats.md "Incremental checks"), so the tally of one check goes on at
 * the next.
 */
export interface WindowState {
  /** The UTC hour of bit 0 of each row, and the 32-bit words per row. */
  firstHour: number;
  words: number;
  rows: Int32Array;
  crashRows: Int32Array;
  /** Per row, the time of its device's latest event and latest crash or ANR in the window (-Infinity: none). */
  lastMs: Float64Array;
  lastCrashMs: Float64Array;
  unitsPerHour: Int32Array;
  crashUnitsPerHour: Int32Array;
  /** Accepted lines per hour: a window that starts later drops whole hours of them. */
  sessionsPerHour: Int32Array;
  crashesPerHour: Int32Array;
  /** Per signature, the devices (the scan's ids) that crashed with it and the time of their latest such crash. */
  signatures: SignatureState;
  /** A model's window numbers its own devices: the scan's device id of each of its rows, else null. */
  ids: Int32Array | null;
}

/**
 * Units of one version. Per device a row [flags, exposure words…] (one cache line for the common
 * session event) and, apart, its crash words, touched only by crashes. Bit h of a row is the UTC
 * hour firstHour + h. A bit counts into its hour when it is first set, so retries change nothing
 * and no bit is counted at the end.
 */
export class WindowTally {
  readonly firstHour: number;
  readonly hours: number;
  readonly words: number;
  readonly stride: number;
  private readonly stageFromMs: number;
  // Int32, not Uint32: a word with bit 31 set must stay an integer, not become a double.
  rows: Int32Array;
  crashRows: Int32Array;
  lastMs: Float64Array;
  lastCrashMs: Float64Array;
  readonly unitsPerHour: Int32Array;
  readonly crashUnitsPerHour: Int32Array;
  readonly sessionsPerHour: Int32Array;
  readonly crashesPerHour: Int32Array;
  signatures = new SignatureDevices();
  /**
   * A model's window holds a small part of the fleet: its rows are numbered apart (row → scan
   * device id in `ids`, scan device id → row + 1 in `rowOf`), so twenty models' windows take the
   * memory of one fleet's rather than twenty.
   */
  private ids: Int32Array | null = null;
  private rowOf: Int32Array | null = null;
  private rowCount = 0;

  constructor(
    readonly w: FeedWindow,
    nowMs: number,
    capacity = w.model === undefined ? INITIAL_DEVICES : INITIAL_MODEL_ROWS,
  ) {
    this.firstHour = Math.floor(w.fromMs / HOUR);
    this.stageFromMs = w.stageFromMs ?? w.fromMs;
    this.hours = Math.max(1, Math.floor((nowMs + FUTURE_SLACK_MS) / HOUR) - this.firstHour + 1);
    this.words = Math.ceil(this.hours / 32);
    this.stride = 1 + this.words;
    this.rows = new Int32Array(capacity * this.stride);
    this.crashRows = new Int32Array(capacity * this.words);
    this.lastMs = new Float64Array(capacity).fill(-Infinity);
    this.lastCrashMs = new Float64Array(capacity).fill(-Infinity);
    this.unitsPerHour = new Int32Array(this.words * 32);
    this.crashUnitsPerHour = new Int32Array(this.words * 32);
    this.sessionsPerHour = new Int32Array(this.words * 32);
    this.crashesPerHour = new Int32Array(this.words * 32);
    if (w.model !== undefined) {
      this.ids = new Int32Array(capacity);
      this.rowOf = new Int32Array(INITIAL_DEVICES);
    }
  }

  /**
   * The tally of an earlier check (`s`, over `devices` devices) carried on to this window and
   * clock: the rows widened to the hours up to `nowMs`, and the hours before this window's first
   * dropped. The window must start where `s` does, or later on an hour boundary (the caller's
   * rule, io/feed-incremental.ts): then every figure is the one a scan from scratch would give.
   */
  static resume(w: FeedWindow, nowMs: number, s: WindowState, devices: number): WindowTally {
    const t = new WindowTally(w, nowMs, 0);
    // A fleet tally grows its rows only for devices of its own version: it may hold fewer than all.
    const have = s.ids === null ? Math.min(devices, s.lastMs.length) : t.renumber(s.ids, devices);
    if (t.firstHour === s.firstHour && t.words === s.words) {
      // The same rows (most checks): taken as they are, not copied.
      t.rows = s.rows;
      t.crashRows = s.crashRows;
      t.lastMs = s.lastMs;
      t.lastCrashMs = s.lastCrashMs;
      t.unitsPerHour.set(s.unitsPerHour);
      t.crashUnitsPerHour.set(s.crashUnitsPerHour);
      t.sessionsPerHour.set(s.sessionsPerHour);
      t.crashesPerHour.set(s.crashesPerHour);
      t.signatures.absorb(s.signatures, null);
      return t;
    }
    let capacity = s.ids === null ? INITIAL_DEVICES : INITIAL_MODEL_ROWS;
    while (capacity < have) capacity *= 2;
    t.grow(capacity - 1);
    const shift = t.firstHour - s.firstHour;
    const stride = t.stride,
      words = t.words,
      oldStride = 1 + s.words;
    for (let d = 0; d < have; d++) {
      const flags = s.rows[d * oldStride]!;
      if (flags === 0) continue;
      t.rows[d * stride] = flags;
      shiftBits(s.rows, d * oldStride + 1, s.words, shift, t.rows, d * stride + 1, words);
      if (flags & CRASHED) shiftBits(s.crashRows, d * s.words, s.words, shift, t.crashRows, d * words, words);
    }
    t.lastMs.set(s.lastMs.subarray(0, have));
    t.lastCrashMs.set(s.lastCrashMs.subarray(0, have));
    const perHour = (from: Int32Array, to: Int32Array) => {
      for (let h = 0; h < to.length && h + shift < from.length; h++) to[h] = from[h + shift]!;
    };
    perHour(s.unitsPerHour, t.unitsPerHour);
    perHour(s.crashUnitsPerHour, t.crashUnitsPerHour);
    perHour(s.sessionsPerHour, t.sessionsPerHour);
    perHour(s.crashesPerHour, t.crashesPerHour);
    t.signatures.absorb(s.signatures, null, w.fromMs);
    return t;
  }

  /** A model window's rows as a saved state numbered them (`ids`, over `devices` scan devices); returns how many. */
  private renumber(ids: Int32Array, devices: number): number {
    this.ids = new Int32Array(Math.max(INITIAL_MODEL_ROWS, ids.length));
    this.ids.set(ids);
    this.rowCount = ids.length;
    let cap = INITIAL_DEVICES;
    while (cap < devices) cap *= 2;
    const rowOf = (this.rowOf = new Int32Array(cap));
    for (let r = 0; r < ids.length; r++) rowOf[ids[r]!] = r + 1;
    return ids.length;
  }

  /** The row of scan device `dev`: itself in a fleet window, its own number in a model's. */
  private row(dev: number): number {
    if (this.rowOf === null) return dev;
    if (dev >= this.rowOf.length) {
      let cap = this.rowOf.length;
      while (cap <= dev) cap *= 2;
      const grown = new Int32Array(cap);
      grown.set(this.rowOf);
      this.rowOf = grown;
    }
    const r = this.rowOf[dev]!;
    if (r !== 0) return r - 1;
    const fresh = this.rowCount++;
    if (fresh >= this.ids!.length) {
      const grown = new Int32Array(Math.max(INITIAL_MODEL_ROWS, this.ids!.length * 2));
      grown.set(this.ids!);
      this.ids = grown;
    }
    this.ids![fresh] = dev;
    this.rowOf[dev] = fresh + 1;
    return fresh;
  }

  /** One accepted event of device `dev` (the scan's id); `signature` is that of a crash or ANR. */
  add(dev: number, ts: number, kind: number, signature: string): void {
    const r = this.row(dev);
    const base = r * this.stride;
    if (base >= this.rows.length) this.grow(r);
    const h = Math.floor(ts / HOUR) - this.firstHour;
    const bit = 1 << (h & 31);
    const rows = this.rows;
    let flags = rows[base]! | SEEN;
    if (ts > this.lastMs[r]!) this.lastMs[r] = ts;
    const at = base + 1 + (h >>> 5);
    const word = rows[at]!;
    if ((word & bit) === 0) {
      rows[at] = word | bit;
      this.unitsPerHour[h]!++;
    }
    if (kind === KIND_SESSION) {
      this.sessionsPerHour[h]!++;
    } else {
      this.crashesPerHour[h]!++;
      flags |= CRASHED;
      if (ts > this.lastCrashMs[r]!) this.lastCrashMs[r] = ts;
      const cat = r * this.words + (h >>> 5);
      const cword = this.crashRows[cat]!;
      if ((cword & bit) === 0) {
        this.crashRows[cat] = cword | bit;
        this.crashUnitsPerHour[h]!++;
      }
      this.signatures.add(signature, dev, ts);
    }
    rows[base] = flags;
  }

  private grow(row: number): void {
    let cap = Math.max(1, this.rows.length / this.stride);
    while (cap <= row) cap *= 2;
    const rows = new Int32Array(cap * this.stride);
    rows.set(this.rows);
    this.rows = rows;
    const crashRows = new Int32Array(cap * this.words);
    crashRows.set(this.crashRows);
    this.crashRows = crashRows;
    const lastMs = new Float64Array(cap).fill(-Infinity);
    lastMs.set(this.lastMs);
    this.lastMs = lastMs;
    const lastCrashMs = new Float64Array(cap).fill(-Infinity);
    lastCrashMs.set(this.lastCrashMs);
    this.lastCrashMs = lastCrashMs;
  }

  state(): WindowState {
    return {
      firstHour: this.firstHour,
      words: this.words,
      rows: this.rows,
      crashRows: this.crashRows,
      lastMs: this.lastMs,
      lastCrashMs: this.lastCrashMs,
      unitsPerHour: this.unitsPerHour,
      crashUnitsPerHour: this.crashUnitsPerHour,
      sessionsPerHour: this.sessionsPerHour,
      crashesPerHour: this.crashesPerHour,
      signatures: this.signatures.state(),
      ids: this.ids === null ? null : this.ids.slice(0, this.rowCount),
    };
  }

  /**
   * OR another half's bits in; `map` turns its device ids into ours. Its hour counts add to
   * ours, less the bits both halves set (a device-hour that straddles the split).
   */
  merge(other: WindowState, map: Int32Array): void {
    const stride = this.stride,
      words = this.words;
    const from = other.rows,
      fromCrash = other.crashRows;
    const otherRows = other.ids === null ? Math.min(map.length, other.rows.length / this.stride) : other.ids.length;
    for (let d = 0; d < otherRows; d++) {
      const f = d * stride;
      const flags = from[f]!;
      if (flags === 0) continue;
      const m = this.row(map[other.ids === null ? d : other.ids[d]!]!);
      if (m * stride >= this.rows.length) this.grow(m);
      const rows = this.rows;
      const t = m * stride;
      rows[t]! |= flags;
      if (other.lastMs[d]! > this.lastMs[m]!) this.lastMs[m] = other.lastMs[d]!;
      for (let k = 1; k < stride; k++) {
        const o = from[f + k]!;
        if (o === 0) continue;
        const both = rows[t + k]! & o;
        if (both !== 0) uncount(both, (k - 1) * 32, this.unitsPerHour);
        rows[t + k]! |= o;
      }
      if ((flags & CRASHED) === 0) continue;
      if (other.lastCrashMs[d]! > this.lastCrashMs[m]!) this.lastCrashMs[m] = other.lastCrashMs[d]!;
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
      this.sessionsPerHour[h]! += other.sessionsPerHour[h]!;
      this.crashesPerHour[h]! += other.crashesPerHour[h]!;
    }
    this.signatures.absorb(other.signatures, map);
  }

  /**
   * The figures. A device counts when its latest event is in the window, as recent when that
   * event is at or after `recentFromMs`, and as the stage's when at or after `stageFromMs`
   * (computed here, not when the event came, so a tally carried to a later clock or a later
   * stage gives the figures of that clock and stage).
   */
  result(deviceCount: number): VersionTally {
    let devices = 0,
      crashed = 0,
      recentDevices = 0,
      recentCrashed = 0,
      stageDevices = 0;
    const n = Math.min(this.ids === null ? deviceCount : this.rowCount, this.rows.length / this.stride);
    const rows = this.rows,
      stride = this.stride,
      lastMs = this.lastMs,
      lastCrashMs = this.lastCrashMs;
    const from = this.w.fromMs,
      recentFrom = Math.max(from, this.w.recentFromMs),
      stageFrom = Math.max(from, this.stageFromMs);
    for (let d = 0; d < n; d++) {
      const flags = rows[d * stride]!;
      if (flags === 0 || lastMs[d]! < from) continue;
      devices++;
      if (lastMs[d]! >= recentFrom) recentDevices++;
      if (lastMs[d]! >= stageFrom) stageDevices++;
      if ((flags & CRASHED) === 0 || lastCrashMs[d]! < from) continue;
      crashed++;
      if (lastCrashMs[d]! >= recentFrom) recentCrashed++;
    }
    const hours = (a: Int32Array) => Array.from(a.subarray(0, this.hours));
    const sum = (a: Int32Array) => a.subarray(0, this.hours).reduce((x, y) => x + y, 0);
    const unitsPerHour = hours(this.unitsPerHour);
    const crashUnitsPerHour = hours(this.crashUnitsPerHour);
    const signatures = this.signatures.counts(from);
    return {
      version: this.w.version,
      units: sum(this.unitsPerHour),
      crashUnits: sum(this.crashUnitsPerHour),
      devices,
      crashed,
      recentDevices,
      recentCrashed,
      stageDevices,
      sessions: sum(this.sessionsPerHour),
      crashes: sum(this.crashesPerHour),
      signatures,
      firstHourMs: this.firstHour * HOUR,
      unitsPerHour,
      crashUnitsPerHour,
    };
  }
}

/**
 * Bits `shift`… of the `fromWords` words at `src[s]` into the `toWords` words at `dst[d]`: bit j
 * there is bit j + shift here (a window that starts `shift` hours later).
 */
function shiftBits(src: Int32Array, s: number, fromWords: number, shift: number, dst: Int32Array, d: number, toWords: number): void {
  const skip = shift >>> 5,
    off = shift & 31;
  for (let k = 0; k < toWords; k++) {
    const i = k + skip;
    const lo = i < fromWords ? src[s + i]! >>> off : 0;
    const hi = off !== 0 && i + 1 < fromWords ? src[s + i + 1]! << (32 - off) : 0;
    dst[d + k] = lo | hi;
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
