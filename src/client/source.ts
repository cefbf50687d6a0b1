/**
 * Where manifests and artifacts come from: a folder (the publish root on disk, a mounted share)
 * or an http(s) URL of the same tree, and mirrors of it. Reads are bounded: a manifest up to
 * 1 MiB and within the stall timeout, an artifact up to its signed `size` (download.ts).
 */
import { resolve, sep } from 'node:path';
import { ClientError } from './errors.js';
import { readRegularFileSync, type ReadProblem } from './files.js';
import { TransferError } from './http.js';

export const MANIFEST_LIMIT = 1024 * 1024;
export const DEFAULT_STALL_MS = 30_000;

export type Source = { kind: 'dir'; root: string } | { kind: 'http'; base: URL };

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

/** How a source is named in messages. */
export const sourceName = (s: Source): string => (s.kind === 'http' ? s.base.href : s.root);

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

export interface ReadOptions {
  limit?: number;
  /** A file that is not there (HTTP 404 or 410) reads as null rather than an error. */
  missingOk?: boolean;
  /** The whole fetch of a manifest must end within this (default 30 s): a hanging mirror cannot hold the pull. */
  stallMs?: number;
  signal?: AbortSignal;
}

/** Read `<source>/channels/<channel>/manifest.json`, refusing anything over `limit` bytes without reading past it. */
export async function readManifestBytes(
  source: Source,
  channel: string,
  opts: ReadOptions = {},
): Promise<{ bytes: Buffer; location: string }> {
  const got = await readPublished(source, `channels/${channel}/manifest.json`, opts);
  if (got.bytes === null) throw new ClientError('E_FETCH', `${got.location}: no such file (nothing published on this channel?)`);
  return { bytes: got.bytes, location: got.location };
}

/**
 * Read a small file of the publish root (a manifest, a trust version), bounded like a manifest.
 * `bytes` is null when the file is not there (no such file; HTTP 404 or 410): for a trust
 * version, the end of the chain. Over HTTP, only with `missingOk`; else a 404 is E_FETCH with its status.
 */
export async function readPublished(
  source: Source,
  rel: string,
  opts: ReadOptions = {},
): Promise<{ bytes: Buffer | null; location: string }> {
  const limit = opts.limit ?? MANIFEST_LIMIT;
  const location = locate(source, rel);
  if (source.kind === 'dir') {
    try {
      return { bytes: readRegularFileSync(location, limit), location };
    } catch (err) {
      const problem = err as ReadProblem;
      if (problem.code === 'ENOENT') return { bytes: null, location };
      throw new ClientError('E_FETCH', `${location}: ${problem.message}`);
    }
  }
  const { get, statusFailure } = await import('./http.js');
  const stallMs = opts.stallMs ?? DEFAULT_STALL_MS;
  // The user's signal, or the deadline, whichever comes first.
  const deadline = AbortSignal.timeout(stallMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
  const tooBig = () => new ClientError('E_FETCH', `${location}: over ${limit} bytes, refused without reading further`);
  try {
    const got = await get(new URL(location), { stallMs, signal });
    if (opts.missingOk && (got.status === 404 || got.status === 410)) {
      got.close();
      return { bytes: null, location };
    }
    if (got.status !== 200) throw statusFailure(got);
    if (Number(got.headers.get('content-length') ?? NaN) > limit) {
      got.close();
      throw tooBig();
    }
    const encoding = (got.headers.get('content-encoding') ?? 'identity').trim().toLowerCase();
    if (!['identity', 'gzip', 'x-gzip', 'deflate', 'br'].includes(encoding)) {
      got.close();
      throw new ClientError('E_FETCH', `${location}: served with Content-Encoding ${encoding}, which cannot be read`);
    }
    const chunks: Buffer[] = [];
    let n = 0;
    await got.read((chunk) => {
      n += chunk.length;
      if (n > limit) throw tooBig();
      chunks.push(Buffer.from(chunk)); // the chunk is only lent
      return undefined;
    });
    const raw = Buffer.concat(chunks, n);
    if (encoding === 'identity') return { bytes: raw, location };
    // Asked for identity, but a server may compress JSON anyway: the signature covers the JSON, so
    // decode it, bounded like the rest. Artifacts are never decoded (download.ts).
    const zlib = await import('node:zlib');
    const bound = { maxOutputLength: limit + 1 };
    let bytes: Buffer;
    try {
      bytes =
        encoding === 'br'
          ? zlib.brotliDecompressSync(raw, bound)
          : encoding === 'deflate'
            ? zlib.inflateSync(raw, bound)
            : zlib.gunzipSync(raw, bound);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooBig();
      throw new ClientError('E_FETCH', `${location}: cannot decode its ${encoding} encoding (${(err as Error).message})`);
    }
    if (bytes.length > limit) throw tooBig();
    return { bytes, location };
  } catch (err) {
    if (err instanceof ClientError) throw err;
    if (opts.signal?.aborted) throw new ClientError('E_INTERRUPTED', `${location}: interrupted`);
    if (deadline.aborted) throw new ClientError('E_FETCH', `${location}: not read within ${stallMs / 1000} s`);
    if (err instanceof TransferError) throw new ClientError('E_FETCH', err.message);
    throw err;
  }
}
