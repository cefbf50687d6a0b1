/** `friday changelog` as a user runs it: ranges, output, bad input, and the files `cut` writes. */
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { git, gitRepo, initProject, ROOT, runFriday, tmpDir, type TestRepo } from '../helpers/index.js';
// @ts-expect-error a plain ESM script shipped with the fixtures
import { buildScenario, NOW } from '../../fixtures/changelog/scenario.mjs';

const CORPUS = join(ROOT, 'test/corpus/issues');
const cases = JSON.parse(readFileSync(join(CORPUS, 'cases.json'), 'utf8')) as { file: string; target?: string; message: string }[];

async function project(config: Record<string, unknown> = {}): Promise<TestRepo> {
  const repo = await gitRepo();
  await initProject(repo, {
    config: { votes: { weights: { default: 1, tester: 2 }, tiers: 'tiers.json' }, ...config },
    date: '2026-11-16T09:00:00Z',
  });
  await fs.writeFile(join(repo.dir, 'tiers.json'), '{ "ana": "tester" }\n');
  return repo;
}

describe('bad input: the issues corpus', () => {
  it.each(cases)('$file → exit 2 naming the file and the field, nothing written', async ({ file, target, message }) => {
    const repo = await project();
    await repo.commit('feat: something (#123)', { date: '2026-11-20T10:00:00Z' });
    await fs.copyFile(join(CORPUS, file), join(repo.dir, target ?? 'issues.json'));
    const r = await runFriday(['changelog', '-C', repo.dir, '--out', 'CHANGELOG.md', '--json']);
    expect(r.code).toBe(2);
    expect(r.json).toMatchObject({ ok: false, error: { code: 'E_ISSUES' } });
    expect(r.json.error.message).toContain(message);
    expect(r.stderr).toContain(`friday: ${message}`);
    expect(existsSync(join(repo.dir, 'CHANGELOG.md'))).toBe(false);
  });
});

