/**
 * The crash-feed file, scanned (core/feed/scan.ts) in chunks of a megabyte read ahead of the
 * parse. On a large feed, when a core is free, a worker thread (feed-worker.ts) takes chunks of
 * the file alongside the main thread; the two scanners' states are merged, so the result is the
 * same as one pass.
 */
import { promises as fs } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { FeedScanner, hasBom, type FeedQuery, type FeedScan, type ScannerState } from '../core/feed/scan.js';
import { MAX_LINE, R_TOO_LONG } from '../core/feed/parse.js';
import { failure } from '../errors.js';

/**
 * A chunk of the feed (scanChunks): large enough that reads cost little, small enough that two
 * threads finish close together.
 */
const CHUNK = 1 << 20;
/** Read past each chunk: enough to finish its last line, nearly always. */
const LOOKAHEAD = 16 << 10;

interface ChunkOptions {
  /** Called with the bytes of each chunk done. */
  progress?: (bytes: number) => void;
  /** Called after each chunk: where the main thread decides whether to start a helper. */
  afterChunk?: () => void;
  /** A chunk this scanner takes first, whoever asks: kept out of `next` by the caller. */
  first?: number | undefined;
  /** Where the bytes to scan start (a line start): 0, or where an earlier check stopped. */
  base?: number | undefined;
}

/**
 * The feed is cut in chunks of CHUNK bytes, handed out one at a time to whichever scanner asks
 * first: `next` holds the index of the next chunk to give (shared between threads when a worker
 * helps). A scanner owns the lines that start in its chunk; a read takes LOOKAHEAD bytes past the
 * chunk, which nearly always finish its last line. So the work splits itself by how fast each
 * thread really runs, and a thread that gets no core leaves the chunks to the other.
 */
export async function scanChunks(
  fh: fs.FileHandle,
  total: number,
  next: Int32Array,
  scanner: FeedScanner,
  opts: ChunkOptions = {},
): Promise<void> {
  const base = opts.base ?? 0;
  const chunks = Math.ceil((total - base) / CHUNK);
  // A read is the byte before the chunk, the chunk and the lookahead; one byte more holds a
  // newline put after the data, which stops every search there.
  const bufs = [Buffer.allocUnsafe(CHUNK + LOOKAHEAD + 2), Buffer.allocUnsafe(CHUNK + LOOKAHEAD + 2)];
  let tail: Buffer | null = null;
  let first = opts.first;
  const claim = (into: Buffer) => {
    const k = first ?? Atomics.add(next, 0, 1);
    first = undefined;
    if (k >= chunks) return null;
    const start = base + k * CHUNK,
      end = Math.min(total, start + CHUNK);
    // From the byte before the chunk: a newline there means a line starts right at `start`.
    const from = start === base ? start : start - 1;
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
    if (cur.start === base) {
      pos = base === 0 && bytesRead >= 3 && hasBom(work) ? 3 : 0;
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
    opts.progress?.(cur.end - cur.start);
    opts.afterChunk?.();
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
   * Scan with this many threads (1 or 2). Given 2, a feed of more than one chunk is always shared
   * with the worker thread, which scans the first chunk. By default a feed of SPLIT_FROM bytes or
   * more gets a second thread if, over the first SAMPLE_MS of the scan, other work left a core free.
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

/**
 * The worker's own build entry (tsup.config.ts), at a fixed place beside the CLI's: this module
 * is built into a chunk at the root of dist/. A worker runs only built JavaScript, so run from
 * the sources (tests) this module still starts the build's worker, beside src/.
 */
const WORKER = new URL(import.meta.url.endsWith('.ts') ? '../../dist/io/feed-worker.js' : './io/feed-worker.js', import.meta.url);

/** Stream a feed file; a large one is scanned by two threads at once when a core is free. */
export async function scanFeedFile(path: string, query: FeedQuery, opts: ScanOptions = {}): Promise<FeedScan> {
  const fh = await fs.open(path, 'r');
  try {
    const scanner = new FeedScanner(query);
    await scanFeedRange(fh, path, query, scanner, 0, (await fh.stat()).size, opts);
    return scanner.result();
  } finally {
    await fh.close();
  }
}

/**
 * The lines of `fh` (the file at `path`) from `base` (a line start) to `total` into `scanner`,
 * which may hold what an earlier check counted: a helper thread's figures are merged into it.
 */
export async function scanFeedRange(
  fh: fs.FileHandle,
  path: string,
  query: FeedQuery,
  scanner: FeedScanner,
  base: number,
  total: number,
  opts: ScanOptions = {},
): Promise<void> {
  let done = 0;
  const progress = (n: number) => {
    done += n;
    opts.progress?.(done, total - base);
  };
  const auto = opts.parts === undefined;
  const parts = opts.parts ?? (total - base >= SPLIT_FROM && availableParallelism() > 1 ? 2 : 1);
  if (parts < 2 || total - base <= CHUNK) {
    await scanChunks(fh, total, new Int32Array(1), scanner, { progress, base });
    return;
  }
  await workerBuilt();
  const shared = new Int32Array(new SharedArrayBuffer(8)); // [next chunk, helper state]
  const job: WorkerJob = { path, total, base, shared: shared.buffer as SharedArrayBuffer, query };
  if (!auto) {
    // Two threads asked for: the helper always takes part, the first chunk being its own. Its
    // figures are always merged, so a helper that cannot run fails the scan.
    job.first = 0;
    shared[0] = 1;
  }
  let helper = auto ? null : startWorker(job, progress);
  let sample = auto ? cpuSample() : null;
  const decide = () => {
    if (sample === null || performance.now() - sample.at < SAMPLE_MS) return;
    if (spareCores(sample) >= FREE_CORE) helper = startWorker(job, progress);
    sample = null;
  };
  await scanChunks(fh, total, shared, scanner, { progress, base, afterChunk: decide });
  if (helper === null) return;
  // Done before a helper started on its own took a chunk (it may still be starting): it is not
  // waited for.
  if (auto && Atomics.compareExchange(shared, 1, HELPER_IDLE, HELPER_CANCELLED) === HELPER_IDLE) {
    helper.cancel();
    return;
  }
  scanner.merge(await helper.state);
}

/** A missing worker is a broken install: the scan stops rather than quietly use one thread. */
async function workerBuilt(): Promise<void> {
  const file = fileURLToPath(WORKER);
  try {
    await fs.access(file);
  } catch {
    throw failure(
      'E_INTERNAL',
      `feed scan: the worker thread's build is missing: ${file}`,
      'the installation is incomplete: reinstall friday, or run `npm run build` in its source folder',
    );
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

export const HELPER_IDLE = 0,
  HELPER_RUNNING = 1,
  HELPER_CANCELLED = 2;

export interface WorkerJob {
  path: string;
  total: number;
  /** Where the bytes to scan start (scanChunks `base`). */
  base: number;
  /** [next chunk, helper state]: see scanChunks; the helper moves its state from IDLE to RUNNING. */
  shared: SharedArrayBuffer;
  query: FeedQuery;
  /** The chunk the helper scans first, kept from the main thread (scanChunks `first`). */
  first?: number;
}

function startWorker(job: WorkerJob, progress: (n: number) => void): { state: Promise<ScannerState>; cancel: () => void } {
  let cancelled = false;
  let worker!: Worker;
  const state = new Promise<ScannerState>((resolve, reject) => {
    worker = new Worker(WORKER, { workerData: job });
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
