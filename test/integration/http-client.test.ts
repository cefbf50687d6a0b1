/**
 * The client's own HTTP/1.1 GET (src/client/http.ts) against a raw TCP server on 127.0.0.1 that
 * writes exactly the bytes each test scripts, split wherever the test likes: framing (length,
 * chunked, close), malformed answers, stalls, redirects, backpressure and TLS verification.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer as createTlsServer } from 'node:https';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { get, TransferError, type Got } from '../../src/client/http.js';
import { tmpDir } from '../helpers/index.js';

type Script = (socket: Socket, request: string) => void | Promise<void>;

const servers: { close(cb: () => void): void }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((ok) => s.close(() => ok()))));
});

/** A server that reads one request head and then runs `script` on the socket. */
async function serve(script: Script): Promise<string> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (d) => {
      if (head.includes('\r\n\r\n')) return;
      head += d.toString('latin1');
      if (head.includes('\r\n\r\n')) void script(socket, head);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  servers.push({ close: (cb) => (sockets.forEach((s) => s.destroy()), server.close(cb)) });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Write `parts` one by one, each in its own TCP segment as far as the test can make it. */
async function dribble(socket: Socket, parts: (string | Buffer)[]): Promise<void> {
  for (const p of parts) {
    await new Promise<void>((ok) => socket.write(p, () => ok()));
    await new Promise((ok) => setTimeout(ok, 2));
  }
}

async function readAll(got: Got, sink?: (chunk: Buffer) => Promise<void> | undefined): Promise<Buffer> {
  const out: Buffer[] = [];
  await got.read((chunk) => {
    out.push(Buffer.from(chunk));
    return sink?.(chunk);
  });
  return Buffer.concat(out);
}

const failure = async (p: Promise<unknown>): Promise<TransferError> => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TransferError);
  return err as TransferError;
};

const opts = { stallMs: 2_000 };

describe('framing', () => {
  it('reads a chunked body split anywhere, with extensions and trailers, and sends identity and close', async () => {
    let request = '';
    const base = await serve(async (s, req) => {
      request = req;
      const wire =
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=x\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\nX-Trailer: 1\r\n\r\n';
      await dribble(s, wire.split('')); // one byte at a time
      s.end();
    });
    const got = await get(new URL(`${base}/a?b=1`), opts);
    expect(got.status).toBe(200);
    expect(got.endMarked).toBe(true);
    expect((await readAll(got)).toString()).toBe('hello world!');
    expect(request).toMatch(/^GET \/a\?b=1 HTTP\/1\.1\r\n/);
    expect(request.toLowerCase()).toContain('accept-encoding: identity\r\n');
    expect(request.toLowerCase()).toContain('connection: close\r\n');
  });

  it('reads a Content-Length body, and a body that ends when the connection closes (HTTP/1.0)', async () => {
    const body = Buffer.alloc(700_000);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff;
    const sized = await serve(async (s) => {
      await dribble(s, [`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`, body.subarray(0, 100), body.subarray(100)]);
      s.end();
    });
    expect((await readAll(await get(new URL(sized), opts))).equals(body)).toBe(true);
    const closing = await serve(async (s) => {
      await dribble(s, ['HTTP/1.0 200 OK\r\n\r\n', body]);
      s.end();
    });
    const got = await get(new URL(closing), opts);
    expect(got.endMarked).toBe(false);
    expect((await readAll(got)).equals(body)).toBe(true);
  });

  it('a body cut short by the connection is a broken transfer, worth another try', async () => {
    const base = await serve(async (s) => {
      await dribble(s, ['HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n', Buffer.alloc(400)]);
      s.destroy();
    });
    const err = await failure(readAll(await get(new URL(base), opts)));
    expect(err.transient).toBe(true);
    expect(err.message).toContain('broke');
  });

  it('lends each piece until the promise the sink returns settles, and pauses the body meanwhile', async () => {
    const body = createHash('sha512').update('x').digest().toString('hex').repeat(20_000); // 2.5 MB
    const base = await serve(async (s) => {
      await dribble(s, [`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`, body]);
      s.end();
    });
    const got = await get(new URL(base), opts);
    const copies: Buffer[] = [];
    let calls = 0;
    await got.read((chunk) => {
      calls++;
      if (calls % 3) {
        copies.push(Buffer.from(chunk));
        return undefined;
      }
      // Copied only after a delay: the bytes must still be those of this piece.
      return new Promise((ok) =>
        setTimeout(() => {
          copies.push(Buffer.from(chunk));
          ok();
        }, 5),
      );
    });
    expect(Buffer.concat(copies).toString()).toBe(body);
  });
});

