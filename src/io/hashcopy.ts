/**
 * Copy a build artifact into the release folder and hash it (quality.md "hashing"), with memory
 * constant for any size (two read buffers).
 *
 * The fast path copies in the kernel (fs.copyFile: a reflink where the file system shares
 * extents, else copy_file_range/sendfile) in the thread pool while this thread hashes the source
 * through its own reads: the copy costs no user-space pass and runs beside the hash, so a cut
 * takes about as long as the hash alone. Where the kernel cannot copy, one user-space pass reads
 * each chunk once, writes it and hashes it. Either way the copy lands under a temporary name and
 * is renamed into place only when complete.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants, promises as fs, type BigIntStats } from 'node:fs';
import { basename, dirname } from 'node:path';
import { errnoCode, failure } from '../errors.js';

/** 8 MiB reads: large enough that the syscall and promise cost vanish, small enough for the caches. */
const CHUNK = 8 * 1024 * 1024;

export interface CopyResult {
  size: number;
  sha256: string;
}

export type Progress = (done: number, total: number) => void;

/** Errors that mean "this file system cannot copy in the kernel", not "the copy failed". */
const NO_KERNEL_COPY = new Set(['ENOSYS', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EINVAL']);

export async function copyAndHash(src: string, dest: string, onProgress?: Progress): Promise<CopyResult> {
  const tmp = `${dirname(dest)}/.${basename(dest)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const input = await fs.open(src, 'r');
  try {
    let result = await kernelCopyAndHash(input, src, tmp, onProgress);
    if (result === null) {
      await fs.rm(tmp, { force: true });
      result = await onePassCopyAndHash(input, tmp, onProgress);
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
async function kernelCopyAndHash(input: fs.FileHandle, src: string, tmp: string, onProgress?: Progress): Promise<CopyResult | null> {
  const before = await input.stat({ bigint: true });
  // COPYFILE_FICLONE asks for a reflink and falls back to an in-kernel copy where there is none.
  let copyError: unknown = null;
  const copying = fs
    .copyFile(src, tmp, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE)
    .catch((err: unknown) => void (copyError = err ?? new Error('copy failed')));
  let hashed: CopyResult;
  try {
    hashed = await hashHandle(input, Number(before.size), onProgress, () => copyError !== null);
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
async function onePassCopyAndHash(input: fs.FileHandle, tmp: string, onProgress?: Progress): Promise<CopyResult> {
  const output = await fs.open(tmp, 'wx', 0o644);
  try {
    const total = (await input.stat()).size;
    const hash = createHash('sha256');
    let current = Buffer.allocUnsafe(CHUNK);
    let next = Buffer.allocUnsafe(CHUNK);
    let position = 0;
    let n = (await input.read(current, 0, CHUNK, 0)).bytesRead;
    while (n > 0) {
      const view = current.subarray(0, n);
      const writing = writeAll(output, view, position);
      const reading = input.read(next, 0, CHUNK, position + n);
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
    return { size: position, sha256: hash.digest('hex') };
  } finally {
    await output.close();
  }
}

async function writeAll(h: fs.FileHandle, data: Buffer, position: number): Promise<void> {
  let off = 0;
  while (off < data.length) off += (await h.write(data, off, data.length - off, position + off)).bytesWritten;
}

/** SHA-256 of an open file from its start: the next chunk is read while this one is hashed. */
async function hashHandle(h: fs.FileHandle, total: number, onProgress?: Progress, stop?: () => boolean): Promise<CopyResult> {
  const hash = createHash('sha256');
  let current = Buffer.allocUnsafe(CHUNK);
  let next = Buffer.allocUnsafe(CHUNK);
  let size = 0;
  let n = (await h.read(current, 0, CHUNK, 0)).bytesRead;
  while (n > 0 && !stop?.()) {
    const reading = h.read(next, 0, CHUNK, size + n);
    hash.update(n === CHUNK ? current : current.subarray(0, n));
    size += n;
    n = (await reading).bytesRead;
    [current, next] = [next, current];
    onProgress?.(size, total);
  }
  return { size, sha256: hash.digest('hex') };
}

/** SHA-256 and size of a file, read in large chunks (used to re-check a release before signing). */
export async function hashFile(path: string): Promise<CopyResult> {
  const h = await fs.open(path, 'r');
  try {
    return await hashHandle(h, 0);
  } finally {
    await h.close();
  }
}
