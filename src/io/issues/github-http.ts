/**
 * A small GitHub API client for the issue source: REST GETs (conditional when a cache is given,
 * paginated by Link headers) and GraphQL POSTs over node:http(s) (http-request.ts), bounded in
 * time and size, with errors a release engineer can act on. The token is sent to the API's own
 * origin only.
 *
 * By hand rather than @octokit/core with plugin-paginate-rest and plugin-throttling (7.0.8,
 * 16.0.0, 11.0.5; Node >= 20): octokit's paginate follows `next` links one page at a time, where
 * this client fetches the pages a `last` link names six at a time. Against a server on 127.0.0.1
 * answering in 30 ms, 30 pages of issues and the reactions of 60 of them took 0.8 s here and
 * 2.2 s with octokit (medians of 5), and loading the three octokit packages costs 39 ms more
 * (2 cores, Node 20.20, x86_64, 2026-11-30).
 */
import { zonedTimeOf } from '../../client/time.js';
import { formatTime } from '../../core/time.js';
import { failure, usageError } from '../../errors.js';
import type { ResponseCache } from './github-cache.js';
import { requester, type Answer, type RequestError } from './http-request.js';

const MAX_PAGES = 1000;
const PARALLEL = 6;
const MAX_BODY = 64 * 1024 * 1024;

export interface ClientOptions {
  base: URL;
  token: string | undefined;
  /** How errors name the source: `GitHub owner/name`. */
  label: string;
  tokenEnv: string;
  timeoutMs: number;
}

export type GithubClient = ReturnType<typeof githubClient>;

const ok = (res: Answer) => res.status >= 200 && res.status < 300;

