/**
 * One crash-feed line, parsed from bytes (docs/formats.md, "The feed"). Pure and allocation-free on
 * the common shape: a flat object of plain strings is read straight from the buffer; anything
 * else (escapes, nested values, odd spacing is fine) falls back to JSON.parse, so the fast path
 * never accepts a line JSON would refuse, and never refuses one JSON would accept.
 *
 * Hand-written, not JSON.parse on each line, for the targets of docs/quality.md ("crash feed": at
 * least 2 M events/s, at most 0.15× the time of jq). Measured 2026-11-30 on 2 cores (AMD EPYC VM,
 * x86_64, Node 20.20.2) shared with other work (load average 2–7, so the ratios of alternating
 * runs hold better than the rates), on the 2,000,000-event benchmark feed in memory
 * (bench/feed-parse.mjs): the whole scan through this parser, rules, devices and units included,
 * runs at 1.82 M events/s; JSON.parse alone on each line, no rule applied and nothing counted, at
 * 0.49 M events/s (the scan takes 0.27× its time; 0.23× in a second run); the tests' plain
 * reference scan at 0.15 M events/s. End to end (bench/feed.mjs), `watch --dry-run` takes
 * 0.19–0.21× the time of `jq -c 'select(.kind=="crash")'` on the same file.
 */
import { parseTime } from '../time.js';
import { fastTime, hashBytes, hashBytes2, matchLit, scanNumber, skipWs, sliceEquals, word } from './bytes.js';

export const KIND_SESSION = 1;
export const KIND_CRASH = 2;
export const KIND_ANR = 3;

/** Why a line was rejected. Index 0 is unused (0 means accepted). */
export const REJECT_REASONS = [
  '',
  'invalid-json',
  'not-an-object',
  'missing-field',
  'wrong-type',
  'unknown-kind',
  'bad-timestamp',
  'future',
  'too-long',
  'model',
] as const;
export type RejectReason = Exclude<(typeof REJECT_REASONS)[number], ''>;
export const R_JSON = 1,
  R_OBJECT = 2,
  R_MISSING = 3,
  R_TYPE = 4,
  R_KIND = 5,
  R_TIME = 6,
  R_FUTURE = 7,
  R_TOO_LONG = 8,
  R_MODEL = 9;
/** A blank line: skipped, not counted. */
export const BLANK = -1;
/** LineParser.parseTo could not tell where the line ends. */
export const UNKNOWN = -2;

/** An event more than this far in the future of `now` is rejected. */
export const FUTURE_SLACK_MS = 5 * 60_000;
/** A longer line is no event: rejected (too-long) without being buffered whole. */
export const MAX_LINE = 1 << 20;

// Field states: absent, a string (slice or decoded), another JSON type.
const ABSENT = 0,
  STR = 1,
  OTHER = 2,
  NUL = 3;

/** Signatures remembered by LineParser.signature (a power of two). */
const SIG_CACHE = 64;

const K_OTHER = 0,
  K_TS = 1,
  K_DEVICE = 2,
  K_VERSION = 3,
  K_KIND = 4,
  K_SIG = 5,
  K_MODEL = 6,
  K_CHANNEL = 7;

/**
 * A reusable parser: `parse` fills its fields for one line. The device is handed on as bytes
 * with their hash (`devBuf[devS, devE)`, `devHash`), the version is compared as bytes, and only
 * the signature of a crash is ever decoded to a string.
 */
export class LineParser {
  tsMs = 0;
  kind = 0;
  /** Where the line read by the last parseTo (or successful fast parse) ends. */
  lineEnd = 0;
  /** The device id's fingerprint (hashBytes, hashBytes2 of its UTF-8 bytes), valid after an accepted parse. */
  devHash = 0;
  devHash2 = 0;
  private devS = 0;
  private devE = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private devState = ABSENT;
  private devHigh = false;
  private devStr = '';
  private verState = ABSENT;
  private verS = 0;
  private verE = 0;
  private verHigh = false;
  private verStr = '';
  private sigState = ABSENT;
  private sigS = 0;
  private sigE = 0;
  private sigStr = '';
  private kindState = ABSENT;
  private kindS = 0;
  private kindE = 0;
  private kindStr = '';
  /**
   * The event's `model` (docs/formats.md "The feed"): its index in the configured devices
   * (setModels), or -1 when it carries none. Valid after an accepted parse.
   */
  model = -1;
  private modelBytes: number[][] = [];
  private modelNames: string[] = [];
  private checkModels = false;
  private modState = ABSENT;
  private modS = 0;
  private modE = 0;
  private modHigh = false;
  private modStr = '';
  private chState = ABSENT;
  private chS = 0;
  private chE = 0;
  private chHigh = false;
  private chStr = '';
  private tsState = ABSENT;
  private tsS = 0;
  private tsE = 0;
  private tsHigh = false;
  private tsStr = '';
  /** The fast path already read the timestamp into tsMs. */
  private tsRead = false;
  private slow = false;
  private readonly decoder = new TextDecoder();
  private readonly encoder = new TextEncoder();
  private scratch = new Uint8Array(256);
  private readonly sigBytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(SIG_CACHE).fill(undefined);
  private readonly sigStrs: string[] = new Array<string>(SIG_CACHE).fill('');
  // The hour of the last timestamp and its 13-byte prefix (YYYY-MM-DDTHH): a feed is mostly in time order.
  private hourW0 = 0;
  private hourW1 = 0;
  private hourW2 = 0;
  private hourB12 = 0;
  private hourMs = NaN;

