/**
 * Reverts in a range (docs/changelog.md "Reverts"): a commit and its revert in the same range
 * cancel out, and neither credits an issue; a revert of a commit outside the range (an earlier
 * release's) is listed as a revert. A revert of a revert puts the first change back. Pure: the
 * caller reads the commits. Only git's own line counts (`This reverts commit <sha>.`): a subject
 * that merely starts with "Revert" names no commit to pair with.
 */

/** A commit of the range that references a number or reverts a commit. */
export interface RangeCommit {
  sha: string;
  /** Every number the message references (core/refs.ts `refsOf`). */
  refs: readonly number[];
  /** The commits it says it reverts, full or abbreviated; empty for an ordinary commit. */
  reverts: readonly string[];
  /** For a revert: the numbers it closes itself (`Fixes #44`), credited like any commit's. */
  closes?: readonly number[];
  /** For a revert: its subject line, for the listing. */
  subject?: string;
}

/** A revert of a commit outside the range. */
export interface RevertEntry {
  sha: string;
  /** The reverted commits, as the message names them. */
  reverts: string[];
  subject: string;
  /** The numbers it references that it does not close: the reverted change's. */
  refs: number[];
}

export interface Settled {
  /** The commits whose references credit issues, in the order given. */
  linked: readonly { sha: string; refs: readonly number[] }[];
  reverts: RevertEntry[];
}

/**
 * Settle the reverts of a range. `commits` are the range's commits that reference a number or
 * revert one, newest first; `inRange` finds the full hash of a range commit from a full or
 * abbreviated one (null when it is not in the range).
 */
export function settleReverts(commits: readonly RangeCommit[], inRange: (sha: string) => string | null): Settled {
  const targets = new Map<string, (string | null)[]>();
  const revertersOf = new Map<string, string[]>();
  for (const c of commits) {
    if (c.reverts.length === 0) continue;
    const full = c.reverts.map(inRange);
    targets.set(c.sha, full);
    for (const t of full) if (t !== null) (revertersOf.get(t) ?? revertersOf.set(t, []).get(t)!).push(c.sha);
  }
  // Most ranges revert nothing: their commits stand as they are, with no copy made.
  if (targets.size === 0) return { linked: commits, reverts: [] };
  // A commit is in effect unless a revert that is itself in effect undoes it. Reverts point at
  // older commits (a hash cannot name a later one), so the recursion ends.
  const effect = new Map<string, boolean>();
  const inEffect = (sha: string): boolean => {
    const reverters = revertersOf.get(sha);
    if (reverters === undefined) return true;
    let e = effect.get(sha);
    if (e === undefined) {
      e = !reverters.some(inEffect);
      effect.set(sha, e);
    }
    return e;
  };
  const out: { linked: RangeCommit[]; reverts: RevertEntry[] } = { linked: [], reverts: [] };
  for (const c of commits) {
    if (!inEffect(c.sha)) continue;
    const full = targets.get(c.sha);
    if (full === undefined) {
      if (c.refs.length > 0) out.linked.push(c);
      continue;
    }
    const outside = c.reverts.filter((_, i) => full[i] === null);
    // A revert whose every target is in the range cancels with them: nothing of either ships.
    if (outside.length === 0) continue;
    const closes = c.closes ?? [];
    out.reverts.push({ sha: c.sha, reverts: outside, subject: c.subject ?? '', refs: c.refs.filter((n) => !closes.includes(n)) });
    if (closes.length > 0) out.linked.push({ sha: c.sha, refs: closes, reverts: [] });
  }
  return out;
}
