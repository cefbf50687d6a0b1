/**
 * The fans' side through the CLI (docs/fans.md): `friday fans` and its grades file, the closed
 * beta's audience in signed manifests and the client's `not-enrolled`, and every bad input (exit
 * 2, nothing written).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAndKill } from '../helpers/index.js';
import { makeFixture, snapshot, type Fixture } from '../integration/channel-fixture.js';

const NOW = '2026-11-27T17:00:00Z';

/** A project whose fans: ana (reports, a confirmed issue, a tested week), bo (votes), cy (a device only). */
async function fansProject(): Promise<Fixture> {
  const f = await makeFixture();
  const issues = [
    {
      id: 123,
      title: 'Show the time a call was answered',
      type: 'feature',
      author: 'ana',
      createdAt: '2026-11-10T10:00:00Z',
      votes: [{ user: 'bo', at: '2026-11-20T10:00:00Z' }],
    },
    {
      id: 124,
      title: 'Wi-Fi drops after sleep',
      type: 'bug',
      author: 'ana',
      votes: [{ user: 'bo', at: '2026-11-12T10:00:00Z' }, { user: 'cy' }],
    },
  ];
  await fs.writeFile(join(f.dir, 'issues.json'), JSON.stringify(issues));
  // 2026.48.0 (cut 2026-11-27) contains #123: ana's report is confirmed.
  const log = join(f.ota, 'releases', '2026.48.0', 'changelog.json');
  const doc = JSON.parse(await fs.readFile(log, 'utf8'));
  await fs.writeFile(
    log,
    JSON.stringify({
      ...doc,
      entries: [{ id: 123, title: 'Show the time a call was answered', type: 'feature', score: 1, voters: 1, author: 'ana', commits: [] }],
    }),
  );
  await fs.mkdir(join(f.dir, 'fans'), { recursive: true });
  await fs.writeFile(join(f.dir, 'fans', 'devices.json'), JSON.stringify({ ana: ['ana-phone-7f3a'], cy: ['cy-phone-0b1c'] }));
  // Seven hours of ana's phone in the week of 2026-11-23: a tested week.
  const lines = Array.from({ length: 7 }, (_, h) =>
    JSON.stringify({ ts: `2026-11-24T1${h}:10:00Z`, device: 'ana-phone-7f3a', version: '2026.47.0', kind: 'session' }),
  );
  await fs.mkdir(join(f.dir, 'feedback'), { recursive: true });
  await fs.writeFile(join(f.dir, 'feedback', 'crashes.ndjson'), lines.join('\n') + '\n');
  return f;
}

const gradesPath = (f: Fixture) => join(f.dir, 'fans', 'grades.json');

