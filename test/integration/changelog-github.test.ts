/**
 * The GitHub issue source against a GitHub API on 127.0.0.1 answering in the recorded shapes
 * (fixtures/github/server.mjs): with a token, GraphQL reads only the referenced numbers, follows
 * pull requests to the issues they close (GitHub's closing references, the body's `Fixes #N`
 * when there are none) and pages long reaction lists; without one, REST reads them one by one
 * with the same result, and a second run is answered 304 from the cache. Then the errors.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Issue } from '../../src/core/votes/validate.js';
import { parseLink } from '../../src/io/issues/github-http.js';
import { fetchGithubIssues, openGithub } from '../../src/io/issues/github.js';
import { tmpDir } from '../helpers/index.js';
// @ts-expect-error a plain ESM module shared with the benchmark
import { startGithub } from '../../fixtures/github/server.mjs';

type Gh = {
  url: string;
  log: { method: string; path: string; auth?: string; ifNoneMatch?: string; op?: string }[];
  close(): Promise<void>;
};

const REPO = 'aurora-org/aurora';
const at = (day: number) => `2026-11-${day}T10:00:00Z`;
const many = Array.from({ length: 150 }, (_, i) => ({ user: `x${i}`, content: '+1', at: at(20) }));
const ITEMS = new Map<number, unknown>([
  [
    10,
    {
      number: 10,
      title: 'Show the time a call was answered',
      author: 'mifan_42',
      labels: ['enhancement'],
      reactions: [
        { user: 'ana', content: '+1', at: at(20) },
        { user: 'bo', content: '+1', at: at(21) },
        { user: 'cy', content: '-1', at: at(22) },
        { user: 'dee', content: 'heart', at: at(22) },
        { user: 'late', content: '+1', at: '2026-12-30T10:00:00Z' },
      ],
    },
  ],
  [11, { number: 11, title: 'Wi-Fi drops after sleep', author: 'u7', labels: ['Bug', 'wifi'], reactions: many }],
  // A squash-merged pull request: GitHub links #13, and an issue of another repository.
  [
    12,
    {
      number: 12,
      title: 'feat(dialer): call time',
      author: 'mifan_42',
      pull: true,
      body: 'Adds it.\n\nCloses #13',
      closes: [13, 'aurora-org/kernel#5'],
    },
  ],
  [13, { number: 13, title: 'Lock screen tweaks', author: 'ana', labels: [], type: 'Feature', reactions: [] }],
  // Merged into a release branch: GitHub links nothing, the body says what it fixes.
  [
    14,
    {
      number: 14,
      title: 'fix: camera (backport)',
      author: 'zed',
      pull: true,
      body: 'Backport.\n\nFixes #15\nFixes aurora-org/kernel#7',
      closes: [],
    },
  ],
  [
    15,
    {
      number: 15,
      title: 'Camera freezes',
      author: 'lena',
      labels: [],
      type: 'Bug',
      reactions: [{ user: 'ana', content: '-1', at: at(21) }],
    },
  ],
  [
    16,
    {
      number: 16,
      title: 'Not in this range',
      author: 'zed',
      labels: ['enhancement'],
      reactions: [{ user: 'ana', content: '+1', at: at(21) }],
    },
  ],
]);

let gh: Gh;
beforeAll(async () => {
  gh = await startGithub({ repo: REPO, items: ITEMS });
});
afterAll(() => gh.close());

function options(env: Record<string, string> = {}, wanted = [10, 11, 12, 14, 404]) {
  const warnings: string[] = [];
  return {
    warnings,
    opts: {
      repo: REPO,
      tokenEnv: 'GITHUB_TOKEN',
      env: { GITHUB_API_URL: gh.url, GITHUB_TOKEN: 'tok-123', ...env },
      wanted: new Set(wanted),
      scope: { repo: REPO, hosts: ['github.com'] },
      warn: (l: string) => warnings.push(l),
      timeoutMs: 5_000,
    },
  };
}

/** What the changelog reads of each number, in a comparable form. */
function summary(issues: ReadonlyMap<number, Issue>) {
  return Object.fromEntries(
    [...issues].map(([n, i]) => [
      n,
      i.pull ? { pull: i.closes } : { type: i.type, author: i.author, votes: (i.votes as unknown[]).length, title: i.title },
    ]),
  );
}

