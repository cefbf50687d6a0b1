/** The fans' grades (docs/fans.md): activity in the window, points, grades, no flapping, explain. */
import { describe, expect, it } from 'vitest';
import { FANS_DEFAULTS } from '../../src/core/config.js';
import { DeviceHoursScanner } from '../../src/core/feed/exposure.js';
import { activityOf, computeGrades, explain, gradeOf, weekIndex, type FansInput, type GradesDoc } from '../../src/core/fans/grades.js';
import type { Issue, Vote } from '../../src/core/votes/validate.js';
import { ballotOf, holdCeremony, type CeremonyInput } from '../../src/core/fans/awards.js';

const config = structuredClone(FANS_DEFAULTS);
const NOW = new Date('2026-12-01T17:00:00Z');
const H = 3_600_000;

function input(over: Partial<FansInput> = {}): FansInput {
  return { now: NOW, config, issues: [], releases: [], devices: {}, hours: new Map(), previous: null, ...over };
}

const issue = (id: number, author: string | null, extra: Partial<Issue> = {}): Issue => ({
  id,
  title: `#${id}`,
  type: 'bug',
  author,
  votes: [],
  ...extra,
});

describe('activity in the window', () => {
  it('counts reports dated inside the window or undated, and not those before it or after now', () => {
    const issues = [
      issue(1, 'ana', { createdAt: '2026-11-30T10:00:00Z' }),
      issue(2, 'ana'),
      issue(3, 'ana', { createdAt: '2026-08-01T00:00:00Z' }), // 122 days before
      issue(4, 'ana', { createdAt: '2026-12-02T00:00:00Z' }), // after now
      issue(5, 'ana', { pull: true }),
    ];
    expect(activityOf(input({ issues })).counts.get('ana')).toEqual({ report: 2, confirmed: 0, votingWeek: 0, testedWeek: 0 });
  });

  it('confirms an issue (dated or not) once, when a release cut inside the window contains it', () => {
    const issues = [issue(1, 'ana', { createdAt: '2026-01-01T00:00:00Z' }), issue(2, 'ana')];
    const releases = [
      { version: '2026.47.0', builtAt: '2026-11-20T17:00:00Z', entries: [{ id: 1, author: 'ana' }] },
      { version: '2026.48.0', builtAt: '2026-11-27T17:00:00Z', entries: [{ id: 1, author: 'ana' }] },
      { version: '2026.20.0', builtAt: '2026-05-15T17:00:00Z', entries: [{ id: 2, author: 'ana' }] }, // outside
    ];
    expect(activityOf(input({ issues, releases })).counts.get('ana')).toMatchObject({ report: 1, confirmed: 1 }); // #2 undated: a report, not confirmed in the window;
  });

  it('counts distinct ISO weeks with a dated vote, a downvote too, and ignores undated votes', () => {
    const votes = [
      { user: 'bo', at: '2026-11-23T00:00:00Z' }, // Monday, W48
      { user: 'bo', at: '2026-11-29T23:59:59Z', value: -1 as const }, // Sunday, W48
      { user: 'bo', at: '2026-11-30T00:00:00Z' }, // Monday, W49
      { user: 'bo' },
    ];
    expect(activityOf(input({ issues: [issue(1, null, { votes })] })).counts.get('bo')?.votingWeek).toBe(2);
  });

  it('counts the part of an ISO week that the window cuts, and nothing before it', () => {
    const from = NOW.getTime() - 100 * 86_400_000; // 2026-08-23T17:00Z, a Sunday
    const votes = [
      { user: 'bo', at: new Date(from - 1000).toISOString() }, // same week, outside the window
      { user: 'cy', at: new Date(from).toISOString() }, // the window's first instant
    ];
    const c = activityOf(input({ issues: [issue(1, null, { votes })] })).counts;
    expect(c.get('bo')?.votingWeek).toBe(0);
    expect(c.get('cy')?.votingWeek).toBe(1);
  });

  it('a tested week needs 6 device-hours summed over the fan’s devices; a shared id counts for neither', () => {
    const w = weekIndex(NOW.getTime());
    const hours = new Map([
      ['p1', new Map([[w, 4]])],
      ['p2', new Map([[w, 2]])],
      ['p3', new Map([[w - 1, 5]])],
      ['shared', new Map([[w - 1, 50]])],
    ]);
    const devices = { ana: ['p1', 'p2', 'p3', 'shared'], bo: ['shared'] };
    const r = activityOf(input({ devices, hours }));
    expect(r.counts.get('ana')?.testedWeek).toBe(1);
    expect(r.counts.get('bo')?.testedWeek).toBe(0);
    expect(r.shared).toEqual([{ id: 'shared', users: ['ana', 'bo'] }]);
  });

  it('lists every fan: authors, voters and registered users, with 0 points when idle', () => {
    const r = computeGrades(input({ issues: [issue(1, 'ana', { votes: [{ user: 'bo' }] })], devices: { cy: [] } }));
    expect(Object.keys(r.doc.fans).sort()).toEqual(['ana', 'bo', 'cy']);
    expect(r.doc.fans.cy).toEqual({
      grade: null,
      points: 0,
      activity: { report: 0, confirmed: 0, votingWeek: 0, testedWeek: 0 },
      since: null,
    });
  });
});

