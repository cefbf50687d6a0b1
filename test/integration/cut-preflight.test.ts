/**
 * `cut` checks what it can before the build (docs/cli.md `cut`, "Before the build"): a two-hour
 * build never ends in a configuration error, and last week's image is never taken for this week's.
 */
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PLACEHOLDER_BUILD, PLACEHOLDER_DEVICE } from '../../src/core/config.js';
import { git, gitRepo, initProject, runFriday, type TestRepo } from '../helpers/index.js';

const NOW = '2026-11-27T17:00:00Z';

/** A build that leaves a marker, so a test can tell whether it ran. */
const MARKED_BUILD = `node -e "require('fs').writeFileSync('build-ran', '')" && node build.mjs`;

async function project(config: Record<string, unknown> = {}, files: Record<string, string> = {}): Promise<TestRepo> {
  const repo = await gitRepo();
  await initProject(repo, { config: { build: { command: MARKED_BUILD, artifacts: 'out/{device}/*.zip' }, ...config } });
  if (Object.keys(files).length) await repo.commit('chore: files', { files });
  await fs.appendFile(join(repo.dir, '.git/info/exclude'), 'build-ran\n');
  return repo;
}
const cut = (repo: TestRepo, ...args: string[]) => runFriday(['cut', '--json', '--now', NOW, ...args], { cwd: repo.dir });

describe('cut, before the build', () => {
  it("refuses init's placeholders, naming the field, before anything runs (exit 2)", async () => {
    const devices = await project({ devices: [PLACEHOLDER_DEVICE] });
    const d = await cut(devices);
    expect(d.code).toBe(2);
    expect(d.json.error).toMatchObject({ code: 'E_CONFIG' });
    expect(d.json.error.message).toBe(`friday.config.json: devices: still the placeholder "${PLACEHOLDER_DEVICE}" that init wrote`);

    const build = await project({ build: { command: PLACEHOLDER_BUILD, artifacts: 'out/{device}/*.zip' } });
    const b = await cut(build);
    expect(b.code).toBe(2);
    expect(b.json.error.message).toBe('friday.config.json: build.command: still the placeholder that init wrote');
    expect(b.stderr).toContain('--skip-build');
    expect(await git(build.dir, ['tag', '--list'])).toBe('');
  });

  it('refuses an issues file it cannot read before the build runs, and leaves nothing', async () => {
    const repo = await project({}, { 'issues.json': '[{"id": "x"}]\n' });
    const r = await cut(repo);
    expect(r.code).toBe(2);
    expect(r.json.error.message).toContain('issues.json: issues[0].id');
    expect(existsSync(join(repo.dir, 'build-ran'))).toBe(false);
    expect(existsSync(join(repo.dir, 'ota/releases/2026.48.0'))).toBe(false);
    expect(await git(repo.dir, ['tag', '--list'])).toBe('');
  });

  it('refuses an unknown placeholder in build.artifacts before the build; {version} is one it knows', async () => {
    const typo = await project({ build: { command: MARKED_BUILD, artifacts: 'out/{device}/*-{ver}.zip' } });
    const t = await cut(typo);
    expect(t.code).toBe(2);
    expect(t.json.error.message).toBe('friday.config.json: build.artifacts: unknown placeholder {ver}');
    expect(existsSync(join(typo.dir, 'build-ran'))).toBe(false);

    const versioned = await project({ build: { command: MARKED_BUILD, artifacts: 'out/{device}/aurora-{device}-{version}.zip' } });
    const v = await cut(versioned);
    expect(v.code, v.stderr).toBe(0);
    expect(v.json.artifacts.map((a: { file: string }) => a.file)).toEqual(['aurora-cepheus-2026.48.0.zip', 'aurora-umi-2026.48.0.zip']);
  });
});

describe('cut, after the build', () => {
  /** A build that adds this week's image beside last week's (it does not clean out/). */
  const KEEPING_BUILD = `node -e "const fs=require('fs');for(const d of process.env.FRIDAY_DEVICES.split(',')){fs.mkdirSync('out/'+d,{recursive:true});fs.writeFileSync('out/'+d+'/aurora-'+d+'-'+process.env.FRIDAY_VERSION+'.zip','image '+process.env.FRIDAY_VERSION)}"`;

  it("names last week's image and the fix; following it (a {version} pattern) cuts", async () => {
    const repo = await project({ build: { command: KEEPING_BUILD, artifacts: 'out/{device}/*.zip' } });
    for (const d of ['cepheus', 'umi']) {
      await fs.mkdir(join(repo.dir, 'out', d), { recursive: true });
      await fs.writeFile(join(repo.dir, 'out', d, `aurora-${d}-2026.47.0.zip`), 'last week');
      const old = new Date(Date.now() - 3 * 86_400_000);
      await fs.utimes(join(repo.dir, 'out', d, `aurora-${d}-2026.47.0.zip`), old, old);
    }
    const r = await cut(repo);
    expect(r.code).toBe(1);
    expect(r.json.error.code).toBe('E_ARTIFACT');
    expect(r.stderr).toContain('out/cepheus/aurora-cepheus-2026.47.0.zip is from an earlier build');
    expect(r.stderr).toContain('put {version} in build.artifacts (e.g. "out/{device}/*{version}.zip")');

    // The hint, followed.
    const config = JSON.parse(await fs.readFile(join(repo.dir, 'friday.config.json'), 'utf8'));
    config.build.artifacts = 'out/{device}/*{version}.zip';
    await repo.commit('chore: only this week', { files: { 'friday.config.json': JSON.stringify(config, null, 2) } });
    const again = await cut(repo);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json.artifacts.map((a: { file: string }) => a.file)).toEqual(['aurora-cepheus-2026.48.0.zip', 'aurora-umi-2026.48.0.zip']);
  });

  it('refuses a single match the build did not write', async () => {
    const repo = await project({ build: { command: 'node -e 0', artifacts: 'out/{device}/*.zip' } });
    for (const d of ['cepheus', 'umi']) {
      await fs.mkdir(join(repo.dir, 'out', d), { recursive: true });
      await fs.writeFile(join(repo.dir, 'out', d, `old-${d}.zip`), 'last week');
      const old = new Date(Date.now() - 86_400_000);
      await fs.utimes(join(repo.dir, 'out', d, `old-${d}.zip`), old, old);
    }
    const r = await cut(repo);
    expect(r.code).toBe(1);
    expect(r.json.error.message).toBe(
      'cut: device cepheus: out/cepheus/old-cepheus.zip was not written by this build (it is older than the build)',
    );
    // --skip-build releases files already built, whatever their age.
    expect((await cut(repo, '--skip-build')).code).toBe(0);
  });

  it('--push on a HEAD already cut pushes the tag and says so', async () => {
    const repo = await project();
    const remote = await gitRepo();
    await repo.git(['remote', 'add', 'origin', remote.dir]);
    expect((await cut(repo)).code).toBe(0);
    const again = await runFriday(['cut', '--push', '--now', NOW], { cwd: repo.dir });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/v2026\.48\.0 already cut at \w+: nothing to do \(.*\); pushed v2026\.48\.0 to origin/);
    expect(await remote.git(['tag', '--list'])).toBe('v2026.48.0');
  });
});
