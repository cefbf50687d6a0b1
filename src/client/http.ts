/**
 * HTTP/1.1 GET for the client, written here on node:net and node:tls rather than taken from
 * fetch() or node:http:
 * - fetch() decodes any Content-Encoding it is sent and cannot be told not to, so the bytes a
 *   server sent are out of reach. An image that is already compressed (`.img.gz`), served with
 *   `Content-Encoding: gzip` by a server that ignores `Accept-Encoding: identity`, arrives decoded
 *   and no longer matches its signed size and SHA-256. Here the body is the bytes as sent.
 * - node:http allocates a fresh buffer for every 64 KiB the socket reads and leaves them to the
 *   garbage collector. Reading a 1 GiB body from a server on 127.0.0.1 took 1.5–2.4 s through
 *   node:http against 0.8–0.9 s through a socket that reads into one reused buffer (`onread`),
 *   and 256 MiB through node:http peaked at 83 MB of RSS against 49 MB (curl -o /dev/null: 0.6 s;
 *   a 2-core VM shared with other jobs, Node 20.20, 2026-11-30). The download must stay within
 *   1.0× of curl + openssl and 100 MB. undici, which reads the same way, is not a dependency the
 *   embeddable client may take (index.ts).
 * - a stall (no byte for a while) is a deadline per read, which neither offers.
 *
 * What it does: one GET per connection (`Connection: close`), the status line and headers (at
 * most 64 KiB), a body framed by Content-Length, by chunked transfer coding, or by the connection
 * closing. Redirects are followed up to 5 times, to any http(s) host: a redirect only changes
 * where bytes come from, and every byte is checked against the signed size and SHA-256 before use.
 */
import { isIP } from 'node:net';
import type { Socket } from 'node:net';

/** A request that failed. `transient`: worth another try (the network, a stall, a 5xx); else this source will not do. */
export class TransferError extends Error {
  readonly transient: boolean;
  /** What the server asked for with Retry-After, in ms. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, transient: boolean, retryAfterMs?: number) {
    super(message);
    this.transient = transient;
    this.retryAfterMs = retryAfterMs;
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
const MAX_HEADER_BYTES = 64 * 1024;
/** Reads land in this one buffer, so no piece of a body handed to a Sink is larger. */
export const MAX_CHUNK_BYTES = 256 * 1024;

export interface GetOptions {
  headers?: Record<string, string>;
  /** No progress (connecting, waiting for headers, or for the next bytes of the body) for this long is a stall. */
  stallMs: number;
  signal?: AbortSignal;
}

/**
 * Called with each piece of the body, in order. The piece is lent for the call only (the next read
 * reuses its memory): copy what is kept. A returned promise pauses the body until it settles.
 */
export type Sink = (chunk: Buffer) => Promise<void> | undefined;

export interface Got {
  status: number;
  statusText: string;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Map<string, string>;
  /** Where the response came from, after redirects. */
  url: URL;
  /** Whether the body's end is marked (Content-Length, chunked), so a body that ends short is the server's whole answer. */
  endMarked: boolean;
  /** Read the body into `sink`. Once only. */
  read(sink: Sink): Promise<void>;
  /** Drop the connection without reading the body. */
  close(): void;
}

const reason = (err: unknown): string => {
  const e = err as NodeJS.ErrnoException;
  return e.code ?? e.message ?? String(err);
};

type Framing = { kind: 'length'; left: number } | { kind: 'chunked' } | { kind: 'close' };

/** A chunked body that does not follow the coding: the server's fault, not the network's. */
class ChunkError extends Error {}

/** Chunked transfer coding (RFC 9112 7.1), fed in pieces as they arrive; hands out the data. */
class Dechunker {
  private state: 'size' | 'data' | 'data-end' | 'trailer' | 'done' = 'size';
  private line = '';
  private left = 0;
  done = false;

  /** Feed raw bytes; `emit` gets the decoded data. Throws on a malformed stream. */
  feed(buf: Buffer, emit: (data: Buffer) => void): void {
    let i = 0;
    while (i < buf.length && this.state !== 'done') {
      if (this.state === 'data') {
        const n = Math.min(this.left, buf.length - i);
        emit(buf.subarray(i, i + n));
        i += n;
        this.left -= n;
        if (this.left === 0) this.state = 'data-end';
        continue;
      }
      // size, data-end and trailer read lines
      const nl = buf.indexOf(0x0a, i);
      const end = nl < 0 ? buf.length : nl;
      this.line += buf.toString('latin1', i, end);
      if (this.line.length > 4096) throw new ChunkError('a chunk header line over 4 KiB');
      i = end;
      if (nl < 0) break;
      i = nl + 1;
      const line = this.line.endsWith('\r') ? this.line.slice(0, -1) : this.line;
      this.line = '';
      if (this.state === 'data-end') {
        if (line !== '') throw new ChunkError('no line end after a chunk');
        this.state = 'size';
      } else if (this.state === 'size') {
        const m = /^([0-9a-fA-F]{1,15})[ \t]*(?:;.*)?$/.exec(line);
        if (!m) throw new ChunkError(`a bad chunk size line (${JSON.stringify(line.slice(0, 40))})`);
        this.left = parseInt(m[1]!, 16);
        this.state = this.left === 0 ? 'trailer' : 'data';
      } else if (line === '') {
        this.state = 'done';
        this.done = true;
      }
    }
  }
}

function parseHead(text: string, url: URL): { status: number; statusText: string; headers: Map<string, string> } {
  const lines = text.split(/\r?\n/);
  const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
  if (!m) throw new TransferError(`${url.href}: not an HTTP/1.1 response`, false);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0 || /^[ \t]/.test(line) || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(line.slice(0, colon)))
      throw new TransferError(`${url.href}: a malformed response header`, false);
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    const before = headers.get(name);
    headers.set(name, before === undefined ? value : `${before}, ${value}`);
  }
  return { status: Number(m[1]), statusText: m[2] ?? '', headers };
}