describe('malformed answers', () => {
  for (const [what, wire] of [
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n'],
    ['a chunk without its line end', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n0\r\n\r\n'],
    ['two different Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!'],
    ['a transfer coding other than chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx'],
    ['a folded header', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\nContent-Length: 0\r\n\r\n'],
    ['not HTTP', 'SSH-2.0-OpenSSH_9.6\r\n\r\n'],
  ] as const) {
    it(`refuses ${what}`, async () => {
      const base = await serve(async (s) => {
        await dribble(s, [wire]);
        s.end();
      });
      const err = await failure(get(new URL(base), opts).then((g) => readAll(g)));
      expect(err.transient).toBe(false);
    });
  }

  it('refuses response headers over 64 KiB without waiting for their end', async () => {
    const base = await serve(async (s) => {
      await dribble(s, ['HTTP/1.1 200 OK\r\n', `X-Big: ${'a'.repeat(70 * 1024)}\r\n`]);
    });
    expect((await failure(get(new URL(base), opts))).message).toContain('over 64 KiB');
  });
});

describe('stalls, aborts and redirects', () => {
  it('a server that never answers, or stops sending, is a stall', async () => {
    const silent = await serve(() => {});
    const a = await failure(get(new URL(silent), { stallMs: 200 }));
    expect(a.message).toContain('no answer for 0.2 s (stalled)');
    expect(a.transient).toBe(true);
    const stops = await serve(async (s) => dribble(s, ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc']));
    const b = await failure(get(new URL(stops), { stallMs: 200 }).then((g) => readAll(g)));
    expect(b.message).toContain('no bytes for 0.2 s (stalled)');
  });

  it('time the sink takes is not a stall', async () => {
    const base = await serve(async (s) => {
      await dribble(s, ['HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n', 'abc', 'def']);
      s.end();
    });
    const got = await get(new URL(base), { stallMs: 100 });
    const data = await readAll(got, () => new Promise((ok) => setTimeout(ok, 300)));
    expect(data.toString()).toBe('abcdef');
  });

  it('an abort stops the request', async () => {
    const base = await serve(() => {});
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 50);
    expect((await failure(get(new URL(base), { stallMs: 5_000, signal: stop.signal }))).message).toContain('interrupted');
  });

  it('follows relative and absolute redirects up to 5, and only to http(s)', async () => {
    let hops = 0;
    const base = await serve(async (s, req) => {
      const path = /^GET (\S+)/.exec(req)![1]!;
      const n = Number(path.slice(1));
      hops++;
      if (path === '/ftp') await dribble(s, ['HTTP/1.1 302 Found\r\nLocation: ftp://127.0.0.1/x\r\nContent-Length: 0\r\n\r\n']);
      else if (n < 10) await dribble(s, [`HTTP/1.1 307 Temporary\r\nLocation: /${n + 1}\r\nContent-Length: 0\r\n\r\n`]);
      else await dribble(s, ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok']);
      s.end();
    });
    const got = await get(new URL(`${base}/5`), opts);
    expect(got.url.href).toBe(`${base}/10`);
    expect((await readAll(got)).toString()).toBe('ok');
    expect(hops).toBe(6);
    expect((await failure(get(new URL(`${base}/4`), opts))).message).toContain('more than 5 redirects');
    expect((await failure(get(new URL(`${base}/ftp`), opts))).message).toContain('only http and https');
  });
});

describe('TLS', () => {
  it.skipIf(!existsSync('/usr/bin/openssl'))('verifies the server certificate', async () => {
    const dir = tmpDir();
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const server = createTlsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_q, r) =>
      r.end('secret'),
    );
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    servers.push(server);
    const url = new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const err = await failure(get(url, opts));
    expect(err.message).toMatch(/cannot fetch \((SELF_SIGNED|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY)/);
  });
});