  /**
   * The device codenames an event's `model` may name. With `strict`, any other is rejected
   * (R_MODEL); without, it is accepted and counts for no model (model = -1).
   */
  setModels(names: readonly string[], strict: boolean): void {
    this.modelNames = [...names];
    this.modelBytes = names.map((n) => Array.from(this.encoder.encode(n)));
    this.checkModels = strict;
  }

  /** 0 when accepted, BLANK for a blank line, else a reason code (REJECT_REASONS). */
  parse(buf: Uint8Array, start: number, end: number, latestMs: number): number {
    const shape = this.begin(buf, start, end);
    if (shape === BLANK) return BLANK;
    if (shape !== 0) {
      const r = this.parseSlow(buf, start, end);
      if (r !== 0) return r;
    }
    return this.validate(latestMs);
  }

  /**
   * `parse` for a line whose end is not known yet: the fast path reads from `start` to the line's
   * newline, which it never takes for part of a value or for blank space, and sets lineEnd (the
   * newline, or `limit` if there is none before it). UNKNOWN when the fast path cannot tell: the
   * caller then finds the newline itself and calls `parse`. Saves a search per line.
   */
  parseTo(buf: Uint8Array, start: number, limit: number, latestMs: number): number {
    const shape = this.begin(buf, start, limit);
    if (shape === BLANK) return BLANK;
    if (shape !== 0) return UNKNOWN;
    return this.validate(latestMs);
  }

  /** A new line: every field absent, then the fast scan's verdict on its shape. */
  private begin(buf: Uint8Array, start: number, limit: number): number {
    this.buf = buf;
    this.devState = this.verState = this.sigState = this.kindState = this.tsState = this.modState = this.chState = ABSENT;
    this.slow = false;
    this.tsRead = false;
    return this.scanFast(buf, start, limit);
  }

  private validate(latestMs: number): number {
    if (this.tsState === ABSENT || this.devState === ABSENT || this.verState === ABSENT || this.kindState === ABSENT) return R_MISSING;
    if (this.tsState !== STR || this.devState !== STR || this.verState !== STR || this.kindState !== STR) return R_TYPE;
    if (this.sigState === OTHER || this.modState === OTHER || this.chState === OTHER) return R_TYPE;
    if (this.slow || this.devHigh) {
      // Re-encode what JSON.parse decoded, so one device has one key whichever path read it.
      const str = this.slow ? this.devStr : this.decoder.decode(this.buf.subarray(this.devS, this.devE));
      if (this.scratch.length < str.length * 3) this.scratch = new Uint8Array(str.length * 3);
      const { written } = this.encoder.encodeInto(str, this.scratch);
      this.devS = 0;
      this.devE = written;
      this.devHash = hashBytes(this.scratch, 0, written);
      this.devHash2 = hashBytes2(this.scratch, 0, written);
    }
    if (this.devE === this.devS) return R_MISSING;
    if ((this.slow ? this.verStr.length : this.verE - this.verS) === 0) return R_MISSING;
    this.kind = this.slow ? kindOfString(this.kindStr) : kindOfBytes(this.buf, this.kindS, this.kindE);
    if (this.kind === 0) return R_KIND;
    // Read without a fresh number per line: a time in ms is no small integer, and a function
    // returning one would box it on the heap.
    const read = !this.slow && !this.tsHigh && (this.tsRead || this.readTs(this.buf, this.tsS, this.tsE));
    if (!read) {
      const d = parseTime(this.slow ? this.tsStr : this.decoder.decode(this.buf.subarray(this.tsS, this.tsE)));
      const ts = d === null ? NaN : d.getTime();
      if (Number.isNaN(ts)) return R_TIME;
      this.tsMs = ts;
    }
    if (this.tsMs > latestMs) return R_FUTURE;
    this.model = -1;
    if (this.modState === STR) {
      this.model =
        this.slow || this.modHigh
          ? this.modelNames.indexOf(this.slow ? this.modStr : this.decoder.decode(this.buf.subarray(this.modS, this.modE)))
          : indexOfBytes(this.buf, this.modS, this.modE, this.modelBytes);
      if (this.model < 0 && this.checkModels) return R_MODEL;
    }
    return 0;
  }