function framing(status: number, headers: Map<string, string>, url: URL): Framing {
  const te = headers.get('transfer-encoding');
  if (te !== undefined) {
    if (!/(?:^|,)\s*chunked\s*$/i.test(te)) throw new TransferError(`${url.href}: Transfer-Encoding ${te} cannot be read`, false);
    return { kind: 'chunked' };
  }
  const cl = headers.get('content-length');
  if (cl !== undefined) {
    const values = new Set(cl.split(',').map((v) => v.trim()));
    const [only] = values;
    if (values.size !== 1 || !/^\d{1,15}$/.test(only!)) throw new TransferError(`${url.href}: a bad Content-Length (${cl})`, false);
    return { kind: 'length', left: Number(only) };
  }
  if (status === 204 || status === 304) return { kind: 'length', left: 0 };
  return { kind: 'close' };
}

/** One request, no redirects: resolves once the status line and headers are in. */
async function once(url: URL, opts: GetOptions): Promise<Got> {
  // Loaded on first use: a device reading a folder pays no start-up time for the network or TLS.
  const net = await import('node:net');
  const tls = url.protocol === 'https:' ? await import('node:tls') : null;
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = Number(url.port || (tls ? 443 : 80));
  const readBuffer = Buffer.allocUnsafe(MAX_CHUNK_BYTES);

  return new Promise<Got>((resolve, reject) => {
    let phase: 'head' | 'body' | 'done' = 'head';
    let head = Buffer.alloc(0);
    // Body bytes not yet handed over, owned (copied): those that came with the head, and those a
    // TLS socket still delivers after it was asked to pause.
    const backlog: Buffer[] = [];
    let ended = false; // the connection ended
    let sink: Sink | null = null;
    let frame: Framing = { kind: 'close' };
    const dechunker = new Dechunker();
    let bodyDone: { resolve: () => void; reject: (err: unknown) => void } | null = null;
    let lastActivity = performance.now();
    let busy = false; // the sink asked to wait: time spent so is not a stall
    let failed: unknown = null;

    const cleanup = () => {
      clearInterval(watchdog);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (err: unknown) => {
      if (phase === 'done') return;
      phase = 'done';
      failed = err instanceof ChunkError ? new TransferError(`${url.href}: ${err.message}`, false) : err;
      cleanup();
      socket.destroy();
      if (bodyDone) bodyDone.reject(failed);
      else reject(failed);
    };
    const complete = () => {
      if (phase === 'done') return;
      phase = 'done';
      cleanup();
      socket.destroy();
      bodyDone?.resolve();
    };
    const watchdog = setInterval(
      () => {
        if (!busy && performance.now() - lastActivity >= opts.stallMs) {
          const what = phase === 'head' ? 'no answer' : 'no bytes';
          fail(new TransferError(`${url.href}: ${what} for ${opts.stallMs / 1000} s (stalled)`, true));
        }
      },
      Math.min(1_000, Math.max(10, opts.stallMs / 4)),
    );
    const onAbort = () => fail(new TransferError(`${url.href}: interrupted`, false));
    const bodyEnded = () => (frame.kind === 'chunked' && dechunker.done) || (frame.kind === 'length' && frame.left === 0);

    /**
     * Unframe raw body bytes and hand the pieces to the sink, in order. If the sink asks to wait,
     * the pieces after it are copied (the raw bytes may be lent) and handed over once it is done.
     */
    const take = (raw: Buffer): Promise<void> | undefined => {
      const pieces: Buffer[] = [];
      if (frame.kind === 'chunked') dechunker.feed(raw, (d) => pieces.push(d));
      else if (frame.kind === 'length') {
        const n = Math.min(frame.left, raw.length);
        pieces.push(raw.subarray(0, n));
        frame.left -= n;
      } else pieces.push(raw);
      for (let i = 0; i < pieces.length && phase === 'body'; i++) {
        if (pieces[i]!.length === 0) continue;
        const wait = sink!(pieces[i]!);
        if (!wait) continue;
        const rest = pieces.slice(i + 1).map((p) => Buffer.from(p));
        return wait.then(async () => {
          for (const p of rest) if (phase === 'body') await sink!(p);
        });
      }
      return undefined;
    };
    /** Whether the body is over: its end reached, or the connection gone. */
    const finishIfOver = (): boolean => {
      if (bodyEnded() || (ended && frame.kind === 'close')) complete();
      else if (ended) fail(new TransferError(`${url.href}: the connection broke before the end of the body`, true));
      else return false;
      return true;
    };
    /** Work through the backlog, waiting for the sink as it asks; then read on, or finish. */
    const drain = async () => {
      busy = true;
      try {
        while (backlog.length > 0 && phase === 'body') await take(backlog.shift()!);
      } catch (err) {
        fail(err);
        return;
      }
      busy = false;
      lastActivity = performance.now();
      if (phase === 'body' && !finishIfOver()) socket.resume();
    };

    const onread = (nread: number, buf: Buffer): boolean => {
      lastActivity = performance.now();
      if (phase === 'done') return false;
      const data = buf.subarray(0, nread);
      if (phase === 'body') {
        if (!sink || busy) {
          backlog.push(Buffer.from(data));
          return false;
        }
        let wait: Promise<void> | undefined;
        try {
          wait = take(data);
        } catch (err) {
          fail(err);
          return false;
        }
        if (wait) {
          busy = true;
          wait.then(drain, fail);
          return false;
        }
        return !finishIfOver();
      }
      head = Buffer.concat([head, data]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_HEADER_BYTES) fail(new TransferError(`${url.href}: response headers over 64 KiB`, false));
        return true;
      }
      let parsed: ReturnType<typeof parseHead>;
      try {
        parsed = parseHead(head.toString('latin1', 0, end), url);
        frame = framing(parsed.status, parsed.headers, url);
      } catch (err) {
        fail(err);
        return false;
      }
      if (end + 4 < head.length) backlog.push(Buffer.from(head.subarray(end + 4)));
      head = Buffer.alloc(0);
      phase = 'body';
      resolve({
        ...parsed,
        url,
        endMarked: frame.kind !== 'close',
        read: (s: Sink) =>
          new Promise<void>((ok, no) => {
            if (failed) return no(failed);
            bodyDone = { resolve: ok, reject: no };
            sink = s;
            void drain();
          }),
        close: () => {
          phase = 'done';
          cleanup();
          socket.destroy();
        },
      });
      return false; // paused until the body is read
    };

    const options = {
      host,
      port,
      onread: { buffer: readBuffer, callback: onread },
      // SNI takes a host name, never an address.
      ...(tls && !isIP(host) ? { servername: host } : {}),
    };
    const socket: Socket = tls ? tls.connect(options) : net.connect(options);
    const target = `${url.pathname}${url.search}`;
    const headerLines = Object.entries({
      host: url.host,
      'user-agent': 'orange-friday',
      'accept-encoding': 'identity',
      connection: 'close',
      ...opts.headers,
    }).map(([k, v]) => `${k}: ${v}\r\n`);
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      lastActivity = performance.now();
      socket.write(`GET ${target} HTTP/1.1\r\n${headerLines.join('')}\r\n`);
    });
    const onEnd = () => {
      if (phase === 'head') fail(new TransferError(`${url.href}: the connection closed before an answer`, true));
      if (phase !== 'body') return;
      ended = true;
      if (sink && !busy) finishIfOver(); // else read() or the backlog decides
    };
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', (err) =>
      fail(new TransferError(`${url.href}: ${phase === 'head' ? 'cannot fetch' : 'the connection broke'} (${reason(err)})`, true)),
    );
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();
  });
}

