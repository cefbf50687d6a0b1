/**
 * Which bytes of an append-only file were read, so a later run reads only what was appended: the
 * crash feed of an incremental `watch` (io/feed-state.ts) and the audit logs of the release page
 * (io/site-events.ts). A file replaced, rotated or rewritten under the same name no longer matches
 * (docs/formats.md "Incremental checks", docs/site.md "What is kept between runs").
 */
import { createHash } from 'node:crypto';
import type { promises as fs } from 'node:fs';

export interface FileIdentity {
  path: string;
  dev: string;
  ino: string;
  /** Bytes read: always just past a newline (or 0). */
  offset: number;
  /** SHA-256 of the first and of the last (up to) IDENTITY_BYTES bytes before `offset`. */
  head: string;
  tail: string;
}

/** The bytes whose hashes tell a file apart from another with the same name and size. */
const IDENTITY_BYTES = 4096;

/** The identity of the first `offset` bytes of the open file `fh`. */
export async function fileIdentity(fh: fs.FileHandle, path: string, offset: number): Promise<FileIdentity> {
  const st = await fh.stat({ bigint: true });
  const hash = async (from: number, len: number) => {
    const buf = Buffer.alloc(len);
    const { bytesRead } = await fh.read(buf, 0, len, from);
    return createHash('sha256').update(buf.subarray(0, bytesRead)).digest('hex');
  };
  const n = Math.min(offset, IDENTITY_BYTES);
  return { path, dev: String(st.dev), ino: String(st.ino), offset, head: await hash(0, n), tail: await hash(offset - n, n) };
}