describe('grades', () => {
  it('gives the highest grade reached, none below the first', () => {
    expect(gradeOf(9, config.grades, null)).toBeNull();
    expect(gradeOf(10, config.grades, null)).toBe('tester');
    expect(gradeOf(60, config.grades, null)).toBe('lead');
  });

  it('keeps a higher previous grade down to 90 % of its threshold, and no lower (no flapping)', () => {
    expect(gradeOf(54, config.grades, 'lead')).toBe('lead');
    expect(gradeOf(53.9, config.grades, 'lead')).toBe('tester');
    expect(gradeOf(8, config.grades, 'lead')).toBeNull();
  });

  it('sorts by points then name, and keeps `since` while the grade holds', () => {
    const issues = [issue(1, 'zed'), issue(2, 'ana'), issue(3, 'bo'), issue(4, 'bo')];
    const releases = [{ version: '2026.48.0', builtAt: '2026-11-27T17:00:00Z', entries: [1, 2, 3].map((id) => ({ id, author: null })) }];
    const previous: GradesDoc = {
      type: 'friday.grades/v1',
      asOf: '2026-11-24T17:00:00Z',
      windowDays: 100,
      fans: {
        ana: {
          grade: 'tester',
          points: 12,
          activity: { report: 1, confirmed: 1, votingWeek: 0, testedWeek: 0 },
          since: '2026-11-03T17:00:00Z',
        },
      },
    };
    const r = computeGrades(input({ issues, releases, previous }));
    expect(Object.entries(r.doc.fans).map(([u, f]) => [u, f.points])).toEqual([
      ['bo', 14],
      ['ana', 12],
      ['zed', 12],
    ]);
    expect(r.doc.fans.ana!.since).toBe('2026-11-03T17:00:00Z');
    expect(r.doc.fans.zed!.since).toBe('2026-12-01T17:00:00Z');
  });

  it('explains a fan: each activity’s count and points, and how far the next grade is', () => {
    const e = explain(
      'ana',
      { grade: 'tester', points: 17, activity: { report: 1, confirmed: 1, votingWeek: 0, testedWeek: 1 }, since: null },
      config,
    );
    expect(e.activities.find((a) => a.activity === 'testedWeek')).toEqual({ activity: 'testedWeek', count: 1, each: 5, points: 5 });
    expect(e.next).toEqual({ grade: 'lead', points: 60, missing: 43 });
    expect(explain('nobody', undefined, config)).toMatchObject({ grade: null, points: 0, next: { grade: 'tester', missing: 10 } });
  });
});

describe('device-hours of registered devices in the feed', () => {
  it('counts distinct hours per device within the window, notes crashes, and skips other devices and rejected lines', () => {
    const lines = [
      { ts: '2026-11-30T10:05:00Z', device: 'p1', version: '2026.48.0', kind: 'session' },
      { ts: '2026-11-30T10:45:00Z', device: 'p1', version: '2026.48.0', kind: 'crash' },
      { ts: '2026-11-30T11:00:00Z', device: 'p1', version: '2026.47.0', kind: 'session' },
      { ts: '2026-11-30T12:00:00Z', device: 'other', version: '2026.48.0', kind: 'session' },
      { ts: '2026-11-30T13:00:00Z', device: 'p1', version: '2026.48.0', kind: 'bogus' },
      { ts: '2026-12-01T18:00:00Z', device: 'p1', version: '2026.48.0', kind: 'session' }, // future
    ];
    const buf = Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const s = new DeviceHoursScanner({ nowMs: NOW.getTime(), fromMs: 0, toMs: NOW.getTime(), devices: ['p1'], version: null });
    expect(s.scanLines(buf, 0, buf.length)).toBe(buf.length);
    const h10 = Date.parse('2026-11-30T10:00:00Z') / H;
    expect([...s.hours.get('p1')!]).toEqual([
      [h10, true],
      [h10 + 1, false],
    ]);
    const only48 = new DeviceHoursScanner({ nowMs: NOW.getTime(), fromMs: 0, toMs: NOW.getTime(), devices: ['p1'], version: '2026.48.0' });
    only48.scanLines(buf, 0, buf.length);
    expect(only48.hours.get('p1')?.size).toBe(1);
  });
});

