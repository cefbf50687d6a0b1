/**
 * A publish root served over HTTP on 127.0.0.1 for the download tests: byte ranges with If-Range
 * as a web server does them, and the faults of real networks and servers on demand (a cut
 * connection, a stall, a 503, a server that ignores Range, a changed file, a redirect).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** What one request meets; `n` counts the requests to this path, from 1. */
export interface Fault {
  /** Answer this status (with an empty body) instead. */
  status?: number;
  headers?: Record<string, string>;
  /** Send this many bytes of the body, then break the connection. */
  cutAfter?: number;
  /** Send this many bytes of the body, then send nothing more (the client must time out). */
  stallAfter?: number;
  /** Answer 200 with the whole file even to a Range request. */
  ignoreRange?: boolean;
  /** Send these bytes instead of the file's. */
  body?: Buffer;
}

export interface FileOptions {
  etag?: string | null;
  lastModified?: string | null;
  /** Content-Encoding to declare (the bytes are sent as they are). */
  encoding?: string;
  /** No Content-Length: chunked transfer encoding. */
  chunked?: boolean;
  fault?: (n: number) => Fault | undefined;
}

export interface Logged {
  path: string;
  headers: IncomingMessage['headers'];
}

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

export interface TestServer {
  base: string;
  port: number;
  requests: Logged[];
  /** Requests for one path. */
  hits(path: string): Logged[];
  file(path: string, body: Buffer, opts?: FileOptions): void;
  redirect(path: string, to: string, status?: number): void;
  handle(path: string, handler: Handler): void;
  clear(): void;
  close(): Promise<void>;
}

/** With `tls`, an https server with that key and certificate. */
export async function startServer(tls?: { key: Buffer; cert: Buffer }): Promise<TestServer> {
  const routes = new Map<string, Handler>();
  const counts = new Map<string, number>();
  const requests: Logged[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0]!;
    requests.push({ path, headers: req.headers });
    const n = (counts.get(path) ?? 0) + 1;
    counts.set(path, n);
    const route = routes.get(path);
    if (!route) res.writeHead(404).end('not found');
    else route(req, res, n);
  };
  const server: Server = tls ? createTlsServer(tls, handler) : createServer(handler);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    hits: (path) => requests.filter((r) => r.path === path),
    file(path, body, opts = {}) {
      routes.set(path, (req, res, n) => serveFile(req, res, body, opts, opts.fault?.(n)));
    },
    redirect(path, to, status = 302) {
      routes.set(path, (_req, res) => res.writeHead(status, { location: to }).end());
    },
    handle(path, handler) {
      routes.set(path, handler);
    },
    clear() {
      routes.clear();
      counts.clear();
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

function serveFile(req: IncomingMessage, res: ServerResponse, file: Buffer, opts: FileOptions, fault: Fault | undefined): void {
  if (fault?.status !== undefined) {
    res.writeHead(fault.status, { 'content-length': 0, ...fault.headers }).end();
    return;
  }
  const body = fault?.body ?? file;
  const etag = opts.etag === undefined ? `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"` : opts.etag;
  const headers: Record<string, string | number> = { 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' };
  if (etag) headers.etag = etag;
  if (opts.lastModified) headers['last-modified'] = opts.lastModified;
  if (opts.encoding) headers['content-encoding'] = opts.encoding;
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const ifRange = req.headers['if-range'];
  const rangeOk = range && !fault?.ignoreRange && (ifRange === undefined || ifRange === etag || ifRange === opts.lastModified);
  let start = 0;
  let status = 200;
  if (rangeOk) {
    start = Number(range[1]);
    if (start >= body.length) {
      res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return;
    }
    status = 206;
    headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
  }
  const part = body.subarray(start);
  if (!opts.chunked) headers['content-length'] = part.length;
  res.writeHead(status, headers);
  const limit = fault?.cutAfter ?? fault?.stallAfter;
  if (limit === undefined) {
    res.end(part);
    return;
  }
  res.write(part.subarray(0, limit), () => {
    // Flushed: now break the connection, or leave it open and silent.
    if (fault?.cutAfter !== undefined) res.socket?.destroy();
  });
}
