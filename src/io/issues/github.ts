/**
 * The GitHub source (`issues.source: "github"`, docs/changelog.md "Issue sources"): only the
 * numbers the range references are read, never the repository's whole list. A number may be an
 * issue (title, author, labels and issue type, 👍/👎 reactions as votes) or a pull request, which
 * credits the issues it closes: GitHub's closing references where GraphQL gives them, else the
 * `Fixes #N` of its body.
 *
 * With a token, GraphQL asks for a hundred numbers at a time (github-graphql.ts). Without one
 * (GitHub's GraphQL API refuses anonymous requests), or against an API without GraphQL, each
 * number is a REST GET (`/issues/{n}` answers for pull requests too, with their body), plus its
 * reactions when its summary counts any; those answers are cached with their ETags
 * (github-cache.ts), so the next run asks with If-None-Match.
 */
import { zonedTimeOf } from '../../client/time.js';
import { closingRefsOf, type RefScope } from '../../core/refs.js';
import type { Issue, Vote } from '../../core/votes/validate.js';
import { failure } from '../../errors.js';
import type { IssueSet } from '../issues.js';
import { openCache, type ResponseCache } from './github-cache.js';
import { GRAPHQL_BATCH, graphqlSource, GraphqlUnavailable, type Typer } from './github-graphql.js';
import { apiBase, asRecord, createdAtOf, forEachLimited, githubClient, type GithubClient } from './github-http.js';

export interface GithubOptions {
  repo: string;
  tokenEnv: string;
  labels?: Record<string, string[]> | undefined;
  env: NodeJS.ProcessEnv;
  /** The numbers the range references: only these (and the issues their pull requests close) are read. */
  wanted: ReadonlySet<number>;
  /** Which references in a pull request's body name this repository. */
  scope: RefScope;
  warn(line: string): void;
  /** The REST answers' cache file, or null for none. */
  cacheFile?: string | null;
  /** The clock, for the cache's ages (ms). */
  now?: number;
  timeoutMs?: number;
}

/** Without `labels` in the config, a label (or issue type) named like a type means that type. */
const DEFAULT_LABELS: Record<string, string[]> = { feature: ['feature', 'enhancement'], improvement: ['improvement'], bug: ['bug'] };
/** REST requests in flight at once. */
const PARALLEL = 6;
/** GraphQL queries in flight at once: a few, well below GitHub's limit on concurrent requests. */
const GRAPHQL_PARALLEL = 3;

/** Reads numbers as the range's commits name them; `done` gives everything read. */
export interface GithubReader {
  /** Numbers to read. With a token they go out a hundred at a time while git still streams. */
  want(numbers: Iterable<number>): void;
  /** Read what is left, then the issues the pull requests close; the cache is saved. */
  done(): Promise<IssueSet & { requests: number }>;
  /** Every issue of the repository (`friday fans` counts them all): its list, page by page, then each as `want` reads it. */
  wantAll(): Promise<void>;
}

export function openGithub(o: Omit<GithubOptions, 'wanted'>): GithubReader {
  const label = `GitHub ${o.repo}`;
  const base = apiBase(o.env);
  const known = new Map<number, Issue>();
  const token = o.env[o.tokenEnv] || undefined;
  const http = githubClient({
    base,
    token,
    label,
    tokenEnv: o.tokenEnv,
    timeoutMs: o.timeoutMs ?? 30_000,
  });
  const typer = labelTyper(o.labels ?? DEFAULT_LABELS);
  const closingOf = (body: string) => closingRefsOf(body, o.scope);
  let cache: Promise<ResponseCache | undefined> | null = null;
  const rest = restSource(http, { repo: o.repo, label, typeOf: typer, closingOf });
  const graphql = token ? graphqlSource(http, { repo: o.repo, label, typeOf: typer, closingOf }) : null;
  let useRest = graphql === null;

  /** One batch, over GraphQL while there is GraphQL, else over REST with the answers' cache. */
  async function read(numbers: readonly number[]): Promise<void> {
    if (!useRest) {
      try {
        return await graphql!.fetch(numbers, known);
      } catch (err) {
        if (!(err instanceof GraphqlUnavailable)) throw err;
        if (!useRest) o.warn(`${label}: the API at ${base.origin} has no GraphQL endpoint: reading each issue over REST`);
        useRest = true;
      }
    }
    cache ??= o.cacheFile ? openCache(o.cacheFile, o.now ?? 0) : Promise.resolve(undefined);
    http.useCache(await cache);
    await rest.fetch(numbers, known);
  }

  const asked = new Set<number>();
  const queue: number[] = [];
  const inFlight: Promise<void>[] = [];
  let active = 0;
  const waiting: (() => void)[] = [];
  const acquire = () => (active < GRAPHQL_PARALLEL ? (active++, Promise.resolve()) : new Promise<void>((r) => waiting.push(r)));
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  const launch = (batch: number[]) => {
    const run = acquire()
      .then(() => read(batch))
      .finally(release);
    run.catch(() => {}); // reported by `done`
    inFlight.push(run);
  };
  const reader: GithubReader = {
    async wantAll() {
      const items = await http.pages(`/repos/${o.repo}/issues?state=all&per_page=100`);
      reader.want(items.flatMap((it) => (typeof asRecord(it)?.number === 'number' ? [asRecord(it)!.number as number] : [])));
    },
    want(numbers) {
      for (const n of numbers) {
        if (asked.has(n)) continue;
        asked.add(n);
        queue.push(n);
      }
      if (graphql !== null && !useRest) while (queue.length >= GRAPHQL_BATCH) launch(queue.splice(0, GRAPHQL_BATCH));
    },
    async done() {
      // A range that references no number needs nothing from GitHub.
      if (asked.size === 0) return { issues: known, label, requests: 0 };
      if (!token)
        o.warn(
          `${label}: no token in $${o.tokenEnv}: one unauthenticated request per issue (GitHub allows 60 an hour); with a token, a few GraphQL requests read them all`,
        );
      try {
        if (queue.length > 0) launch(queue.splice(0));
        await Promise.all(inFlight);
        if (known.size === 0 && useRest) await rest.checkRepository();
        // Then the issues the pull requests close that were not read with them (a body's Fixes).
        // Issues close nothing, so there is no further round.
        const closed = [...known.values()].flatMap((i) => (i.pull ? (i.closes ?? []) : []));
        const missing = [...new Set(closed)].filter((n) => !known.has(n) && !asked.has(n));
        if (missing.length > 0) await read(missing);
        await (await cache)?.save();
        return { issues: known, label, requests: http.requests() };
      } finally {
        http.close();
      }
    },
  };
  return reader;
}

