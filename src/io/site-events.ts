/**
 * A channel's audit log as the release page reads it (docs/site.md "The audit logs"): what
 * src/core/site/log.ts keeps of it. A year of `watch` checks is tens of thousands of lines (tens
 * of MB) of which the page needs only the time, the version, the verdict and the candidate's unit
 * counts. A watch line in the exact shape `watch` writes (src/workflow/watch.ts `watchEvent`:
 * `at`, `action`, `serial`, `version` first, `detail` opening with `verdict`, `candidate` with
 * `version`, `units`, `crashUnits`) gives those from its bytes, without decoding the line; it is
 * parsed in full only while it is among the checks a page lists. Any other line, or a watch line
 * in another shape, is parsed in full. A line that does not parse is skipped, as
 * src/io/channel.ts `readEvents` skips it.
 *
 * The log is only ever appended to, so what was read of it is kept between runs, outside the
 * publish root and the working tree (`<git-dir>/friday/site-<channel>.cache`), with how far it
 * reached and the identity of the bytes read; the next run reads only the lines appended since.
 * A log truncated, replaced or rewritten, a damaged cache or one of another format: the whole log
 * is read again.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { addCheck, addEvent, CHECKS_SHOWN, emptyLog, type ChannelLog, type Check, type CheckSeries } from '../core/site/log.js';
import type { SiteEvent } from '../core/site/model.js';
import { errnoCode } from '../errors.js';
import { eventsPath } from './channel.js';
import { fileIdentity, type FileIdentity } from './file-identity.js';
import { gitDir } from './git.js';
import type { Store } from './store.js';

export interface ReadLogOptions {
  /** The folder of the caches (siteCacheDir), or null: the whole log is read and nothing kept. */
  cacheDir: string | null;
  /** Writes the cache atomically; null (--dry-run): nothing written. */
  store: Store | null;
}

export interface ReadLog {
  log: ChannelLog;
  /** The byte the read started at: 0 when the whole log was read. */
  resumedFrom: number;
  /** Why a cache there was not used, when it was not. */
  reread: string | null;
}

/**
 * Where the page keeps what it read of each channel's log (`site-<channel>.cache`): in the git
 * directory, so neither the publish root (served to the world) nor `git status` sees it. Null
 * outside a repository: every run reads the whole logs.
 */
export async function siteCacheDir(root: string): Promise<string | null> {
  const dir = await gitDir(root);
  return dir === null ? null : join(dir, 'friday');
}

export async function readChannelLog(publishDir: string, channel: string, opts: ReadLogOptions): Promise<ReadLog> {
  const path = eventsPath(publishDir, channel);
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(path, 'r');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { log: emptyLog(), resumedFrom: 0, reread: null };
    throw err;
  }
  try {
    const size = (await fh.stat()).size;
    let log = emptyLog();
    let base = 0;
    let reread: string | null = null;
    const cachePath = opts.cacheDir === null ? null : join(opts.cacheDir, `site-${channel}.cache`);
    if (cachePath !== null) {
      const cached = await loadCache(cachePath, path, fh, size);
      if (typeof cached === 'string') reread = cached;
      else if (cached) {
        log = cached.log;
        base = cached.offset;
      }
    }
    // A reading from the start is a new origin: nothing read before is assumed of it.
    if (base === 0 && cachePath !== null) log.origin = randomBytes(8).toString('hex');
    const { end, tail } = await scanLog(fh, log, base, size);
    if (cachePath !== null && opts.store !== null && (end !== base || base === 0) && end > 0) {
      const text = encodeCache(log, await fileIdentity(fh, path, end));
      await keep(opts.store, cachePath, text);
    }
    // A last line without its newline may still be being written: read every time, never kept.
    if (tail) {
      const e = parseLine(tail.toString('utf8'));
      if (e) {
        addEvent(log, e);
        log.origin = null; // the line may still change, and this reading with it
      }
    }
    return { log, resumedFrom: base, reread };
  } finally {
    await fh.close();
  }
}

const CHUNK = 4 << 20;

/** Read [base, size) into `log`, a chunk at a time; returns where the last whole line ends and the bytes after it. */
async function scanLog(fh: fs.FileHandle, log: ChannelLog, base: number, size: number): Promise<{ end: number; tail: Buffer | null }> {
  let buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(1, size - base)));
  let have = 0; // bytes at the start of buf carried from the last chunk
  let pos = base; // file offset of buf[have]
  let end = base;
  while (pos < size) {
    if (have === buf.length) {
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, have);
      buf = bigger;
    }
    const { bytesRead } = await fh.read(buf, have, Math.min(buf.length - have, size - pos), pos);
    if (bytesRead === 0) break;
    pos += bytesRead;
    const filled = have + bytesRead;
    const last = buf.lastIndexOf(10, filled - 1);
    if (last === -1) {
      have = filled;
      continue;
    }
    new ChunkScan(buf, log).lines(0, last + 1);
    end = pos - (filled - last - 1);
    have = filled - last - 1;
    buf.copy(buf, 0, last + 1, filled);
  }
  return { end, tail: have > 0 ? Buffer.from(buf.subarray(0, have)) : null };
}

