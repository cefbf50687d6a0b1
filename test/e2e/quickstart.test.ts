/**
 * The README's Quick start, followed verbatim in a fresh temporary ROM repository: pack friday,
 * install the tarball as a dev dependency, init, keys, commit, cut, stage; it must reach a live,
 * verifiable beta manifest with no other step. The commands are read from README.md itself, so
 * the README cannot drift from what works. `~` is a temporary HOME holding both checkouts;
 * `$EDITOR` is a script that sets a real build command; the ROM repository gets an `origin` to
 * push to. npm installs the tarball's dependencies from its cache (the registry when missing).
 */
import { execFile, execFileSync } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cleanEnv, gitRepo, ROOT, tmpDir } from '../helpers/index.js';

const run = promisify(execFile);

/** The shell lines of the Quick start's code blocks, comments and blank lines left out. */
function quickStart(): string[][] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('\n## ', readme.indexOf('## Quick start') + 3));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) =>
    m[1]!
      .split('\n')
      .map((l) => l.replace(/\s+#.*$/, '').trim())
      .filter((l) => l && !l.startsWith('#')),
  );
}

describe("the README's Quick start", () => {
  it('reaches a live, verifiable beta manifest in a fresh ROM repository, from the packed tarball', async () => {
    const [pack, rom] = quickStart();
    expect(pack).toEqual(['npm pack']);
    expect(rom![0]).toBe('cd ~/src/aurora-rom');

    const home = tmpDir('friday-home-');
    // This checkout of friday, as ~/src/orange-friday: its tracked files, its build, its node_modules.
    const friday = join(home, 'src', 'orange-friday');
    await fs.mkdir(friday, { recursive: true });
    const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
    for (const f of tracked) {
      await fs.mkdir(join(friday, f, '..'), { recursive: true });
      await fs.copyFile(join(ROOT, f), join(friday, f));
    }
    await fs.symlink(join(ROOT, 'node_modules'), join(friday, 'node_modules'), 'dir');

    const repo = await gitRepo(join(home, 'src', 'aurora-rom'));
    await repo.commit('feat: the first sources', { files: { 'README.md': '# aurora\n' } });
    const origin = await gitRepo(join(home, 'origin.git'));
    await repo.git(['remote', 'add', 'origin', origin.dir]);

    // $EDITOR: what a release engineer types into friday.config.json.
    const editor = join(home, 'edit.mjs');
    await fs.writeFile(
      editor,
      `import { readFileSync, writeFileSync } from 'node:fs';
const c = JSON.parse(readFileSync(process.argv[2], 'utf8'));
c.build.command = "node -e \\"const fs=require('fs');for(const d of process.env.FRIDAY_DEVICES.split(',')){fs.mkdirSync('out/'+d,{recursive:true});fs.writeFileSync('out/'+d+'/aurora-'+d+'-'+process.env.FRIDAY_VERSION+'.zip','image '+d)}\\"";
c.build.artifacts = 'out/{device}/aurora-{device}-{version}.zip';
writeFileSync(process.argv[2], JSON.stringify(c, null, 2) + '\\n');
`,
    );
    const cache = execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).trim();
    const env = {
      ...cleanEnv({ HOME: home, EDITOR: `node ${editor}`, FRIDAY_NOW: '2026-11-27T17:00:00Z' }),
      npm_config_cache: cache,
      npm_config_prefer_offline: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
    };
    const sh = async (cwd: string, line: string) => {
      const r = await run('bash', ['-c', line], { cwd, env, maxBuffer: 16 * 1024 * 1024 }).catch(
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
      const failed = 'code' in r && typeof r.code === 'number' && r.code !== 0;
      expect(failed, `${line}\n${r.stdout}\n${r.stderr}`).toBe(false);
      return r as { stdout: string; stderr: string };
    };

    for (const line of pack!) await sh(friday, line);
    for (const line of rom!.slice(1)) await sh(repo.dir, line);

    const manifest = join(repo.dir, 'ota/channels/beta/manifest.json');
    const verified = await sh(repo.dir, `npx friday verify ${manifest} --trust ota/trust.json --channel beta --json`);
    expect(JSON.parse(verified.stdout)).toMatchObject({ valid: true });
    expect(JSON.parse(readFileSync(manifest, 'utf8')).signed).toMatchObject({
      product: 'aurora',
      channel: 'beta',
      serial: 1,
      release: { version: '2026.48.0' },
    });
    expect(await origin.git(['tag', '--list'])).toBe('v2026.48.0');
    expect(await repo.git(['status', '--porcelain'])).toBe('');
  }, 180_000);
});