/** `$GITHUB_API_URL`, default https://api.github.com. */
export function apiBase(env: NodeJS.ProcessEnv): URL {
  const text = (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError('E_USAGE', `GITHUB_API_URL: not a URL: ${JSON.stringify(text)}`, 'use the API base, such as https://api.github.com');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw usageError('E_USAGE', `GITHUB_API_URL: must be an http(s) URL: ${text}`);
  return url;
}

export const asRecord = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

const notTheApi = 'check GITHUB_API_URL: it must be the GitHub REST API';

export function githubClient(c: ClientOptions) {
  const headers: Record<string, string> = {
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    'user-agent': 'orange-friday',
  };
  if (c.token) headers.authorization = `Bearer ${c.token}`;
  const basePath = c.base.pathname.replace(/\/+$/, '');
  // GitHub Enterprise Server answers REST under /api/v3 and GraphQL at /api/graphql.
  const graphqlUrl = new URL(basePath.endsWith('/api/v3') ? `${basePath.slice(0, -3)}/graphql` : `${basePath}/graphql`, c.base);
  const show = (url: URL) => (url.pathname.startsWith(basePath) ? url.pathname.slice(basePath.length) : url.pathname) + url.search;
  let requests = 0;
  /** REST answers kept between runs, asked again with If-None-Match (set when REST is used). */
  let cache: ResponseCache | undefined;

  const http = requester();

  /** One exchange, following up to five redirects (a renamed repository, a transferred issue), each to the API's origin only. */
  async function send(method: 'GET' | 'POST', url: URL, extra: Record<string, string>, body?: string): Promise<Answer> {
    for (let hops = 0; ; hops++) {
      // The token goes only to the API's own origin, whatever a Link or Location header says.
      if (url.origin !== c.base.origin)
        throw failure('E_ISSUES', `${c.label}: the API pointed to another site (${url.origin}); refusing to send the token there`);
      requests++;
      let res: Answer;
      try {
        res = await http.send(url, {
          method,
          headers: { ...headers, ...extra },
          timeoutMs: c.timeoutMs,
          maxBytes: MAX_BODY,
          ...(body === undefined ? {} : { body }),
        });
      } catch (err) {
        const e = err as RequestError;
        if (e.kind === 'timeout')
          throw failure(
            'E_ISSUES',
            `${c.label}: ${method} ${show(url)}: no answer within ${Math.round(c.timeoutMs / 1000)} s`,
            'run again later',
          );
        if (e.kind === 'too-large') throw failure('E_ISSUES', `${c.label}: ${method} ${show(url)}: ${e.message}`);
        throw failure(
          'E_ISSUES',
          `${c.label}: cannot reach ${c.base.origin} (${e.code ?? e.message})`,
          'check the network, or GITHUB_API_URL',
        );
      }
      const location = res.header('location');
      const redirect = [301, 302, 307, 308].includes(res.status) && location !== null && (method === 'GET' || res.status >= 307);
      if (!redirect || hops >= 5) return res;
      url = new URL(location, url);
    }
  }

  function readJson(res: Answer, what: string): unknown {
    try {
      return JSON.parse(res.body);
    } catch {
      throw failure('E_ISSUES', `${c.label}: ${what}: the answer is not JSON`, notTheApi);
    }
  }

  /**
   * One REST GET. A 404 or 410 is `null` with `missingOk` (an issue number nobody has). With a
   * cache, the last answer's ETag goes along and a 304 answers from the cache: an unchanged answer
   * costs an authorized run nothing of its hourly limit.
   */
  async function get(url: URL, opts: { missingOk?: boolean } = {}): Promise<{ body: unknown; link: Map<string, URL> } | null> {
    const key = url.href;
    const kept = cache?.get(key);
    const res = await send('GET', url, kept ? { 'if-none-match': kept.etag } : {});
    if (res.status === 304 && kept) {
      cache!.touch(key);
      return { body: kept.body, link: parseLink(kept.link, url) };
    }
    if ((res.status === 404 || res.status === 410) && opts.missingOk) return null;
    if (!ok(res)) throw httpError(res, `GET ${show(url)}`);
    const body = readJson(res, `GET ${show(url)}`);
    const etag = res.header('etag');
    if (etag && cache) cache.put(key, { etag, body, link: res.header('link') });
    return { body, link: parseLink(res.header('link'), url) };
  }

  async function list(url: URL): Promise<{ body: unknown[]; link: Map<string, URL> }> {
    const page = (await get(url))!;
    if (!Array.isArray(page.body)) throw failure('E_ISSUES', `${c.label}: GET ${show(url)}: expected a list`, notTheApi);
    return { body: page.body, link: page.link };
  }

  function httpError(res: Answer, what: string) {
    let detail = '';
    try {
      const m = asRecord(JSON.parse(res.body))?.message;
      if (typeof m === 'string') detail = `: ${m}`;
    } catch {
      // no JSON body: the status says enough
    }
    if ((res.status === 403 || res.status === 429) && res.header('x-ratelimit-remaining') === '0') return rateLimited(res);
    if ((res.status === 403 || res.status === 429) && res.header('retry-after')) {
      return failure(
        'E_ISSUES',
        `${c.label}: GitHub asked to slow down (secondary rate limit); retry after ${res.header('retry-after')} s`,
        'run again in a few minutes',
      );
    }
    if (res.status === 401)
      return failure(
        'E_ISSUES',
        `${c.label}: ${what}: 401 Unauthorized${detail}`,
        `the token in $${c.tokenEnv} was refused: set a valid token`,
      );
    if (res.status === 404)
      return failure(
        'E_ISSUES',
        `${c.label}: ${what}: 404 Not Found${detail}`,
        `check issues.repo in friday.config.json${c.token ? ` and that the token in $${c.tokenEnv} can read it` : `, or set $${c.tokenEnv} for a private repository`}`,
      );
    return failure(
      'E_ISSUES',
      `${c.label}: ${what}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${detail}`,
      res.status >= 500 ? 'GitHub had a problem: run again later' : undefined,
    );
  }

  function rateLimited(res: Answer) {
    const reset = Number(res.header('x-ratelimit-reset'));
    const when = Number.isFinite(reset) && reset > 0 ? formatTime(new Date(reset * 1000)) : 'an unknown time';
    const limit = res.header('x-ratelimit-limit');
    return failure(
      'E_ISSUES',
      `${c.label}: GitHub API rate limit exceeded${limit ? ` (${limit} ${c.token ? 'points' : 'requests'} an hour)` : ''}; it resets at ${when}`,
      c.token ? 'run again after the reset' : `set $${c.tokenEnv} to a token for a higher limit, or run again after the reset`,
    );
  }

  /**
   * Every page of a list. When the first page names the last one, the rest are fetched a few at
   * a time; otherwise `next` links are followed. Never more than MAX_PAGES.
   */
  async function pages(path: string): Promise<unknown[]> {
    const first = await list(url(path));
    const out: unknown[][] = [first.body];
    const last = first.link.get('last');
    const lastPage = Number(last?.searchParams.get('page'));
    if (last && Number.isSafeInteger(lastPage) && lastPage >= 2) {
      if (lastPage > MAX_PAGES) throw failure('E_ISSUES', `${c.label}: ${show(last)}: more than ${MAX_PAGES} pages`);
      const rest = Array.from({ length: lastPage - 1 }, (_, i) => i + 2);
      const got = new Map<number, unknown[]>();
      await forEachLimited(rest, PARALLEL, async (page) => {
        const u = new URL(last);
        u.searchParams.set('page', String(page));
        got.set(page, (await list(u)).body);
      });
      for (const p of rest) out.push(got.get(p)!);
      return out.flat();
    }
    let next = first.link.get('next');
    while (next) {
      if (out.length >= MAX_PAGES) throw failure('E_ISSUES', `${c.label}: ${show(next)}: more than ${MAX_PAGES} pages`);
      const page = await list(next);
      out.push(page.body);
      next = page.link.get('next');
    }
    return out.flat();
  }

  /**
   * One GraphQL query (POST /graphql on the API's origin). `errors` come back with the data, as
   * GitHub answers a query that partly failed (data null: it failed whole). Null when the API has
   * no GraphQL endpoint.
   */
  async function graphql(
    query: string,
    variables: Record<string, unknown>,
  ): Promise<{ data: Record<string, unknown> | null; errors: GraphqlError[] } | null> {
    const what = `POST ${show(graphqlUrl)}`;
    const operationName = /^query (\w+)/.exec(query)?.[1];
    const res = await send('POST', graphqlUrl, { 'content-type': 'application/json' }, JSON.stringify({ query, variables, operationName }));
    if (res.status === 404) return null; // no GraphQL here (a REST-only proxy): the caller reads over REST
    if (!ok(res)) throw httpError(res, what);
    const doc = asRecord(readJson(res, what));
    if (!doc) throw failure('E_ISSUES', `${c.label}: ${what}: the answer is not a GraphQL response`, notTheApi);
    const errors = Array.isArray(doc.errors) ? (doc.errors.map(asRecord).filter(Boolean) as GraphqlError[]) : [];
    if (errors.some((e) => e.type === 'RATE_LIMITED')) throw rateLimited(res);
    const data = asRecord(doc.data) ?? null;
    if (data === null && errors.length === 0) throw failure('E_ISSUES', `${c.label}: ${what}: no data in the answer`, notTheApi);
    return { data, errors };
  }

  /** The URL of an API path (`/repos/o/r/issues/1`). */
  const url = (path: string) => new URL(basePath + path, c.base);

  return {
    get,
    pages,
    graphql,
    url,
    requests: () => requests,
    useCache: (c: ResponseCache | undefined) => void (cache = c),
    close: http.close,
  };
}

/** An entry of a GraphQL response's `errors`, as GitHub writes them. */
export interface GraphqlError {
  type?: string;
  message?: string;
  path?: (string | number)[];
  extensions?: { code?: string; fieldName?: string };
}

/** RFC 8288 Link header: `<url>; rel="next", <url>; rel="last"` → rel → URL. */
export function parseLink(header: string | null, base: URL): Map<string, URL> {
  const links = new Map<string, URL>();
  if (!header) return links;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /<([^>]*)>\s*;(.*)/.exec(part.trim());
    if (!m) continue;
    const rel = /rel\s*=\s*"?([^";]+)"?/i.exec(m[2]!)?.[1];
    if (!rel) continue;
    try {
      for (const r of rel.trim().split(/\s+/)) links.set(r.toLowerCase(), new URL(m[1]!, base));
    } catch {
      // a malformed URL is ignored like a missing link
    }
  }
  return links;
}

export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  let stopped = false;
  const worker = async () => {
    try {
      while (!stopped && i < items.length) await fn(items[i++]!);
    } catch (err) {
      stopped = true; // the first failure ends the run: start no more requests
      throw err;
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** GitHub's `created_at` of an issue, kept when it is a time (docs/fans.md: a report counts inside the window). */
export function createdAtOf(value: unknown): { createdAt?: string } {
  return typeof value === 'string' && !Number.isNaN(zonedTimeOf(value)) ? { createdAt: value } : {};
}