describe('friday fans', () => {
  it('grades every fan as of now, prints the table by points then name, and writes the grades file', async () => {
    const f = await fansProject();
    const r = await f.friday(['fans', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ type: 'friday.grades/v1', asOf: NOW, windowDays: 100 });
    expect(Object.keys(r.json.fans)).toEqual(['ana', 'bo', 'cy']);
    expect(r.json.fans.ana).toEqual({
      grade: 'tester',
      points: 2 * 2 + 10 + 5,
      activity: { report: 2, confirmed: 1, votingWeek: 0, testedWeek: 1 },
      since: NOW,
    });
    expect(r.json.fans.bo).toMatchObject({ grade: null, points: 2, activity: { votingWeek: 2 } });
    expect(r.json.fans.cy).toMatchObject({ grade: null, points: 0 });
    expect(JSON.parse(await fs.readFile(gradesPath(f), 'utf8'))).toEqual(r.json);

    const text = await f.friday(['fans']);
    expect(text.stdout.split('\n')[1]).toMatch(/^ana\s+tester\s+19\s+2\s+1\s+0\s+1$/);
  });

  it('keeps `since` while the grade holds, and --explain and --dry-run write nothing', async () => {
    const f = await fansProject();
    expect((await f.friday(['fans'])).code).toBe(0);
    const before = await snapshot(f.dir);
    const later = { FRIDAY_NOW: '2026-11-29T09:00:00Z' };
    const explain = await f.friday(['fans', '--explain', 'ana'], later);
    expect(explain.code, explain.stderr).toBe(0);
    expect(explain.stdout).toContain('ana: tester, 19 points');
    expect(explain.stdout).toMatch(/tested weeks\s+1 × 5 = 5/);
    expect(explain.stdout).toContain('next: lead at 60 points, 41 to go');
    expect((await f.friday(['fans', '--dry-run'], later)).code).toBe(0);
    expect(await snapshot(f.dir)).toEqual(before);
    const again = await f.friday(['fans', '--json'], later);
    expect(again.json.fans.ana.since).toBe(NOW);
  });

  it('warns about an id registered by two fans and counts it for neither; a missing feed counts no tested weeks', async () => {
    const f = await fansProject();
    await fs.writeFile(join(f.dir, 'fans', 'devices.json'), JSON.stringify({ ana: ['ana-phone-7f3a'], cy: ['ana-phone-7f3a'] }));
    const r = await f.friday(['fans', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('device id ana-phone-7f3a is registered by ana and cy: counted for neither');
    expect(r.json.fans.ana.activity.testedWeek).toBe(0);
    await fs.rm(join(f.dir, 'feedback', 'crashes.ndjson'));
    const nofeed = await f.friday(['fans', '--json']);
    expect(nofeed.code).toBe(0);
    expect(nofeed.stderr).toContain('no such file; no tested weeks are counted');
  });

  it('votes.tiers may name the grades file; before the first grading it is a warning and votes weigh default', async () => {
    const f = await fansProject();
    const config = JSON.parse(await fs.readFile(join(f.dir, 'friday.config.json'), 'utf8'));
    await fs.writeFile(
      join(f.dir, 'friday.config.json'),
      JSON.stringify({ ...config, votes: { weights: { default: 1, tester: 2, lead: 3 }, tiers: 'fans/grades.json' } }),
    );
    const before = await f.friday(['changelog', '--format', 'json', '--json']);
    expect(before.stderr).toContain('fans/grades.json: no such file yet');
    expect((await f.friday(['fans'])).code).toBe(0);
    const after = await f.friday(['changelog', '--format', 'json']);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).not.toContain('no such file');
  });
});

describe('bad input: exit 2 naming the file and the field, nothing written', () => {
  const cases: [string, (f: Fixture) => Promise<void>, string[], string][] = [
    [
      'unordered grade thresholds',
      async (f) =>
        patchConfig(f, {
          fans: {
            grades: [
              { name: 'lead', points: 60 },
              { name: 'tester', points: 10 },
            ],
          },
        }),
      ['fans'],
      'friday.config.json: fans.grades: points must be strictly ascending',
    ],
    [
      'a votes.weights tier that is no grade',
      async (f) => patchConfig(f, { votes: { weights: { default: 1, gold: 3 } }, fans: { grades: [{ name: 'tester', points: 10 }] } }),
      ['fans'],
      'friday.config.json: votes.weights.gold: unknown grade "gold"',
    ],
    [
      'an unknown award kind',
      async (f) => patchConfig(f, { fans: { awards: [{ kind: 'style', name: 'Best Dressed' }] } }),
      ['fans'],
      'fans.awards.0.kind',
    ],
    [
      'a devices file that is not a map of ids',
      async (f) => fs.writeFile(join(f.dir, 'fans', 'devices.json'), '{ "ana": "ana-phone" }'),
      ['fans'],
      'fans/devices.json: ana: must be a list of device ids',
    ],
    [
      'a devices file that is a list',
      async (f) => fs.writeFile(join(f.dir, 'fans', 'devices.json'), '["ana"]'),
      ['fans'],
      'fans/devices.json: must be an object',
    ],
    [
      'a grades file that is not one',
      async (f) => fs.writeFile(join(f.dir, 'fans', 'grades.json'), '{ "type": "friday.grades/v1", "fans": { "ana": { "grade": 7 } } }'),
      ['fans'],
      'fans/grades.json: fans.ana.grade: must be a grade name or null',
    ],
    [
      'an unknown audience grade',
      async (f) => fs.writeFile(join(f.dir, 'channels', 'beta.json'), JSON.stringify({ name: 'beta', audience: { minGrade: 'captain' } })),
      ['fans'],
      'channels/beta.json: audience.minGrade: unknown grade "captain"',
    ],
    [
      'an audience and no grades file',
      async (f) => fs.writeFile(join(f.dir, 'channels', 'beta.json'), JSON.stringify({ name: 'beta', audience: { minGrade: 'tester' } })),
      ['stage', '--channel', 'beta', '--version', '2026.48.0', '--publish'],
      'fans/grades.json: no such file',
    ],
    [
      'an invalid tiers file',
      async (f) => {
        await patchConfig(f, { votes: { weights: { default: 1 }, tiers: 'fans/devices.json' } });
      },
      ['changelog'],
      'fans/devices.json: "ana": the tier must be a non-empty string',
    ],
  ];
  for (const [what, breakIt, args, message] of cases) {
    it(what, async () => {
      const f = await fansProject();
      await breakIt(f);
      const before = await snapshot(f.dir);
      const withKey = args[0] === 'stage' ? [...args, '--key', f.alice.path] : args;
      const r = await f.friday(withKey);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(message);
      expect(await snapshot(f.dir)).toEqual(before);
    });
  }
});

async function patchConfig(f: Fixture, over: Record<string, unknown>): Promise<void> {
  const path = join(f.dir, 'friday.config.json');
  await fs.writeFile(path, JSON.stringify({ ...JSON.parse(await fs.readFile(path, 'utf8')), ...over }));
}

const entry = (salt: string, id: string) => createHash('sha256').update(`${salt}:${id}`).digest().subarray(0, 8).toString('hex');

describe('the closed beta', () => {
  async function closedBeta() {
    const f = await fansProject();
    await fs.writeFile(join(f.dir, 'channels', 'beta.json'), JSON.stringify({ name: 'beta', audience: { minGrade: 'tester' } }));
    expect((await f.friday(['fans'])).code).toBe(0); // ana is a tester, cy is not
    const pull = (id: string | null, current?: string) =>
      f.friday([
        'pull',
        '--channel',
        'beta',
        '--source',
        f.ota,
        '--trust',
        f.trustPath,
        '--device',
        'umi',
        '--state',
        join(f.dir, `state-${id}.json`),
        '--json',
        ...(id === null ? [] : ['--device-id', id]),
        ...(current ? ['--current', current] : []),
      ]);
    return { f, pull };
  }

  it('signs the audience into every manifest and offers the build only to the devices listed', async () => {
    const { f, pull } = await closedBeta();
    const r = await f.friday(['stage', '--channel', 'beta', '--version', '2026.47.0', '--key', f.alice.path, '--publish']);
    expect(r.code, r.stderr).toBe(0);
    const live = await f.live('beta');
    expect(live.signed.audience).toEqual({ minGrade: 'tester', devices: [entry(live.signed.rollout.salt, 'ana-phone-7f3a')] });
    expect((await pull('ana-phone-7f3a')).json).toMatchObject({ decision: 'update', version: '2026.47.0' });
    const cy = await pull('cy-phone-0b1c');
    expect(cy.code).toBe(0);
    expect(cy.json).toMatchObject({ decision: 'not-enrolled' });
    const anon = await pull(null);
    expect(anon.code).toBe(0);
    expect(anon.json.decision).toBe('not-enrolled');
    const status = await f.friday(['status', '--channel', 'beta']);
    expect(status.stdout).toContain('audience  1 device of fans graded tester and up');
  });

  it('recomputes the audience from the current grades on every signing, and a rollback reaches every device on the bad version', async () => {
    const { f, pull } = await closedBeta();
    for (const v of ['2026.47.0', '2026.48.0'])
      expect((await f.friday(['stage', '--channel', 'beta', '--version', v, '--key', f.alice.path, '--publish'])).code).toBe(0);
    // cy becomes a lead by hand-edited grades; renew picks it up.
    const grades = JSON.parse(await fs.readFile(gradesPath(f), 'utf8'));
    grades.fans.cy.grade = 'lead';
    await fs.writeFile(gradesPath(f), JSON.stringify(grades));
    expect((await f.friday(['renew', '--channel', 'beta', '--force', '--key', f.alice.path])).code).toBe(0);
    const renewed = await f.live('beta');
    expect(renewed.signed.audience?.devices).toHaveLength(2);
    grades.fans.cy.grade = null;
    await fs.writeFile(gradesPath(f), JSON.stringify(grades));
    const rb = await f.friday(['rollback', '--channel', 'beta', '--reason', 'bootloop', '--key', f.alice.path]);
    expect(rb.code, rb.stderr).toBe(0);
    const live = await f.live('beta');
    expect(live.signed.audience?.devices).toEqual([entry(live.signed.rollout.salt, 'ana-phone-7f3a')]);
    expect((await pull('cy-phone-0b1c', '2026.48.0')).json).toMatchObject({ decision: 'update', version: '2026.47.0', rollback: true });
    expect((await pull('cy-phone-0b1c', '2026.46.0')).json.decision).toBe('not-enrolled');
  });

  it('refuses to stage an audience that would make the manifest larger than a client reads', async () => {
    const { f } = await closedBeta();
    const many = Array.from({ length: 60_000 }, (_, i) => `ana-phone-${i}`);
    await fs.writeFile(join(f.dir, 'fans', 'devices.json'), JSON.stringify({ ana: many }));
    const before = await snapshot(f.ota);
    const r = await f.friday(['stage', '--channel', 'beta', '--version', '2026.47.0', '--key', f.alice.path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/over the 1048576 a client reads \(its audience lists 60000 devices\)/);
    expect(await snapshot(f.ota)).toEqual(before);
  });
});

describe('friday awards', () => {
  async function liveRelease() {
    const f = await fansProject();
    const issues = JSON.parse(await fs.readFile(join(f.dir, 'issues.json'), 'utf8'));
    issues[0].votes = [
      { user: 'bo', at: '2026-11-28T10:00:00Z' },
      { user: 'cy', at: '2026-11-29T10:00:00Z' },
      { user: 'dee', at: '2026-11-20T10:00:00Z' }, // before go-live: asked for it, never used it
    ];
    await fs.writeFile(join(f.dir, 'issues.json'), JSON.stringify(issues));
    const r = await f.friday(['stage', '--channel', 'beta', '--version', '2026.48.0', '--key', f.alice.path, '--publish']);
    expect(r.code, r.stderr).toBe(0);
    expect((await f.friday(['fans'])).code).toBe(0);
    return f;
  }
  const tuesday = { FRIDAY_NOW: '2026-12-01T17:00:00Z' };

  it('refuses before go-live + afterHours, saying when the ballot closes, and a release never live', async () => {
    const f = await liveRelease();
    const before = await snapshot(f.ota);
    const early = await f.friday(['awards'], { FRIDAY_NOW: '2026-12-01T16:59:59Z' });
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('the ballot is open until 2026-12-01T17:00:00Z');
    const never = await f.friday(['awards', '--release', '2026.47.0'], tuesday);
    expect(never.code).toBe(1);
    expect(never.stderr).toContain('2026.47.0 never went live on beta');
    expect(await snapshot(f.ota)).toEqual(before);
  });

  it('with testersOnly, counts only the votes of fans whose registered device ran the release', async () => {
    const f = await liveRelease();
    await patchConfig(f, { fans: { ceremony: { testersOnly: true } } });
    const feed = join(f.dir, 'feedback', 'crashes.ndjson');
    await fs.appendFile(
      feed,
      JSON.stringify({ ts: '2026-11-30T09:00:00Z', device: 'cy-phone-0b1c', version: '2026.48.0', kind: 'session' }) + '\n',
    );
    const r = await f.friday(['awards', '--json'], tuesday);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.awards[0]).toMatchObject({ kind: 'popcorn', winner: { id: 123 }, score: 1, voters: 1 }); // cy's vote; bo ran nothing
    expect(r.json.awards[2]).toMatchObject({ kind: 'tester', winner: { user: 'cy' }, units: 1, crashUnits: 0 });
  });

  it('holds the ceremony: awards.json and AWARDS.md in the release folder, an awards audit line; once unless --force', async () => {
    const f = await liveRelease();
    const r = await f.friday(['awards', '--json'], tuesday);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toEqual({
      type: 'friday.awards/v1',
      product: 'aurora',
      version: '2026.48.0',
      channel: 'beta',
      heldAt: '2026-12-01T17:00:00Z',
      ballot: { from: NOW, to: '2026-12-01T17:00:00Z' },
      awards: [
        {
          name: 'Popcorn Award',
          kind: 'popcorn',
          winner: { id: 123, title: 'Show the time a call was answered', author: 'ana' },
          score: 2,
          voters: 2,
          runnersUp: [],
        },
        { name: 'Bug Hunter', kind: 'bug-hunter', winner: null, count: 0 },
        { name: 'Tester of the Week', kind: 'tester', winner: null, units: 0, crashUnits: 0 },
      ],
    });
    const dir = join(f.ota, 'releases', '2026.48.0');
    expect(JSON.parse(await fs.readFile(join(dir, 'awards.json'), 'utf8'))).toEqual(r.json);
    const md = await fs.readFile(join(dir, 'AWARDS.md'), 'utf8');
    expect(md).toContain('**Popcorn Award**: #123 Show the time a call was answered (reported by @ana), score 2 from 2 fans');
    expect((await f.events('beta')).at(-1)).toMatchObject({ action: 'awards', version: '2026.48.0', at: '2026-12-01T17:00:00Z' });

    const again = await f.friday(['awards'], tuesday);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already held at 2026-12-01T17:00:00Z');
    const forced = await f.friday(['awards', '--force', '--release', '2026.48.0', '--channel', 'beta'], {
      FRIDAY_NOW: '2026-12-02T17:00:00Z',
    });
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('Popcorn Award: #123');
  });

  it('a ceremony killed after awards.json or AWARDS.md is finished by the next run, which then says it was held', async () => {
    for (const step of ['awards-json', 'awards-md']) {
      const f = await liveRelease();
      const killed = await runAndKill(f.dir, ['awards'], null, { ...tuesday, FRIDAY_TEST_KILL_AFTER: step });
      expect(killed.signal).toBe('SIGKILL');
      const dir = join(f.ota, 'releases/2026.48.0');
      expect((await f.events('beta')).filter((e) => e.action === 'awards')).toHaveLength(0);
      const again = await f.friday(['awards'], tuesday);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('already held at 2026-12-01T17:00:00Z');
      expect(await fs.readFile(join(dir, 'AWARDS.md'), 'utf8')).toContain('**Popcorn Award**: #123');
      const lines = (await f.events('beta')).filter((e) => e.action === 'awards');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ version: '2026.48.0', at: '2026-12-01T17:00:00Z' });
      expect((await f.friday(['awards'], tuesday)).code).toBe(1);
      expect((await f.events('beta')).filter((e) => e.action === 'awards')).toHaveLength(1);
    }
  });
});
