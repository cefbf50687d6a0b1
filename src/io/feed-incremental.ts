/**
 * `watch` on a growing feed (docs/formats.md "Incremental checks"): the scanner's state after the
 * last whole line is kept between checks (io/feed-state.ts), and the next check reads only the
 * bytes appended since, plus the lines it kept as "in the future". Whenever the kept state may not
 * give the figures of a scan from scratch, the whole feed is read again and the reason said once.
 */
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import canonicalize from 'canonicalize';
import { MAX_LINE, R_TOO_LONG } from '../core/feed/parse.js';
import { FeedScanner, hasBom, type FeedQuery, type FeedScan } from '../core/feed/scan.js';
import type { FeedWindow } from '../core/feed/tally.js';
import { formatTime } from '../core/time.js';
import { errnoCode } from '../errors.js';
import { decodeScan, encodeScan, type SavedScan } from './feed-state.js';
import { fileIdentity } from './file-identity.js';
import { scanFeedRange, type ScanOptions } from './feed.js';
import { gitDir } from './git.js';
import type { Store } from './store.js';

const HOUR = 3_600_000;

export interface IncrementalOptions extends ScanOptions {
  /** The state file (watchStatePath), or null: nothing kept, every check reads the whole feed. */
  statePath: string | null;
  /** What decides the figures beside the query (the channel's health policy): changed, a full scan. */
  keyExtra?: unknown;
  /** Writes the state atomically; under --dry-run, nothing. */
  store: Store;
  /** Why a kept state could not be used: called once, before the full scan. */
  fullScan?: (reason: string) => void;
}

export interface IncrementalScan {
  scan: FeedScan;
  /** The byte the read started at: 0 for a full scan. */
  resumedFrom: number;
}

/**
 * Where `watch` keeps the state of `channel`'s feed: `<git-dir>/friday/`, outside the working
 * tree (git status stays clean) and the publish root. Null when the project is in no repository.
 */
export async function watchStatePath(root: string, channel: string): Promise<string | null> {
  const dir = await gitDir(root);
  return dir === null ? null : join(dir, 'friday', `watch-${channel}.state`);
}

/**
 * The query less what moves with the clock; each window's start is compared on its own
 * (`whyNot`). The recent and the stage's devices are found at result time from each device's
 * latest event (core/feed/tally.ts), so neither `recentFromMs` nor `stageFromMs` is in the key: a
 * rollout's new stage reads on from the kept state.
 */
export function queryKey(query: FeedQuery, extra: unknown): string {
  const { nowMs: _now, windows, ...rest } = query;
  const shape = windows.map(({ fromMs: _from, recentFromMs: _recent, stageFromMs: _stage, ...w }) => w);
  return canonicalize({ query: { ...rest, windows: shape }, extra: extra ?? null }) ?? '';
}

interface KeyParts {
  query: { windows: FeedWindow[]; devices?: string[]; channel?: string };
  extra: unknown;
}

/** What differs between two query keys, said for the user (one of them unreadable: the query). */
function keyChange(was: string, now: string): string {
  let a: KeyParts, b: KeyParts;
  try {
    a = JSON.parse(was) as KeyParts;
    b = JSON.parse(now) as KeyParts;
  } catch {
    return 'the query changed since the last check';
  }
  const same = (f: (k: KeyParts) => unknown) => JSON.stringify(f(a) ?? null) === JSON.stringify(f(b) ?? null);
  const fleet = (k: KeyParts) => k.query.windows?.filter((w) => w.model === undefined);
  if (!same((k) => fleet(k)?.map((w) => w.version))) return 'a new candidate or baseline since the last check';
  if (!same((k) => k.query.devices)) return 'the configured devices changed since the last check';
  if (!same((k) => fleet(k)?.map((w) => w.exceptModels))) return 'the models rolled back from the candidate changed since the last check';
  if (!same((k) => k.query.channel)) return 'the feed is read for another channel than at the last check';
  if (!same((k) => k.extra)) return 'the health policy changed since the last check';
  return 'the windows asked for changed since the last check';
}

