/**
 * What a tester reads in a release's changelog, with real cuts and real channel operations: the
 * releases their channel skipped (rolled back on beta, never live on stable) are listed with
 * their entries and a link, an earlier Popcorn winner does not win again, and the release's
 * prereleases fold into its range with `changelog.foldPrereleases`.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeKey, trustDoc } from '../integration/channel-fixture.js';
import { gitRepo, initProject, runFriday, tmpDir, type TestRepo } from '../helpers/index.js';

const ISSUES = [
  { id: 124, title: 'Wi-Fi drops after sleep', type: 'bug', author: 'u7', votes: 9 },
  { id: 130, title: 'Dark mode for the lock screen', type: 'feature', author: 'night_owl', votes: 20 },
  { id: 131, title: 'A clock on the lock screen', type: 'feature', author: 'ana', votes: 5 },
];

async function project(config: Record<string, unknown> = {}): Promise<TestRepo> {
  const repo = await gitRepo();
  await initProject(repo, { config, date: '2026-11-02T09:00:00Z' });
  await fs.writeFile(join(repo.dir, 'issues.json'), JSON.stringify(ISSUES, null, 2) + '\n');
  await repo.commit('chore: the issues', { date: '2026-11-02T10:00:00Z' });
  return repo;
}

const friday = (repo: TestRepo, now: string, ...args: string[]) => runFriday(['-C', repo.dir, '--now', now, '--json', ...args]);
const read = async (repo: TestRepo, version: string, file: string) => fs.readFile(join(repo.dir, 'ota/releases', version, file), 'utf8');

describe('the releases between a channel and this one, and the Popcorn Award once', () => {
  it('lists a release rolled back on beta and never live on stable, and gives the award to a feature that has not won', async () => {
    const repo = await project();
    const keys = tmpDir('friday-keys-');
    const alice = await makeKey(keys, 'alice');
    await fs.mkdir(join(repo.dir, 'ota'), { recursive: true });
    await fs.writeFile(join(repo.dir, 'ota/trust.json'), JSON.stringify(trustDoc('aurora', [alice]), null, 2) + '\n');
    const ok = (r: { code: number; stderr: string }) => expect(r.code, r.stderr).toBe(0);

    // Week 46: dark mode ships, wins the award, goes live on beta, then (after the soak) on stable.
    await repo.commit('feat(lockscreen): dark mode (#130)', { date: '2026-11-10T10:00:00Z' });
    ok(await friday(repo, '2026-11-13T17:00:00Z', 'cut'));
    expect(JSON.parse(await read(repo, '2026.46.0', 'changelog.json')).popcorn).toMatchObject({ id: 130 });
    ok(await friday(repo, '2026-11-13T18:00:00Z', 'stage', '--channel', 'beta', '--key', alice.path, '--publish'));
    ok(await friday(repo, '2026-11-21T08:00:00Z', 'stage', '--channel', 'stable', '--key', alice.path, '--publish'));

    // Week 47: live on beta, rolled back the next morning; never promoted to stable.
    await repo.commit('fix(wifi): reconnect after sleep\n\nFixes #124', { date: '2026-11-17T10:00:00Z' });
    ok(await friday(repo, '2026-11-20T17:00:00Z', 'cut'));
    ok(await friday(repo, '2026-11-20T18:00:00Z', 'stage', '--channel', 'beta', '--key', alice.path, '--publish'));
    ok(await friday(repo, '2026-11-21T09:00:00Z', 'rollback', '--channel', 'beta', '--reason', 'bootloop', '--key', alice.path));

    // Week 48: dark mode grows, and the clock arrives.
    await repo.commit('feat(lockscreen): dark mode in the notification shade (#130)', { date: '2026-11-24T10:00:00Z' });
    await repo.commit('feat(lockscreen): a clock (#131)', { date: '2026-11-25T10:00:00Z' });
    ok(await friday(repo, '2026-11-27T17:00:00Z', 'cut'));

    const cl = JSON.parse(await read(repo, '2026.48.0', 'changelog.json'));
    expect(cl.range).toEqual({ from: 'v2026.47.0', to: 'v2026.48.0' });
    expect(cl.entries.map((e: { id: number; popcornIn?: string }) => [e.id, e.popcornIn])).toEqual([
      [130, '2026.46.0'],
      [131, undefined],
    ]);
    expect(cl.popcorn).toEqual({ id: 131, title: 'A clock on the lock screen', score: 5 });
    expect(cl.between).toEqual([
      {
        version: '2026.47.0',
        changelog: 'releases/2026.47.0/CHANGELOG.md',
        channels: [
          { channel: 'beta', status: 'rolled back' },
          { channel: 'stable', status: 'never live' },
        ],
        entries: [{ id: 124, title: 'Wi-Fi drops after sleep', type: 'bug' }],
      },
    ]);
    const md = await read(repo, '2026.48.0', 'CHANGELOG.md');
    // The nominees: an earlier winner is no nominee again.
    expect(md).toMatch(/## 🍿 Popcorn Award nominees\n\n.*\n\n1\. \*\*A clock on the lock screen\*\* \(#131\)/);
    expect(md).not.toMatch(/^\d\. \*\*Dark mode for the lock screen/m);
    expect(md).toContain(
      '- **Dark mode for the lock screen** (#130) — score 20, 20 voters, reported by night_owl, 🍿 Popcorn Award in 2026.46.0',
    );
    expect(md).toContain(
      '- **2026.47.0** (rolled back on beta; never live on stable): Wi-Fi drops after sleep (#124) — [its changelog](../2026.47.0/CHANGELOG.md)',
    );

    // Later channel moves do not rewrite history: the release's changelog prints the same bytes.
    ok(
      await friday(repo, '2026-11-28T09:00:00Z', 'stage', '--channel', 'beta', '--version', '2026.48.0', '--key', alice.path, '--publish'),
    );
    const again = await runFriday(['changelog', '-C', repo.dir, '--to', 'v2026.48.0', '--now', '2026-12-05T00:00:00Z']);
    expect(again.stdout).toBe(md);
  });
});

describe('changelog.foldPrereleases', () => {
  it("starts a final release's range at the previous final release and names its prereleases; off, at the prerelease", async () => {
    const repo = await project({ changelog: { foldPrereleases: true } });
    await repo.commit('fix(wifi): reconnect after sleep\n\nFixes #124', { date: '2026-11-17T10:00:00Z' });
    expect((await friday(repo, '2026-11-20T17:00:00Z', 'cut')).json).toMatchObject({ version: '2026.47.0' });
    await repo.commit('feat(lockscreen): dark mode (#130)', { date: '2026-11-23T10:00:00Z' });
    const rc = await friday(repo, '2026-11-24T17:00:00Z', 'cut', '--version', '2026.48.0-rc.1');
    expect(rc.json).toMatchObject({ version: '2026.48.0-rc.1', previousTag: 'v2026.47.0' });
    await repo.commit('feat(lockscreen): a clock (#131)', { date: '2026-11-25T10:00:00Z' });
    const final = await friday(repo, '2026-11-27T17:00:00Z', 'cut', '--version', '2026.48.0');
    expect(final.json).toMatchObject({ version: '2026.48.0', previousTag: 'v2026.48.0-rc.1' });

    const cl = JSON.parse(await read(repo, '2026.48.0', 'changelog.json'));
    expect(cl).toMatchObject({ range: { from: 'v2026.47.0', to: 'v2026.48.0' }, commits: 2, prereleases: ['2026.48.0-rc.1'] });
    expect(cl.entries.map((e: { id: number }) => e.id)).toEqual([130, 131]);
    expect(cl.popcorn).toMatchObject({ id: 130 }); // the prerelease's award does not count against it
    expect(await read(repo, '2026.48.0', 'CHANGELOG.md')).toContain('2 commits since v2026.47.0, including the prerelease 2026.48.0-rc.1.');
    const printed = await friday(repo, '2026-12-05T00:00:00Z', 'changelog', '--to', 'v2026.48.0');
    expect(printed.json).toEqual(cl);

    // Off: the prerelease starts the range, as any release tag does.
    const config = JSON.parse(await fs.readFile(join(repo.dir, 'friday.config.json'), 'utf8'));
    await fs.writeFile(join(repo.dir, 'friday.config.json'), JSON.stringify({ ...config, changelog: { foldPrereleases: false } }));
    const unfolded = await friday(repo, '2026-12-05T00:00:00Z', 'changelog', '--to', 'v2026.48.0');
    expect(unfolded.json).toMatchObject({ range: { from: 'v2026.48.0-rc.1' }, commits: 1 });
    expect(unfolded.json.prereleases).toBeUndefined();
  });
});