describe('the ceremony', () => {
  const ev = (at: string, action: string, version: string, serial: number, detail: unknown = {}) => ({
    at,
    action,
    version,
    serial,
    detail,
  });
  const events = [
    ev('2026-11-20T17:00:00Z', 'publish', '2026.47.0', 1),
    ev('2026-11-27T17:00:00Z', 'publish', '2026.48.0', 2),
    ev('2026-11-28T09:00:00Z', 'rollout', '2026.48.0', 3),
    ev('2026-11-28T09:00:00Z', 'publish', '2026.48.0', 3),
  ];

  it('opens the ballot at go-live, holds the ceremony from go-live + afterHours inclusive', () => {
    expect(ballotOf(events, '2026.48.0', new Date('2026-12-01T16:59:59Z'), 96)).toMatchObject({
      open: true,
      opensAt: '2026-12-01T17:00:00Z',
    });
    expect(ballotOf(events, '2026.48.0', new Date('2026-12-01T17:00:00Z'), 96)).toEqual({
      ballot: { from: '2026-11-27T17:00:00Z', to: '2026-12-01T17:00:00Z' },
      opensAt: '2026-12-01T17:00:00Z',
      open: false,
    });
    expect(ballotOf(events, '2026.49.0', NOW, 96)).toBeNull();
  });

  it('ends the ballot at the publish time of a rollback from the release', () => {
    const rolled = [
      ...events,
      ev('2026-11-29T08:00:00Z', 'rollback', '2026.47.0', 4, { from: '2026.48.0' }),
      ev('2026-11-29T08:00:01Z', 'publish', '2026.47.0', 4),
    ];
    expect(ballotOf(rolled, '2026.48.0', new Date('2026-12-02T00:00:00Z'), 96)?.ballot).toEqual({
      from: '2026-11-27T17:00:00Z',
      to: '2026-11-29T08:00:01Z',
    });
  });

  const nominees = [
    { id: 1, title: 'Call time', type: 'feature', author: 'ana' },
    { id: 2, title: 'Night mode', type: 'feature', author: 'bo' },
    { id: 3, title: 'Wi-Fi drop', type: 'bug', author: 'bo' },
    { id: 4, title: 'GPS drift', type: 'bug', author: 'cy' },
    { id: 5, title: 'Old winner', type: 'feature', author: 'ana' },
  ];
  const votes: Record<number, Vote[]> = {
    1: [
      { user: 'u1', at: '2026-11-28T00:00:00Z' },
      { user: 'u2', at: '2026-11-26T00:00:00Z' }, // before go-live
      { user: 'lead1', tier: 'default', at: '2026-11-29T00:00:00Z' }, // weighed by the grade now, not the tier it carries
    ],
    2: [
      { user: 'u1', at: '2026-11-28T00:00:00Z' },
      { user: 'u2', at: '2026-11-28T00:00:00Z' },
      { user: 'u3', at: '2026-11-28T00:00:00Z' },
      { user: 'u3', value: -1, at: '2026-11-30T00:00:00Z' }, // the last vote in the ballot counts
      { user: 'u4', at: '2026-12-03T00:00:00Z' }, // after the ballot
    ],
    3: [{ user: 'u1', at: '2026-11-28T00:00:00Z' }],
    4: [{ user: 'u1', at: '2026-11-28T00:00:00Z' }],
    5: [
      { user: 'u1', at: '2026-11-28T00:00:00Z' },
      { user: 'u2', at: '2026-11-28T00:00:00Z' },
      { user: 'u3', at: '2026-11-28T00:00:00Z' },
      { user: 'u5', at: '2026-11-28T00:00:00Z' },
    ],
  };
  const gradesDoc: GradesDoc = {
    type: 'friday.grades/v1',
    asOf: NOW.toISOString(),
    windowDays: 100,
    fans: { lead1: { grade: 'lead', points: 70, activity: { report: 0, confirmed: 0, votingWeek: 0, testedWeek: 0 }, since: null } },
  };
  const h = (n: number, crashed: number) => new Map(Array.from({ length: n }, (_, k) => [k, k < crashed] as [number, boolean]));
  const ceremony = (over: Partial<CeremonyInput> = {}) =>
    holdCeremony({
      product: 'aurora',
      version: '2026.48.0',
      channel: 'beta',
      now: NOW,
      ballot: { from: '2026-11-27T17:00:00Z', to: '2026-12-01T17:00:00Z' },
      awards: config.awards,
      weights: { default: 1, tester: 2, lead: 3 },
      grades: config.grades,
      nominees,
      votesOf: (id) => votes[id] ?? [],
      gradesDoc,
      devices: { ana: ['a1', 'a2'], bo: ['b1'], cy: ['c1'] },
      hours: new Map([
        ['a1', h(5, 0)],
        ['a2', h(3, 1)],
        ['b1', h(8, 2)],
        ['c1', h(2, 2)],
      ]),
      testers: null,
      earlierWinners: new Set([5]),
      ...over,
    });

  it('awards the Popcorn to the feature fans liked most in the ballot, with runners-up; earlier winners are no nominees', () => {
    const popcorn = ceremony().awards[0]!;
    // #1: u1 (1) + lead1 (3) = 4; #2: u1 + u2 − u3 = 1; #5 won before.
    expect(popcorn).toEqual({
      name: 'Popcorn Award',
      kind: 'popcorn',
      winner: { id: 1, title: 'Call time', author: 'ana' },
      score: 4,
      voters: 2,
      runnersUp: [{ id: 2, score: 1, voters: 2 }],
    });
    expect(ceremony({ nominees: nominees.filter((n) => n.type === 'bug') }).awards[0]).toMatchObject({ winner: null, runnersUp: [] });
  });

  it('names the Bug Hunter by bugs authored, then their experience scores, then name; the tester by units, crash units, name', () => {
    const [, bug, tester] = ceremony().awards;
    expect(bug).toEqual({ name: 'Bug Hunter', kind: 'bug-hunter', winner: { user: 'bo' }, count: 1 }); // bo and cy: 1 bug each, score 1 each → name
    expect(tester).toEqual({ name: 'Tester of the Week', kind: 'tester', winner: { user: 'bo' }, units: 8, crashUnits: 2 }); // ana 8 units but 1 crash unit
  });

  it('with testersOnly counts only the votes of fans whose device ran the release', () => {
    const popcorn = ceremony({ testers: new Set(['u1', 'u2']) }).awards[0]!;
    expect(popcorn).toMatchObject({ winner: { id: 2 }, score: 2, voters: 2, runnersUp: [{ id: 1, score: 1, voters: 1 }] });
  });
});