  /** Whether the last accepted line names a channel other than `channel` (UTF-8 bytes of it, and the name). */
  otherChannel(channel: readonly number[], name: string): boolean {
    if (this.chState !== STR) return false;
    if (this.slow || this.chHigh) return (this.slow ? this.chStr : this.decoder.decode(this.buf.subarray(this.chS, this.chE))) !== name;
    return !sliceEquals(this.buf, this.chS, this.chE, channel);
  }

  /**
   * fastTime into tsMs, with the hour cached: most lines only need their minutes and seconds
   * read. False, tsMs untouched, for any other shape.
   */
  private readTs(b: Uint8Array, s: number, e: number): boolean {
    if (e - s === 20 && b[s + 19] === 0x5a && b[s + 13] === 0x3a && b[s + 16] === 0x3a && !Number.isNaN(this.hourMs)) {
      if (word(b, s) === this.hourW0 && word(b, s + 4) === this.hourW1 && word(b, s + 8) === this.hourW2 && b[s + 12] === this.hourB12) {
        const m1 = b[s + 14]! - 0x30,
          m2 = b[s + 15]! - 0x30,
          s1 = b[s + 17]! - 0x30,
          s2 = b[s + 18]! - 0x30;
        if (m1 >= 0 && m1 <= 5 && m2 >= 0 && m2 <= 9 && s1 >= 0 && s1 <= 5 && s2 >= 0 && s2 <= 9) {
          this.tsMs = this.hourMs + (m1 * 10 + m2) * 60_000 + (s1 * 10 + s2) * 1000;
          return true;
        }
        return false;
      }
    }
    const t = fastTime(b, s, e);
    if (Number.isNaN(t)) return false;
    this.hourW0 = word(b, s);
    this.hourW1 = word(b, s + 4);
    this.hourW2 = word(b, s + 8);
    this.hourB12 = b[s + 12]!;
    this.hourMs = Math.floor(t / 3_600_000) * 3_600_000;
    this.tsMs = t;
    return true;
  }

  /**
   * The signature of the last accepted line, if any. A feed repeats a few signatures many times:
   * each is decoded once and found again by its bytes.
   */
  signature(): string | null {
    if (this.sigState !== STR) return null;
    if (this.slow) return this.sigStr;
    const b = this.buf,
      s = this.sigS,
      e = this.sigE;
    const slot = hashBytes(b, s, e) & (SIG_CACHE - 1);
    const known = this.sigBytes[slot];
    if (known !== undefined && known.length === e - s) {
      let k = 0;
      while (k < known.length && known[k] === b[s + k]) k++;
      if (k === known.length) return this.sigStrs[slot]!;
    }
    const bytes = b.subarray(s, e);
    const str = this.decoder.decode(bytes);
    // A copy: the buffer is reused for the next stretch of the feed (Buffer#slice would not copy).
    this.sigBytes[slot] = new Uint8Array(bytes);
    this.sigStrs[slot] = str;
    return str;
  }

  /** Index of the line's version in `versions` (UTF-8 bytes of each), or -1; no string is made. */
  versionIndex(versions: readonly number[][], names: readonly string[]): number {
    if (this.slow || this.verHigh) {
      return names.indexOf(this.slow ? this.verStr : this.decoder.decode(this.buf.subarray(this.verS, this.verE)));
    }
    return indexOfBytes(this.buf, this.verS, this.verE, versions);
  }

