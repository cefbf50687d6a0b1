/** `friday cut` against real git in temp repositories, run as a user runs it (the built CLI). */
import { createHash } from 'node:crypto';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { git, gitRepo, initProject, runFriday, tmpDir, type TestRepo } from '../helpers/index.js';

const NOW = '2026-11-27T17:00:00Z';
const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

async function project(config: Record<string, unknown> = {}): Promise<TestRepo> {
  const repo = await gitRepo();
  await initProject(repo, { config });
  return repo;
}

const cut = (repo: TestRepo, ...args: string[]) => runFriday(['cut', '--json', '--now', NOW, ...args], { cwd: repo.dir });
const tags = async (repo: TestRepo) => (await repo.git(['tag', '--list'])).split('\n').filter(Boolean);

describe('friday cut (calver-week)', () => {
  it('builds, copies and hashes one artifact per device, writes build.json and tags HEAD', async () => {
    const repo = await project();
    const head = await repo.head();
    const r = await cut(repo);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({
      type: 'friday.build/v1',
      product: 'aurora',
      version: '2026.48.0',
      tag: 'v2026.48.0',
      commit: head,
      previousTag: null,
      builtAt: NOW,
    });
    const dir = join(repo.dir, 'ota/releases/2026.48.0');
    expect(JSON.parse(readFileSync(join(dir, 'build.json'), 'utf8'))).toEqual(r.json);
    for (const a of r.json.artifacts) {
      expect(a.sha256).toBe(sha256(join(dir, a.file)));
      expect(a.sha256).toBe(sha256(join(repo.dir, 'out', a.device, a.file)));
      expect(a.size).toBe(readFileSync(join(dir, a.file)).length);
      // The record holds these four fields and nothing else: the cut hashes SHA-256 only.
      expect(Object.keys(a).sort()).toEqual(['device', 'file', 'sha256', 'size']);
    }
    expect(r.json.artifacts.map((a: { device: string }) => a.device)).toEqual(['cepheus', 'umi']);
    const tagObject = await repo.git(['cat-file', '-p', 'v2026.48.0']);
    expect(tagObject).toContain(`object ${head}`);
    for (const a of r.json.artifacts) expect(tagObject).toContain(`${a.sha256}  ${a.file}`);
    expect(tagObject).toMatch(/tagger .* 1795798800 \+0000/); // the cut time, not the wall clock
  });

  it("copies the artifacts at once, and lists them in the configuration's device order whatever order they finish in", async () => {
    const repo = await project({ devices: ['cepheus', 'umi', 'lmi'] });
    // The first device's image is the largest, so it is the last to finish.
    const sizes: Record<string, number> = { cepheus: 24 * 1024 * 1024 + 7, umi: 11, lmi: 5000 };
    for (const [device, size] of Object.entries(sizes)) {
      await fs.mkdir(join(repo.dir, 'out', device), { recursive: true });
      const data = Buffer.alloc(size);
      for (let i = 0; i < size; i++) data[i] = (i * 31 + device.length) & 0xff;
      await fs.writeFile(join(repo.dir, 'out', device, `aurora-${device}.zip`), data);
    }
    const r = await runFriday(['cut', '--skip-build', '--now', NOW], { cwd: repo.dir });
    expect(r.code, r.stderr).toBe(0);
    const dir = join(repo.dir, 'ota/releases/2026.48.0');
    const record = JSON.parse(readFileSync(join(dir, 'build.json'), 'utf8'));
    expect(record.artifacts.map((a: { device: string }) => a.device)).toEqual(['cepheus', 'umi', 'lmi']);
    for (const a of record.artifacts) {
      expect(a.size).toBe(sizes[a.device]);
      expect(a.sha256).toBe(sha256(join(repo.dir, 'out', a.device, a.file)));
      expect(a.sha256).toBe(sha256(join(dir, a.file)));
      expect(r.stderr).toContain(`copy and hash ${a.device}: out/${a.device}/${a.file}`);
    }
    expect((await fs.readdir(join(repo.dir, 'ota/releases'))).sort()).toEqual(['2026.48.0']);
  });

  it('is harmless when re-run on a tagged HEAD, and counts N within the week', async () => {
    const repo = await project();
    const first = await cut(repo);
    const again = await cut(repo);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json).toEqual(first.json);
    expect(await tags(repo)).toEqual(['v2026.48.0']);

    await repo.commit('fix: wifi drops after sleep (#124)');
    const second = await cut(repo);
    expect(second.code, second.stderr).toBe(0);
    expect(second.json).toMatchObject({ version: '2026.48.1', previousTag: 'v2026.48.0' });
    const forced = await cut(repo, '--force');
    expect(forced.json).toMatchObject({ version: '2026.48.2', previousTag: 'v2026.48.0' });
  });

  it('refuses a dirty tree with exit 2 unless --allow-dirty, ignoring its own publish root', async () => {
    const repo = await project();
    await fs.writeFile(join(repo.dir, 'stray.txt'), 'x');
    const r = await cut(repo);
    expect(r.code).toBe(2);
    expect(r.json.error).toMatchObject({ code: 'E_DIRTY' });
    expect(r.json.error.message).toContain('stray.txt');
    expect(await tags(repo)).toEqual([]);
    expect(existsSync(join(repo.dir, 'ota/releases/2026.48.0'))).toBe(false);
    const ok = await cut(repo, '--allow-dirty');
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('replaces the folder of an interrupted cut (no tag), unless a channel already carries it', async () => {
    const repo = await project();
    expect((await cut(repo)).code).toBe(0);
    await repo.git(['tag', '-d', 'v2026.48.0']); // as if killed between the folder's rename and the tag
    const again = await cut(repo);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('replacing ota/releases/2026.48.0: it was never tagged');
    expect(await tags(repo)).toEqual(['v2026.48.0']);

    await repo.git(['tag', '-d', 'v2026.48.0']);
    const history = join(repo.dir, 'ota/channels/beta/history');
    await fs.mkdir(history, { recursive: true });
    await fs.writeFile(join(history, '00000001.json'), JSON.stringify({ signed: { release: { version: '2026.48.0' } }, signatures: [] }));
    const before = await fs.readFile(join(repo.dir, 'ota/releases/2026.48.0/build.json'), 'utf8');
    const refused = await cut(repo);
    expect(refused.code).toBe(1);
    expect(refused.json.error.message).toBe(
      'cut: ota/releases/2026.48.0 was never tagged, but beta already carries 2026.48.0: it cannot be cut again',
    );
    expect(await fs.readFile(join(repo.dir, 'ota/releases/2026.48.0/build.json'), 'utf8')).toBe(before);
    expect(await tags(repo)).toEqual([]);
  });

  it('leaves no tag and no release folder when the build fails', async () => {
    const repo = await project({
      build: { command: 'node -e "console.log(\'compiling\'); process.exit(3)"', artifacts: 'out/{device}/*.zip' },
    });
    const r = await runFriday(['cut', '--now', NOW], { cwd: repo.dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('build | compiling');
    expect(r.stderr).toMatch(/friday: build: .* failed \(exit code 3\)/);
    expect(await tags(repo)).toEqual([]);
    expect(existsSync(join(repo.dir, 'ota/releases/2026.48.0'))).toBe(false);
    expect(existsSync(join(repo.dir, 'ota/releases')) ? await fs.readdir(join(repo.dir, 'ota/releases')) : []).toEqual([]);
  });

  it('stops a build that runs past build.timeoutMinutes, with no tag', async () => {
    const repo = await project({
      build: { command: 'node -e "setTimeout(() => {}, 60000)"', artifacts: 'out/{device}/*.zip', timeoutMinutes: 0.02 },
    });
    const r = await cut(repo);
    expect(r.code).toBe(1);
    expect(r.json.error.message).toContain('timed out');
    expect(await tags(repo)).toEqual([]);
  });

  it('names the device when its glob matches no file or several', async () => {
    const repo = await project({ build: { command: 'node build.mjs', artifacts: 'out/{device}/*.img' } });
    const r = await cut(repo);
    expect(r.code).toBe(1);
    expect(r.json.error.message).toContain('device cepheus: build.artifacts "out/cepheus/*.img" matched no file');

    const two = await project({
      build: {
        command: "node build.mjs && node -e \"require('fs').writeFileSync('out/umi/extra.zip', 'x')\"",
        artifacts: 'out/{device}/*.zip',
      },
    });
    const r2 = await cut(two);
    expect(r2.code).toBe(1);
    expect(r2.json.error.message).toMatch(/device umi: .* matched 2 files/);
    expect(await tags(two)).toEqual([]);
  });

  it('needs a build section, even with --skip-build, and says so naming the config (exit 2, nothing written)', async () => {
    const repo = await project({ build: undefined });
    for (const args of [[], ['--skip-build']]) {
      const r = await cut(repo, ...args);
      expect(r.code).toBe(2);
      expect(r.json.error).toEqual({
        code: 'E_CONFIG',
        message: "friday.config.json: build: required by cut (build.artifacts finds each device's image)",
      });
    }
    expect(await tags(repo)).toEqual([]);
    expect(existsSync(join(repo.dir, 'ota'))).toBe(false);
  });

  it('writes nothing with --dry-run', async () => {
    const repo = await project();
    const r = await cut(repo, '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ version: '2026.48.0' });
    expect(r.stderr).toContain('would tag v2026.48.0');
    expect(await tags(repo)).toEqual([]);
    expect(existsSync(join(repo.dir, 'ota'))).toBe(false);
    expect(existsSync(join(repo.dir, 'out'))).toBe(false);
  });

  it('pushes the tag with --push to a remote', async () => {
    const repo = await project();
    const bare = tmpDir('friday-remote-');
    await git(bare, ['init', '-q', '--bare']);
    await repo.git(['remote', 'add', 'origin', bare]);
    const r = await cut(repo, '--push');
    expect(r.code, r.stderr).toBe(0);
    expect(await git(bare, ['tag', '--list'])).toBe('v2026.48.0');
    expect(await git(bare, ['rev-parse', 'v2026.48.0^{commit}'])).toBe(await repo.head());
  });

  it('says where git is missing: not a repository, or no commit yet (exit 1, nothing written)', async () => {
    const bare = tmpDir();
    await fs.writeFile(
      join(bare, 'friday.config.json'),
      JSON.stringify({ product: 'aurora', devices: ['umi'], build: { artifacts: 'out/{device}/*.zip' } }),
    );
    const outside = await cut({ dir: bare } as TestRepo, '--skip-build');
    expect(outside.code).toBe(1);
    expect(outside.json.error).toMatchObject({ code: 'E_GIT', message: `${bare}: not a git repository` });
    expect(existsSync(join(bare, 'ota'))).toBe(false);

    const repo = await project();
    await repo.git(['update-ref', '-d', 'HEAD']); // the files stay, the only commit goes
    const empty = await cut(repo, '--skip-build');
    expect(empty.code).toBe(1);
    expect(empty.json.error).toMatchObject({ code: 'E_GIT', message: 'git: the repository has no commit yet' });
    expect(existsSync(join(repo.dir, 'ota'))).toBe(false);
  });

  it('reads a lightweight release tag as the previous release, and passes over tags that are no release', async () => {
    const repo = await project();
    const first = await repo.head();
    await repo.tag('nightly-2026-11-20');
    await repo.git(['tag', 'v2026.47']); // named like a release, but no semantic version
    const r0 = await cut(repo, '--dry-run');
    expect(r0.json).toMatchObject({ version: '2026.48.0', previousTag: null });
    await repo.git(['tag', 'v2026.47.0']); // lightweight, as GitHub's release page makes them
    await repo.commit('fix: wifi drops after sleep (#124)');
    const r = await cut(repo);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ version: '2026.48.0', previousTag: 'v2026.47.0' });
    await repo.git(['tag', '-a', 'v2026.47.1', '-m', '2026.47.1', first]);
    await repo.commit('fix: camera crash');
    expect((await cut(repo)).json).toMatchObject({ version: '2026.48.1', previousTag: 'v2026.48.0' });
  });

  it('tags as "friday" with a warning when git has no user.name', async () => {
    const repo = await project();
    await repo.git(['config', '--unset', 'user.name']);
    const home = tmpDir();
    const r = await runFriday(['cut', '--json', '--now', NOW], {
      cwd: repo.dir,
      env: { HOME: home, XDG_CONFIG_HOME: home, GIT_CONFIG_NOSYSTEM: '1' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('friday: warning: git has no user.name: the tag is signed off as "friday"');
    expect(await repo.git(['cat-file', '-p', 'v2026.48.0'])).toMatch(/^tagger friday <friday@localhost> 1795798800 \+0000$/m);
  });

  it('lets only one of two concurrent cuts tag', async () => {
    const repo = await project({
      build: { command: 'node -e "setTimeout(()=>{},1500)" && node build.mjs', artifacts: 'out/{device}/*.zip' },
    });
    const [a, b] = await Promise.all([cut(repo), cut(repo)]);
    expect(await tags(repo)).toEqual(['v2026.48.0']);
    for (const r of [a, b]) {
      // The second either waited and found the release already cut, or failed clearly on the lock.
      if (r.code === 0) expect(r.json.version).toBe('2026.48.0');
      else expect(r.json.error.code).toBe('E_LOCK');
    }
    expect([a.code, b.code]).toContain(0);
  });
});

describe('friday cut (semver)', () => {
  it('bumps from Conventional Commits since the previous release tag', async () => {
    const repo = await project({ versioning: { scheme: 'semver', tagPrefix: 'v' } });
    expect((await cut(repo, '--skip-build', '--allow-dirty')).code).toBe(1); // no artifacts yet: clear failure
    const first = await cut(repo);
    expect(first.json.version).toBe('1.0.0');
    await repo.commit('fix: camera crash');
    expect((await cut(repo)).json).toMatchObject({ version: '1.0.1', previousTag: 'v1.0.0' });
    await repo.commit('feat(dialer): show when a call was answered (#123)');
    await repo.commit('fix: typo');
    expect((await cut(repo)).json.version).toBe('1.1.0');
    await repo.commit('feat!: new partition layout');
    expect((await cut(repo)).json.version).toBe('2.0.0');
    await repo.commit('docs: readme');
    expect((await cut(repo, '--bump', 'minor')).json.version).toBe('2.1.0');
  });

  it('--force on a tagged HEAD bumps from the highest version already on it', async () => {
    const repo = await project({ versioning: { scheme: 'semver', tagPrefix: 'v' } });
    expect((await cut(repo)).json.version).toBe('1.0.0');
    await repo.commit('fix: camera crash');
    expect((await cut(repo)).json.version).toBe('1.0.1');
    const forced = await cut(repo, '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.json).toMatchObject({ version: '1.0.2', previousTag: 'v1.0.0' });
    expect((await cut(repo, '--force', '--bump', 'minor')).json.version).toBe('1.1.0');
    expect(await tags(repo)).toEqual(['v1.0.0', 'v1.0.1', 'v1.0.2', 'v1.1.0']);
  });

  it('takes the highest version as the previous release when two release tags share a commit', async () => {
    const repo = await project({ versioning: { scheme: 'semver', tagPrefix: 'v' } });
    // Tagged by hand in an order that makes the lower version the newer tag.
    await repo.git(['-c', 'user.name=t', '-c', 'user.email=t@t', 'tag', '-a', 'v1.2.0', '-m', 'r']);
    await repo.git(['-c', 'user.name=t', '-c', 'user.email=t@t', 'tag', '-a', 'v1.1.0', '-m', 'r']);
    await repo.commit('fix: battery drain');
    expect((await cut(repo)).json).toMatchObject({ version: '1.2.1', previousTag: 'v1.2.0' });
  });

  it('refuses a --version that is not a version, or whose tag exists (exit 2)', async () => {
    const repo = await project();
    expect((await cut(repo, '--version', 'banana')).code).toBe(2);
    expect((await cut(repo, '--version', '3.0.0')).json.version).toBe('3.0.0');
    await repo.commit('fix: x');
    const dup = await cut(repo, '--version', '3.0.0');
    expect(dup.code).toBe(2);
    expect(dup.json.error.message).toContain('already exists');
  });
});
