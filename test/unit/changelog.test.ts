import { describe, expect, it } from 'vitest';
import { assemble, type AssembleInput } from '../../src/core/changelog.js';
import { escapeMd, renderMarkdown } from '../../src/core/changelog-md.js';
import { refsOf } from '../../src/core/refs.js';
import type { Issue } from '../../src/core/votes/validate.js';

describe('refsOf: which issues a commit references', () => {
  it('finds #N in the subject and the body, each once, in order', () => {
    expect(refsOf('feat(dialer): show the answer time (#123)')).toEqual([123]);
    expect(refsOf('fix: wifi\n\nFixes #124\ncloses #125, see #124')).toEqual([124, 125]);
    expect(refsOf('Closes #7.\nRefs #8,#9')).toEqual([7, 8, 9]);
  });

  it('ignores other repositories, HTML entities, anchors glued to words and #0', () => {
    expect(refsOf('Upstream: aurora-org/kernel#5')).toEqual([]);
    expect(refsOf('escape &#123; in templates')).toEqual([]);
    expect(refsOf('see page.html#12 and #12abc and #0')).toEqual([]);
    expect(refsOf('no references here')).toEqual([]);
  });
});

const issue = (id: number, over: Partial<Issue> = {}): Issue => ({
  id,
  title: `Issue ${id}`,
  type: 'feature',
  author: `fan${id}`,
  votes: 0,
  ...over,
});

function input(over: Partial<AssembleInput> = {}): AssembleInput {
  const issues = new Map<number, Issue>([
    [1, issue(1, { votes: 3 })],
    [2, issue(2, { type: 'bug', votes: 10 })],
    [3, issue(3, { votes: [{ user: 'a', value: -1 }] })],
    [4, issue(4, { type: 'docs', author: null, votes: 1 })],
  ]);
  return {
    product: 'aurora',
    version: '2026.48.0',
    range: { from: 'v2026.47.0', to: 'v2026.48.0' },
    commitCount: 5,
    linked: [
      { sha: 'c5', refs: [1, 999] },
      { sha: 'c4', refs: [2] },
      { sha: 'c3', refs: [1, 3] },
      { sha: 'c2', refs: [4, 55] },
    ],
    issues,
    weighting: { weights: { default: 1 }, tiers: new Map(), cutTime: Date.parse('2026-11-27T17:00:00Z') },
    ...over,
  };
}

describe('assemble', () => {
  it('lists each referenced issue once with its commits, ranked, and counts unknown references', () => {
    const cl = assemble(input());
    expect(cl.entries.map((e) => [e.id, e.score, e.commits])).toEqual([
      [2, 10, ['c4']],
      [1, 3, ['c5', 'c3']],
      [4, 1, ['c2']],
      [3, -1, ['c3']],
    ]);
    expect(cl.unknownRefs).toEqual([55, 999]);
    expect(cl.commits).toBe(5);
    expect(cl.type).toBe('friday.changelog/v1');
  });

  it('awards the popcorn to the top feature with a score above 0', () => {
    expect(assemble(input()).popcorn).toEqual({ id: 1, title: 'Issue 1', score: 3 });
    const onlyNegative = input({ linked: [{ sha: 'c', refs: [3, 2] }] });
    expect(assemble(onlyNegative).popcorn).toBeNull();
  });

  it('credits the authors of the included issues, sorted, each once', () => {
    const cl = assemble(
      input({
        linked: [{ sha: 'c', refs: [3, 1, 4] }],
        issues: new Map([
          [1, issue(1, { author: 'zed' })],
          [3, issue(3, { author: 'ana' })],
          [4, issue(4, { author: 'zed' })],
        ]),
      }),
    );
    expect(cl.contributors).toEqual(['ana', 'zed']);
  });

  it('does not report pull request numbers as unknown issues', () => {
    const issues = new Map(input().issues as Map<number, Issue>);
    issues.set(55, issue(55, { pull: true }));
    expect(assemble(input({ issues })).unknownRefs).toEqual([999]);
  });

  it('credits the issues a pull request closes, with the pull request, never the pull request itself', () => {
    const issues = new Map(input().issues as Map<number, Issue>);
    issues.set(87, issue(87, { pull: true, closes: [1, 4, 404] }));
    issues.set(88, issue(88, { pull: true }));
    const cl = assemble(
      input({
        issues,
        linked: [
          { sha: 'c9', refs: [87, 1, 88] },
          { sha: 'c8', refs: [2] },
        ],
      }),
    );
    expect(cl.entries.map((e) => [e.id, e.commits, e.pulls])).toEqual([
      [2, ['c8'], undefined],
      [1, ['c9'], [87]], // once per commit, though referenced directly too
      [4, ['c9'], [87]],
    ]);
    expect(cl.unknownRefs).toEqual([404]); // a closed number the source does not know
    expect(renderMarkdown(cl, '2026-11-27')).toContain('- **Issue 1** (#1 via #87) — score 3');
  });

  it('gives the Popcorn Award to a feature that has not won it before, and still lists the earlier winner', () => {
    const cl = assemble(
      input({
        issues: new Map([...(input().issues as Map<number, Issue>), [5, issue(5, { votes: 2 })]]),
        linked: [{ sha: 'c', refs: [1, 5] }],
        earlierPopcorn: new Map([[1, '2026.46.0']]),
      }),
    );
    expect(cl.popcorn).toEqual({ id: 5, title: 'Issue 5', score: 2 });
    expect(cl.entries[0]).toMatchObject({ id: 1, popcornIn: '2026.46.0' });
    expect(renderMarkdown(cl, '2026-11-27')).toContain(
      '- **Issue 1** (#1) — score 3, 3 voters, reported by fan1, 🍿 Popcorn Award in 2026.46.0',
    );
  });

  it('writes reverts, releases in between and folded prereleases only when there are some', () => {
    const plainWeek = assemble(input());
    expect(Object.keys(plainWeek)).toEqual([
      'type',
      'product',
      'version',
      'range',
      'commits',
      'entries',
      'popcorn',
      'unknownRefs',
      'contributors',
    ]);
    const cl = assemble(
      input({
        reverts: [{ sha: 'f'.repeat(40), reverts: ['0123456789abcdef'], subject: 'Revert "feat: *bold* idea (#3)"', refs: [3] }],
        between: [
          {
            version: '2026.47.0',
            changelog: 'releases/2026.47.0/CHANGELOG.md',
            channels: [
              { channel: 'beta', status: 'rolled back' },
              { channel: 'stable', status: 'never live' },
            ],
            entries: [1, 2, 3, 4].map((id) => ({ id, title: `Old ${id}`, type: 'bug' })),
          },
          { version: '2026.47.1', changelog: null, channels: [{ channel: 'stable', status: 'never live' }], entries: [] },
        ],
        prereleases: ['2026.48.0-rc.1', '2026.48.0-rc.2'],
      }),
    );
    const md = renderMarkdown(cl, '2026-11-27');
    expect(md).toContain('5 commits since v2026.47.0, including the prereleases 2026.48.0-rc.1 and 2026.48.0-rc.2.');
    expect(md).toContain('## ↩️ Reverted\n\n- Revert "feat: \\*bold\\* idea (#3)" (fffffff reverts 0123456)\n');
    expect(md).toContain(
      '## ⏭️ Releases in between\n\nTesters whose channel never carried these releases get their changes with this one too.\n\n' +
        '- **2026.47.0** (rolled back on beta; never live on stable): Old 1 (#1), Old 2 (#2), Old 3 (#3) and 1 more — [its changelog](../2026.47.0/CHANGELOG.md)\n' +
        '- **2026.47.1** (never live on stable): no fan-reported issues\n',
    );
    expect(md.indexOf('Releases in between')).toBeLessThan(md.indexOf('Thank you'));
  });

  it('without an issue source: no entries, no unknown references, commits still counted', () => {
    const cl = assemble(input({ issues: null }));
    expect(cl).toMatchObject({ entries: [], unknownRefs: [], popcorn: null, contributors: [], commits: 5 });
  });
});