  /**
   * The fast path. 0: a flat object of plain scalars, fields recorded. BLANK: only whitespace.
   * 1: anything this scanner does not handle, left to JSON.parse.
   */
  private scanFast(b: Uint8Array, start: number, end: number): number {
    let i = skipWs(b, start, end);
    if (i === end || b[i] === 0x0a) {
      this.lineEnd = i;
      return BLANK;
    }
    if (b[i] !== 0x7b) return 1; // {
    i = skipWs(b, i + 1, end);
    if (i < end && b[i] === 0x7d) return this.atLineEnd(b, i + 1, end);
    for (;;) {
      if (i >= end || b[i] !== 0x22) return 1;
      const ks = i + 1;
      let k = ks;
      for (; k < end; k++) {
        const c = b[k]!;
        if (c === 0x22) break;
        if (c === 0x5c || c < 0x20) return 1;
      }
      if (k >= end) return 1;
      const key = keyOf(b, ks, k);
      i = k + 1;
      if (i < end && b[i] !== 0x3a) i = skipWs(b, i, end);
      if (i >= end || b[i] !== 0x3a) return 1; // :
      i++;
      if (i < end && b[i] !== 0x22) i = skipWs(b, i, end);
      if (i >= end) return 1;
      const c0 = b[i]!;
      if (c0 === 0x22 && key === K_TS && i + 21 < end && b[i + 21] === 0x22 && this.readTs(b, i + 1, i + 21)) {
        // The usual timestamp, read once: its fixed shape holds no quote, escape or control byte.
        this.tsState = STR;
        this.tsS = i + 1;
        this.tsE = i + 21;
        this.tsHigh = false;
        this.tsRead = true;
        i += 22;
      } else if (c0 === 0x22) {
        const vs = i + 1;
        let j = vs,
          high = false,
          h = 0x811c9dc5 | 0,
          h2 = 0x9747b28c | 0;
        if (key === K_DEVICE) {
          // hashBytes and hashBytes2, computed in the same pass that checks the string.
          for (; j < end; j++) {
            const c = b[j]!;
            if (c === 0x22) break;
            if (c === 0x5c || c < 0x20) return 1;
            if (c >= 0x80) high = true;
            h = Math.imul(h ^ c, 0x01000193);
            h2 = Math.imul(h2 ^ c, 0x5bd1e995);
            h2 ^= h2 >>> 15;
          }
          h2 ^= j - vs;
        } else {
          for (; j < end; j++) {
            const c = b[j]!;
            if (c === 0x22) break;
            if (c === 0x5c || c < 0x20) return 1;
            if (c >= 0x80) high = true;
          }
        }
        if (j >= end) return 1;
        i = j + 1;
        switch (key) {
          case K_TS:
            this.tsState = STR;
            this.tsS = vs;
            this.tsE = j;
            this.tsHigh = high;
            this.tsRead = false;
            break;
          case K_DEVICE:
            this.devState = STR;
            this.devS = vs;
            this.devE = j;
            this.devHigh = high;
            this.devHash = h;
            this.devHash2 = h2;
            break;
          case K_VERSION:
            this.verState = STR;
            this.verS = vs;
            this.verE = j;
            this.verHigh = high;
            break;
          case K_KIND:
            this.kindState = STR;
            this.kindS = vs;
            this.kindE = j;
            break;
          case K_SIG:
            this.sigState = STR;
            this.sigS = vs;
            this.sigE = j;
            break;
          case K_MODEL:
            this.modState = STR;
            this.modS = vs;
            this.modE = j;
            this.modHigh = high;
            break;
          case K_CHANNEL:
            this.chState = STR;
            this.chS = vs;
            this.chE = j;
            this.chHigh = high;
            break;
        }
      } else {
        let state: number;
        if (c0 === 0x2d || (c0 >= 0x30 && c0 <= 0x39)) {
          i = scanNumber(b, i, end);
          if (i < 0) return 1;
          state = OTHER;
        } else if (c0 === 0x74 && matchLit(b, i, end, 'true')) {
          i += 4;
          state = OTHER;
        } else if (c0 === 0x66 && matchLit(b, i, end, 'false')) {
          i += 5;
          state = OTHER;
        } else if (c0 === 0x6e && matchLit(b, i, end, 'null')) {
          i += 4;
          state = NUL;
        } else {
          return 1; // nested value or not JSON: let JSON.parse decide
        }
        // JSON.parse keeps the last of duplicate keys; so does this. A null signature is an absent one.
        const st = state === NUL ? OTHER : state;
        switch (key) {
          case K_TS:
            this.tsState = st;
            this.tsRead = false;
            break;
          case K_DEVICE:
            this.devState = st;
            break;
          case K_VERSION:
            this.verState = st;
            break;
          case K_KIND:
            this.kindState = st;
            break;
          case K_SIG:
            this.sigState = state === NUL ? ABSENT : st;
            break;
          // Optional like the signature: null is as good as absent.
          case K_MODEL:
            this.modState = state === NUL ? ABSENT : st;
            break;
          case K_CHANNEL:
            this.chState = state === NUL ? ABSENT : st;
            break;
        }
      }
      if (i < end && b[i] !== 0x2c && b[i] !== 0x7d) i = skipWs(b, i, end);
      if (i >= end) return 1;
      if (b[i] === 0x2c) {
        i = skipWs(b, i + 1, end);
        continue;
      }
      if (b[i] === 0x7d) return this.atLineEnd(b, i + 1, end);
      return 1;
    }
  }