/** GET `url`, following redirects. Any status is returned; the caller decides what it means. */
export async function get(url: URL, opts: GetOptions): Promise<Got> {
  let current = url;
  for (let hop = 0; ; hop++) {
    const got = await once(current, opts);
    const location = got.headers.get('location');
    if (!REDIRECTS.has(got.status) || location === undefined) return got;
    got.close();
    if (hop === MAX_REDIRECTS) throw new TransferError(`${url.href}: more than ${MAX_REDIRECTS} redirects`, false);
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw new TransferError(`${current.href}: redirected to an invalid URL (${location})`, false);
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:')
      throw new TransferError(`${current.href}: redirected to ${next.protocol} (only http and https)`, false);
    current = next;
  }
}

/** A 4xx says this source will not serve it (not worth retrying), except these. */
const TRANSIENT_4XX = new Set([408, 425, 429]);

/** The failure a status other than 200/206 means; Retry-After (seconds or a date) is kept for the backoff. */
export function statusFailure(got: Got): TransferError {
  const text = `${got.url.href}: HTTP ${got.status}${got.statusText ? ' ' + got.statusText : ''}`;
  got.close();
  const transient = got.status >= 500 || TRANSIENT_4XX.has(got.status);
  const after = got.headers.get('retry-after');
  let retryAfterMs: number | undefined;
  if (after !== undefined) {
    const seconds = /^\d+$/.test(after) ? Number(after) : (Date.parse(after) - Date.now()) / 1000;
    if (Number.isFinite(seconds)) retryAfterMs = Math.max(0, seconds * 1000);
  }
  return new TransferError(text, transient, retryAfterMs);
}
