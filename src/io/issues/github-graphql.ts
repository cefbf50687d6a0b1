/**
 * The GitHub source over GraphQL (used whenever there is a token; GitHub's GraphQL API has no
 * anonymous access). One query asks for up to 100 numbers at once: each an issue with its labels,
 * issue type, author and 👍/👎 reactions, or a pull request with the issues GitHub says it closes
 * (`closingIssuesReferences`, which the REST API does not have), those issues' fields included.
 * So a weekly range of 500 commits costs a handful of requests where REST costs one or two per
 * number. Reaction lists longer than 100 are paged in further queries.
 */
import { zonedTimeOf } from '../../client/time.js';
import type { Issue, Vote } from '../../core/votes/validate.js';
import { failure } from '../../errors.js';
import { asRecord, createdAtOf, type GithubClient, type GraphqlError } from './github-http.js';

/** Numbers per query: 100 issues with 200 reactions each stay far below GitHub's 500,000-node limit. */
export const GRAPHQL_BATCH = 100;

const VOTES = 'fragment votes on ReactionConnection { pageInfo { hasNextPage endCursor } nodes { createdAt user { login } } }';

function issueFields(withType: boolean): string {
  return `fragment issue on Issue { number title createdAt author { login } labels(first: 50) { nodes { name } }${withType ? ' issueType { name }' : ''}
  up: reactions(first: 100, content: THUMBS_UP) { ...votes } down: reactions(first: 100, content: THUMBS_DOWN) { ...votes } }`;
}

function itemsQuery(count: number, withType: boolean): string {
  const vars = Array.from({ length: count }, (_, i) => `$n${i}: Int!`).join(', ');
  const fields = Array.from({ length: count }, (_, i) => `n${i}: issueOrPullRequest(number: $n${i}) { ...item }`).join('\n    ');
  return `query FridayItems($owner: String!, $name: String!, ${vars}) {
  repository(owner: $owner, name: $name) {
    ${fields}
  }
}
fragment item on IssueOrPullRequest {
  __typename
  ... on Issue { ...issue }
  ... on PullRequest { number title author { login } body closingIssuesReferences(first: 25) { nodes { repository { nameWithOwner } ...issue } } }
}
${issueFields(withType)}
${VOTES}`;
}

function reactionsQuery(count: number): string {
  const vars = Array.from({ length: count }, (_, i) => `$i${i}: Int!, $a${i}: String!, $k${i}: ReactionContent!`).join(', ');
  const fields = Array.from(
    { length: count },
    (_, i) => `r${i}: issue(number: $i${i}) { reactions(first: 100, after: $a${i}, content: $k${i}) { ...votes } }`,
  ).join('\n    ');
  return `query FridayReactions($owner: String!, $name: String!, ${vars}) {
  repository(owner: $owner, name: $name) {
    ${fields}
  }
}
${VOTES}`;
}

/** The API answered the first query 404: it has no GraphQL endpoint. */
export class GraphqlUnavailable extends Error {}

/** What turns GitHub's labels and issue type into a friday type. */
export type Typer = (names: string[]) => string;

interface PendingPage {
  issue: Issue;
  content: 'THUMBS_UP' | 'THUMBS_DOWN';
  after: string;
}

export interface GraphqlSource {
  /** Fetch `numbers` into `known`: issues, pull requests, and the issues those close. */
  fetch(numbers: readonly number[], known: Map<number, Issue>): Promise<void>;
}

