/**
 * Computing the next version (docs/formats.md "versioning"). Pure: the tags and commit messages are
 * facts the caller reads from git.
 */
// Only the function used: the whole semver package costs ~40 ms to load.
import inc from 'semver/functions/inc.js';
import { isoWeek } from './time.js';

export type Bump = 'major' | 'minor' | 'patch';

// Semantic Versioning 2.0.0, the regular expression of semver.org.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** The version a tag names, when it is a release tag `<prefix><semver>` (docs/formats.md); else null. */
export function releaseVersionOf(tag: string, prefix: string): string | null {
  if (!tag.startsWith(prefix)) return null;
  const v = tag.slice(prefix.length);
  return SEMVER.test(v) ? v : null;
}

/** `YEAR.WEEK.N`: ISO week-numbering year and week of the cut, N one past the week's highest tag. */
export function nextCalver(now: Date, tags: readonly string[], prefix: string): string {
  const { year, week } = isoWeek(now);
  const head = `${prefix}${year}.${week}.`;
  let highest = -1;
  for (const t of tags) {
    if (!t.startsWith(head)) continue;
    const rest = t.slice(head.length);
    if (/^(0|[1-9]\d*)$/.test(rest)) highest = Math.max(highest, Number(rest));
  }
  return `${year}.${week}.${highest + 1}`;
}

const CC_HEADER = /^(\w+)(?:\([^)]*\))?(!)?:\s/;

/** The Conventional Commits bump a single commit message asks for. */
export function bumpOf(message: string): Bump {
  const [subject = '', ...rest] = message.split('\n');
  const m = CC_HEADER.exec(subject);
  if (m?.[2] === '!' || /^BREAKING[ -]CHANGE:\s/m.test(rest.join('\n'))) return 'major';
  if (m?.[1]?.toLowerCase() === 'feat') return 'minor';
  return 'patch';
}

const RANK: Record<Bump, number> = { patch: 0, minor: 1, major: 2 };

/** The largest bump among the messages (patch when there are none: a cut always moves forward). */
export function bumpOfAll(messages: readonly string[]): Bump {
  let b: Bump = 'patch';
  for (const m of messages) {
    const x = bumpOf(m);
    if (RANK[x] > RANK[b]) b = x;
    if (b === 'major') break;
  }
  return b;
}

/** The next semver: 1.0.0 for the first release, else the previous one bumped. */
export function nextSemver(previous: string | null, messages: readonly string[], forced?: Bump): string {
  if (previous === null) return '1.0.0';
  const bump = forced ?? bumpOfAll(messages);
  const next = inc(previous, bump);
  if (!next) throw new Error(`cannot bump ${previous}`);
  return next;
}

/** Calver needs a greater version than any earlier release: used by `--force` on a tagged HEAD. */
export function isValidVersion(v: string): boolean {
  return SEMVER.test(v);
}