describe('renderMarkdown', () => {
  it('puts the title, the Popcorn Award nominees, the sections in order, then the thanks', () => {
    const md = renderMarkdown(assemble(input()), '2026-11-27');
    const order = [
      '# aurora 2026.48.0 — 2026-11-27',
      '5 commits since v2026.47.0.',
      '## 🍿 Popcorn Award nominees',
      '1. **Issue 1** (#1)',
      '## ✨ Features',
      '## 🐛 Fixes',
      '## 📦 Other',
      '## 🙏 Thank you',
    ];
    let at = -1;
    for (const s of order) {
      const next = md.indexOf(s, at + 1);
      expect(next, s).toBeGreaterThan(at);
      at = next;
    }
    expect(md).toContain('- **Issue 2** (#2) — score 10, 10 voters, reported by fan2');
    // Reporters are thanked with their grade from the fans' grades file.
    expect(renderMarkdown(assemble(input()), '2026-11-27', new Map([['fan2', 'lead']]))).toMatch(/Reported by .*fan2 \(lead\)/);
    expect(md).toContain('- **Issue 3** (#3) — score -1, 0 voters, reported by fan3');
    expect(md).toContain('- **Issue 4** (#4) — score 1, 1 voter\n');
    expect(md).toContain('Reported by fan1, fan2 and fan3.');
    expect(md).not.toContain('Improvements');
  });

  it('says so when the week has no fan-reported issue, and when nothing changed', () => {
    const quiet = renderMarkdown(assemble(input({ version: null, range: { from: 'v2026.48.0', to: 'HEAD' }, linked: [] })), '2026-12-04');
    expect(quiet).toBe(
      '# aurora — unreleased changes (2026-12-04)\n\n5 commits since v2026.48.0.\n\nNo fan-reported issues this week: maintenance and groundwork only.\n',
    );
    const none = renderMarkdown(assemble(input({ commitCount: 0, linked: [], range: { from: null, to: 'HEAD' } })), '2026-12-04');
    expect(none).toContain('0 commits up to HEAD.');
    expect(none).toContain('Nothing changed this week.');
  });

  it('escapes Markdown in fan-written text', () => {
    expect(escapeMd('Fix *all* [links] <b> `code`')).toBe('Fix \\*all\\* \\[links\\] \\<b\\> \\`code\\`');
    expect(escapeMd('mifan_42')).toBe('mifan_42');
    expect(escapeMd('_lead_ name')).toBe('\\_lead\\_ name');
    expect(escapeMd('# not a heading\nsecond line')).toBe('\\# not a heading second line');
  });
});