function parseLine(line: string): SiteEvent | null {
  if (!line.trim()) return null;
  try {
    const e = JSON.parse(line) as SiteEvent;
    return e && typeof e === 'object' && typeof e.at === 'string' && typeof e.action === 'string' ? e : null;
  } catch {
    return null; // a torn line from a crash: skipped
  }
}

const HEAD = Buffer.from('{"at":"');
const ACTION = Buffer.from('","action":"watch","serial":');
const VERSION = Buffer.from(',"version":"');
const VERDICT = Buffer.from('"detail":{"verdict":"');
const UNITS = Buffer.from('","units":');
const CRASH = Buffer.from(',"crashUnits":');
const CANDIDATE = Buffer.from('"candidate":{"version":"');

/**
 * The lines of one chunk into the log; every search stays inside the line. Versions and verdicts
 * repeat from line to line, so the last ones are reused rather than decoded again. The reason of a
 * check read from its bytes is parsed at the end of the chunk, for the checks still listed.
 */
class ChunkScan {
  private last: string[] = [];
  /** Checks read from their bytes whose reason is not read yet: where their line starts. */
  private pending = new Map<Check, number>();
  private touched = new Set<CheckSeries>();
  private found = new Map<Buffer, number>();

  constructor(
    private readonly buf: Buffer,
    private readonly log: ChannelLog,
  ) {}

  lines(from: number, to: number): void {
    for (let start = from; start < to;) {
      let end = this.buf.indexOf(10, start);
      if (end === -1 || end > to) end = to;
      if (!this.watch(start, end)) {
        const e = parseLine(this.buf.toString('utf8', start, end));
        if (e) addEvent(this.log, e);
      }
      start = end + 1;
    }
    this.resolve();
  }

  /** The reasons of the checks read from their bytes that a page still lists. */
  private resolve(): void {
    const read = (c: Check) => {
      const start = this.pending.get(c);
      if (start === undefined) return;
      const end = this.buf.indexOf(10, start);
      const e = parseLine(this.buf.toString('utf8', start, end));
      const d = e && typeof e.detail === 'object' && e.detail !== null ? (e.detail as { reason?: unknown }) : {};
      c.reason = typeof d.reason === 'string' ? d.reason : null;
      this.pending.delete(c);
    };
    for (const s of this.touched) for (const c of s.latest) read(c);
    if (this.log.lastCheck) read(this.log.lastCheck.check);
    this.pending.clear();
    this.touched.clear();
  }

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

  /** The next `token` from `from` inside the line (native search, forward only; -1 when it is not before `end`). */
  private find(token: Buffer, from: number, end: number): number {
    let pos = this.found.get(token);
    if (pos === undefined || (pos !== Infinity && pos < from)) {
      const i = this.buf.indexOf(token, from);
      pos = i === -1 ? Infinity : i;
      this.found.set(token, pos);
    }
    return pos + token.length <= end ? pos : -1;
  }

  private digitsEnd = 0;
  /** The whole number at `from` (its end in digitsEnd), or -1. */
  private digits(from: number, end: number): number {
    const b = this.buf;
    let n = 0;
    let i = from;
    for (; i < end && b[i]! >= 48 && b[i]! <= 57; i++) n = n * 10 + b[i]! - 48;
    this.digitsEnd = i;
    return i > from && i - from < 16 ? n : -1;
  }

  /** The end of the plain string (no escape) at `from`, at its closing quote, or -1. */
  private plain(from: number, end: number): number {
    const b = this.buf;
    for (let q = from; q < end; q++) {
      if (b[q] === 34) return q;
      if (b[q] === 92) return -1;
    }
    return -1;
  }

  /** The string [from, to), reusing the one in `slot` when it is the same. */
  private text(from: number, to: number, slot?: number): string {
    if (slot === undefined) return this.buf.toString('latin1', from, to);
    const prev = this.last[slot];
    if (prev !== undefined && prev.length === to - from && this.same(from, prev)) return prev;
    return (this.last[slot] = this.buf.toString('latin1', from, to));
  }

  /** A watch line in the shape `watch` writes, into the log; false for any other line. */
  private watch(start: number, end: number): boolean {
    if (!this.at(start, end, HEAD) || this.buf[end - 1] !== 125) return false;
    const t = start + HEAD.length;
    const tq = this.plain(t, end);
    if (tq === -1 || !this.at(tq, end, ACTION)) return false;
    if (this.digits(tq + ACTION.length, end) === -1 || !this.at(this.digitsEnd, end, VERSION)) return false;
    const v = this.digitsEnd + VERSION.length;
    const vq = this.plain(v, end);
    if (vq === -1) return false;
    const d = this.find(VERDICT, vq, end);
    if (d === -1) return false;
    const dq = this.plain(d + VERDICT.length, end);
    const c = dq === -1 ? -1 : this.find(CANDIDATE, dq, end);
    const cq = c === -1 ? -1 : this.plain(c + CANDIDATE.length, end);
    if (cq === -1 || !this.at(cq, end, UNITS)) return false;
    const units = this.digits(cq + UNITS.length, end);
    if (units === -1 || !this.at(this.digitsEnd, end, CRASH)) return false;
    const crashUnits = this.digits(this.digitsEnd + CRASH.length, end);
    if (crashUnits === -1) return false;
    const version = this.text(v, vq, 0);
    const check: Check = { at: this.text(t, tq), verdict: this.text(d + VERDICT.length, dq, 1), units, crashUnits, reason: null };
    addCheck(this.log, version, check);
    this.pending.set(check, start);
    this.touched.add(this.log.checks.get(version)!);
    return true;
  }
}

