/**
 * A release engineer's way in (docs/cli.md `init`): init in a ROM repository leaves what a first
 * cut needs and says what to do next; every command finds the project from a subfolder, as git
 * finds its repository; init refuses inside an existing project.
 */
import { promises as fs, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitRepo, initProject, runFriday, tmpDir } from '../helpers/index.js';

describe('friday init in a ROM repository', () => {
  it('writes an empty issues file, ignores the outputs, says the derived product aloud and prints the next steps', async () => {
    const repo = await gitRepo(join(tmpDir(), 'aurora-rom'));
    const r = await runFriday(['init', '--devices', 'cepheus,umi', '-C', repo.dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(repo.dir, 'friday.config.json'), 'utf8'))).toMatchObject({ product: 'aurora-rom' });
    expect(r.stderr).toContain('friday: warning: product "aurora-rom" (from the folder\'s name)');
    expect(r.stderr).toContain('friday init --product <name> --force');
    expect(JSON.parse(readFileSync(join(repo.dir, 'issues.json'), 'utf8'))).toEqual([]);
    // Stable widens a healthy rollout on its own; beta, at 100 % at once, by hand.
    expect(JSON.parse(readFileSync(join(repo.dir, 'channels/stable.json'), 'utf8')).advance).toEqual({
      afterHours: 24,
      minDevices: 200,
      maxHours: 96,
    });
    expect(JSON.parse(readFileSync(join(repo.dir, 'channels/beta.json'), 'utf8')).advance ?? null).toBeNull();
    expect(readFileSync(join(repo.dir, '.gitignore'), 'utf8').split('\n')).toEqual(['/ota/', '/out/', '/feedback/', '/node_modules/', '']);
    expect(r.stdout).toMatch(/next steps:\n1\. edit friday\.config\.json/);
    expect(r.stdout).toContain('npx friday keys generate <you>');
    expect(r.stdout).not.toContain('devices: your device codenames');

    // The setup it lists is what a commit needs: afterwards the tree is clean.
    await repo.git(['add', 'friday.config.json', 'channels', 'issues.json', '.gitignore']);
    await repo.git(['commit', '-q', '-m', 'chore: release with friday']);
    expect(await repo.git(['status', '--porcelain'])).toBe('');
  });

  it('never overwrites an issues file that exists, even with --force', async () => {
    const repo = await gitRepo();
    await fs.writeFile(join(repo.dir, 'issues.json'), '[{"id":1,"title":"t","type":"bug","author":"a","votes":3}]\n');
    expect((await runFriday(['init', '--product', 'aurora', '-C', repo.dir])).code).toBe(0);
    expect((await runFriday(['init', '--product', 'aurora', '--force', '-C', repo.dir])).code).toBe(0);
    expect(JSON.parse(readFileSync(join(repo.dir, 'issues.json'), 'utf8'))).toHaveLength(1);
  });

  it('placeholders a first cut cannot mistake for a real build, and a warning outside a git repository', async () => {
    const dir = tmpDir();
    const r = await runFriday(['init', '--product', 'aurora', '-C', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('is not in a git repository');
    expect(r.stderr).toContain('git init');
    const config = JSON.parse(readFileSync(join(dir, 'friday.config.json'), 'utf8'));
    expect(config.devices).toEqual(['set-devices-in-friday-config']);
    expect(config.build.command).toContain('set build.command in friday.config.json');
    expect(r.stdout).toContain('devices: your device codenames');
  });

  it('refuses inside an existing project (exit 2), naming it, and writes nothing', async () => {
    const repo = await gitRepo();
    await initProject(repo);
    const sub = join(repo.dir, 'device', 'umi');
    await fs.mkdir(sub, { recursive: true });
    const r = await runFriday(['init', '--product', 'other', '-C', sub]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      `friday: init: ${repo.dir} is already a friday project (${join(repo.dir, 'friday.config.json')}), and this folder is inside it`,
    );
    expect(await fs.readdir(sub)).toEqual([]);
  });
});

describe('a command run from a subfolder', () => {
  it('finds the project above it, resolves the paths it is given from where it runs, and stops at the repository top', async () => {
    const repo = await gitRepo();
    await initProject(repo);
    const sub = join(repo.dir, 'vendor', 'kernel');
    await fs.mkdir(sub, { recursive: true });
    const status = await runFriday(['status', '--json'], { cwd: sub });
    expect(status.code, status.stderr).toBe(0);
    expect(status.json).toMatchObject({ product: 'aurora', publishDir: join(repo.dir, 'ota') });

    // `keys trust` from the subfolder: the key path is relative to the subfolder, trust.json goes to the project's ota/.
    const keys = join(sub, 'keys');
    expect((await runFriday(['keys', 'generate', 'alice', '--out', 'keys'], { cwd: sub })).code).toBe(0);
    const t = await runFriday(['keys', 'trust', 'keys/alice.pub'], { cwd: sub });
    expect(t.code, t.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(repo.dir, 'ota/trust.json'), 'utf8')).product).toBe('aurora');
    await fs.rm(keys, { recursive: true });

    // A repository nested inside the project's folder (a submodule) is a repository of its own.
    const nested = await gitRepo(join(repo.dir, 'external', 'lib'));
    const inside = await runFriday(['status'], { cwd: nested.dir });
    expect(inside.code).toBe(2);
    expect(inside.stderr).toContain('friday.config.json: no such file');
  });
});
