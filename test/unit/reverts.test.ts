/** Reverts in a range: pairs cancel, a revert of an earlier release's commit is listed, a revert of a revert restores. */
import { describe, expect, it } from 'vitest';
import { settleReverts, type RangeCommit } from '../../src/core/reverts.js';

const sha = (c: string) => c.repeat(40);
/** The range: these commits, newest first, plus `quiet` ones that reference nothing. */
function settle(commits: RangeCommit[], quiet: string[] = []) {
  const all = [...commits.map((c) => c.sha), ...quiet];
  const r = settleReverts(commits, (s) => all.find((x) => x.startsWith(s)) ?? null);
  return { linked: r.linked.map((c) => ({ sha: c.sha, refs: c.refs })), reverts: r.reverts };
}
const plain = (c: string, refs: number[]): RangeCommit => ({ sha: sha(c), refs, reverts: [] });
const revert = (c: string, of: string[], refs: number[] = [], closes: number[] = []): RangeCommit => ({
  sha: sha(c),
  refs,
  reverts: of,
  closes,
  subject: `Revert "${c}"`,
});

describe('settleReverts', () => {
  it('cancels a commit and its revert in the same range: neither credits an issue', () => {
    const r = settle([revert('b', [sha('a')], [12]), plain('c', [13]), plain('a', [12])]);
    expect(r).toEqual({ linked: [{ sha: sha('c'), refs: [13] }], reverts: [] });
  });

  it('pairs an abbreviated hash, and a commit that references nothing', () => {
    expect(settle([revert('b', ['aaaaaaa'], [12])], [sha('a')])).toEqual({ linked: [], reverts: [] });
  });

  it('lists a revert of a commit outside the range; its own Fixes still credit', () => {
    const r = settle([revert('b', ['0123456789abcdef'], [12, 44], [44]), plain('c', [13])]);
    expect(r.reverts).toEqual([{ sha: sha('b'), reverts: ['0123456789abcdef'], subject: 'Revert "b"', refs: [12] }]);
    expect(r.linked).toEqual([
      { sha: sha('b'), refs: [44] },
      { sha: sha('c'), refs: [13] },
    ]);
  });

  it('puts a change back when its revert is reverted in turn', () => {
    const r = settle([revert('c', [sha('b')]), revert('b', [sha('a')], [12]), plain('a', [12])]);
    expect(r).toEqual({ linked: [{ sha: sha('a'), refs: [12] }], reverts: [] });
  });

  it('keeps a squashed revert of two commits, one inside and one outside the range, as a revert of the outside one', () => {
    const r = settle([revert('b', [sha('a'), 'fedcba9'], [12]), plain('a', [12])]);
    expect(r.linked).toEqual([]);
    expect(r.reverts).toMatchObject([{ sha: sha('b'), reverts: ['fedcba9'] }]);
  });
});
