/**
 * Messages a tired release engineer can act on: each situation is made for real, the message is
 * checked, and where it gives a command or a step, the test follows it and checks that it works.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFixture, type Fixture } from '../integration/channel-fixture.js';
import { BIN, BUILD_SCRIPT, cleanEnv, gitRepo, initProject, runFriday, type RunResult } from '../helpers/index.js';

const NOW = '2026-11-27T17:00:00Z';

/** friday started in the project folder itself (no -C), so the paths it shows are relative to it. */
const inProject = (f: Fixture, args: string[], env: Record<string, string> = {}) =>
  runFriday(args, { cwd: f.dir, env: { FRIDAY_NOW: NOW, ...env } });

/** The error line and the hint line of a failed run (whatever progress came before them). */
function errorOf(r: RunResult): { line: string; hint: string } {
  const lines = r.stderr.split('\n');
  const i = lines.findIndex((l) => l.startsWith('friday: ') && !l.startsWith('friday: warning: '));
  expect(i, r.stderr).toBeGreaterThanOrEqual(0);
  return { line: lines[i]!, hint: lines[i + 1] ?? '' };
}

/** Run a shell command the way the user would paste it, in `cwd`. */
const sh = (command: string, cwd: string) => execFileSync('sh', ['-c', command], { cwd, encoding: 'utf8' });

const ok = (r: RunResult, what: string) => expect(r.code, `${what}: ${r.stderr}`).toBe(0);

/** beta with serials 1 to 3 live in turn (2026.47.0, 2026.48.0, then 2026.48.0 renewed). */
async function threeSerials(): Promise<Fixture> {
  const f = await makeFixture();
  for (const v of ['2026.47.0', '2026.48.0'])
    ok(await inProject(f, ['stage', '--channel', 'beta', '--version', v, '--key', f.alice.path, '--publish']), `stage ${v}`);
  ok(await inProject(f, ['renew', '--channel', 'beta', '--key', f.alice.path, '--force']), 'renew');
  return f;
}

describe('a damaged live manifest', () => {
  it('names the history copy of the newest serial and the cp that restores it; followed, status and stage work again', async () => {
    const f = await threeSerials();
    const live = join(f.ota, 'channels/beta/manifest.json');
    const good = await fs.readFile(live, 'utf8');
    await fs.writeFile(live, good.slice(0, 40)); // torn: not JSON
    const cp = 'cp ota/channels/beta/history/00000003.json ota/channels/beta/manifest.json';

    for (const args of [['status'], ['stage', '--channel', 'beta', '--key', f.alice.path]]) {
      const r = await inProject(f, args);
      expect(r.code, args[0]).toBe(1);
      const { line, hint } = errorOf(r);
      expect(line, args[0]).toMatch(/^friday: ota\/channels\/beta\/manifest\.json: /);
      expect(hint, args[0]).toBe(`  restore the last published manifest from its history copy: ${cp}`);
    }
    // Shown from elsewhere (-C), the paths are absolute: the command still works where it is pasted.
    const away = errorOf(await f.friday(['status']));
    expect(away.hint).toContain(`cp ${join(f.ota, 'channels/beta/history/00000003.json')} ${live}`);

    const { hint } = errorOf(await inProject(f, ['status']));
    sh(hint.slice(hint.indexOf('cp ')), f.dir);
    expect(await fs.readFile(live, 'utf8')).toBe(good);
    ok(await inProject(f, ['status']), 'status after the restore');
    const staged = await inProject(f, ['stage', '--channel', 'beta', '--key', f.alice.path, '--json']);
    ok(staged, 'stage after the restore');
    expect(staged.json).toMatchObject({ channel: 'beta', serial: 4 });
  });

  it('with no history copy, says so and what to do instead; followed, the channel is staged and published again', async () => {
    const f = await threeSerials();
    const live = join(f.ota, 'channels/beta/manifest.json');
    await fs.writeFile(live, '{"signed": {"type": "friday.manifest/v1"}, "signatures": []}\n'); // JSON, not a manifest
    await fs.rm(join(f.ota, 'channels/beta/history'), { recursive: true });

    const r = await inProject(f, ['status']);
    expect(r.code).toBe(1);
    const { line, hint } = errorOf(r);
    expect(line).toMatch(/^friday: ota\/channels\/beta\/manifest\.json: /);
    expect(hint).toContain('there is no copy in ota/channels/beta/history/ to restore it from');
    expect(hint).toContain('copy the manifest.json your OTA server serves back to ota/channels/beta/manifest.json');
    const mv = /\((mv [^)]+)\)/.exec(hint)?.[1];
    expect(mv).toBe('mv ota/channels/beta/manifest.json ota/channels/beta/manifest.json.damaged');

    sh(mv!, f.dir);
    ok(await inProject(f, ['status']), 'status after moving it aside');
    const again = await inProject(f, ['stage', '--channel', 'beta', '--key', f.alice.path, '--publish', '--json']);
    ok(again, 'stage again');
    expect(again.json).toMatchObject({ channel: 'beta', published: true });
  });

  it('with its newest history copy damaged too, does not offer an older serial, which devices would refuse', async () => {
    const f = await threeSerials();
    await fs.writeFile(join(f.ota, 'channels/beta/manifest.json'), 'null');
    await fs.writeFile(join(f.ota, 'channels/beta/history/00000003.json'), '');
    const { hint } = errorOf(await inProject(f, ['status']));
    expect(hint).toBe(
      '  its newest history copy ota/channels/beta/history/00000003.json is damaged too: copy the manifest.json your OTA server serves over both files',
    );
  });
});