describe('the feed file, streamed for device-hours', () => {
  it('reads lines across chunks, skips a line too long to be an event, and says when there is no feed', async () => {
    const { scanDeviceHours } = await import('../../src/io/fans.js');
    const { tmpDir } = await import('../helpers/index.js');
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const dir = tmpDir();
    const ev = (h: number) =>
      JSON.stringify({ ts: `2026-11-30T${String(h).padStart(2, '0')}:30:00Z`, device: 'p1', version: '2026.48.0', kind: 'session' });
    const long = `{"ts":"2026-11-30T20:00:00Z","device":"p1","version":"2026.48.0","kind":"session","pad":"${'x'.repeat(1 << 21)}"}`;
    const padding = Array.from({ length: 30_000 }, (_, k) =>
      JSON.stringify({ ts: '2026-11-30T05:00:00Z', device: `other-${k}`, version: '2026.48.0', kind: 'session' }),
    );
    writeFileSync(join(dir, 'feed.ndjson'), [ev(1), ...padding, ev(2), long, ev(3)].join('\n')); // the last line has no newline
    const q = { nowMs: NOW.getTime(), fromMs: 0, toMs: NOW.getTime(), devices: ['p1'], version: null };
    const r = await scanDeviceHours(join(dir, 'feed.ndjson'), q);
    expect([...r!.hours.get('p1')!.keys()].map((h) => new Date(h * H).toISOString().slice(11, 13))).toEqual(['01', '02', '03']);
    expect(await scanDeviceHours(join(dir, 'missing.ndjson'), q)).toBeNull();
  });
});
