import { describe, expect, it } from 'vitest';
import { assemble, escapeMd, refsOf, renderMarkdown, type AssembleInput } from '../../src/core/changelog.js';
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
    expect(assemble(input({ notIssues: new Set([55]) })).unknownRefs).toEqual([999]);
  });

  it('without an issue source: no entries, no unknown references, commits still counted', () => {
    const cl = assemble(input({ issues: null }));
    expect(cl).toMatchObject({ entries: [], unknownRefs: [], popcorn: null, contributors: [], commits: 5 });
  });
});

describe('renderMarkdown', () => {
  it('puts the title, the Popcorn Award, the sections in order, then the thanks', () => {
    const md = renderMarkdown(assemble(input()), '2026-11-27');
    const order = [
      '# aurora 2026.48.0 — 2026-11-27',
      '5 commits since v2026.47.0.',
      '## 🍿 Popcorn Award',
      '**Issue 1** (#1)',
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
