/**
 * The changelog of a range (formats.md "Which issues a release contains", "changelog.json"):
 * commits → issue references → ranked entries → changelog.json → CHANGELOG.md. Pure: commits,
 * issues and the cut time are facts the caller reads.
 */
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
}

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
}

/** The issue source as the changelog reads it: a Map, or a file parsed one issue at a time. */
export type IssueLookup = Pick<ReadonlyMap<number, Issue>, 'has' | 'get'>;

/** A commit of the range that references at least one issue. */
export interface LinkedCommit {
  sha: string;
  refs: readonly number[];
}

// `#123` anywhere in the subject or body: `Fixes #123`, `closes #123`, `(#123)`. Not when glued to
// a word (`owner/repo#12` is another repository's issue) or an HTML entity (`&#123;`).
const REF = /(?<![\w&])#(\d{1,15})(?![\w])/g;

/** The issue numbers a commit message references, each once, in order of appearance. */
export function refsOf(message: string): number[] {
  if (!message.includes('#')) return [];
  const out: number[] = [];
  for (const m of message.matchAll(REF)) {
    const id = Number(m[1]);
    if (id > 0 && Number.isSafeInteger(id) && !out.includes(id)) out.push(id);
  }
  return out;
}

export interface AssembleInput {
  product: string;
  version: string | null;
  range: { from: string | null; to: string };
  /** All commits in the range. */
  commitCount: number;
  /** The commits that reference issues, in git log order. */
  linked: readonly LinkedCommit[];
  /** The issue source, by id; null when the project has none (no entries, no unknown refs). */
  issues: IssueLookup | null;
  /** Numbers the source knows are not issues (pull requests): neither entries nor unknown. */
  notIssues?: ReadonlySet<number>;
  weighting: Weighting;
}

/** Build changelog.json: each referenced issue once, with its commits, ranked by votes. */
export function assemble(input: AssembleInput): ChangelogJson {
  const byIssue = new Map<number, string[]>();
  const unknown = new Set<number>();
  if (input.issues) {
    for (const c of input.linked) {
      for (const id of c.refs) {
        if (input.issues.has(id)) {
          const shas = byIssue.get(id);
          if (shas === undefined) byIssue.set(id, [c.sha]);
          else shas.push(c.sha); // refsOf lists an issue once per commit
        } else if (!input.notIssues?.has(id)) unknown.add(id);
      }
    }
  }
  const entries: Entry[] = [];
  for (const [id, commits] of byIssue) {
    const issue = input.issues!.get(id)!;
    const { score, voters } = tally(issue.votes, input.weighting);
    entries.push({ id, title: issue.title, type: issue.type, score, voters, author: issue.author, commits });
  }
  entries.sort(compareRank);
  const top = entries.find((e) => e.type === 'feature' && e.score > 0);
  const contributors = [...new Set(entries.map((e) => e.author).filter((a): a is string => a !== null))].sort();
  return {
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
}

/** Sections in reading order; every type that is not one of the first three is "other". */
export const SECTIONS = [
  { type: 'feature', heading: '✨ Features' },
  { type: 'improvement', heading: '🛠️ Improvements' },
  { type: 'bug', heading: '🐛 Fixes' },
  { type: null, heading: '📦 Other' },
] as const;

const KNOWN_TYPES = new Set(['feature', 'improvement', 'bug']);

/** The entries of one section, in rank order (entries are already ranked). */
export function sectionEntries(entries: readonly Entry[], type: string | null): Entry[] {
  return entries.filter((e) => (type === null ? !KNOWN_TYPES.has(e.type) : e.type === type));
}

/**
 * Text from fans goes into Markdown: escape what would start a link, HTML, code or emphasis, so
 * a title renders as written. An underscore inside a word (`mifan_42`) is left alone, as GitHub
 * never reads it as emphasis.
 */
export function escapeMd(s: string): string {
  return s
    .replace(/[\r\n]+/g, ' ')
    .replace(/[\\`*[\]<>|~]/g, '\\$&')
    .replace(/(^|[^\p{L}\p{N}])_|_(?=$|[^\p{L}\p{N}])/gu, (m) => m.replace('_', '\\_'))
    .replace(/^([#+-]|\d+\.)(?=\s)/, '\\$1');
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
const issueRef = (id: number) => `#${id}`;

function entryLine(e: Entry): string {
  const by = e.author === null ? '' : `, reported by ${escapeMd(e.author)}`;
  return `- **${escapeMd(e.title)}** (${issueRef(e.id)}) — score ${e.score}, ${plural(e.voters, 'voter', 'voters')}${by}`;
}

/**
 * CHANGELOG.md: short lines that read well on a phone and as a GitHub release. Title with the
 * version and date, the Popcorn Award, the sections by rank, then thanks to every contributor.
 * `date` is the cut day (YYYY-MM-DD).
 */
export function renderMarkdown(cl: ChangelogJson, date: string): string {
  const out: string[] = [];
  out.push(cl.version === null ? `# ${cl.product} — unreleased changes (${date})` : `# ${cl.product} ${cl.version} — ${date}`);
  out.push('');
  const commits = plural(cl.commits, 'commit', 'commits');
  out.push(cl.range.from === null ? `${commits} up to ${cl.range.to}.` : `${commits} since ${cl.range.from}.`);
  const popcorn = cl.popcorn === null ? undefined : cl.entries.find((e) => e.id === cl.popcorn!.id);
  if (popcorn) {
    out.push('', '## 🍿 Popcorn Award', '');
    out.push(`**${escapeMd(popcorn.title)}** (${issueRef(popcorn.id)})`);
    const by = popcorn.author === null ? '' : ` — reported by ${escapeMd(popcorn.author)}`;
    out.push(`The fans' favourite this week: score ${popcorn.score} from ${plural(popcorn.voters, 'voter', 'voters')}${by}.`);
  }
  if (cl.entries.length === 0) {
    out.push('', cl.commits === 0 ? 'Nothing changed this week.' : 'No fan-reported issues this week: maintenance and groundwork only.');
  }
  for (const s of SECTIONS) {
    const list = sectionEntries(cl.entries, s.type);
    if (list.length === 0) continue;
    out.push('', `## ${s.heading}`, '');
    for (const e of list) out.push(entryLine(e));
  }
  if (cl.contributors.length > 0) {
    out.push('', '## 🙏 Thank you', '');
    out.push(`Reported by ${joinNames(cl.contributors.map(escapeMd))}. Thank you for every report and every vote.`);
  }
  return out.join('\n') + '\n';
}

function joinNames(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
