import { describe, expect, it } from 'vitest';
import { compareRank, tally, type Weighting } from '../../src/core/votes/count.js';
import { validateIssues, validateTiers, type Vote } from '../../src/core/votes/validate.js';

const CUT = Date.parse('2026-11-27T17:00:00Z');
const weighting = (over: Partial<Weighting> = {}): Weighting => ({
  weights: { default: 1, tester: 2, lead: 3 },
  tiers: new Map(),
  cutTime: CUT,
  ...over,
});

describe('tally: the counting rules of docs/formats.md', () => {
  it('counts one vote per user, the latest by `at`', () => {
    const votes: Vote[] = [
      { user: 'ana', value: -1, at: '2026-11-21T10:00:00Z' },
      { user: 'ana', at: '2026-11-22T10:00:00Z' },
      { user: 'ana', value: -1, at: '2026-11-20T10:00:00Z' }, // listed last but older: not her latest
    ];
    expect(tally(votes, weighting())).toEqual({ score: 1, voters: 1 });
  });

  it('puts votes without `at` before dated ones, and keeps list order among them', () => {
    expect(
      tally(
        [
          { user: 'bo', at: '2026-11-01T00:00:00Z' },
          { user: 'bo', value: -1 },
        ],
        weighting(),
      ),
    ).toEqual({ score: 1, voters: 1 });
    expect(tally([{ user: 'bo' }, { user: 'bo', value: -1 }], weighting())).toEqual({ score: -1, voters: 0 });
    expect(tally([{ user: 'bo', value: -1 }, { user: 'bo' }], weighting())).toEqual({ score: 1, voters: 1 });
  });

  it('breaks a tie of `at` by list order (the last listed wins)', () => {
    const at = '2026-11-21T10:00:00Z';
    expect(
      tally(
        [
          { user: 'cy', at },
          { user: 'cy', value: -1, at },
        ],
        weighting(),
      ),
    ).toEqual({ score: -1, voters: 0 });
  });

  it('compares times, not strings: offsets count', () => {
    // 11:30+02:00 is 09:30Z, earlier than 10:00Z: the +1 at 10:00Z is the latest.
    const votes: Vote[] = [
      { user: 'dee', at: '2026-11-21T10:00:00Z' },
      { user: 'dee', value: -1, at: '2026-11-21T11:30:00+02:00' },
    ];
    expect(tally(votes, weighting())).toEqual({ score: 1, voters: 1 });
  });

  it('subtracts negative votes with their weight and does not count them as voters', () => {
    const votes: Vote[] = [{ user: 'a' }, { user: 'b', value: -1, tier: 'lead' }, { user: 'c', value: 1, tier: 'tester' }];
    expect(tally(votes, weighting())).toEqual({ score: 1 - 3 + 2, voters: 2 });
  });

  it('weighs an unknown tier, and a vote without tier, by the default weight', () => {
    expect(tally([{ user: 'a', tier: 'stargazer' }, { user: 'b' }], weighting())).toEqual({ score: 2, voters: 2 });
    expect(tally([{ user: 'a', tier: 'stargazer' }], weighting({ weights: { default: 0.5 } }))).toEqual({ score: 0.5, voters: 1 });
  });

  it('takes the tier of a vote without one from the tiers file, and the vote’s own tier first', () => {
    const tiers = new Map([
      ['ana', 'lead'],
      ['bo', 'lead'],
    ]);
    expect(tally([{ user: 'ana' }, { user: 'bo', tier: 'tester' }], weighting({ tiers }))).toEqual({ score: 3 + 2, voters: 2 });
  });

  it('never reads a weight from Object.prototype', () => {
    expect(
      tally(
        [
          { user: 'a', tier: 'constructor' },
          { user: 'b', tier: '__proto__' },
        ],
        weighting(),
      ),
    ).toEqual({ score: 2, voters: 2 });
  });

  it('ignores votes later than the cut time, and keeps one exactly at it', () => {
    const votes: Vote[] = [
      { user: 'early', at: '2026-11-27T16:59:59Z' },
      { user: 'exact', at: '2026-11-27T17:00:00Z' },
      { user: 'late', tier: 'lead', at: '2026-11-27T17:00:01Z' },
    ];
    expect(tally(votes, weighting())).toEqual({ score: 2, voters: 2 });
  });

  it('drops a late change of mind and counts the vote before it', () => {
    const votes: Vote[] = [
      { user: 'ana', at: '2026-11-20T00:00:00Z' },
      { user: 'ana', value: -1, at: '2026-11-28T00:00:00Z' },
    ];
    expect(tally(votes, weighting())).toEqual({ score: 1, voters: 1 });
  });

  it('counts numeric votes as N anonymous votes of weight 1, N voters', () => {
    expect(tally(17, weighting({ weights: { default: 5 } }))).toEqual({ score: 17, voters: 17 });
    expect(tally(0, weighting())).toEqual({ score: 0, voters: 0 });
  });

  it('rounds fractional weights so scores print cleanly', () => {
    expect(tally([{ user: 'a' }, { user: 'b' }, { user: 'c' }], weighting({ weights: { default: 0.1 } })).score).toBe(0.3);
  });
});

