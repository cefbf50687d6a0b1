/**
 * A channel's audit log as the release page reads it (docs/site.md): every line, but a year of
 * `watch` checks is tens of thousands of lines (tens of MB) of which the page needs only the
 * time, the version, the verdict and the candidate's unit counts. A watch line in the exact shape
 * `watch` writes (src/workflow/watch.ts `watchEvent`: `at`, `action`, `serial`, `version` first,
 * `detail` opening with `verdict`, `candidate` with `version`, `units`, `crashUnits`) gives those
 * from its bytes, without decoding the line; its whole `detail` is parsed only when a page shows
 * it. Any other line, or a watch line in another shape, is parsed in full. A line that does not
 * parse is skipped, as src/io/channel.ts `readEvents` skips it.
 */
import { promises as fs } from 'node:fs';
import { errnoCode } from '../errors.js';
import { eventsPath } from './channel.js';

export interface LoggedEvent {
  at: string;
  action: string;
  serial: number | null;
  version: string | null;
  detail: unknown;
  /** A watch line's figures, read without parsing the line. */
  watch?: { verdict: string; units: number; crashUnits: number };
}

const HEAD = Buffer.from('{"at":"');
const ACTION = Buffer.from('","action":"watch","serial":');
const VERSION = Buffer.from(',"version":"');
const VERDICT = Buffer.from('"detail":{"verdict":"');
const UNITS = Buffer.from('","units":');
const CRASH = Buffer.from(',"crashUnits":');
const CANDIDATE = Buffer.from('"candidate":{"version":"');

export async function readAuditLog(publishDir: string, channel: string): Promise<LoggedEvent[]> {
  let buf: Buffer;
  try {
    buf = await fs.readFile(eventsPath(publishDir, channel));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
  const out: LoggedEvent[] = [];
  const scan = new LineScan(buf);
  for (let start = 0; start < buf.length;) {
    let end = buf.indexOf(10, start);
    if (end === -1) end = buf.length;
    const e = scan.watch(start, end) ?? parseLine(buf.toString('utf8', start, end));
    if (e) out.push(e);
    start = end + 1;
  }
  return out;
}

function parseLine(line: string): LoggedEvent | null {
  if (!line.trim()) return null;
  try {
    const e = JSON.parse(line) as LoggedEvent;
    return e && typeof e === 'object' && typeof e.at === 'string' && typeof e.action === 'string' ? e : null;
  } catch {
    return null; // a torn line from a crash: skipped
  }
}

/** A watch line read from its bytes; `detail` parsed from them on first use. */
class WatchLine implements LoggedEvent {
  readonly action = 'watch';
  #detail: unknown;
  constructor(
    private readonly buf: Buffer,
    private readonly start: number,
    private readonly end: number,
    readonly at: string,
    readonly serial: number,
    readonly version: string,
    readonly watch: { verdict: string; units: number; crashUnits: number },
  ) {}
  get detail(): unknown {
    if (this.#detail === undefined)
      this.#detail = (parseLine(this.buf.toString('utf8', this.start, this.end)) as { detail?: unknown } | null)?.detail ?? null;
    return this.#detail;
  }
}

/**
 * The byte-level reading of one buffer's watch lines; every search stays inside the line. Versions
 * and verdicts repeat from line to line, so the last ones are reused rather than decoded again.
 */
class LineScan {
  private last = new Map<number, string>();
  constructor(private readonly buf: Buffer) {}

  /** `buf[from..]` holds the (latin1) characters of `s`. */
  private same(from: number, s: string): boolean {
    for (let i = 0; i < s.length; i++) if (this.buf[from + i] !== s.charCodeAt(i)) return false;
    return true;
  }

  /** `buf[from..]` starts with `token`. */
  private at(from: number, end: number, token: Buffer): boolean {
    if (from + token.length > end) return false;
    for (let i = 0; i < token.length; i++) if (this.buf[from + i] !== token[i]) return false;
    return true;
  }

  /** Where each token was last found: searches only move forward, so each byte is searched once per token. */
  private found = new Map<Buffer, number>();

  /** The next `token` from `from` inside the line (native search; -1 when it is not before `end`). */
  private find(token: Buffer, from: number, end: number): number {
    let pos = this.found.get(token);
    if (pos === undefined || (pos !== Infinity && pos < from)) {
      const i = this.buf.indexOf(token, from);
      pos = i === -1 ? Infinity : i;
      this.found.set(token, pos);
    }
    return pos + token.length <= end ? pos : -1;
  }

  private digits(from: number, end: number): [number, number] | null {
    const b = this.buf;
    let n = 0;
    let i = from;
    for (; i < end && b[i]! >= 48 && b[i]! <= 57; i++) n = n * 10 + b[i]! - 48;
    return i > from && i - from < 16 ? [n, i] : null;
  }

  /** The plain string (no escape) at `from` up to its closing quote; `slot` names a reusable one. */
  private plain(from: number, end: number, slot?: number): [string, number] | null {
    const b = this.buf;
    let q = from;
    for (; q < end && b[q] !== 34; q++) if (b[q] === 92) return null;
    if (q >= end) return null;
    if (slot === undefined) return [b.toString('latin1', from, q), q];
    const prev = this.last.get(slot);
    if (prev !== undefined && prev.length === q - from && this.same(from, prev)) return [prev, q];
    const s = b.toString('latin1', from, q);
    this.last.set(slot, s);
    return [s, q];
  }

  watch(start: number, end: number): LoggedEvent | null {
    if (!this.at(start, end, HEAD) || this.buf[end - 1] !== 125) return null;
    const time = this.plain(start + HEAD.length, end);
    if (!time || !this.at(time[1], end, ACTION)) return null;
    const serial = this.digits(time[1] + ACTION.length, end);
    if (!serial || !this.at(serial[1], end, VERSION)) return null;
    const version = this.plain(serial[1] + VERSION.length, end, 0);
    if (!version) return null;
    const v = this.find(VERDICT, version[1], end);
    const verdict = v === -1 ? null : this.plain(v + VERDICT.length, end, 1);
    const c = verdict ? this.find(CANDIDATE, verdict[1], end) : -1;
    const cv = c === -1 ? null : this.plain(c + CANDIDATE.length, end);
    if (!verdict || !cv || !this.at(cv[1], end, UNITS)) return null;
    const units = this.digits(cv[1] + UNITS.length, end);
    if (!units || !this.at(units[1], end, CRASH)) return null;
    const crash = this.digits(units[1] + CRASH.length, end);
    if (!crash) return null;
    return new WatchLine(this.buf, start, end, time[0], serial[0], version[0], {
      verdict: verdict[0],
      units: units[0],
      crashUnits: crash[0],
    });
  }
}