/** Which bytes of the log were read (io/file-identity.ts). */
type LogIdentity = FileIdentity;

/** The cache's format: a header line (this name, the SHA-256 of the rest), then the log as JSON. */
const FORMAT = `friday.site-cache/1:${CHECKS_SHOWN}`;

interface Payload {
  log: LogIdentity;
  origin: string | null;
  /** The lines but the checks, as they are in the log. */
  lines: string[];
  lastCheck: { version: string | null; check: Check } | null;
  /** Per version: count, at, ms (null for NaN), crashUnits, verdict, latest. */
  checks: [string, Omit<CheckSeries, 'ms'> & { ms: (number | null)[] }][];
}

function encodeCache(log: ChannelLog, id: LogIdentity): string {
  const payload: Payload = {
    log: id,
    origin: log.origin,
    lines: log.events.map((e) => JSON.stringify(e)),
    lastCheck: log.lastCheck,
    checks: [...log.checks],
  };
  const body = JSON.stringify(payload);
  return `${JSON.stringify({ format: FORMAT, sha256: createHash('sha256').update(body).digest('hex') })}\n${body}`;
}

/** The cached log when it may be carried on; null when there is none; a string saying why not. */
async function loadCache(
  cachePath: string,
  path: string,
  fh: fs.FileHandle,
  size: number,
): Promise<{ log: ChannelLog; offset: number } | string | null> {
  let text: string;
  try {
    text = await fs.readFile(cachePath, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    return `the cache cannot be read (${errnoCode(err) ?? String(err)})`;
  }
  let p: Payload;
  try {
    const nl = text.indexOf('\n');
    const header = JSON.parse(text.slice(0, nl)) as { format?: unknown; sha256?: unknown };
    if (header.format !== FORMAT) return 'the cache is of another format';
    const body = text.slice(nl + 1);
    if (createHash('sha256').update(body).digest('hex') !== header.sha256) return 'the cache is damaged';
    p = JSON.parse(body) as Payload;
  } catch {
    return 'the cache is damaged';
  }
  const was = p.log;
  if (was.path !== path) return 'the cache is of another log';
  if (size < was.offset) return 'the log is shorter than when it was read (truncated)';
  const now = await fileIdentity(fh, path, was.offset);
  if (now.dev !== was.dev || now.ino !== was.ino) return 'the log is another file than when it was read (replaced)';
  if (now.head !== was.head || now.tail !== was.tail) return 'the bytes read of the log changed (rewritten)';
  const log = emptyLog();
  for (const line of p.lines) {
    const e = parseLine(line);
    if (e) log.events.push(e);
  }
  for (const [version, s] of p.checks) log.checks.set(version, { ...s, ms: s.ms.map((m) => m ?? NaN) });
  log.lastCheck = p.lastCheck;
  log.origin = p.origin;
  return { log, offset: was.offset };
}

/** What was written of each release page: the hash of its inputs (src/core/site `releaseInputs`), and the file's size and time then. */
export interface PageMemo {
  [page: string]: { inputs: string; size: number; mtimeMs: number };
}

const PAGES = 'site-pages.cache';
const PAGES_FORMAT = 'friday.site-pages/1';

/** The memo of the last run's pages; empty when there is none or it cannot be read (every page is made again). */
export async function readPageMemo(cacheDir: string): Promise<PageMemo> {
  try {
    const m = JSON.parse(await fs.readFile(join(cacheDir, PAGES), 'utf8')) as { format?: unknown; pages?: unknown };
    return m.format === PAGES_FORMAT && m.pages && typeof m.pages === 'object' ? (m.pages as PageMemo) : {};
  } catch {
    return {};
  }
}

export async function writePageMemo(cacheDir: string, store: Store, pages: PageMemo): Promise<void> {
  await keep(store, join(cacheDir, PAGES), JSON.stringify({ format: PAGES_FORMAT, pages }));
}

/**
 * Write a cache file atomically. A cache only saves time: one that cannot be written (a read-only
 * git directory) is left out, and the next run reads everything again; the pages are still made.
 */
async function keep(store: Store, path: string, text: string): Promise<void> {
  try {
    await store.mkdir(dirname(path));
    await store.writeFile(path, text);
  } catch {
    // The cache there, if any, still describes what it describes: it is checked before each use.
  }
}
