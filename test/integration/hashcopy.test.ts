/** Copy-and-hash on a real file system: the in-kernel copy beside the hash, and a source that changes meanwhile. */
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyAndHash, hashFile } from '../../src/io/hashcopy.js';
import { tmpDir } from '../helpers/index.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A build output folder with one image of `size` bytes, written an hour ago, and an empty release folder. */
function setup(size: number) {
  const dir = tmpDir();
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i += 512) data.writeUInt32LE((i * 2654435761) >>> 0, i);
  const src = join(dir, 'aurora-umi.zip');
  writeFileSync(src, data);
  const hourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(src, hourAgo, hourAgo);
  const rel = join(dir, 'rel');
  mkdirSync(rel);
  return { dir, src, data, rel: (name: string) => join(rel, name), relDir: rel };
}

describe('copyAndHash on disk', () => {
  it('copies exactly, hashes the same bytes and reports progress to the end', async () => {
    const { src, data, rel, relDir } = setup(8 * 1024 * 1024 * 3 + 4321);
    chmodSync(src, 0o600);
    const seen: number[] = [];
    const r = await copyAndHash(src, rel('aurora-umi.zip'), (done) => seen.push(done));
    // SHA-256 only: the cut computes nothing else (docs/formats.md "build.json").
    expect(r).toEqual({ size: data.length, sha256: sha256(data) });
    expect(sha256(readFileSync(rel('aurora-umi.zip')))).toBe(r.sha256);
    expect(readdirSync(relDir)).toEqual(['aurora-umi.zip']);
    expect(seen[seen.length - 1]).toBe(data.length);
    // A private build output still gives a release file a web server can read.
    expect(statSync(rel('aurora-umi.zip')).mode & 0o777).toBe(0o644);
    expect(await hashFile(rel('aurora-umi.zip'))).toEqual(r);
  });

  it('copies an empty file', async () => {
    const { src, rel } = setup(0);
    expect(await copyAndHash(src, rel('aurora-umi.zip'))).toEqual({ size: 0, sha256: sha256(Buffer.alloc(0)) });
    expect(statSync(rel('aurora-umi.zip')).size).toBe(0);
  });

  it('fails, leaving nothing, when the source is written while it is copied', async () => {
    const { src, rel, relDir } = setup(8 * 1024 * 1024 * 2 + 10);
    let wrote = false;
    const run = copyAndHash(src, rel('aurora-umi.zip'), () => {
      if (!wrote) appendFileSync(src, 'late bytes from a second build');
      wrote = true;
    });
    await expect(run).rejects.toMatchObject({ code: 'E_ARTIFACT', exit: 1, message: `cut: ${src}: the file changed while it was copied` });
    expect(readdirSync(relDir)).toEqual([]);
  });

  it('fails when the source path is pointed at another file while it is copied', async () => {
    // A build that links its output (out/latest.zip -> build-41.zip) and re-links it meanwhile:
    // the file we hold open never changes, yet the path (which the kernel copy opens) now names
    // another file of the same size and times.
    const { dir, src, data, rel, relDir } = setup(8 * 1024 * 1024 * 2 + 10);
    const link = join(dir, 'latest.zip');
    symlinkSync(src, link);
    let moved = false;
    const run = copyAndHash(link, rel('latest.zip'), () => {
      if (moved) return;
      moved = true;
      const other = join(dir, 'build-42.zip');
      writeFileSync(other, Buffer.from(data).fill(7, 0, 100));
      const st = statSync(src);
      utimesSync(other, st.atime, st.mtime);
      symlinkSync(other, join(dir, 'next.zip'));
      renameSync(join(dir, 'next.zip'), link);
    });
    await expect(run).rejects.toMatchObject({ code: 'E_ARTIFACT' });
    expect(readdirSync(relDir)).toEqual([]);
  });
});