/** Read `wanted` at once (docs/changelog.md "Issue sources"). */
export async function fetchGithubIssues(o: GithubOptions): Promise<IssueSet & { requests: number }> {
  const reader = openGithub(o);
  reader.want(o.wanted);
  return reader.done();
}

/** The REST way: one GET per number (cached, conditional), and the reactions of those with votes. */
function restSource(http: GithubClient, o: { repo: string; label: string; typeOf: Typer; closingOf: (body: string) => number[] }) {
  return {
    async fetch(numbers: readonly number[], known: Map<number, Issue>): Promise<void> {
      const needReactions: Issue[] = [];
      await forEachLimited(numbers, PARALLEL, async (n) => {
        const got = await http.get(http.url(`/repos/${o.repo}/issues/${n}`), { missingOk: true });
        if (got === null) return; // no such number here
        const it = asRecord(got.body);
        if (!it || it.number !== n || typeof it.title !== 'string')
          throw failure(
            'E_ISSUES',
            `${o.label}: GET /repos/${o.repo}/issues/${n}: not an issue`,
            'check GITHUB_API_URL: it must be the GitHub REST API',
          );
        const author = asRecord(it.user)?.login;
        const issue: Issue = {
          id: n,
          title: it.title,
          type: 'other',
          author: typeof author === 'string' && author ? author : null,
          votes: [],
          ...createdAtOf(it.created_at),
        };
        if (it.pull_request !== undefined && it.pull_request !== null) {
          // REST has no closing references: the body's keywords are all there is.
          known.set(n, { ...issue, pull: true, closes: o.closingOf(typeof it.body === 'string' ? it.body : '') });
          return;
        }
        const names = Array.isArray(it.labels) ? it.labels.map((l) => (typeof l === 'string' ? l : asRecord(l)?.name)) : [];
        names.push(asRecord(it.type)?.name);
        issue.type = o.typeOf(names.filter((x): x is string => typeof x === 'string'));
        known.set(n, issue);
        const summary = asRecord(it.reactions);
        const counted = summary ? Number(summary['+1'] ?? 0) + Number(summary['-1'] ?? 0) : 1;
        if (counted > 0) needReactions.push(issue);
      });
      await forEachLimited(needReactions, PARALLEL, async (issue) => {
        issue.votes = reactionsToVotes(await http.pages(`/repos/${o.repo}/issues/${issue.id}/reactions?per_page=100`));
      });
    },
    /** Every number was missing: say so if it is the repository that is (404 with its hint). */
    async checkRepository(): Promise<void> {
      await http.get(http.url(`/repos/${o.repo}`));
    },
  };
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

/**
 * The first type (in config order) one of whose names the issue carries, among its labels and its
 * GitHub issue type (`Feature`, `Bug`), compared without regard to case; else "other".
 */
export function labelTyper(mapping: Record<string, string[]>): Typer {
  const byLabel = new Map<string, string>();
  for (const [type, names] of Object.entries(mapping)) {
    for (const n of names) if (!byLabel.has(n.toLowerCase())) byLabel.set(n.toLowerCase(), type);
  }
  const order = Object.keys(mapping);
  return (names) => {
    let best: string | undefined;
    for (const name of names) {
      const type = byLabel.get(name.toLowerCase());
      if (type !== undefined && (best === undefined || order.indexOf(type) < order.indexOf(best))) best = type;
    }
    return best ?? 'other';
  };
}
