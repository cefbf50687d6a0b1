/**
 * The artifact download (docs/client.md): resumable, patient, visible, and checked before use.
 *
 * The bytes land in `<dir>/<file>.part`, with `<dir>/<file>.part.json` beside it recording what
 * they are (the signed url, size and SHA-256), where they came from and that source's validator
 * (ETag or Last-Modified), and how far they got. A later run for the same signed artifact resumes
 * with `Range` + `If-Range`; a server answering 200, a changed validator or a record for another
 * artifact starts from zero. Only when the size and SHA-256 match the signed ones is the `.part`
 * renamed to `<file>`. A `.part` that fails the hash is removed and the download starts over once;
 * a second failure removes it and refuses (E_HASH).
 *
 * No limit on a transfer's length, only on stalls (no byte for the stall timeout) and on
 * attempts: up to `retries` failed requests in a row, each after an exponential backoff with
 * jitter (1 s, 2 s, 4 s… capped at 60 s), each resuming; a request that brought bytes resets the
 * count. Mirrors are tried in turn; one that refuses outright (404, a wrong size) is dropped.
 *
 * Memory: bytes go to disk in writes of 256 KiB, one in flight while the next gathers, so at most
 * 1 MiB is held whatever the image's size (WRITE_BYTES below).
 *
 * The image is not fsynced before the rename (the record and the state file are). On this VM's
 * disk, 1 GiB written with fdatasync took 5.2 s against 2.3 s without (dd, 2026-11-30), and
 * `curl -o` does not sync either. A crash can only lose bytes of a file whose name says it was
 * verified, and nothing trusts that name across runs: a file already in the folder is hashed
 * again before `pull` reports it downloaded.
 */
import { createHash, type Hash } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClientError } from './errors.js';
import { RateMeter, type OnEvent } from './events.js';
import { kindOf, writeAll } from './files.js';
import { get, MAX_CHUNK_BYTES, statusFailure, TransferError, type Sink } from './http.js';
import { acquireLock, type Lock } from './lock.js';
import type { ManifestArtifact } from './manifest.js';
import { DEFAULT_STALL_MS, locate, type Source } from './source.js';
import { fsyncDir, writeFileAtomic } from './state.js';

export const DEFAULT_RETRIES = 5;
const BACKOFF_FIRST_MS = 1_000;
const BACKOFF_CAP_MS = 60_000;
// Memory (docs/client.md: at most 1 MiB held before it is written): the buffer being filled and the one
// being written (WRITE_BYTES each), the read buffer the bytes arrive in, and the spill buffer for
// the part of a chunk that did not fit (CHUNK_BYTES each, the largest read): 4 × 256 KiB.
const WRITE_BYTES = 256 * 1024;
const CHUNK_BYTES = MAX_CHUNK_BYTES; // folder reads take no more than a socket's
const READ_BYTES = 1024 * 1024;
const RECORD_TYPE = 'friday.download/v1';

export interface DownloadOptions {
  /** No byte for this long (ms) is a stall: the request is dropped and retried. Default 30 s. */
  stallTimeoutMs?: number;
  /** Failed requests in a row before giving up (E_FETCH, the `.part` kept). Default 5. */
  retries?: number;
  /** Stops the download (E_INTERRUPTED); the `.part` and its record stay for the next run. */
  signal?: AbortSignal;
  onEvent?: OnEvent;
}

export interface Downloaded {
  /** The verified file, `<dir>/<file>`. */
  path: string;
  /** Requests made for the artifact (0 when a verified copy was already there). */
  attempts: number;
  /** The offset of the last request that resumed, 0 if none did. */
  resumedFrom: number;
}

/** A verified `.part`, not yet in place: `commit` renames it to its name, `discard` removes it. */
export interface Prepared extends Downloaded {
  commit(): Promise<void>;
  discard(): Promise<void>;
}

