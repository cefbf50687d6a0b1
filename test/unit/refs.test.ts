/**
 * References as GitHub links them, on real commit messages (test/corpus/real-history: copied from
 * orhun/git-cliff and sharkdp/bat, with the expected numbers read by hand), and the closing
 * keywords and revert lines.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closingRefsOf, refsOf, revertedBy, type RefScope } from '../../src/core/refs.js';
import { ROOT } from '../helpers/index.js';

interface Real {
  repo: string;
  sha: string;
  kind: string;
  message: string;
}
const corpus = JSON.parse(readFileSync(join(ROOT, 'test/corpus/real-history/real_messages.json'), 'utf8')) as {
  messages: Real[];
  revert_pairs: { repo: string; original: { sha: string; message: string }; revert: { sha: string; message: string } }[];
};
const real = (sha: string): Real => {
  const m = corpus.messages.find((x) => x.sha.startsWith(sha));
  if (!m) throw new Error(`no message ${sha} in the corpus`);
  return m;
};
const scopeOf = (repo: string | null): RefScope => ({ repo, hosts: ['github.com'] });
/** The numbers a real message references, read as its own repository's. */
const refsIn = (sha: string) => refsOf(real(sha).message, scopeOf(real(sha).repo));

describe('refsOf on real messages', () => {
  it.each([
    // squash titles, keyword bodies, lists
    ['3e1cf2a1df', [454], 'a Dependabot squash: its links name other repositories'],
    ['59d4cfb75c', [1937, 234, 403, 1572, 1823, 1897], 'a list in prose'],
    ['418fce5683', [1874, 1872], 'See #1874 and #1872.'],
    ['d9ac757b6a', [2644], 'Fixes: #2644'],
    ['7c98a1c901', [367], 'Closes: #367'],
    // the repository's own qualified references and URLs count
    ['0ed527f0d1', [3198], 'See sharkdp/bat#3198.'],
    ['74ec390770', [962], 'Fix sharkdp/bat#962'],
    ['baf34a81f0', [158], 'a pull request URL with an anchor'],
    ['0c7769b52f', [116, 102], 'issue: https://github.com/orhun/git-cliff/issues/102'],
    ['77cfca1aff', [2115], 'This fixes https://github.com/sharkdp/bat/issues/2115'],
    // other repositories' do not
    ['ea7fafca1e', [3634], 'sharkdp/fd#1891 is another repository'],
    ['497342fabb', [], 'victor-gp/cmd-help-sublime-syntax#23'],
    ['f26fbe09ff', [], 'another repository pull request URL'],
    ['c4bbf28862', [1292], 'an upstream URL, then closes #1292'],
    // glued numbers are no GitHub link
    ['eff57943c9', [], '(fixes#3577)'],
    ['3dfb51b25d', [], 'PR#3351'],
    ['39112e80c3', [], 'Closes sharkdp#649 (owner#N is no link)'],
    ['dfa024f9e6', [], 'closes sharkdp#36'],
    // code is an example
    ['2950a412c2', [15], '(#8) and (#11) inside fenced blocks'],
  ])('%s → %j (%s)', (sha, expected) => {
    expect(refsIn(sha)).toEqual(expected);
  });

  it('reads a commit hash after # as no reference', () => {
    const m = corpus.messages.find((x) => x.kind === 'hash-then-letters')!;
    expect(refsOf(m.message, scopeOf(m.repo))).toEqual([]);
  });

  it('never finds a number without a configured repository that it would not find with one', () => {
    for (const m of corpus.messages) {
      const bare = refsOf(m.message);
      const scoped = refsOf(m.message, scopeOf(m.repo));
      expect(scoped, m.sha).toEqual(expect.arrayContaining(bare));
      // Qualified forms count only for their own repository.
      const other = m.repo === 'sharkdp/bat' ? 'orhun/git-cliff' : 'sharkdp/bat';
      expect(refsOf(m.message, scopeOf(other)), m.sha).toEqual(bare);
    }
  });
});

describe('refsOf forms', () => {
  const scope = scopeOf('aurora-org/aurora');
  it('finds #N, GH-N, owner/name#N and the URLs of this repository only', () => {
    expect(refsOf('fix: wifi (GH-12)', scope)).toEqual([12]);
    expect(refsOf('see gh-12 and XGH-13', scope)).toEqual([]);
    expect(refsOf('Fixes Aurora-Org/Aurora#7 and aurora-org/kernel#8', scope)).toEqual([7]);
    expect(refsOf('https://github.com/aurora-org/aurora/issues/9 and http://github.com/aurora-org/aurora/pull/10/files', scope)).toEqual([
      9, 10,
    ]);
    expect(refsOf('https://gitlab.com/aurora-org/aurora/issues/11', scope)).toEqual([]);
    expect(refsOf('https://ghe.example/aurora-org/aurora/issues/11', { ...scope, hosts: ['github.com', 'ghe.example'] })).toEqual([11]);
  });

  it('skips inline code and fenced blocks, keeps what follows them', () => {
    expect(refsOf('fix `#[derive]` and `#12` (#13)', scope)).toEqual([13]);
    expect(refsOf('a\n~~~\n#14\n~~~\nFixes #15', scope)).toEqual([15]);
  });
});

describe('closingRefsOf: what a pull request body closes', () => {
  const scope = scopeOf('aurora-org/aurora');
  it('reads each of GitHub closing keywords right before its reference', () => {
    const body =
      'Closes #1, fixes: #2\nResolved https://github.com/aurora-org/aurora/issues/3\nFIXED aurora-org/aurora#4\nsee #5, fixes #5';
    expect(closingRefsOf(body, scope)).toEqual([1, 2, 3, 4, 5]);
    expect(closingRefsOf('Fixes #6, #7 and refs #8', scope)).toEqual([6]); // each number needs its keyword
    expect(closingRefsOf('prefixes #9, fixes aurora-org/kernel#10, fixes`#11`', scope)).toEqual([]);
  });
});

describe('revertedBy', () => {
  it("reads git's line in the real revert pairs", () => {
    for (const p of corpus.revert_pairs) expect(revertedBy(p.revert.message), p.revert.sha).toEqual([p.original.sha]);
  });

  it('reads the hand-written forms, and nothing from a subject that names no commit', () => {
    expect(revertedBy(real('92e93682c6').message)).toEqual(['f8ed8aa74b620a8eb56c6b95c10e821daf416345']);
    expect(revertedBy("Revert 9ed8db22c ('windows' pager process execution fix) based on PR feedback")).toEqual(['9ed8db22c']);
    expect(revertedBy('Revert accidental regex literal -> unicode char change in Manpage syntax\n')).toEqual([]);
    expect(revertedBy('fix: revert the cache\n\nrevert: error_for_status')).toEqual([]);
  });
});
