/**
 * Where manifests and artifacts come from: a folder (the publish root on disk, a mounted share)
 * or an http(s) URL of the same tree. Reads are bounded: a manifest up to 1 MiB, an artifact up
 * to its signed `size` ("endless data", quality.md); an artifact reaches its folder only after
 * its size and SHA-256 matched, and nothing is left behind on failure.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { ClientError } from './errors.js';
import { readRegularFileSync, type ReadProblem } from './files.js';
import type { ManifestArtifact } from './manifest.js';
import { fsyncDir } from './state.js';

export const MANIFEST_LIMIT = 1024 * 1024;

export type Source = { kind: 'dir'; root: string } | { kind: 'http'; base: URL };

export type FetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>;

export function parseSource(text: string, cwd: string = process.cwd()): Source {
  if (/^https?:\/\//i.test(text)) {
    let base: URL;
    try {
      base = new URL(text.endsWith('/') ? text : text + '/');
    } catch {
      throw new ClientError('E_USAGE', `--source ${text}: not a valid URL`, 2);
    }
    return { kind: 'http', base };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text))
    throw new ClientError('E_USAGE', `--source ${text}: only folders and http(s) URLs are supported`, 2);
  return { kind: 'dir', root: resolve(cwd, text) };
}

/**
 * Where a path relative to the publish root lives. `rel` has passed isSafeRelativeUrl; the result
 * is checked again as it will be fetched (same origin, under the source's path; under its folder),
 * so no spelling the URL parser rewrites can lead anywhere else.
 */
export function locate(source: Source, rel: string): string {
  if (source.kind === 'http') {
    const u = new URL(rel, source.base);
    if (u.origin !== source.base.origin || !u.pathname.startsWith(source.base.pathname) || u.search || u.hash)
      throw new ClientError('E_PATH', `${JSON.stringify(rel)}: resolves to ${u.href}, outside ${source.base.href}`);
    return u.href;
  }
  const p = resolve(source.root, ...rel.split('/'));
  const inside = source.root.endsWith(sep) ? source.root : source.root + sep;
  if (!p.startsWith(inside)) throw new ClientError('E_PATH', `${JSON.stringify(rel)}: resolves to ${p}, outside ${source.root}`);
  return p;
}

const TIMEOUT_MS = 60_000;

async function httpGet(url: string, fetchImpl: FetchLike): Promise<Response> {
  let res: Response;
  try {
    res = await fetchImpl(url, { redirect: 'follow', signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new ClientError('E_FETCH', `${url}: cannot fetch (${cause?.code ?? cause?.message ?? (err as Error).message})`);
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => {});
    throw new ClientError('E_FETCH', `${url}: HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}`);
  }
  return res;
}

/** Read `<source>/channels/<channel>/manifest.json`, refusing anything over `limit` bytes without reading past it. */
export async function readManifestBytes(
  source: Source,
  channel: string,
  opts: { limit?: number; fetch?: FetchLike } = {},
): Promise<{ bytes: Buffer; location: string }> {
  const limit = opts.limit ?? MANIFEST_LIMIT;
  const location = locate(source, `channels/${channel}/manifest.json`);
  const tooBig = () => new ClientError('E_FETCH', `${location}: over ${limit} bytes, refused without reading further`);
  if (source.kind === 'dir') {
    try {
      return { bytes: readRegularFileSync(location, limit), location };
    } catch (err) {
      const problem = err as ReadProblem;
      const why = problem.code === 'ENOENT' ? 'no such file (nothing published on this channel?)' : problem.message;
      throw new ClientError('E_FETCH', `${location}: ${why}`);
    }
  }
  const res = await httpGet(location, opts.fetch ?? fetch);
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > limit) {
    await res.body?.cancel().catch(() => {});
    throw tooBig();
  }
  const chunks: Buffer[] = [];
  let n = 0;
  const reader = res.body!.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      n += value.byteLength;
      if (n > limit) {
        await reader.cancel().catch(() => {});
        throw tooBig();
      }
      chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    }
  } catch (err) {
    if (err instanceof ClientError) throw err;
    throw new ClientError('E_FETCH', `${location}: the transfer failed (${(err as Error).message})`);
  }
  return { bytes: Buffer.concat(chunks, n), location };
}

/** Chunks of at most `size` bytes from the source; an oversized source is refused as soon as it shows. */
async function* artifactChunks(source: Source, location: string, a: ManifestArtifact, fetchImpl: FetchLike): AsyncGenerator<Buffer> {
  const oversize = () => new ClientError('E_SIZE', `${location}: larger than the signed size ${a.size}`);
  if (source.kind === 'dir') {
    let h: fs.FileHandle;
    try {
      h = await fs.open(location, 'r');
    } catch (err) {
      throw new ClientError('E_FETCH', `${location}: cannot read (${(err as NodeJS.ErrnoException).code})`);
    }
    try {
      const st = await h.stat();
      if (st.isFile() && st.size > a.size) throw oversize();
      const buf = Buffer.allocUnsafe(Math.min(Math.max(a.size, 1), 1 << 20));
      let left = a.size;
      while (left > 0) {
        const { bytesRead } = await h.read(buf, 0, Math.min(buf.length, left), null);
        if (bytesRead === 0) return;
        left -= bytesRead;
        yield Buffer.from(buf.subarray(0, bytesRead));
      }
    } finally {
      await h.close();
    }
    return;
  }
  const res = await httpGet(location, fetchImpl);
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > a.size) {
    await res.body?.cancel().catch(() => {});
    throw oversize();
  }
  const reader = res.body!.getReader();
  let got = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (got + value.byteLength > a.size) throw oversize();
      got += value.byteLength;
      yield Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/**
 * Download one artifact into `dir` as `<dir>/<file>`: written to a hidden temp file, checked
 * (size, then SHA-256), and only then renamed into place. On any failure the temp file (and a
 * folder this call created) is removed. `a.file` and `a.url` must have passed the E_PATH checks.
 */
export async function downloadArtifact(
  source: Source,
  a: ManifestArtifact,
  dir: string,
  opts: { fetch?: FetchLike } = {},
): Promise<string> {
  const location = locate(source, a.url);
  const target = resolve(dir);
  const created = await fs.mkdir(target, { recursive: true });
  const final = join(target, a.file);
  const tmp = join(target, `.${a.file}.${randomBytes(6).toString('hex')}.part`);
  const h = await fs.open(tmp, 'wx', 0o644);
  let ok = false;
  try {
    const hash = createHash('sha256');
    let got = 0;
    for await (const chunk of artifactChunks(source, location, a, opts.fetch ?? fetch)) {
      hash.update(chunk);
      got += chunk.length;
      await h.write(chunk);
    }
    if (got !== a.size) throw new ClientError('E_SIZE', `${location}: ${got} bytes, the signed size is ${a.size} (truncated)`);
    const digest = hash.digest('hex');
    if (digest !== a.sha256) throw new ClientError('E_HASH', `${location}: SHA-256 ${digest}, the signed one is ${a.sha256} (altered)`);
    await h.sync();
    await h.close();
    await fs.rename(tmp, final);
    await fsyncDir(target);
    ok = true;
    return final;
  } catch (err) {
    if (err instanceof ClientError) throw err;
    throw new ClientError('E_FETCH', `${location}: download failed (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  } finally {
    if (!ok) {
      await h.close().catch(() => {});
      await fs.rm(tmp, { force: true });
      if (created) await fs.rm(created, { recursive: true, force: true }).catch(() => {});
    }
  }
}