/** Scan the feed at `path`, from where the last check stopped when its state allows. */
export async function scanFeedIncremental(path: string, query: FeedQuery, opts: IncrementalOptions): Promise<IncrementalScan> {
  const fh = await fs.open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const key = queryKey(query, opts.keyExtra);
    let scanner: FeedScanner | null = null;
    let base = 0;
    // A state that this check would write again as it is, but for its clock: left alone.
    let same = false;
    if (opts.statePath !== null) {
      const saved = await loadScan(opts.statePath);
      const why = typeof saved === 'string' ? saved : saved && (await whyNot(saved, fh, path, size, key, query));
      if (why) opts.fullScan?.(why);
      else if (saved && typeof saved !== 'string') {
        scanner = FeedScanner.resume(query, saved.scanner);
        base = saved.feed.offset;
        same = saved.scanner.future.length === 0 && query.windows.every((w, i) => w.fromMs === saved.fromMs[i]);
      }
    }
    scanner ??= new FeedScanner(query);
    // The state stops after the last newline: a last line still being written is read every time.
    const end = await lastLineEnd(fh, base, size);
    await scanFeedRange(fh, path, query, scanner, base, end, opts);
    const keep =
      opts.statePath !== null && !opts.store.dryRun && !(same && end === base)
        ? encodeScan({
            feed: await fileIdentity(fh, path, end),
            key,
            nowMs: query.nowMs,
            fromMs: query.windows.map((w) => w.fromMs),
            scanner: scanner.state(),
          })
        : null;
    await scanTail(fh, scanner, end, size);
    const scan = scanner.result();
    if (keep && opts.statePath) {
      await opts.store.mkdir(dirname(opts.statePath));
      await opts.store.writeFile(opts.statePath, keep);
    }
    return { scan, resumedFrom: base };
  } finally {
    await fh.close();
  }
}

/** The saved state; null when there is none; a string saying why it cannot be read. */
async function loadScan(path: string): Promise<SavedScan | string | null> {
  let data: Buffer;
  try {
    data = await fs.readFile(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    return `the saved state ${path} cannot be read (${(err as Error).message})`;
  }
  let saved: SavedScan | string;
  try {
    saved = decodeScan(data);
  } catch (err) {
    saved = (err as Error).message;
  }
  return typeof saved === 'string' ? `the saved state ${path} is damaged: ${saved}` : saved;
}

/** Why the saved state may not be carried on to this feed and query, or null when it may. */
async function whyNot(
  saved: SavedScan,
  fh: fs.FileHandle,
  path: string,
  size: number,
  key: string,
  query: FeedQuery,
): Promise<string | null> {
  const was = saved.feed;
  if (saved.key !== key) return keyChange(saved.key, key);
  if (query.nowMs < saved.nowMs)
    return `the clock (${formatTime(new Date(query.nowMs))}) is earlier than the last check's (${formatTime(new Date(saved.nowMs))})`;
  for (const [i, w] of query.windows.entries()) {
    const from = saved.fromMs[i]!;
    // A window may start later on an hour boundary (the baseline's, as the clock moves): whole hours drop.
    if (w.fromMs !== from && !(w.fromMs > from && w.fromMs % HOUR === 0))
      return `the window of ${w.version}${w.model === undefined ? '' : ` on ${w.model}`} starts at ${formatTime(new Date(w.fromMs))}, not at ${formatTime(new Date(from))} as at the last check`;
  }
  if (was.path !== path) return `the last check read another file (${was.path})`;
  if (size < was.offset) return `the feed is shorter than the ${was.offset} bytes read at the last check (truncated)`;
  const now = await fileIdentity(fh, path, was.offset);
  if (now.dev !== was.dev || now.ino !== was.ino) return 'the feed is another file than at the last check (replaced or rotated)';
  if (now.head !== was.head || now.tail !== was.tail) return 'the bytes read at the last check changed (the feed was rewritten)';
  if (saved.scanner.futureLost) return 'the last check found more lines dated in the future than it keeps';
  return null;
}

/** Just past the last newline in [base, size), or base when there is none. */
async function lastLineEnd(fh: fs.FileHandle, base: number, size: number): Promise<number> {
  const buf = Buffer.allocUnsafe(64 << 10);
  for (let stop = size; stop > base;) {
    const from = Math.max(base, stop - buf.length);
    const { bytesRead } = await fh.read(buf, 0, stop - from, from);
    const nl = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (nl >= 0) return from + nl + 1;
    stop = from;
  }
  return base;
}

/** The last line when it has no newline yet: counted as a scan from scratch counts it, never kept. */
async function scanTail(fh: fs.FileHandle, scanner: FeedScanner, end: number, size: number): Promise<void> {
  if (end >= size) return;
  scanner.bytes += size - end;
  let start = end;
  if (end === 0 && size >= 3) {
    const bom = Buffer.alloc(3);
    await fh.read(bom, 0, 3, 0);
    if (hasBom(bom)) start = 3;
  }
  const len = size - start;
  if (len > MAX_LINE) return scanner.reject(R_TOO_LONG);
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, start);
  scanner.line(buf, 0, bytesRead);
}