export function graphqlSource(
  http: GithubClient,
  o: { repo: string; label: string; typeOf: Typer; closingOf: (body: string) => number[] },
): GraphqlSource {
  const [owner, name] = o.repo.split('/') as [string, string];
  let withType = true;

  /** A query's answer, with issueType dropped and the query asked again on a server without it (GitHub Enterprise Server before issue types). */
  async function ask(build: (withType: boolean) => string, variables: Record<string, unknown>) {
    for (;;) {
      const r = await http.graphql(build(withType), { owner, name, ...variables });
      if (r === null) throw new GraphqlUnavailable();
      if (withType && r.errors.some((e) => e.extensions?.code === 'undefinedField' && e.extensions.fieldName === 'issueType')) {
        withType = false;
        continue;
      }
      const repository = r.data?.repository;
      const fatal = r.errors.find((e) => !(e.type === 'NOT_FOUND' && e.path?.length === 2 && e.path[0] === 'repository'));
      if (repository === null || repository === undefined || fatal) throw queryError(fatal, repository);
      return asRecord(repository)!;
    }
  }

  function queryError(e: GraphqlError | undefined, repository: unknown) {
    if (repository === null && (e === undefined || e.type === 'NOT_FOUND'))
      return failure(
        'E_ISSUES',
        `${o.label}: GraphQL: no repository ${o.repo}`,
        'check issues.repo in friday.config.json, and that the token can read it',
      );
    return failure(
      'E_ISSUES',
      `${o.label}: GraphQL: ${e?.message ?? 'the query failed'}`,
      'run again later; if it persists, check GITHUB_API_URL',
    );
  }

  const pending: PendingPage[] = [];

  function issueOf(node: Record<string, unknown>): Issue {
    const labels = (asRecord(node.labels)?.nodes as unknown[] | undefined) ?? [];
    const names = labels.map((l) => asRecord(l)?.name).filter((n): n is string => typeof n === 'string');
    const type = asRecord(node.issueType)?.name;
    if (typeof type === 'string') names.push(type);
    const issue: Issue = {
      id: node.number as number,
      title: String(node.title ?? ''),
      type: o.typeOf(names),
      author: loginOf(node.author),
      votes: [],
      ...createdAtOf(node.createdAt),
    };
    for (const [key, content] of [
      ['up', 'THUMBS_UP'],
      ['down', 'THUMBS_DOWN'],
    ] as const) {
      const conn = asRecord(node[key]);
      (issue.votes as Vote[]).push(...votesOf(conn, content));
      const page = asRecord(conn?.pageInfo);
      if (page?.hasNextPage === true && typeof page.endCursor === 'string') pending.push({ issue, content, after: page.endCursor });
    }
    return issue;
  }

  function take(node: Record<string, unknown>, known: Map<number, Issue>): void {
    if (!Number.isSafeInteger(node.number))
      throw failure('E_ISSUES', `${o.label}: GraphQL: an item without a number`, 'check GITHUB_API_URL');
    if (node.__typename !== 'PullRequest') {
      known.set(node.number as number, issueOf(node));
      return;
    }
    const closes: number[] = [];
    const closing = (asRecord(node.closingIssuesReferences)?.nodes as unknown[] | undefined) ?? [];
    for (const n of closing.map(asRecord)) {
      // GitHub links issues of other repositories too: only this one's count.
      if (!n || String(asRecord(n.repository)?.nameWithOwner).toLowerCase() !== o.repo.toLowerCase() || !Number.isSafeInteger(n.number))
        continue;
      closes.push(n.number as number);
      if (!known.has(n.number as number)) known.set(n.number as number, issueOf(n));
    }
    // A pull request merged into another branch than the default links nothing: its body says what it closes.
    const body = typeof node.body === 'string' ? node.body : '';
    known.set(node.number as number, {
      id: node.number as number,
      title: String(node.title ?? ''),
      type: 'other',
      author: loginOf(node.author),
      votes: [],
      pull: true,
      closes: closes.length > 0 ? closes : o.closingOf(body),
    });
  }

  async function pageReactions(): Promise<void> {
    while (pending.length > 0) {
      const batch = pending.splice(0, GRAPHQL_BATCH);
      const vars: Record<string, unknown> = {};
      batch.forEach((p, i) => Object.assign(vars, { [`i${i}`]: p.issue.id, [`a${i}`]: p.after, [`k${i}`]: p.content }));
      const repository = await ask(() => reactionsQuery(batch.length), vars);
      batch.forEach((p, i) => {
        const conn = asRecord(asRecord(repository[`r${i}`])?.reactions);
        (p.issue.votes as Vote[]).push(...votesOf(conn, p.content));
        const page = asRecord(conn?.pageInfo);
        if (page?.hasNextPage === true && typeof page.endCursor === 'string') pending.push({ ...p, after: page.endCursor });
      });
    }
  }

  return {
    async fetch(numbers, known) {
      for (let at = 0; at < numbers.length; at += GRAPHQL_BATCH) {
        const batch = numbers.slice(at, at + GRAPHQL_BATCH);
        const repository = await ask((t) => itemsQuery(batch.length, t), Object.fromEntries(batch.map((n, i) => [`n${i}`, n])));
        batch.forEach((_, i) => {
          const node = asRecord(repository[`n${i}`]);
          if (node) take(node, known); // null: no such number (a NOT_FOUND error says so)
        });
      }
      await pageReactions();
    },
  };
}

const loginOf = (author: unknown): string | null => {
  const login = asRecord(author)?.login;
  return typeof login === 'string' && login ? login : null;
};

/** 👍 is a vote of +1 and 👎 of −1, by the reacting user at the reaction's time; a deleted user's is no vote. */
function votesOf(conn: Record<string, unknown> | undefined, content: 'THUMBS_UP' | 'THUMBS_DOWN'): Vote[] {
  const votes: Vote[] = [];
  for (const n of ((conn?.nodes as unknown[] | undefined) ?? []).map(asRecord)) {
    const user = loginOf(n?.user);
    if (!n || user === null) continue;
    const vote: Vote = { user, value: content === 'THUMBS_UP' ? 1 : -1 };
    if (typeof n.createdAt === 'string' && !Number.isNaN(zonedTimeOf(n.createdAt))) vote.at = n.createdAt;
    votes.push(vote);
  }
  return votes;
}
