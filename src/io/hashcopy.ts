/**
 * Copy a build artifact into the release folder and hash it (docs/quality.md "hashing"), with memory
 * constant for any size (two read buffers).
 *
 * The fast path copies in the kernel (fs.copyFile: a reflink where the file system shares
 * extents, else copy_file_range/sendfile) in the thread pool while this thread hashes the source
 * through its own reads: the copy costs no user-space pass and runs beside the hash, so a cut
 * takes about as long as the hash alone. Where the kernel cannot copy, one user-space pass reads
 * each chunk once, writes it and hashes it. Either way the copy lands under a temporary name and
 * is renamed into place only when complete.
 *
 * A cut copies its artifacts several at once (`parallelCopies`: one per core, at least two), all
 * on this thread: the copies run in the kernel, and the hashes take turns on this thread between
 * reads. Measured on the 2-core build machine, 2026-11-30 (shared with other work, so noisy):
 * - `cut --skip-build` of 8 artifacts of 256 MiB, median of 5 alternated runs: one after another
 *   3.66 s, two at once 2.73 s, `xargs -P2` of openssl + cp 2.96 s;
 * - 4 files of 256 MiB in a bare script, three rounds: two at once on this thread 2.0–3.0 s, two
 *   worker threads each hashing one 2.3–2.7 s: no faster. The copy's writes bound the time and
 *   SHA-256 runs at 1.7 GB/s on one core, so worker threads bought nothing here and would cost a
 *   build entry and a second handle per artifact; they are the step to take where one thread's
 *   hash becomes the limit (many cores and reflinked copies).
 * The read buffers shrink as more artifacts are in flight, so memory stays the same whatever the
 * core count, and at most two kernel copies hold threads of libuv's pool (four by default), so the
 * hashing reads always find a free one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants, promises as fs, type BigIntStats } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname } from 'node:path';
import { writeAll } from '../client/files.js';
import { errnoCode, failure } from '../errors.js';

/** 8 MiB reads: large enough that the syscall and promise cost vanish, small enough for the caches. */
const CHUNK = 8 * 1024 * 1024;
/** All read buffers of the copies in flight together (two per copy) stay within this. */
const BUFFER_BUDGET = 32 * 1024 * 1024;
const MIN_CHUNK = 256 * 1024;
/** Kernel copies at once: each holds a thread of libuv's pool (4) for its whole length. */
const KERNEL_COPIES = 2;

/** How many artifacts a cut copies and hashes at once: one per core, at least two. */
export function parallelCopies(): number {
  return Math.max(2, availableParallelism());
}

/** The read size when `parallel` copies run at once: their buffers together within the budget. */
function chunkFor(parallel: number): number {
  const share = Math.floor(BUFFER_BUDGET / (2 * Math.max(1, parallel)));
  return Math.max(MIN_CHUNK, Math.min(CHUNK, share - (share % MIN_CHUNK)));
}

/**
 * Read buffers a finished copy hands to the next: freed buffers outside the heap go back to the
 * system only when the collector gets round to it, so eight copies each allocating their own
 * pushed the peak RSS of a cut of 8 artifacts of 256 MiB to 145 MB; reusing them, 89 MB (2 cores,
 * 2026-11-30). Only a copy that ended normally gives its buffers back (no read into them can still be pending).
 */
const spareBuffers: Buffer[] = [];

function takeBuffers(size: number): [Buffer, Buffer] {
  const take = () => {
    const i = spareBuffers.findIndex((b) => b.length === size);
    return i >= 0 ? spareBuffers.splice(i, 1)[0]! : Buffer.allocUnsafe(size);
  };
  return [take(), take()];
}

let kernelCopiesRunning = 0;
const kernelCopyQueue: (() => void)[] = [];

/** Run `copy` once fewer than KERNEL_COPIES are running. */
async function kernelCopySlot<T>(copy: () => Promise<T>): Promise<T> {
  if (kernelCopiesRunning >= KERNEL_COPIES) await new Promise<void>((go) => kernelCopyQueue.push(go));
  kernelCopiesRunning++;
  try {
    return await copy();
  } finally {
    kernelCopiesRunning--;
    kernelCopyQueue.shift()?.();
  }
}

export interface CopyResult {
  size: number;
  sha256: string;
}

export type Progress = (done: number, total: number) => void;

