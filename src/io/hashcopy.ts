/**
 * Copy a file while hashing it in the same pass (quality.md "hashing"): two large buffers, so
 * the read of the next chunk and the write of this one run in the thread pool while this chunk
 * is hashed. Memory is constant (2 × CHUNK) for any size. The copy lands under a temporary name
 * and is renamed into place only when complete.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, dirname } from 'node:path';

const CHUNK = 8 * 1024 * 1024;

export interface CopyResult {
  size: number;
  sha256: string;
}

export async function copyAndHash(src: string, dest: string, onProgress?: (done: number, total: number) => void): Promise<CopyResult> {
  const input = await fs.open(src, 'r');
  const tmp = `${dirname(dest)}/.${basename(dest)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  let output: fs.FileHandle | undefined;
  try {
    const total = (await input.stat()).size;
    output = await fs.open(tmp, 'wx', 0o644);
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
      await writing;
      position += n;
      n = (await reading).bytesRead;
      [current, next] = [next, current];
      onProgress?.(position, total);
    }
    // No fsync here: a killed process loses nothing the kernel already holds, and `stage`
    // re-hashes every artifact against build.json before anything is signed, which catches a
    // copy damaged by a power cut. Syncing a multi-GiB image would double the cut's time.
    await output.close();
    output = undefined;
    await fs.rename(tmp, dest);
    return { size: position, sha256: hash.digest('hex') };
  } catch (err) {
    await output?.close().catch(() => {});
    await fs.rm(tmp, { force: true });
    throw err;
  } finally {
    await input.close();
  }
}

async function writeAll(h: fs.FileHandle, data: Buffer, position: number): Promise<void> {
  let off = 0;
  while (off < data.length) off += (await h.write(data, off, data.length - off, position + off)).bytesWritten;
}

/** SHA-256 and size of a file, read in large chunks (used to re-check a release before signing). */
export async function hashFile(path: string): Promise<CopyResult> {
  const h = await fs.open(path, 'r');
  try {
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(CHUNK);
    let size = 0;
    for (;;) {
      const { bytesRead } = await h.read(buf, 0, CHUNK, size);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      size += bytesRead;
    }
    return { size, sha256: hash.digest('hex') };
  } finally {
    await h.close();
  }
}
