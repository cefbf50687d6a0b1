/**
 * The GitHub issue source against a local server on 127.0.0.1 that answers in the REST API's
 * shapes: paginated issues with Link headers (pull requests among them), reactions per issue,
 * and the error answers (rate limit, 404, 401, 500, not JSON).
 */
import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchGithubIssues, parseLink } from '../../src/io/issues/github.js';
import { gitRepo, initProject, runFriday } from '../helpers/index.js';

const user = (login: string) => ({ login, id: login.length });
const issue = (n: number, title: string, labels: string[], author: string, reactions: { '+1': number; '-1': number }, pr = false) => ({
  number: n,
  title,
  state: 'closed',
  user: user(author),
  labels: labels.map((name) => ({ name, color: 'ededed' })),
  reactions: { ...reactions, laugh: 0, total_count: reactions['+1'] + reactions['-1'] },
  ...(pr ? { pull_request: { url: `https://example.invalid/pulls/${n}` } } : {}),
});

// Three pages of issues; #12 is a pull request. #11 has two pages of reactions linked by `next` only.
const PAGES = [
  [
    issue(10, 'Show the time a call was answered', ['enhancement'], 'mifan_42', { '+1': 2, '-1': 1 }),
    issue(11, 'Wi-Fi drops after sleep', ['Bug', 'wifi'], 'u7', { '+1': 3, '-1': 0 }),
  ],
  [
    issue(12, 'feat: call time', [], 'mifan_42', { '+1': 0, '-1': 0 }, true),
    issue(13, 'Lock screen tweaks', ['improvement'], 'ana', { '+1': 0, '-1': 0 }),
  ],
  [issue(14, 'Not in this range', ['enhancement'], 'zed', { '+1': 9, '-1': 0 })],
];
const REACTIONS: Record<string, unknown[][]> = {
  '10': [
    [
      { id: 1, content: '+1', user: user('ana'), created_at: '2026-11-20T10:00:00Z' },
      { id: 2, content: '+1', user: user('bo'), created_at: '2026-11-21T10:00:00Z' },
      { id: 3, content: '-1', user: user('cy'), created_at: '2026-11-22T10:00:00Z' },
      { id: 4, content: 'heart', user: user('dee'), created_at: '2026-11-22T10:00:00Z' },
      { id: 5, content: '+1', user: user('late'), created_at: '2026-12-30T10:00:00Z' },
    ],
  ],
  '11': [
    [
      { id: 6, content: '+1', user: user('x1'), created_at: '2026-11-20T10:00:00Z' },
      { id: 7, content: '+1', user: user('x2'), created_at: '2026-11-20T10:00:00Z' },
    ],
    [{ id: 8, content: '+1', user: user('x3'), created_at: '2026-11-20T10:00:00Z' }],
  ],
};

let server: Server;
let base: string;
const seen: { path: string; auth: string | undefined }[] = [];
let other: Server;
let elsewhere: string;
const seenElsewhere: (string | undefined)[] = [];

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

function handle(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url!, base);
  seen.push({ path: url.pathname + url.search, auth: req.headers.authorization });
  const page = Number(url.searchParams.get('page') ?? '1');
  const m = /^\/repos\/([^/]+)\/([^/]+)\/issues(?:\/(\d+)\/reactions)?$/.exec(url.pathname);
  if (!m) return send(res, 404, { message: 'Not Found' });
  const repo = `${m[1]}/${m[2]}`;
  if (repo === 'limited/repo') {
    return send(
      res,
      403,
      { message: 'API rate limit exceeded for 127.0.0.1.' },
      { 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Date.UTC(2026, 10, 27, 18) / 1000) },
    );
  }
  if (repo === 'slow/repo') return send(res, 429, { message: 'You have exceeded a secondary rate limit.' }, { 'retry-after': '60' });
  if (repo === 'missing/repo') return send(res, 404, { message: 'Not Found' });
  if (repo === 'private/repo') return send(res, 401, { message: 'Bad credentials' });
  if (repo === 'broken/repo') return send(res, 502, 'upstream broke', { 'content-type': 'text/plain' });
  if (repo === 'html/repo') return send(res, 200, '<html>captive portal</html>', { 'content-type': 'text/html' });
  if (repo === 'elsewhere/repo') {
    // The next page is said to be on another origin: another port of 127.0.0.1.
    const next = `<${elsewhere}/repos/${repo}/issues?state=all&per_page=100&page=2>`;
    return send(res, 200, [issue(1, 'one', [], 'ana', { '+1': 1, '-1': 0 })], { link: `${next}; rel="next"` });
  }
  if (repo !== 'aurora-org/aurora') return send(res, 404, { message: 'Not Found' });
  if (m[3] === undefined) {
    if (url.searchParams.get('state') !== 'all' || url.searchParams.get('per_page') !== '100')
      return send(res, 400, { message: 'bad query' });
    const link = (p: number) => `<${base}/repos/${repo}/issues?state=all&per_page=100&page=${p}>`;
    const links = [];
    if (page < PAGES.length) links.push(`${link(page + 1)}; rel="next"`, `${link(PAGES.length)}; rel="last"`);
    if (page > 1) links.push(`${link(1)}; rel="first"`, `${link(page - 1)}; rel="prev"`);
    return send(res, 200, PAGES[page - 1] ?? [], links.length ? { link: links.join(', ') } : {});
  }
  const pages = REACTIONS[m[3]] ?? [[]];
  const headers: Record<string, string> =
    page < pages.length ? { link: `<${base}/repos/${repo}/issues/${m[3]}/reactions?per_page=100&page=${page + 1}>; rel="next"` } : {};
  return send(res, 200, pages[page - 1] ?? [], headers);
}