describe('compareRank', () => {
  it('ranks by score, then voters, then id', () => {
    const entries = [
      { id: 9, score: 5, voters: 3 },
      { id: 4, score: 5, voters: 4 },
      { id: 2, score: 5, voters: 3 },
      { id: 1, score: -1, voters: 0 },
      { id: 7, score: 12, voters: 1 },
    ];
    expect([...entries].sort(compareRank).map((e) => e.id)).toEqual([7, 4, 2, 9, 1]);
  });
});

describe('validateIssues', () => {
  const problems = (raw: unknown) => {
    const v = validateIssues(raw);
    return v.ok ? [] : v.problems;
  };

  it('accepts the example of docs/formats.md and fills the defaults', () => {
    const v = validateIssues([
      {
        id: 123,
        title: 'Show the time a call was answered',
        type: 'feature',
        author: 'mifan_42',
        votes: [
          { user: 'mifan_42', tier: 'lead', at: '2026-11-20T10:00:00Z' },
          { user: 'u2', value: -1 },
        ],
      },
      { id: 124, title: 'Wi-Fi drops after sleep', type: 'bug', author: 'u7', votes: 17 },
      { id: 125, title: 'No type, author or votes', extra: { kept: true } },
    ]);
    expect(v.ok).toBe(true);
    if (v.ok) expect(v.issues[2]).toMatchObject({ id: 125, type: 'other', author: null, votes: [] });
  });

  it('names the issue and the field of each problem', () => {
    const file = [
      { id: 1, title: 'a', votes: [] },
      { id: 2, title: 'b', votes: [] },
      { id: 3, title: 'c', votes: [] },
      { id: 124, title: 'd', votes: [{ user: 'x', value: 2 }] },
    ];
    expect(problems(file)).toEqual(['issues[3] (id 124).votes[0].value: must be 1 or -1']);
  });

  it('reports a duplicate id, a vote without user, a bad time and bad types, all at once', () => {
    const file = [
      { id: 7, title: 'first' },
      { id: 7, title: 'again', votes: [{ value: 1 }, { user: 'u', at: 'last tuesday' }] },
      { id: 0, title: 5, type: '', votes: -3 },
      'not an issue',
    ];
    expect(problems(file)).toEqual([
      'issues[1] (id 7).id: duplicate of issues[0]',
      'issues[1] (id 7).votes[0].user: required',
      'issues[1] (id 7).votes[1].at: must be an ISO 8601 time with Z or an offset, such as 2026-11-20T10:00:00Z',
      'issues[2].id: must be a positive whole number',
      'issues[2].title: must be a string',
      'issues[2].type: must be a non-empty string',
      'issues[2].votes: a count of votes must be a whole number, 0 or more',
      'issues[3]: must be an object',
    ]);
  });

  it('refuses a file that is not a list', () => {
    expect(problems({ issues: [] })).toEqual(['must be a list of issues (a JSON array)']);
  });

  it('lists the first problems and counts the rest', () => {
    const v = validateIssues(Array.from({ length: 30 }, (_, i) => ({ id: i + 1, title: 't', votes: [{ user: '' }] })));
    expect(v.ok).toBe(false);
    if (!v.ok) {
      expect(v.problems).toHaveLength(20);
      expect(v.more).toBe(10);
    }
  });
});

describe('validateTiers', () => {
  it('reads { user: tier } and refuses other shapes', () => {
    const ok = validateTiers({ ana: 'tester' });
    expect(ok.ok && [...ok.tiers]).toEqual([['ana', 'tester']]);
    expect(validateTiers(['ana'])).toEqual({ ok: false, problems: ['must be an object { "<user>": "<tier>" }'] });
    expect(validateTiers({ bo: 2 })).toEqual({ ok: false, problems: ['"bo": the tier must be a non-empty string'] });
  });

  it('reads the grades file friday fans writes: a graded fan’s grade is their tier, an ungraded fan has none', () => {
    const doc = {
      type: 'friday.grades/v1',
      asOf: '2026-12-01T17:00:00Z',
      windowDays: 100,
      fans: { ana: { grade: 'lead' }, bo: { grade: null } },
    };
    const ok = validateTiers(doc);
    expect(ok.ok && [...ok.tiers]).toEqual([['ana', 'lead']]);
    expect(validateTiers({ ...doc, fans: { ana: { grade: 3 } } })).toEqual({
      ok: false,
      problems: ['fans.ana.grade: must be a grade name or null'],
    });
  });
});
