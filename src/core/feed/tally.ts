/**
 * The units of one version of interest (docs/formats.md "Units"): per device, a bit for each UTC hour
 * of the version's window in which it sent an event (exposure) or a crash, so a device counts once
 * per hour however often it retries or crash-loops. Two tallies of parts of a feed merge into the
 * tally of the whole.
 */
import { KIND_SESSION, FUTURE_SLACK_MS } from './parse.js';

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

const SEEN = 1,
  CRASHED = 2,
  RECENT = 4,
  RECENT_CRASHED = 8,
  STAGE = 16;

/** What a tally hands to another (a worker's half of the feed) to be merged. */
export interface WindowState {
  rows: Int32Array;
  crashRows: Int32Array;
  unitsPerHour: Int32Array;
  crashUnitsPerHour: Int32Array;
  sessions: number;
  crashes: number;
  signatures: Map<string, Set<number>>;
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
  readonly unitsPerHour: Int32Array;
  readonly crashUnitsPerHour: Int32Array;
  sessions = 0;
  crashes = 0;
  signatures = new Map<string, Set<number>>();
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
  ) {
    this.firstHour = Math.floor(w.fromMs / HOUR);
    this.stageFromMs = w.stageFromMs ?? w.fromMs;
    this.hours = Math.max(1, Math.floor((nowMs + FUTURE_SLACK_MS) / HOUR) - this.firstHour + 1);
    this.words = Math.ceil(this.hours / 32);
    this.stride = 1 + this.words;
    const initial = w.model === undefined ? INITIAL_DEVICES : INITIAL_DEVICES / 16;
    this.rows = new Int32Array(initial * this.stride);
    this.crashRows = new Int32Array(initial * this.words);
    this.unitsPerHour = new Int32Array(this.words * 32);
    this.crashUnitsPerHour = new Int32Array(this.words * 32);
    if (w.model !== undefined) {
      this.ids = new Int32Array(initial);
      this.rowOf = new Int32Array(INITIAL_DEVICES);
    }
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
      const grown = new Int32Array(this.ids!.length * 2);
      grown.set(this.ids!);
      this.ids = grown;
    }
    this.ids![fresh] = dev;
    this.rowOf[dev] = fresh + 1;
    return fresh;
  }

  /** One accepted event of device `dev`; `signature` is that of a crash or ANR. */
  add(dev: number, ts: number, kind: number, signature: string): void {
    const sigDev = dev;
    dev = this.row(dev);
    const base = dev * this.stride;
    if (base >= this.rows.length) this.grow(dev);
    const h = Math.floor(ts / HOUR) - this.firstHour;
    const bit = 1 << (h & 31);
    const rows = this.rows;
    let flags = rows[base]! | SEEN;
    const recent = ts >= this.w.recentFromMs;
    if (recent) flags |= RECENT;
    flags |= ts >= this.stageFromMs ? STAGE : 0;
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
      set.add(sigDev);
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
      recentCrashed = 0,
      stageDevices = 0;
    const n = Math.min(this.ids === null ? deviceCount : this.rowCount, this.rows.length / this.stride);
    const rows = this.rows,
      stride = this.stride;
    for (let d = 0; d < n; d++) {
      const flags = rows[d * stride]!;
      if (flags === 0) continue;
      devices++;
      if (flags & CRASHED) crashed++;
      if (flags & RECENT) recentDevices++;
      if (flags & RECENT_CRASHED) recentCrashed++;
      if (flags & STAGE) stageDevices++;
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
      stageDevices,
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