describe('signing keys', () => {
  it('a .pub given as --key is called a public key, and the private key beside it is named; given, it signs', async () => {
    const f = await makeFixture();
    // The keys inside the project, given relative to it: the hint names the private one the same way.
    const keys = join(f.dir, 'keys');
    mkdirSync(keys);
    copyFileSync(f.alice.pubPath, join(keys, 'alice.pub'));
    copyFileSync(f.alice.path, join(keys, 'alice.key'));
    chmodSync(join(keys, 'alice.key'), 0o600);

    const r = await inProject(f, ['stage', '--channel', 'beta', '--key', 'keys/alice.pub', '--publish']);
    expect(r.code).toBe(2);
    const { line, hint } = errorOf(r);
    expect(line).toBe(
      'friday: keys/alice.pub: not a PKCS#8 PEM private key: it is a public key (-----BEGIN PUBLIC KEY-----); signing needs the private one',
    );
    expect(hint).toBe('  give the private key beside it: --key keys/alice.key');
    expect(existsSync(join(f.ota, 'channels/beta'))).toBe(false); // nothing written

    const given = hint.slice(hint.indexOf('--key ') + '--key '.length);
    const fixed = await inProject(f, ['stage', '--channel', 'beta', '--key', given, '--publish', '--json']);
    ok(fixed, 'stage with the private key');
    expect(fixed.json).toMatchObject({ published: true, signatures: 1 });
  });

  it('a file name in FRIDAY_SIGNING_KEY is said as such, with the exact fix; following it, the command signs', async () => {
    const f = await makeFixture();
    const r = await f.friday(['stage', '--channel', 'beta', '--publish'], { FRIDAY_SIGNING_KEY: f.alice.path });
    expect(r.code).toBe(2);
    const { line, hint } = errorOf(r);
    expect(line).toBe(
      `friday: FRIDAY_SIGNING_KEY: holds the name of a file (${f.alice.path}), not a key: it must hold the PEM text of the private key`,
    );
    expect(hint).toBe(`  put the file's text in it: FRIDAY_SIGNING_KEY="$(cat ${f.alice.path})", or pass the file: --key ${f.alice.path}`);

    // The shell sets the variable as the hint says; friday then reads the key from it.
    const assignment = /(FRIDAY_SIGNING_KEY="\$\(cat [^)]+\)")/.exec(hint)![1]!;
    const text = sh(`${assignment}; printf '%s' "$FRIDAY_SIGNING_KEY"`, f.dir);
    expect(text).toContain('-----BEGIN PRIVATE KEY-----');
    const fixed = await f.friday(['stage', '--channel', 'beta', '--publish', '--json'], { FRIDAY_SIGNING_KEY: text });
    ok(fixed, 'stage with the key text');
    expect(fixed.json).toMatchObject({ published: true, serial: 1 });
    // …or the other way the hint gives.
    const flag = hint.slice(hint.lastIndexOf('--key ') + '--key '.length);
    ok(await f.friday(['renew', '--channel', 'beta', '--force', '--key', flag]), 'renew with --key');
  });

  it('a .pub named in FRIDAY_SIGNING_KEY points at the private key beside it', async () => {
    const f = await makeFixture();
    const r = await f.friday(['stage', '--channel', 'beta'], { FRIDAY_SIGNING_KEY: f.alice.pubPath });
    expect(r.code).toBe(2);
    expect(errorOf(r).hint).toBe(
      `  put the file's text in it: FRIDAY_SIGNING_KEY="$(cat ${f.alice.path})", or pass the file: --key ${f.alice.path}`,
    );
  });
});

describe('Ctrl-C during the build of a cut', () => {
  it('says it was interrupted, that no tag and no release folder were made, and exits 130; the cut then runs again', async () => {
    const repo = await gitRepo();
    // The build waits while out/hold exists (out/ is ignored, so the tree stays clean).
    const build = `import { existsSync } from 'node:fs';\nif (existsSync('out/hold')) { console.log('holding'); setInterval(() => {}, 1000); }\nelse await import('./build.mjs');\n`;
    await initProject(repo, { config: { build: { command: 'node hold.mjs', artifacts: 'out/{device}/*.zip', timeoutMinutes: 5 } } });
    await repo.commit('build: hold', { files: { 'hold.mjs': build, 'build.mjs': BUILD_SCRIPT } });
    mkdirSync(join(repo.dir, 'out'));
    await fs.writeFile(join(repo.dir, 'out/hold'), '');

    const child = spawn(process.execPath, [BIN, 'cut'], {
      cwd: repo.dir,
      env: cleanEnv({ FRIDAY_NOW: NOW }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const closed = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    await new Promise<void>((building) => {
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        if (stderr.includes('build | holding')) building();
      });
    });
    child.kill('SIGINT');
    expect(await closed).toBe(130);

    const { line, hint } = errorOf({ code: 130, stdout, stderr });
    expect(line).toBe('friday: build: interrupted (SIGINT): the build was stopped, and no tag and no release folder were made');
    expect(stderr).not.toMatch(/failed/);
    expect(hint).toBe('  run the cut again when you are ready');
    expect(await repo.git(['tag', '--list'])).toBe('');
    const releases = await fs.readdir(join(repo.dir, 'ota/releases')).catch(() => []);
    expect(releases.filter((n) => !n.startsWith('.'))).toEqual([]);

    await fs.rm(join(repo.dir, 'out/hold'));
    const again = await runFriday(['cut', '--json'], { cwd: repo.dir, env: { FRIDAY_NOW: NOW } });
    ok(again, 'the cut run again');
    expect(await repo.git(['tag', '--list'])).toBe(`v${again.json.version}`);
  });
});