describe('friday changelog', () => {
  it('warns, naming the issue, when its type is not one friday knows, and lists it under Other', async () => {
    const repo = await project();
    await fs.writeFile(
      join(repo.dir, 'issues.json'),
      JSON.stringify([{ id: 7, title: 'Dark mode', type: 'feture', author: 'ana', votes: [{ user: 'ana' }] }]),
    );
    await repo.commit('feat: dark mode (#7)', { date: '2026-11-20T10:00:00Z' });
    const r = await runFriday(['changelog', '-C', repo.dir, '--now', '2026-11-27T17:00:00Z']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'friday: warning: issue #7 ("Dark mode"): type "feture" is not one friday knows (feature, improvement, bug): listed under Other',
    );
    expect(r.stdout).toMatch(/📦 Other[\s\S]*Dark mode/);

    // Many issues of one unknown type: one line naming the first ten, not a line each.
    const chores = Array.from({ length: 12 }, (_, i) => ({ id: 100 + i, title: `Chore ${i}`, type: 'chore', author: 'ana', votes: [] }));
    await fs.writeFile(join(repo.dir, 'issues.json'), JSON.stringify(chores));
    await repo.commit(`chore: tidy (${chores.map((c) => `#${c.id}`).join(', ')})`, { date: '2026-11-21T10:00:00Z' });
    const many = await runFriday(['changelog', '-C', repo.dir, '--now', '2026-11-27T17:00:00Z']);
    expect(many.code, many.stderr).toBe(0);
    const lines = many.stderr.split('\n').filter((l) => l.includes('is not one friday knows'));
    expect(lines).toEqual([
      'friday: warning: 12 issues (#100, #101, #102, #103, #104, #105, #106, #107, #108, #109 and 2 more): type "chore" is not one friday knows (feature, improvement, bug): listed under Other',
    ]);
  });

  it('reports an issue referenced by a commit but missing from the file, without failing', async () => {
    const repo = await project();
    await fs.writeFile(
      join(repo.dir, 'issues.json'),
      JSON.stringify([{ id: 5, title: 'Known', type: 'bug', author: 'ana', votes: [{ user: 'ana' }] }]),
    );
    await repo.commit('fix: known (#5)\n\nAlso closes #77', { date: '2026-11-20T10:00:00Z' });
    const r = await runFriday(['changelog', '-C', repo.dir, '--json', '--now', '2026-11-27T17:00:00Z']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.unknownRefs).toEqual([77]);
    expect(r.json.entries).toMatchObject([{ id: 5, score: 2, voters: 1 }]); // ana is a tester (tiers.json)
    expect(r.stderr).toContain('1 issue reference not found in issues.json: #77');
  });

  it('defaults to the previous release tag → HEAD, and writes --out only without --dry-run', async () => {
    const repo = await project();
    await repo.commit('feat: before (#1)', { date: '2026-11-17T10:00:00Z' });
    await repo.tag('v2026.47.0', 'v2026.47.0', '2026-11-20T12:00:00Z');
    await repo.tag('not-a-release', 'a tag that is not a release', '2026-11-20T12:00:00Z');
    await repo.commit('feat: after (#2)', { date: '2026-11-23T10:00:00Z' });
    await repo.commit('docs: more', { date: '2026-11-24T10:00:00Z' });
    const dry = await runFriday(['changelog', '-C', repo.dir, '--out', 'notes/CHANGELOG.md', '--dry-run', '--now', '2026-11-27T17:00:00Z']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain('would write notes/CHANGELOG.md');
    expect(existsSync(join(repo.dir, 'notes/CHANGELOG.md'))).toBe(false);

    const r = await runFriday([
      'changelog',
      '-C',
      repo.dir,
      '--out',
      'notes/changelog.json',
      '--format',
      'json',
      '--now',
      '2026-11-27T17:00:00Z',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('wrote notes/changelog.json');
    const written = JSON.parse(await fs.readFile(join(repo.dir, 'notes/changelog.json'), 'utf8'));
    expect(written).toMatchObject({ version: null, range: { from: 'v2026.47.0', to: 'HEAD' }, commits: 2, unknownRefs: [2] }); // #1 is before the tag
  });

  it("--from '' starts at the first commit; --from and --to name any refs", async () => {
    const repo = await project();
    const first = await repo.commit('feat: one', { date: '2026-11-17T10:00:00Z' });
    await repo.commit('feat: two', { date: '2026-11-18T10:00:00Z' });
    const all = await runFriday(['changelog', '-C', repo.dir, '--from', '', '--json']);
    expect(all.json).toMatchObject({ commits: 3, range: { from: null, to: 'HEAD' } });
    const one = await runFriday(['changelog', '-C', repo.dir, '--from', first, '--to', 'main', '--json']);
    expect(one.json).toMatchObject({ commits: 1, range: { from: first, to: 'main' }, version: null });
  });

  it('refuses a ref that names no commit (exit 2, naming the flag)', async () => {
    const repo = await project();
    const r = await runFriday(['changelog', '-C', repo.dir, '--from', 'v9.9.9']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('friday: --from v9.9.9: not a commit in this repository');
    const t = await runFriday(['changelog', '-C', repo.dir, '--to', 'nope']);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('--to nope: not a commit');
  });

  it('without an issues section: a valid changelog with no entries that still counts commits', async () => {
    const repo = await gitRepo();
    await initProject(repo, { config: { issues: undefined } });
    await repo.commit('fix: something (#3)');
    const r = await runFriday(['changelog', '-C', repo.dir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ type: 'friday.changelog/v1', commits: 2, entries: [], popcorn: null, unknownRefs: [] });
  });

  it('needs no build section in the config: it builds nothing', async () => {
    const repo = await gitRepo();
    await initProject(repo, { config: { build: undefined }, date: '2026-11-16T09:00:00Z' });
    await fs.writeFile(join(repo.dir, 'issues.json'), JSON.stringify([{ id: 3, title: 'Faster boot', type: 'feature', votes: 2 }]));
    await repo.commit('feat: boot (#3)', { date: '2026-11-20T10:00:00Z' });
    expect(JSON.parse(await fs.readFile(join(repo.dir, 'friday.config.json'), 'utf8')).build).toBeUndefined();
    const r = await runFriday(['changelog', '-C', repo.dir, '--json', '--now', '2026-11-27T17:00:00Z']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.entries).toMatchObject([{ id: 3, score: 2 }]);
  });

  it('names a missing issues file (exit 2)', async () => {
    const repo = await project();
    await fs.rm(join(repo.dir, 'issues.json'));
    const r = await runFriday(['changelog', '-C', repo.dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('friday: issues.json: no such file');
  });
});

describe('the files cut writes', () => {
  it('equal the golden changelog, and `friday changelog` reproduces them later from the build record', async () => {
    const dir = buildScenario(tmpDir('friday-cut-'), 'week48') as string;
    await git(dir, ['tag', '-d', 'v2026.48.0']); // cut it for real instead
    const cut = await runFriday(['cut', '-C', dir, '--now', NOW]);
    expect(cut.code, cut.stderr).toBe(0);
    const release = join(dir, 'ota/releases/2026.48.0');
    const expected = join(ROOT, 'fixtures/changelog/expected');
    expect(await fs.readFile(join(release, 'CHANGELOG.md'), 'utf8')).toBe(await fs.readFile(join(expected, 'week48.CHANGELOG.md'), 'utf8'));
    expect(JSON.parse(await fs.readFile(join(release, 'changelog.json'), 'utf8'))).toEqual(
      JSON.parse(await fs.readFile(join(expected, 'week48.changelog.json'), 'utf8')),
    );

    // A week later, HEAD is still the tagged release: the cut time is its builtAt, so the vote cast
    // after the cut (late_larry, 2026-11-28) still does not count.
    const later = await runFriday(['changelog', '-C', dir, '--now', '2026-12-05T00:00:00Z']);
    expect(later.stdout).toBe(await fs.readFile(join(release, 'CHANGELOG.md'), 'utf8'));
  });
});