/** The `.part`'s record (`<file>.part.json`). */
interface PartRecord {
  type: typeof RECORD_TYPE;
  /** The signed url, size and SHA-256 the bytes are for. */
  url: string;
  size: number;
  sha256: string;
  /** Where the last bytes came from (a URL or a path), and its validator then. */
  from: string | null;
  etag: string | null;
  lastModified: string | null;
  /** Bytes in the `.part` when the record was written. */
  offset: number;
}

/** A refusal of what a source sent (E_SIZE): that source is done, and the bytes are not kept. */
const isRefusal = (err: unknown): err is ClientError => err instanceof ClientError && (err.code === 'E_SIZE' || err.code === 'E_HASH');

function interrupted(file: string): ClientError {
  return new ClientError('E_INTERRUPTED', `${file}: download interrupted; the .part is kept and the next pull resumes it`);
}

function ioError(path: string, what: string, err: unknown): ClientError {
  return new ClientError('E_IO', `${path}: cannot ${what} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
}

/** Exponential, capped, with "equal jitter" (half fixed, half random): clients that failed together do not retry together. */
function backoffMs(failures: number, retryAfterMs: number | undefined): number {
  const base = Math.min(BACKOFF_CAP_MS, BACKOFF_FIRST_MS * 2 ** (failures - 1));
  const jittered = base / 2 + Math.random() * (base / 2);
  return Math.min(BACKOFF_CAP_MS, Math.max(jittered, retryAfterMs ?? 0));
}

/** A strong ETag (If-Range cannot use a weak one, RFC 9110 13.1.5). */
const strongEtag = (v: string | undefined): string | null => (v && !v.startsWith('W/') ? v : null);

function parseRecord(text: string): PartRecord | null {
  try {
    const r = JSON.parse(text) as Partial<PartRecord>;
    const str = (v: unknown) => v === null || typeof v === 'string';
    if (
      r.type === RECORD_TYPE &&
      typeof r.url === 'string' &&
      Number.isSafeInteger(r.size) &&
      typeof r.sha256 === 'string' &&
      str(r.from) &&
      str(r.etag) &&
      str(r.lastModified) &&
      Number.isSafeInteger(r.offset)
    )
      return r as PartRecord;
  } catch {
    // not a record: discarded like one for another artifact
  }
  return null;
}

/** Hash `length` bytes of `h` from its start, reading the next chunk while this one is hashed. */
async function hashFile(
  h: fs.FileHandle,
  length: number,
  hash: Hash,
  signal: AbortSignal | undefined,
  tick: (done: number) => void,
): Promise<void> {
  let current = Buffer.allocUnsafe(READ_BYTES);
  let next = Buffer.allocUnsafe(READ_BYTES);
  let done = 0;
  let n = length > 0 ? (await h.read(current, 0, Math.min(READ_BYTES, length), 0)).bytesRead : 0;
  while (n > 0) {
    if (signal?.aborted) return;
    const reading = done + n < length ? h.read(next, 0, Math.min(READ_BYTES, length - done - n), done + n) : null;
    hash.update(current.subarray(0, n));
    done += n;
    tick(done);
    n = reading ? (await reading).bytesRead : 0;
    [current, next] = [next, current];
  }
  if (done !== length) throw new Error(`read ${done} of ${length} bytes`);
}

/** Whether `path` is already the verified artifact (a regular file of the signed size and SHA-256). */
async function alreadyThere(path: string, a: ManifestArtifact, opts: DownloadOptions): Promise<boolean> {
  let h: fs.FileHandle;
  try {
    const st = await fs.lstat(path);
    if (!st.isFile() || st.size !== a.size) return false;
    h = await fs.open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return false;
  }
  try {
    const hash = createHash('sha256');
    const meter = new RateMeter();
    await hashFile(h, a.size, hash, opts.signal, (done) =>
      opts.onEvent?.({ type: 'progress', file: a.file, phase: 'check', done, total: a.size, bytesPerSecond: meter.add(done) }),
    );
    if (opts.signal?.aborted) throw interrupted(a.file);
    return hash.digest('hex') === a.sha256;
  } catch (err) {
    if (err instanceof ClientError) throw err;
    return false;
  } finally {
    await h.close();
  }
}

/** What a source answered for one request: where the body starts, and the body. */
interface Opened {
  from: string;
  etag: string | null;
  lastModified: string | null;
  /** 0 (the whole file) or the offset asked for (resumed). */
  start: number;
  /** Hand the body to `sink` chunk by chunk (each lent for the call only), waiting whenever it returns a promise. */
  pump(sink: Sink): Promise<void>;
  /** The body's end is marked, so ending short is the source's whole answer (E_SIZE), not a broken link. */
  endMarked: boolean;
  encoding: string | null;
}

function tooLarge(from: string, a: ManifestArtifact): ClientError {
  return new ClientError('E_SIZE', `${from}: larger than the signed size ${a.size}`);
}
function truncated(from: string, got: number, a: ManifestArtifact): ClientError {
  return new ClientError('E_SIZE', `${from}: ${got} bytes, the signed size is ${a.size} (truncated)`);
}

async function openHttp(
  source: Source,
  a: ManifestArtifact,
  offset: number,
  rec: PartRecord | null,
  stallMs: number,
  signal?: AbortSignal,
): Promise<Opened> {
  const from = locate(source, a.url);
  const headers: Record<string, string> = {};
  const sameSource = rec?.from === from;
  if (offset > 0) {
    headers.range = `bytes=${offset}-`;
    // The validator is this source's; bytes from another mirror are checked by the hash alone.
    const validator = sameSource ? (rec.etag ?? rec.lastModified) : null;
    if (validator) headers['if-range'] = validator;
  }
  const opts = { headers, stallMs, ...(signal ? { signal } : {}) };
  const got = await get(new URL(from), opts);
  const etag = strongEtag(got.headers.get('etag'));
  const lastModified = got.headers.get('last-modified') ?? null;
  const declared = got.headers.get('content-length');
  const length = declared === undefined ? null : Number(declared);
  const encoding = got.headers.get('content-encoding') ?? null;
  const opened = (start: number): Opened => ({
    from,
    etag,
    lastModified,
    start,
    pump: (sink) => got.read(sink),
    endMarked: got.endMarked,
    encoding,
  });
  if (got.status === 200) {
    if (length !== null && length > a.size) {
      got.close();
      throw tooLarge(from, a);
    }
    if (length !== null && length < a.size) {
      got.close();
      throw truncated(from, length, a);
    }
    return opened(0);
  }
  if (got.status === 206 && offset > 0) {
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(got.headers.get('content-range') ?? '');
    const fits =
      range && Number(range[1]) === offset && Number(range[2]) === a.size - 1 && (range[3] === '*' || Number(range[3]) === a.size);
    // A server that answers a conditional range with another version's bytes breaks If-Range; the
    // hash would catch it, but starting over now saves fetching the rest for nothing.
    const changed =
      sameSource &&
      ((rec.etag && etag && rec.etag !== etag) || (!rec.etag && rec.lastModified && lastModified && rec.lastModified !== lastModified));
    if (!fits || changed) {
      got.close();
      throw new RestartNeeded(
        !fits
          ? `${from}: the server sent another range (${got.headers.get('content-range') ?? 'no Content-Range'})`
          : `${from}: the file changed on the server`,
      );
    }
    return opened(offset);
  }
  if (got.status === 416) {
    got.close();
    throw new RestartNeeded(`${from}: the server cannot send from byte ${offset} (HTTP 416)`);
  }
  throw statusFailure(got);
}

async function openDir(source: Source, a: ManifestArtifact, offset: number, rec: PartRecord | null, signal?: AbortSignal): Promise<Opened> {
  const from = locate(source, a.url);
  let h: fs.FileHandle;
  try {
    // Without O_NONBLOCK, opening a FIFO that nobody writes to waits forever.
    h = await fs.open(from, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    const gone = ['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'ELOOP', 'EISDIR'].includes(code);
    throw new TransferError(`${from}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code})`}`, !gone);
  }
  try {
    const st = await h.stat();
    if (!st.isFile()) throw new TransferError(`${from}: not a regular file (${kindOf(st)})`, false);
    if (st.size > a.size) throw tooLarge(from, a);
    if (st.size < a.size) throw truncated(from, st.size, a);
  } catch (err) {
    await h.close();
    throw err;
  }
  const lastModified = (await h.stat()).mtime.toISOString();
  const start = offset > 0 && (rec?.from !== from || rec.lastModified === lastModified) ? offset : 0;
  const pump = async (sink: Sink) => {
    // One buffer for every read: the sink copies what it keeps.
    const buf = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, Math.max(1, a.size - start)));
    try {
      for (let at = start; at < a.size;) {
        if (signal?.aborted) return;
        let n: number;
        try {
          n = (await h.read(buf, 0, Math.min(buf.length, a.size - at), at)).bytesRead;
        } catch (err) {
          throw new TransferError(`${from}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, true);
        }
        if (n === 0) throw truncated(from, at, a); // it shrank while read
        at += n;
        await sink(buf.subarray(0, n));
      }
    } finally {
      await h.close();
    }
  };
  return { from, etag: null, lastModified, start, pump, endMarked: true, encoding: null };
}

/** The answer did not fit what was on disk: drop the `.part` and ask again from zero. */
class RestartNeeded extends Error {}

/**
 * Fetch and verify the artifact into `<dir>/<file>.part`, leaving the rename to `commit` (pull.ts
 * renames under the state lock, once the serial is compared again). `sources` are tried in
 * order, the first being the one whose manifest was accepted.
 */
export async function prepareArtifact(sources: Source[], a: ManifestArtifact, dir: string, opts: DownloadOptions = {}): Promise<Prepared> {
  const target = resolve(dir);
  const final = join(target, a.file);
  const part = `${final}.part`;
  const recordPath = `${final}.part.json`;
  const { signal, onEvent } = opts;
  const stallMs = opts.stallTimeoutMs ?? DEFAULT_STALL_MS;
  const retries = opts.retries ?? DEFAULT_RETRIES;
  if (signal?.aborted) throw interrupted(a.file);

  if (await alreadyThere(final, a, opts)) {
    const noop = async () => {};
    return { path: final, attempts: 0, resumedFrom: 0, commit: noop, discard: noop };
  }

  let created: string | undefined;
  try {
    created = await fs.mkdir(target, { recursive: true });
  } catch (err) {
    throw ioError(target, 'create the download folder', err);
  }
  let lock: Lock;
  try {
    lock = await acquireLock(`${part}.lock`, { what: `${final}: the download`, waitMs: 0, ...(signal ? { signal } : {}) });
  } catch (err) {
    if (created) await fs.rm(created, { recursive: true, force: true });
    throw err instanceof ClientError ? err : ioError(target, 'write in the download folder', err);
  }

  let h: fs.FileHandle | null = null;
  const removeAll = async () => {
    await h?.close().catch(() => {});
    h = null;
    await fs.rm(part, { force: true });
    await fs.rm(recordPath, { force: true });
  };
  /** After a failure: keep a `.part` that holds bytes to resume from, unless they were refused; else leave the folder as it was. */
  const leave = async (refused: boolean) => {
    await h?.close().catch(() => {});
    h = null;
    const size = await fs.stat(part).then(
      (st) => st.size,
      () => 0,
    );
    const keep = !refused && size > 0;
    if (!keep) await removeAll();
    await lock.release();
    if (created && !keep) await fs.rm(created, { recursive: true, force: true });
  };

  let attempts = 0;
  let resumedFrom = 0;
  try {
    const opened = await openPart(part, recordPath, a, await readRecord(recordPath));
    h = opened.h;
    let { offset, rec } = opened;
    for (let round = 0; ; round++) {
      const hash = createHash('sha256');
      if (offset > 0) {
        const meter = new RateMeter();
        await hashFile(h, offset, hash, signal, (done) =>
          onEvent?.({ type: 'progress', file: a.file, phase: 'check', done, total: a.size, bytesPerSecond: meter.add(done) }),
        );
        if (signal?.aborted) throw interrupted(a.file);
      }
      // A second round starts with another mirror, in case the first served the wrong bytes.
      const order = round === 0 || sources.length === 1 ? sources : [...sources.slice(1), sources[0]!];
      const fetched = await fetchRest({
        sources: order,
        a,
        h,
        hash,
        offset,
        rec,
        recordPath,
        stallMs,
        retries,
        ...(signal ? { signal } : {}),
        ...(onEvent ? { onEvent } : {}),
      });
      attempts += fetched.attempts;
      if (fetched.resumedFrom > 0) resumedFrom = fetched.resumedFrom;
      if (fetched.digest === a.sha256) break;
      const encoded = fetched.encoding
        ? `; it was sent with Content-Encoding ${fetched.encoding}, and the signed bytes are what a server must send`
        : '';
      const why = `${fetched.from}: SHA-256 ${fetched.digest}, the signed one is ${a.sha256} (altered${encoded})`;
      await removeAll();
      if (round === 1) throw new ClientError('E_HASH', why);
      onEvent?.({ type: 'restart', file: a.file, reason: why });
      ({ h, offset, rec } = await openPart(part, recordPath, a, null));
    }
    await h.close();
    h = null;
  } catch (err) {
    await leave(isRefusal(err)).catch(() => {});
    if (signal?.aborted) throw interrupted(a.file);
    if (err instanceof ClientError) throw err;
    throw ioError(part, 'write the download', err);
  }

  let settled = false;
  return {
    path: final,
    attempts,
    resumedFrom,
    commit: async () => {
      if (settled) return;
      settled = true;
      try {
        await fs.rename(part, final);
        await fs.rm(recordPath, { force: true });
        await fsyncDir(target);
      } catch (err) {
        throw ioError(final, 'move the download into place', err);
      } finally {
        await lock.release();
      }
    },
    discard: async () => {
      if (settled) return;
      settled = true;
      await fs.rm(part, { force: true });
      await fs.rm(recordPath, { force: true });
      await lock.release();
      if (created) await fs.rm(created, { recursive: true, force: true });
    },
  };
}

/** Fetch, verify and move the artifact into `<dir>/<file>`. */
export async function downloadArtifact(
  sources: Source[],
  a: ManifestArtifact,
  dir: string,
  opts: DownloadOptions = {},
): Promise<Downloaded> {
  const p = await prepareArtifact(sources, a, dir, opts);
  try {
    await p.commit();
  } catch (err) {
    await p.discard();
    throw err;
  }
  return { path: p.path, attempts: p.attempts, resumedFrom: p.resumedFrom };
}

async function readRecord(path: string): Promise<PartRecord | null> {
  try {
    const st = await fs.lstat(path);
    if (!st.isFile() || st.size > 64 * 1024) return null;
    return parseRecord(await fs.readFile(path, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Open the `.part` for this artifact: kept (its size is the offset) only when its record names
 * the same signed url, size and SHA-256; anything else is removed and the `.part` starts empty.
 */
async function openPart(
  part: string,
  recordPath: string,
  a: ManifestArtifact,
  rec: PartRecord | null,
): Promise<{ h: fs.FileHandle; offset: number; rec: PartRecord | null }> {
  let keep = rec !== null && rec.url === a.url && rec.size === a.size && rec.sha256 === a.sha256;
  try {
    const st = await fs.lstat(part);
    if (st.isDirectory()) throw new ClientError('E_IO', `${part}: is a folder; remove it and run again`);
    if (!st.isFile() || st.size > a.size) keep = false;
    if (!keep) await fs.rm(part, { force: true });
  } catch (err) {
    if (err instanceof ClientError) throw err;
    keep = false; // no .part
  }
  if (!keep) await fs.rm(recordPath, { force: true });
  let h: fs.FileHandle;
  try {
    h = await fs.open(part, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
  } catch (err) {
    throw ioError(part, 'open', err);
  }
  const offset = keep ? (await h.stat()).size : 0;
  return { h, offset, rec: offset > 0 ? rec : null };
}

interface FetchJob {
  sources: Source[];
  a: ManifestArtifact;
  h: fs.FileHandle;
  /** The SHA-256 of the `offset` bytes already in the `.part`. */
  hash: Hash;
  offset: number;
  rec: PartRecord | null;
  recordPath: string;
  stallMs: number;
  retries: number;
  signal?: AbortSignal;
  onEvent?: OnEvent;
}

/**
 * Requests until the `.part` holds `size` bytes, hashing them as they arrive. Returns their
 * digest, where the last bytes came from and the attempts made; throws E_FETCH when retries are
 * exhausted or every source failed, E_SIZE when the last source standing sent the wrong size.
 */
async function fetchRest(
  job: FetchJob,
): Promise<{ digest: string; attempts: number; resumedFrom: number; from: string; encoding: string | null }> {
  const { a, h, signal, onEvent } = job;
  const live = [...job.sources];
  let { offset, rec, hash } = job;
  let attempts = 0;
  let resumedFrom = 0;
  let failures = 0;
  const resumeFrom = rec?.from;
  let turn = resumeFrom
    ? Math.max(
        0,
        live.findIndex((s) => locate(s, a.url) === resumeFrom),
      )
    : 0;
  let from = resumeFrom ?? locate(live[0]!, a.url);
  let encoding: string | null = null;
  let refusal: ClientError | null = null;
  const meter = new RateMeter();
  const buffers = [Buffer.allocUnsafe(WRITE_BYTES), Buffer.allocUnsafe(WRITE_BYTES)];
  const spill = Buffer.allocUnsafe(CHUNK_BYTES);
  const progress = () =>
    onEvent?.({ type: 'progress', file: a.file, phase: 'download', done: offset, total: a.size, bytesPerSecond: meter.add(offset) });
  const saveRecord = async (r: PartRecord) => {
    try {
      await writeFileAtomic(job.recordPath, JSON.stringify(r) + '\n');
    } catch (err) {
      throw ioError(job.recordPath, 'write', err);
    }
  };
  const startOver = async () => {
    await h.truncate(0);
    offset = 0;
    hash = createHash('sha256');
    meter.reset();
  };

  while (offset < a.size) {
    if (signal?.aborted) throw interrupted(a.file);
    const source = live[turn % live.length]!;
    const here = locate(source, a.url);
    attempts++;
    onEvent?.({ type: 'download', file: a.file, from: here, offset, size: a.size, attempt: attempts });
    let received = 0;
    // Received bytes are copied into one of two buffers; when it is full it goes to a write, once
    // the write of the other one is done, and filling goes on in the other. `offset` counts every
    // byte handed to a write; a write that fails truncates the .part back to where it started.
    let cur = 0;
    let fill = 0;
    let writing: Promise<void> | null = null;
    const flush = async () => {
      if (writing) await writing;
      writing = null;
      if (fill === 0) return;
      const data = buffers[cur]!.subarray(0, fill);
      const at = offset;
      offset += fill;
      cur ^= 1;
      fill = 0;
      writing = writeAll(h, data, at).catch(async (err: unknown) => {
        await h.truncate(at).catch(() => {});
        offset = at;
        throw ioError(job.recordPath.slice(0, -'.json'.length), 'write', err);
      });
    };
    const drain = async () => {
      await flush();
      await flush();
    };
    try {
      const opened =
        source.kind === 'http'
          ? await openHttp(source, a, offset, rec, job.stallMs, signal)
          : await openDir(source, a, offset, rec, signal);
      from = opened.from;
      encoding = opened.encoding && opened.encoding.toLowerCase() !== 'identity' ? opened.encoding : null;
      if (opened.start === 0 && offset > 0) {
        onEvent?.({ type: 'restart', file: a.file, reason: `${opened.from}: sent the whole file, not the rest` });
        await startOver();
      }
      if (opened.start > 0) resumedFrom = opened.start;
      meter.add(offset); // the rate counts from here
      rec = {
        type: RECORD_TYPE,
        url: a.url,
        size: a.size,
        sha256: a.sha256,
        from: opened.from,
        etag: opened.etag,
        lastModified: opened.lastModified,
        offset,
      };
      await saveRecord(rec);
      await opened.pump((chunk) => {
        if (offset + fill + chunk.length > a.size) throw tooLarge(opened.from, a);
        hash.update(chunk);
        received += chunk.length;
        const room = WRITE_BYTES - fill;
        if (chunk.length <= room) {
          chunk.copy(buffers[cur]!, fill);
          fill += chunk.length;
          return undefined;
        }
        // The buffer is full: it goes to a write once the other one's is done. The chunk is lent
        // for this call only, so what does not fit waits in the spill buffer meanwhile.
        chunk.copy(buffers[cur]!, fill, 0, room);
        fill = WRITE_BYTES;
        if (chunk.length - room > spill.length) throw new Error(`a chunk of ${chunk.length} bytes, over ${spill.length}`);
        const spilled = chunk.copy(spill, 0, room);
        return flush().then(() => {
          fill = spill.copy(buffers[cur]!, 0, 0, spilled);
          progress();
        });
      });
      await drain();
      if (signal?.aborted) throw interrupted(a.file);
      progress();
      if (offset < a.size) {
        if (opened.endMarked) throw truncated(opened.from, offset, a);
        throw new TransferError(`${opened.from}: the connection closed at byte ${offset} of ${a.size}`, true);
      }
      await saveRecord({ ...rec, offset });
    } catch (err) {
      // Whatever arrived is good so far (the hash decides at the end): write it, note how far it got.
      await drain();
      if (rec) await saveRecord({ ...rec, offset });
      if (signal?.aborted) throw interrupted(a.file);
      if (err instanceof RestartNeeded) {
        onEvent?.({ type: 'restart', file: a.file, reason: err.message });
        await startOver();
        rec = null;
        if (++failures > job.retries) throw new ClientError('E_FETCH', `${err.message}; gave up after ${attempts} requests`);
        continue;
      }
      if (isRefusal(err) || (err instanceof TransferError && !err.transient)) {
        // This source will not do; the others may.
        if (isRefusal(err)) refusal = err;
        live.splice(turn % live.length, 1);
        if (live.length === 0) throw refusal ?? new ClientError('E_FETCH', err.message);
        onEvent?.({ type: 'source', source: here, problem: err.message });
        continue;
      }
      if (!(err instanceof TransferError)) throw err;
      if (received > 0) failures = 0;
      if (++failures > job.retries)
        throw new ClientError('E_FETCH', `${err.message}; gave up after ${attempts} request${attempts === 1 ? '' : 's'}`);
      const delayMs = backoffMs(failures, err.retryAfterMs);
      onEvent?.({ type: 'retry', file: a.file, attempt: attempts, delayMs, reason: err.message });
      try {
        await sleep(delayMs, undefined, signal ? { signal } : {});
      } catch {
        throw interrupted(a.file);
      }
      turn++;
    }
  }
  return { digest: hash.digest('hex'), attempts, resumedFrom, from, encoding };
}