const EXPECTED = {
  10: { type: 'feature', author: 'mifan_42', votes: 4, title: 'Show the time a call was answered' }, // the heart is no vote
  11: { type: 'bug', author: 'u7', votes: 150, title: 'Wi-Fi drops after sleep' }, // labels match without regard to case
  12: { pull: [13] }, // the other repository's issue does not count
  13: { type: 'feature', author: 'ana', votes: 0, title: 'Lock screen tweaks' }, // the issue type counts like a label
  14: { pull: [15] },
  15: { type: 'bug', author: 'lena', votes: 1, title: 'Camera freezes' },
};

describe('fetchGithubIssues over GraphQL (with a token)', () => {
  it('reads the referenced numbers, the issues their pull requests close, and every reaction, in three requests', async () => {
    gh.log.length = 0;
    const { opts, warnings } = options();
    const set = await fetchGithubIssues(opts);
    expect(summary(set.issues as Map<number, Issue>)).toEqual(EXPECTED);
    expect(set.issues.get(10)!.votes).toEqual([
      { user: 'ana', value: 1, at: at(20) },
      { user: 'bo', value: 1, at: at(21) },
      { user: 'late', value: 1, at: '2026-12-30T10:00:00Z' },
      { user: 'cy', value: -1, at: at(22) },
    ]);
    // The numbers, then the second page of #11's 👍, then #15 (closed by #14's body).
    expect(gh.log.map((r) => `${r.method} ${r.path} ${r.op}`)).toEqual([
      'POST /graphql FridayItems',
      'POST /graphql FridayReactions',
      'POST /graphql FridayItems',
    ]);
    expect(set.requests).toBe(3);
    expect(gh.log.every((r) => r.auth === 'Bearer tok-123')).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('asks again without issue types on a server that has none, and types by labels alone', async () => {
    const old = await startGithub({ repo: REPO, items: ITEMS, issueTypes: false });
    try {
      const { opts } = options({ GITHUB_API_URL: old.url }, [12]);
      const set = await fetchGithubIssues(opts);
      expect(set.issues.get(13)).toMatchObject({ type: 'other', title: 'Lock screen tweaks' });
      expect(old.log.length).toBe(2); // refused once, then answered
    } finally {
      await old.close();
    }
  });

  it('reads a hundred numbers a query: 500 references cost five requests', async () => {
    const items = new Map<number, unknown>();
    for (let n = 1; n <= 500; n++) items.set(n, { number: n, title: `Issue ${n}`, author: 'ana', labels: ['bug'], reactions: [] });
    const big = await startGithub({ repo: REPO, items });
    try {
      const { opts } = options({ GITHUB_API_URL: big.url }, [...items.keys()]);
      const set = await fetchGithubIssues(opts);
      expect((set.issues as Map<number, Issue>).size).toBe(500);
      expect(big.log.length).toBe(5);
    } finally {
      await big.close();
    }
  });
});

describe('fetchGithubIssues over REST (without a token, or without GraphQL)', () => {
  it('reads the same, one number at a time, and answers a second run from the cache with 304s', async () => {
    gh.log.length = 0;
    const cacheFile = join(tmpDir(), 'git', 'friday', 'github', 'aurora-org--aurora.json');
    const { opts, warnings } = options({ GITHUB_TOKEN: '' });
    const first = await fetchGithubIssues({ ...opts, cacheFile, now: Date.parse(at(27)) });
    expect(summary(first.issues as Map<number, Issue>)).toEqual(EXPECTED);
    expect(warnings[0]).toContain('no token in $GITHUB_TOKEN: one unauthenticated request per issue');
    expect(gh.log.every((r) => r.method === 'GET' && r.auth === undefined)).toBe(true);
    const paths = gh.log.map((r) => r.path).sort();
    expect(paths).toEqual(
      [
        '/repos/aurora-org/aurora/issues/10',
        '/repos/aurora-org/aurora/issues/10/reactions?per_page=100',
        '/repos/aurora-org/aurora/issues/11',
        '/repos/aurora-org/aurora/issues/11/reactions?per_page=100',
        '/repos/aurora-org/aurora/issues/11/reactions?per_page=100&page=2',
        '/repos/aurora-org/aurora/issues/12',
        '/repos/aurora-org/aurora/issues/13', // closed by #12's body (REST has no closing references)
        '/repos/aurora-org/aurora/issues/14',
        '/repos/aurora-org/aurora/issues/15',
        '/repos/aurora-org/aurora/issues/15/reactions?per_page=100',
        '/repos/aurora-org/aurora/issues/404',
      ].sort(),
    ); // #13 has no 👍/👎 in its summary: its reactions are not asked for
    expect(existsSync(cacheFile)).toBe(true);

    gh.log.length = 0;
    const again = await fetchGithubIssues({ ...options({ GITHUB_TOKEN: '' }).opts, cacheFile, now: Date.parse(at(28)) });
    expect(summary(again.issues as Map<number, Issue>)).toEqual(EXPECTED);
    expect(again.issues.get(10)!.votes).toEqual(first.issues.get(10)!.votes);
    const conditional = gh.log.filter((r) => r.ifNoneMatch !== undefined);
    expect(conditional.length).toBe(gh.log.length - 1); // all but #404, which had no answer to keep
  });

  it('falls back to REST, saying so, when the API has no GraphQL endpoint', async () => {
    const rest = await startGithub({ repo: REPO, items: ITEMS, graphql: false });
    try {
      const { opts, warnings } = options({ GITHUB_API_URL: rest.url }, [12]);
      const set = await fetchGithubIssues(opts);
      expect(summary(set.issues as Map<number, Issue>)).toEqual({ 12: EXPECTED[12], 13: EXPECTED[13] });
      expect(warnings).toEqual([`GitHub ${REPO}: the API at ${rest.url} has no GraphQL endpoint: reading each issue over REST`]);
    } finally {
      await rest.close();
    }
  });

  it('asks nothing when the range references no number', async () => {
    gh.log.length = 0;
    const { opts } = options({}, []);
    expect((await fetchGithubIssues(opts)).issues.has(10)).toBe(false);
    expect(gh.log).toEqual([]);
  });
});

describe('every issue, for grading the fans', () => {
  for (const [how, env] of [
    ['GraphQL', {}],
    ['REST', { GITHUB_TOKEN: '' }],
  ] as const) {
    it(`lists the repository's issues and reads each with its created_at (${how})`, async () => {
      const { opts } = options(env);
      const reader = openGithub(opts);
      await reader.wantAll();
      const { issues } = await reader.done();
      expect([...(issues as ReadonlyMap<number, Issue>).keys()].sort((a, b) => a - b)).toEqual([...ITEMS.keys()].sort((a, b) => a - b));
      expect(issues.get(10)).toMatchObject({ author: 'mifan_42', createdAt: '2026-11-02T09:00:00Z' });
    });
  }
});

describe('errors a release engineer can act on (exit 1, E_ISSUES)', () => {
  const failing = async (failWith: unknown, env: Record<string, string> = {}) => {
    const bad = await startGithub({ repo: REPO, items: ITEMS, failWith });
    try {
      const { opts } = options({ GITHUB_API_URL: bad.url, ...env });
      return await fetchGithubIssues(opts).then(
        () => null,
        (e: unknown) => e as { code: string; message: string; exit: number; hint?: string },
      );
    } finally {
      await bad.close();
    }
  };
  type Send = (res: unknown, status: number, body: unknown, headers?: Record<string, string>) => void;
  const reset = String(Date.UTC(2026, 10, 27, 18) / 1000);

  it.each([
    [
      'the rate limit, with its reset',
      (_q: unknown, res: unknown, send: Send) =>
        send(
          res,
          403,
          { message: 'API rate limit exceeded' },
          { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset },
        ),
      'GitHub API rate limit exceeded (5000 points an hour); it resets at 2026-11-27T18:00:00Z',
    ],
    [
      "GraphQL's rate limit",
      (_q: unknown, res: unknown, send: Send) =>
        send(
          res,
          200,
          { errors: [{ type: 'RATE_LIMITED', message: 'API rate limit exceeded for user ID 1.' }] },
          { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset },
        ),
      'rate limit exceeded',
    ],
    [
      'a secondary limit',
      (_q: unknown, res: unknown, send: Send) =>
        send(res, 403, { message: 'You have exceeded a secondary rate limit.' }, { 'retry-after': '60' }),
      'GitHub asked to slow down (secondary rate limit); retry after 60 s',
    ],
    [
      'a refused token',
      (_q: unknown, res: unknown, send: Send) => send(res, 401, { message: 'Bad credentials' }),
      '401 Unauthorized: Bad credentials',
    ],
    [
      'a server error',
      (_q: unknown, res: unknown, send: Send) => send(res, 502, 'upstream broke', { 'content-type': 'text/plain' }),
      'HTTP 502',
    ],
    [
      'a captive portal',
      (_q: unknown, res: unknown, send: Send) => send(res, 200, '<html>captive portal</html>', { 'content-type': 'text/html' }),
      'the answer is not JSON',
    ],
  ])('%s', async (_name, failWith, message) => {
    const err = await failing(failWith);
    expect(err).toMatchObject({ code: 'E_ISSUES', exit: 1 });
    expect(err!.message).toContain(message);
  });

  it('names a repository that is not there, over GraphQL and over REST', async () => {
    const { opts } = options();
    await expect(fetchGithubIssues({ ...opts, repo: 'aurora-org/missing' })).rejects.toMatchObject({
      code: 'E_ISSUES',
      message: 'GitHub aurora-org/missing: GraphQL: no repository aurora-org/missing',
    });
    const anon = options({ GITHUB_TOKEN: '' }).opts;
    await expect(fetchGithubIssues({ ...anon, repo: 'aurora-org/missing' })).rejects.toMatchObject({
      code: 'E_ISSUES',
      message: 'GitHub aurora-org/missing: GET /repos/aurora-org/missing: 404 Not Found: Not Found',
    });
  });

  it('never sends the token to another origin, whatever a Link header says', async () => {
    const elsewhere = await startGithub({ repo: REPO, items: ITEMS });
    const bad = await startGithub({
      repo: REPO,
      items: ITEMS,
      // No GraphQL here, so the token goes along REST requests; a reactions page links elsewhere.
      failWith: (req: { url: string; method: string }, res: unknown, send: Send) => {
        if (req.method === 'POST') return send(res, 404, { message: 'Not Found' });
        if (req.url.includes('/reactions'))
          return send(res, 200, [], { link: `<${elsewhere.url}/repos/${REPO}/issues/10/reactions?page=2>; rel="next"` });
        send(res, 200, { number: 10, title: 'x', user: { login: 'a' }, reactions: { '+1': 1, '-1': 0 } });
      },
    });
    try {
      await expect(fetchGithubIssues(options({ GITHUB_API_URL: bad.url }, [10]).opts)).rejects.toMatchObject({
        code: 'E_ISSUES',
        message: `GitHub ${REPO}: the API pointed to another site (${elsewhere.url}); refusing to send the token there`,
      });
      expect(elsewhere.log).toEqual([]);
    } finally {
      await bad.close();
      await elsewhere.close();
    }
  });

  it('says when the API cannot be reached', async () => {
    const { opts } = options({ GITHUB_API_URL: 'http://127.0.0.1:9' });
    await expect(fetchGithubIssues(opts)).rejects.toMatchObject({
      code: 'E_ISSUES',
      message: expect.stringContaining('cannot reach http://127.0.0.1:9'),
    });
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