beforeAll(async () => {
  server = createServer(handle);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  other = createServer((req, res) => {
    seenElsewhere.push(req.headers.authorization);
    send(res, 200, []);
  });
  other.listen(0, '127.0.0.1');
  await once(other, 'listening');
  elsewhere = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await new Promise<void>((r) => other.close(() => r()));
});

const options = (repo: string, env: Record<string, string> = {}, wanted = [10, 11, 13]) => {
  const warnings: string[] = [];
  return {
    warnings,
    opts: {
      repo,
      tokenEnv: 'GITHUB_TOKEN',
      env: { GITHUB_API_URL: base, GITHUB_TOKEN: 'tok-123', ...env },
      wanted: new Set(wanted),
      warn: (l: string) => warnings.push(l),
      timeoutMs: 5_000,
    },
  };
};

describe('fetchGithubIssues', () => {
  it('reads every page, skips pull requests, maps labels to types and reactions to votes', async () => {
    seen.length = 0;
    const { opts, warnings } = options('aurora-org/aurora');
    const set = await fetchGithubIssues(opts);
    expect([...(set.issues as Map<number, unknown>).keys()].sort()).toEqual([10, 11, 13, 14]);
    expect([...set.notIssues]).toEqual([12]);
    expect(set.issues.get(10)).toMatchObject({ title: 'Show the time a call was answered', type: 'feature', author: 'mifan_42' });
    expect(set.issues.get(11)).toMatchObject({ type: 'bug' }); // labels match without regard to case
    expect(set.issues.get(13)).toMatchObject({ type: 'improvement', votes: [] });
    expect(set.issues.get(10)!.votes).toEqual([
      { user: 'ana', value: 1, at: '2026-11-20T10:00:00Z' },
      { user: 'bo', value: 1, at: '2026-11-21T10:00:00Z' },
      { user: 'cy', value: -1, at: '2026-11-22T10:00:00Z' },
      { user: 'late', value: 1, at: '2026-12-30T10:00:00Z' },
    ]);
    expect((set.issues.get(11)!.votes as unknown[]).length).toBe(3); // both pages of reactions
    // Reactions only for wanted issues that have any: not #13 (none), not #14 (not wanted).
    const reactionCalls = seen.filter((s) => s.path.includes('/reactions')).map((s) => s.path);
    expect(reactionCalls.sort()).toEqual([
      '/repos/aurora-org/aurora/issues/10/reactions?per_page=100',
      '/repos/aurora-org/aurora/issues/11/reactions?per_page=100',
      '/repos/aurora-org/aurora/issues/11/reactions?per_page=100&page=2',
    ]);
    expect(seen.every((s) => s.auth === 'Bearer tok-123')).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('uses the configured labels and warns when there is no token', async () => {
    const { opts, warnings } = options('aurora-org/aurora', { GITHUB_TOKEN: '' }, [10]);
    const set = await fetchGithubIssues({ ...opts, labels: { improvement: ['wifi'], bug: ['bug'] } });
    expect(set.issues.get(11)!.type).toBe('improvement'); // the first type in config order wins
    expect(set.issues.get(10)!.type).toBe('other');
    expect(warnings[0]).toContain('no token in $GITHUB_TOKEN');
  });

  it.each([
    ['limited/repo', 'GitHub limited/repo: GitHub API rate limit exceeded (60 requests an hour); it resets at 2026-11-27T18:00:00Z'],
    ['slow/repo', 'GitHub slow/repo: GitHub asked to slow down (secondary rate limit); retry after 60 s'],
    ['missing/repo', 'GitHub missing/repo: GET /repos/missing/repo/issues?state=all&per_page=100: 404 Not Found: Not Found'],
    ['private/repo', '401 Unauthorized: Bad credentials'],
    ['broken/repo', 'HTTP 502'],
    ['html/repo', 'the answer is not JSON'],
  ])('%s → a clear error', async (repo, message) => {
    const { opts } = options(repo);
    const err = await fetchGithubIssues(opts).then(
      () => null,
      (e: unknown) => e as { code: string; message: string; exit: number },
    );
    expect(err).toMatchObject({ code: 'E_ISSUES', exit: 1 });
    expect(err!.message).toContain(message);
  });

  it('never sends the token to another origin, whatever a Link header says', async () => {
    const { opts } = options('elsewhere/repo', {}, [1]);
    await expect(fetchGithubIssues(opts)).rejects.toMatchObject({
      code: 'E_ISSUES',
      message: `GitHub elsewhere/repo: the API pointed to another site (${elsewhere}); refusing to send the token there`,
    });
    expect(seenElsewhere).toEqual([]);
  });

  it('says when the API cannot be reached', async () => {
    const { opts } = options('aurora-org/aurora', { GITHUB_API_URL: 'http://127.0.0.1:9' });
    await expect(fetchGithubIssues(opts)).rejects.toMatchObject({
      code: 'E_ISSUES',
      message: expect.stringContaining('cannot reach http://127.0.0.1:9'),
    });
  });

  it('asks nothing when the range references no issue', async () => {
    seen.length = 0;
    const { opts } = options('aurora-org/aurora', {}, []);
    expect((await fetchGithubIssues(opts)).issues.has(10)).toBe(false);
    expect(seen).toEqual([]);
  });
});

describe('parseLink', () => {
  it('reads the rels of a Link header', () => {
    const links = parseLink(
      '<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=9>; rel="last"',
      new URL('https://api.github.com'),
    );
    expect(links.get('next')?.searchParams.get('page')).toBe('2');
    expect(links.get('last')?.searchParams.get('page')).toBe('9');
    expect(parseLink(null, new URL('https://api.github.com')).size).toBe(0);
  });
});

describe('friday changelog with issues from GitHub', () => {
  it('ranks reactions as votes, weighted by the tiers file, with the vote cut-off', async () => {
    const repo = await gitRepo();
    await initProject(repo, {
      config: {
        issues: { source: 'github', repo: 'aurora-org/aurora', tokenEnv: 'FRIDAY_GH' },
        votes: { weights: { default: 1, tester: 2 }, tiers: 'tiers.json' },
      },
    });
    await fs.writeFile(join(repo.dir, 'tiers.json'), '{ "ana": "tester" }\n');
    await repo.commit('feat(dialer): call time (#12)\n\nFixes #10');
    await repo.commit('fix(wifi): reconnect after sleep (#11)');
    await repo.commit('fix: see #404');
    const r = await runFriday(['changelog', '-C', repo.dir, '--json', '--now', '2026-11-27T17:00:00Z'], {
      env: { GITHUB_API_URL: base, FRIDAY_GH: 'tok-123' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(
      r.json.entries.map((e: { id: number; score: number; voters: number; type: string }) => [e.id, e.type, e.score, e.voters]),
    ).toEqual([
      [11, 'bug', 3, 3],
      [10, 'feature', 2, 2], // ana 2 (tester) + bo 1 − cy 1; the vote of 2026-12-30 is after the cut
    ]);
    expect(r.json.popcorn).toEqual({ id: 10, title: 'Show the time a call was answered', score: 2 });
    expect(r.json.unknownRefs).toEqual([404]); // #12 is a pull request: known, not an issue
    expect(r.stderr).toContain('1 issue reference not found in GitHub aurora-org/aurora: #404');
  });
});