/** Errors that mean "this file system cannot copy in the kernel", not "the copy failed". */
const NO_KERNEL_COPY = new Set(['ENOSYS', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EINVAL']);

/** `parallel`: how many copies run at once (their read buffers shrink to share one budget). */
export async function copyAndHash(src: string, dest: string, onProgress?: Progress, parallel = 1): Promise<CopyResult> {
  const chunk = chunkFor(parallel);
  const tmp = `${dirname(dest)}/.${basename(dest)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const input = await fs.open(src, 'r');
  try {
    let result = await kernelCopyAndHash(input, src, tmp, chunk, onProgress);
    if (result === null) {
      await fs.rm(tmp, { force: true });
      result = await onePassCopyAndHash(input, tmp, chunk, onProgress);
    }
    // No fsync here: a killed process loses nothing the kernel already holds, and `stage`
    // re-hashes every artifact against build.json before anything is signed, which catches a
    // copy damaged by a power cut. Syncing a multi-GiB image would double the cut's time.
    await fs.rename(tmp, dest);
    return result;
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  } finally {
    await input.close();
  }
}

/**
 * The kernel copies `src` by path into `tmp` while we hash the source through `input`.
 *
 * Two readers of one file agree only if the file did not change between them, so the source is
 * checked before and after: the path must still name the inode we hold open (same dev and ino,
 * so the copy, which opened the path itself in between, read that inode too; only a deliberate
 * swap away and back could fool this), and that inode must show no
 * write (same size, mtime and ctime; every write, truncate or chmod moves ctime). This is enough
 * here, and a content comparison would cost the second pass the kernel copy exists to avoid:
 * - the build has finished before the cut copies, so nothing should be writing its output at
 *   all; the check catches a second build or a stray process writing the folder meanwhile;
 * - the one blind spot is the clock's grain: the kernel stamps times from a coarse clock (one
 *   tick, a few ms), so a write within the very tick of the last change before our first stat
 *   leaves the times as they were. That needs a writer still busy at the moment the cut starts;
 * - whatever slips through cannot be signed: `stage` re-hashes each release file against
 *   build.json before signing and refuses a mismatch.
 * The copy is our own temporary file (random name, created exclusively), so nothing else
 * writes it, and its size must equal the bytes hashed.
 */
async function kernelCopyAndHash(
  input: fs.FileHandle,
  src: string,
  tmp: string,
  chunk: number,
  onProgress?: Progress,
): Promise<CopyResult | null> {
  const before = await input.stat({ bigint: true });
  // COPYFILE_FICLONE asks for a reflink and falls back to an in-kernel copy where there is none.
  let copyError: unknown = null;
  const copying = kernelCopySlot(() => fs.copyFile(src, tmp, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE)).catch(
    (err: unknown) => void (copyError = err ?? new Error('copy failed')),
  );
  let hashed: CopyResult;
  try {
    hashed = await hashHandle(input, Number(before.size), chunk, onProgress, () => copyError !== null);
  } finally {
    await copying; // settled before anyone removes its file
  }
  if (copyError !== null) {
    if (NO_KERNEL_COPY.has(errnoCode(copyError) ?? '')) return null;
    throw copyError;
  }
  // copyFile gives the copy the source's mode; release files are plain readable files.
  await fs.chmod(tmp, 0o644);
  const [after, atPath, copy] = await Promise.all([
    input.stat({ bigint: true }),
    fs.stat(src, { bigint: true }),
    fs.stat(tmp, { bigint: true }),
  ]);
  if (!sameFile(before, after) || !sameFile(before, atPath) || BigInt(hashed.size) !== before.size || copy.size !== before.size) {
    throw failure(
      'E_ARTIFACT',
      `cut: ${src}: the file changed while it was copied`,
      'make sure nothing writes the build output during `friday cut`, then run again',
    );
  }
  return hashed;
}

function sameFile(a: BigIntStats, b: BigIntStats): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/** One user-space pass: each chunk is read once, then written while it is hashed and the next one read. */
async function onePassCopyAndHash(input: fs.FileHandle, tmp: string, chunk: number, onProgress?: Progress): Promise<CopyResult> {
  const output = await fs.open(tmp, 'wx', 0o644);
  try {
    const total = (await input.stat()).size;
    const hash = createHash('sha256');
    const [first, second] = takeBuffers(chunk);
    let current = first,
      next = second;
    let position = 0;
    let n = (await input.read(current, 0, chunk, 0)).bytesRead;
    while (n > 0) {
      const view = current.subarray(0, n);
      const writing = writeAll(output, view, position);
      const reading = input.read(next, 0, chunk, position + n);
      hash.update(view);
      // Both settle before either failure is reported, so no write outlives this function.
      const [w, r] = await Promise.allSettled([writing, reading]);
      if (w.status === 'rejected') throw w.reason;
      if (r.status === 'rejected') throw r.reason;
      position += n;
      n = r.value.bytesRead;
      [current, next] = [next, current];
      onProgress?.(position, total);
    }
    spareBuffers.push(current, next);
    return { size: position, sha256: hash.digest('hex') };
  } finally {
    await output.close();
  }
}

/** SHA-256 of an open file from its start: the next chunk is read while this one is hashed. */
async function hashHandle(
  h: fs.FileHandle,
  total: number,
  chunk: number,
  onProgress?: Progress,
  stop?: () => boolean,
): Promise<CopyResult> {
  const hash = createHash('sha256');
  const [first, second] = takeBuffers(chunk);
  let current = first,
    next = second;
  let size = 0;
  let n = (await h.read(current, 0, chunk, 0)).bytesRead;
  while (n > 0 && !stop?.()) {
    const reading = h.read(next, 0, chunk, size + n);
    hash.update(n === chunk ? current : current.subarray(0, n));
    size += n;
    n = (await reading).bytesRead;
    [current, next] = [next, current];
    onProgress?.(size, total);
  }
  spareBuffers.push(current, next);
  return { size, sha256: hash.digest('hex') };
}

/** SHA-256 and size of a file, read in large chunks (used to re-check a release before signing). */
export async function hashFile(path: string): Promise<CopyResult> {
  const h = await fs.open(path, 'r');
  try {
    return await hashHandle(h, 0, CHUNK);
  } finally {
    await h.close();
  }
}
