/**
 * Reading the small files the client trusts or fetches from a folder (a manifest, trust.json, the
 * state file). Opening a FIFO for reading waits until a writer comes, forever if none does, and a
 * device file (/dev/zero) never ends: each file is opened without blocking and must be a regular
 * file, and no more than `limit` bytes are read even if it grows meanwhile.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type promises as fs } from 'node:fs';

/** Why a file could not be read: an errno code (ENOENT, EACCES…), NOTREG (a FIFO, a device, a folder) or TOOBIG. */
export class ReadProblem extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * The whole file at `path`, at most `limit` bytes. Synchronous on purpose: these are small local
 * files on a device's start-up path (docs/quality.md: pull within 1.2× of `friday --version`).
 */
export function readRegularFileSync(path: string, limit: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new ReadProblem(code, code === 'ENOENT' ? 'no such file' : `cannot read (${code})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ReadProblem('NOTREG', `not a regular file (${kindOf(st)})`);
    if (st.size > limit) throw new ReadProblem('TOOBIG', `over ${limit} bytes, refused without reading further`);
    // One byte past the limit at most, so a file that grows while it is read is still bounded.
    const buf = Buffer.allocUnsafe(Math.min(limit, Math.max(st.size, 4096)) + 1);
    let n = 0;
    let out = buf;
    for (;;) {
      if (n === out.length) {
        const bigger = Buffer.allocUnsafe(Math.min(limit + 1, out.length * 2));
        out.copy(bigger, 0, 0, n);
        out = bigger;
      }
      const got = readSync(fd, out, n, out.length - n, null);
      if (got === 0) break;
      n += got;
      if (n > limit) throw new ReadProblem('TOOBIG', `over ${limit} bytes, refused without reading further`);
    }
    return out.subarray(0, n);
  } catch (err) {
    if (err instanceof ReadProblem) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new ReadProblem(code, `cannot read (${code})`);
  } finally {
    closeSync(fd);
  }
}

/** What a non-regular file is, for the message. */
export function kindOf(st: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a file';
}

/** Write `data` at `position`, all of it (a write may take less than it was given). */
export async function writeAll(h: fs.FileHandle, data: Buffer, position: number): Promise<void> {
  let off = 0;
  while (off < data.length) off += (await h.write(data, off, data.length - off, position + off)).bytesWritten;
}
