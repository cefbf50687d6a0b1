/**
 * Messages a tired release engineer can act on: each situation is made for real, the message is
 * checked, and where it gives a command or a step, the test follows it and checks that it works.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, promises as fs, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFixture, type Fixture } from '../integration/channel-fixture.js';
import { BIN, BUILD_SCRIPT, cleanEnv, gitRepo, initProject, ROOT, runFriday, tmpDir, type RunResult } from '../helpers/index.js';

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
    // The restored live manifest is read again: its release is live already, so nothing to do.
    expect(staged.json).toMatchObject({ channel: 'beta', serial: 3, unchanged: 'live' });
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

describe('the soak', () => {
  it('says which stretch counts and the exact UTC time the release may move on; promote then succeeds at that time', async () => {
    const f = await makeFixture();
    ok(await f.friday(['stage', '--channel', 'beta', '--version', '2026.48.0', '--key', f.alice.path, '--publish']), 'beta');
    const promote = (now: string) =>
      f.friday(['promote', '--from', 'beta', '--to', 'stable', '--key', f.alice.path, '--publish', '--json'], { FRIDAY_NOW: now });

    const early = await promote('2026-11-28T23:00:00Z');
    expect(early.code).toBe(1);
    expect(early.json.error.code).toBe('E_SOAK');
    const { line, hint } = errorOf(early);
    expect(line).toBe(
      'friday: promote --from beta --to stable: 2026.48.0 has been live on beta since 2026-11-27T17:00:00Z, 30.0 h of the 168 h soak ' +
        '(the soak counts from when it last went live on beta, for as long as it stays live there without interruption and is not blocked); ' +
        'it may move on at 2026-12-04T17:00:00Z',
    );
    expect(hint).toBe('  run it again at or after 2026-12-04T17:00:00Z');

    const at = /at or after (\S+)$/.exec(hint)![1]!;
    const justBefore = await promote(new Date(Date.parse(at) - 1000).toISOString());
    expect(justBefore.json.error.code).toBe('E_SOAK');
    const done = await promote(at);
    ok(done, 'promote at the time given');
    expect(done.json).toMatchObject({ channel: 'stable', version: '2026.48.0', from: 'beta', published: true });
  });
});

describe('promote names promote', () => {
  it('a refusal inside the stage step it shares reads `promote --from … --to …`, not `stage stable`', async () => {
    const f = await makeFixture({ releases: ['2026.46.0', '2026.47.0'], channelThresholds: { stable: 2 } });
    const t0 = { FRIDAY_NOW: '2026-11-20T17:00:00Z' };
    const t1 = { FRIDAY_NOW: '2026-11-27T17:00:00Z' };
    const t2 = { FRIDAY_NOW: '2026-12-04T17:00:00Z' };
    const promote = (keys: string[], env: Record<string, string>) =>
      f.friday(['promote', '--from', 'beta', '--to', 'stable', ...keys.flatMap((k) => ['--key', k]), '--publish', '--json'], env);
    ok(await f.friday(['stage', '--channel', 'beta', '--version', '2026.46.0', '--key', f.alice.path, '--publish'], t0), 'beta');

    const noKey = await promote([], t1);
    expect(noKey.json.error.message).toMatch(/^promote --from beta --to stable: no signing key: /);

    const short = await promote([f.alice.path], t1);
    expect(short.code).toBe(1);
    expect(short.json.error).toEqual({
      code: 'E_THRESHOLD',
      message: 'promote --from beta --to stable: serial 1 has 1 of the 2 signatures needed to publish; it is staged',
    });
    // Its hint, followed: a co-signature, then publish.
    const { hint } = errorOf(short);
    expect(hint).toBe('  add one with: friday sign --channel stable --key <file>, then friday publish --channel stable');
    ok(await f.friday(['sign', '--channel', 'stable', '--key', f.bob.path], t1), 'sign');
    ok(await f.friday(['publish', '--channel', 'stable'], t1), 'publish');

    ok(await f.friday(['stage', '--channel', 'beta', '--version', '2026.47.0', '--key', f.alice.path, '--publish'], t1), 'beta');
    ok(await promote([f.alice.path, f.bob.path], t2), 'promote 2026.47.0');
    const back = ['rollback', '--channel', 'stable', '--reason', 'bootloop on umi', '--key', f.alice.path, '--key', f.bob.path];
    ok(await f.friday(back, t2), 'rollback');
    const blocked = await promote([f.alice.path, f.bob.path], t2);
    expect(blocked.json.error).toEqual({
      code: 'E_BLOCKED',
      message: 'promote --from beta --to stable: 2026.47.0 is blocked on stable (it was rolled back)',
    });
  });
});

describe('output into a closed pipe', () => {
  it('`friday <cmd> --help | head -1` prints the first line and exits 0, with nothing on stderr', () => {
    for (const cmd of ['status', 'cut', 'keys generate']) {
      const r = spawnSync(
        'bash',
        ['-c', `"${process.execPath}" "${BIN}" ${cmd} --help | head -1; echo "friday exited \${PIPESTATUS[0]}" >&2`],
        {
          encoding: 'utf8',
          env: cleanEnv(),
        },
      );
      expect(r.stdout, cmd).toBe(`Usage: friday ${cmd} [options]${cmd === 'keys generate' ? ' <name>' : ''}\n`);
      expect(r.stderr, cmd).toBe('friday exited 0\n');
    }
  });

  it("a reader that is gone before anything is written: no EPIPE stack, and the exit code is the command's", async () => {
    const run = (args: string[], close: ('stdout' | 'stderr')[]) =>
      new Promise<{ code: number | null; stderr: string }>((done) => {
        const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
        for (const s of close) child[s].destroy();
        let stderr = '';
        if (!close.includes('stderr')) child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.on('close', (code) => done({ code, stderr }));
      });
    expect(await run(['cut', '--help'], ['stdout'])).toEqual({ code: 0, stderr: '' });
    expect(await run(['--help'], ['stdout'])).toEqual({ code: 0, stderr: '' });
    const bad = await run(['status', '--bogus', '--json'], ['stdout']);
    expect(bad).toEqual({ code: 2, stderr: "friday: status: unknown option '--bogus'\n  see friday status --help\n" });
    expect((await run(['status', '--bogus'], ['stdout', 'stderr'])).code).toBe(2);
  });
});

describe('npm install', () => {
  it('builds quietly: the prepare script prints nothing on success', () => {
    const prepare = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.prepare as string;
    const out = tmpDir('friday-prepare-');
    // The same command into a folder of its own, so the dist/ the other tests run stays as it is.
    const r = spawnSync('sh', ['-c', `${prepare} --out-dir "${out}"`], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...cleanEnv(), PATH: `${join(ROOT, 'node_modules/.bin')}:${process.env.PATH}` },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
    expect(existsSync(join(out, 'cli/main.js'))).toBe(true);
  });
});

describe('help', () => {
  it('friday --help has an example and says to start with `friday demo`; so does friday with no arguments', async () => {
    const top = await runFriday(['--help']);
    ok(top, '--help');
    expect(top.stdout).toMatch(/\nExamples:\n {2}\$ friday demo\n/);
    expect(top.stdout).toContain('start with `friday demo`');
    const none = await runFriday([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('start with `friday demo`');
  });

  it("lists every command's own options before the global ones, and never `(default: [])`", async () => {
    const commands = ['init', 'keys generate', 'keys trust', 'cut', 'changelog', 'stage', 'sign', 'publish', 'rollout', 'promote'];
    commands.push('rollback', 'renew', 'watch', 'status', 'verify', 'pull', 'prune', 'demo');
    for (const c of ['', 'keys', ...commands]) {
      const r = await runFriday([...c.split(' ').filter(Boolean), '--help']);
      ok(r, `${c} --help`);
      expect(r.stdout, c).not.toContain('(default: [])');
      if (!commands.includes(c)) continue;
      const own = r.stdout.indexOf('\nOptions:\n');
      const global = r.stdout.indexOf('\nGlobal options:\n');
      expect(own, c).toBeGreaterThan(0);
      expect(global, c).toBeGreaterThan(own);
      const ownPart = r.stdout.slice(own, global);
      expect(ownPart, c).not.toMatch(/--cwd|--config|--json|--dry-run|--now|--quiet/);
      expect(r.stdout.slice(global), c).toMatch(/-C, --cwd <dir>[\s\S]*-q, --quiet/);
    }
  });

  it.skipIf(process.env.FRIDAY_TEST_FAST)(
    'following it: `friday demo` runs a whole week',
    async () => {
      const dir = tmpDir('friday-demo-');
      const r = await runFriday(['demo', '--dir', join(dir, 'sandbox')]);
      ok(r, 'friday demo');
    },
    180_000,
  );
});

describe('a release whose files changed after the cut', () => {
  it('says how to recover, and the recovery it names (a new cut with --force, then stage) works', async () => {
    const repo = await gitRepo();
    await initProject(repo);
    const keys = tmpDir('friday-keys-');
    const run = (args: string[]) => runFriday(args, { cwd: repo.dir, env: { FRIDAY_NOW: NOW } });
    ok(await run(['keys', 'generate', 'alice', '--out', keys]), 'keys generate');
    ok(await run(['keys', 'trust', join(keys, 'alice.pub')]), 'keys trust');
    ok(await run(['cut']), 'cut');
    const image = join(repo.dir, 'ota/releases/2026.48.0/aurora-umi-2026.48.0.zip');
    await fs.appendFile(image, 'tampered');

    const refused = await run(['stage', '--channel', 'beta', '--key', join(keys, 'alice.key')]);
    expect(refused.code).toBe(1);
    const { line, hint } = errorOf(refused);
    expect(line).toMatch(
      /^friday: release 2026\.48\.0: ota\/releases\/2026\.48\.0\/aurora-umi-2026\.48\.0\.zip: \d+ bytes, the build record says \d+$/,
    );
    expect(hint).toBe(
      '  the file changed after the cut; restore it from your release storage, or cut a new release (friday cut --force) and stage that',
    );
    // Followed: a new release from the same commit, then the stage that had failed.
    const recut = await run(['cut', '--force', '--json']);
    ok(recut, 'cut --force');
    expect(recut.json.version).toBe('2026.48.1');
    const staged = await run(['stage', '--channel', 'beta', '--key', join(keys, 'alice.key'), '--json']);
    ok(staged, 'stage');
    expect(staged.json).toMatchObject({ version: '2026.48.1', serial: 1 });
  });
});

describe('refused before any work', () => {
  it('a stage of a release blocked on the channel refuses before hashing its files', async () => {
    const f = await makeFixture();
    for (const v of ['2026.47.0', '2026.48.0'])
      ok(await inProject(f, ['stage', '--channel', 'beta', '--version', v, '--key', f.alice.path, '--publish']), `stage ${v}`);
    ok(await inProject(f, ['rollback', '--channel', 'beta', '--reason', 'bootloop', '--key', f.alice.path]), 'rollback');
    const r = await inProject(f, ['stage', '--channel', 'beta', '--version', '2026.48.0', '--key', f.alice.path]);
    expect(r.code).toBe(1);
    expect(errorOf(r).line).toBe('friday: stage beta: 2026.48.0 is blocked on beta (it was rolled back)');
    expect(r.stderr).not.toContain('checking'); // no artifact was hashed
  });

  it('renew with no trusted key among those given refuses before writing (exit 2)', async () => {
    const f = await threeSerials();
    const before = await fs.readFile(join(f.ota, 'channels/beta/manifest.json'), 'utf8');
    const events = await fs.readFile(join(f.ota, 'channels/beta/events.ndjson'), 'utf8');
    const r = await inProject(f, ['renew', '--channel', 'beta', '--force', '--key', f.carol.path]);
    expect(r.code).toBe(2);
    expect(errorOf(r).line).toMatch(
      /^friday: renew beta: no key given is trusted \(\w{12}… is not in trust\.json, which lists alice, bob\)$/,
    );
    expect(await fs.readFile(join(f.ota, 'channels/beta/manifest.json'), 'utf8')).toBe(before);
    expect(await fs.readFile(join(f.ota, 'channels/beta/events.ndjson'), 'utf8')).toBe(events);
    // The hint, followed: a trusted key.
    ok(await inProject(f, ['renew', '--channel', 'beta', '--force', '--key', f.alice.path]), 'renew with a trusted key');
  });
});