  /** 0, lineEnd set, when only blank space is left of the line from `i`; else 1. */
  private atLineEnd(b: Uint8Array, i: number, end: number): number {
    const e = skipWs(b, i, end);
    if (e !== end && b[e] !== 0x0a) return 1;
    this.lineEnd = e;
    return 0;
  }

  private parseSlow(b: Uint8Array, start: number, end: number): number {
    let value: unknown;
    try {
      value = JSON.parse(this.decoder.decode(b.subarray(start, end)));
    } catch {
      return R_JSON;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return R_OBJECT;
    this.slow = true;
    const o = value as Record<string, unknown>;
    const take = (v: unknown): [number, string] => (v === undefined ? [ABSENT, ''] : typeof v === 'string' ? [STR, v] : [OTHER, '']);
    [this.tsState, this.tsStr] = take(o.ts);
    [this.devState, this.devStr] = take(o.device);
    [this.verState, this.verStr] = take(o.version);
    [this.kindState, this.kindStr] = take(o.kind);
    [this.sigState, this.sigStr] = o.signature === null ? [ABSENT, ''] : take(o.signature);
    [this.modState, this.modStr] = o.model === null ? [ABSENT, ''] : take(o.model);
    [this.chState, this.chStr] = o.channel === null ? [ABSENT, ''] : take(o.channel);
    return 0;
  }
}

const W_DEVI = wordOf('devi'),
  W_VERS = wordOf('vers'),
  W_KIND = wordOf('kind'),
  W_SIGN = wordOf('sign'),
  W_ATUR = wordOf('atur'),
  W_MODE = wordOf('mode'),
  W_CHAN = wordOf('chan');
const W_SESS = wordOf('sess'),
  W_CRAS = wordOf('cras');

function wordOf(s: string): number {
  return word(new TextEncoder().encode(s), 0);
}

function keyOf(b: Uint8Array, s: number, e: number): number {
  switch (e - s) {
    case 2:
      return b[s] === 0x74 && b[s + 1] === 0x73 ? K_TS : K_OTHER; // ts
    case 4:
      return word(b, s) === W_KIND ? K_KIND : K_OTHER;
    case 5:
      return word(b, s) === W_MODE && b[s + 4] === 0x6c ? K_MODEL : K_OTHER; // l
    case 6:
      return word(b, s) === W_DEVI && b[s + 4] === 0x63 && b[s + 5] === 0x65 ? K_DEVICE : K_OTHER; // ce
    case 7: {
      const w = word(b, s);
      if (w === W_VERS) return b[s + 4] === 0x69 && b[s + 5] === 0x6f && b[s + 6] === 0x6e ? K_VERSION : K_OTHER; // ion
      return w === W_CHAN && b[s + 4] === 0x6e && b[s + 5] === 0x65 && b[s + 6] === 0x6c ? K_CHANNEL : K_OTHER; // nel
    }
    case 9:
      return word(b, s) === W_SIGN && word(b, s + 4) === W_ATUR && b[s + 8] === 0x65 ? K_SIG : K_OTHER; // e
    default:
      return K_OTHER;
  }
}

function indexOfBytes(b: Uint8Array, s: number, e: number, names: readonly number[][]): number {
  for (let i = 0; i < names.length; i++) if (sliceEquals(b, s, e, names[i]!)) return i;
  return -1;
}

function kindOfBytes(b: Uint8Array, s: number, e: number): number {
  switch (e - s) {
    case 7:
      return word(b, s) === W_SESS && b[s + 4] === 0x69 && b[s + 5] === 0x6f && b[s + 6] === 0x6e ? KIND_SESSION : 0; // ion
    case 5:
      return word(b, s) === W_CRAS && b[s + 4] === 0x68 ? KIND_CRASH : 0; // h
    case 3:
      return b[s] === 0x61 && b[s + 1] === 0x6e && b[s + 2] === 0x72 ? KIND_ANR : 0; // anr
    default:
      return 0;
  }
}

function kindOfString(s: string): number {
  return s === 'session' ? KIND_SESSION : s === 'crash' ? KIND_CRASH : s === 'anr' ? KIND_ANR : 0;
}
