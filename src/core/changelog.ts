/**
 * The changelog of a range (docs/formats.md "Which issues a release contains", "changelog.json"):
 * commits → issue references (through the pull requests that close them) → ranked entries →
 * changelog.json; CHANGELOG.md is rendered from it (changelog-md.ts). Pure: commits, issues, the
 * earlier releases and the cut time are facts the caller reads.
 */
import type { BetweenRelease } from './earlier.js';
import type { RevertEntry } from './reverts.js';
import { compareRank, tally, type Weighting } from './votes/count.js';
import type { Issue } from './votes/validate.js';

export interface Entry {
  id: number;
  title: string;
  type: string;
  score: number;
  voters: number;
  author: string | null;
  commits: string[];
  /** The pull requests through which the commits credit the issue (absent when none). */
  pulls?: number[];
  /** The earlier release in which the issue won the Popcorn Award (absent when none). */
  popcornIn?: string;
}

/**
 * changelog.json. The fields after `contributors` are written only when they hold something, so
 * a week without them reads exactly as before they existed.
 */
export interface ChangelogJson {
  type: 'friday.changelog/v1';
  product: string;
  version: string | null;
  range: { from: string | null; to: string };
  commits: number;
  entries: Entry[];
  popcorn: { id: number; title: string; score: number } | null;
  unknownRefs: number[];
  contributors: string[];
  /** Prerelease versions whose commits this range folds in (`changelog.foldPrereleases`). */
  prereleases?: string[];
  /** Reverts of commits outside the range. */
  reverts?: RevertEntry[];
  /** Earlier releases a tester on some channel has not had. */
  between?: BetweenRelease[];
}

/** The issue source as the changelog reads it: a Map, or a file parsed one issue at a time. */
export type IssueLookup = Pick<ReadonlyMap<number, Issue>, 'has' | 'get'>;

/** A commit of the range whose references credit issues. */
export interface LinkedCommit {
  sha: string;
  refs: readonly number[];
}

export interface AssembleInput {
  product: string;
  version: string | null;
  range: { from: string | null; to: string };
  /** All commits in the range. */
  commitCount: number;
  /** The commits whose references credit issues, in git log order (reverts settled). */
  linked: readonly LinkedCommit[];
  /** The issue source, by id; null when the project has none (no entries, no unknown refs). */
  issues: IssueLookup | null;
  weighting: Weighting;
  reverts?: readonly RevertEntry[];
  /** Issues that won the Popcorn Award in an earlier release, with its version. */
  earlierPopcorn?: ReadonlyMap<number, string>;
  between?: readonly BetweenRelease[];
  prereleases?: readonly string[];
}

/**
 * Build changelog.json: each credited issue once, with its commits, ranked by votes. A number
 * that is a pull request credits the issues it closes, never itself.
 */
export function assemble(input: AssembleInput): ChangelogJson {
  const byIssue = new Map<number, { commits: string[]; pulls: number[] }>();
  const unknown = new Set<number>();
  const credit = (id: number, sha: string, pull: number | null) => {
    let e = byIssue.get(id);
    if (e === undefined) byIssue.set(id, (e = { commits: [], pulls: [] }));
    if (e.commits[e.commits.length - 1] !== sha) e.commits.push(sha); // a commit's numbers come together
    if (pull !== null && !e.pulls.includes(pull)) e.pulls.push(pull);
  };
  const issues = input.issues;
  if (issues) {
    const isIssue = (id: number) => issues.has(id) && issues.get(id)!.pull !== true;
    for (const c of input.linked) {
      for (const id of c.refs) {
        const item = issues.get(id);
        if (item === undefined) unknown.add(id);
        else if (item.pull !== true) credit(id, c.sha, null);
        else {
          for (const closed of item.closes ?? []) {
            if (isIssue(closed)) credit(closed, c.sha, id);
            else unknown.add(closed);
          }
        }
      }
    }
  }
  const won = input.earlierPopcorn ?? new Map<number, string>();
  const entries: Entry[] = [];
  for (const [id, { commits, pulls }] of byIssue) {
    const issue = issues!.get(id)!;
    const { score, voters } = tally(issue.votes, input.weighting);
    const entry: Entry = { id, title: issue.title, type: issue.type, score, voters, author: issue.author, commits };
    if (pulls.length > 0) entry.pulls = pulls;
    if (won.has(id)) entry.popcornIn = won.get(id)!;
    entries.push(entry);
  }
  entries.sort(compareRank);
  // An issue that already won is still listed, but the award goes to a feature that has not.
  const top = entries.find((e) => e.type === 'feature' && e.score > 0 && e.popcornIn === undefined);
  const contributors = [...new Set(entries.map((e) => e.author).filter((a): a is string => a !== null))].sort();
  const json: ChangelogJson = {
    type: 'friday.changelog/v1',
    product: input.product,
    version: input.version,
    range: { from: input.range.from, to: input.range.to },
    commits: input.commitCount,
    entries,
    popcorn: top ? { id: top.id, title: top.title, score: top.score } : null,
    unknownRefs: [...unknown].sort((a, b) => a - b),
    contributors,
  };
  if (input.prereleases?.length) json.prereleases = [...input.prereleases];
  if (input.reverts?.length) json.reverts = [...input.reverts];
  if (input.between?.length) json.between = [...input.between];
  return json;
}
