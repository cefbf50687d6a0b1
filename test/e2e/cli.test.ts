/** The command line itself: help, version, global options, exit codes, init and keys. */
import { existsSync, promises as fs, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFriday, tmpDir } from '../helpers/index.js';

const COMMANDS = [
  'init',
  'keys',
  'cut',
  'changelog',
  'stage',
  'sign',
  'publish',
  'rollout',
  'promote',
  'rollback',
  'renew',
  'watch',
  'status',
  'verify',
  'pull',
  'site',
  'demo',
];

describe('friday --help and --version', () => {
  it('prints the package version', async () => {
    const r = await runFriday(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
  });

  it('lists every command of the contract', async () => {
    const r = await runFriday(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
  });

  it('gives every command a --help with an example', async () => {
    for (const c of [...COMMANDS, 'keys generate', 'keys trust']) {
      const r = await runFriday([...c.split(' '), '--help']);
      expect(r.code, c).toBe(0);
      expect(r.stdout, c).toMatch(new RegExp(`Example:\\n  \\$ friday ${c}`));
    }
  });
});

describe('usage errors', () => {
  it('exits 2 with one error line for an unknown option, and a JSON document with --json', async () => {
    const plain = await runFriday(['status', '--bogus']);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toBe("friday: status: unknown option '--bogus'\n  see friday status --help\n");
    expect(plain.stdout).toBe('');
    const json = await runFriday(['status', '--bogus', '--json']);
    expect(json.code).toBe(2);
    expect(json.json).toEqual({ ok: false, error: { code: 'E_USAGE', message: "status: unknown option '--bogus'" } });
  });

  it("reads commander's errors as ours: the command that failed, then why; a suggestion is the hint", async () => {
    const missing = await runFriday(['keys', 'generate']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.split('\n')[0]).toBe("friday: keys generate: missing required argument 'name'");
    const typo = await runFriday(['status', '--chanel', 'beta']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe("friday: status: unknown option '--chanel'\n  Did you mean --channel?\n");
    const unknown = await runFriday(['bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.split('\n')[0]).toBe("friday: unknown command 'bogus'");
    const choice = await runFriday(['cut', '--bump', 'huge', '--json']);
    expect(choice.code).toBe(2);
    expect(choice.json.error.message).toMatch(/^cut: option '--bump <part>' argument 'huge' is invalid/);
  });

  it('keeps an error on one line even when the text in it has line breaks', async () => {
    const dir = tmpDir();
    await runFriday(['init', '--product', 'aurora', '--devices', 'umi', '-C', dir]);
    const r = await runFriday(['status', '-C', dir, '--channel', 'beta\nstable', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('friday: --channel beta stable: unknown channel');
    expect(r.stderr.split('\n')).toHaveLength(3); // the error, the hint, the final newline
    expect(r.json.error.message).toBe('--channel beta stable: unknown channel');
  });

  it('keeps --version a program flag: a command refuses it unless it has its own', async () => {
    const r = await runFriday(['status', '--version']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe("friday: status: unknown option '--version'");
  });

  it('prints the help on stderr and exits 2 when a command is missing', async () => {
    for (const args of [['keys'], ['--quiet']]) {
      const r = await runFriday(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^Usage: friday ${args[0] === 'keys' ? 'keys ' : ''}\\[options\\] \\[command\\]`));
    }
    const json = await runFriday(['keys', '--json']);
    expect(json.code).toBe(2);
    expect(json.json).toEqual({ ok: false, error: { code: 'E_USAGE', message: 'keys: missing command (generate, trust, rotate)' } });
    expect(json.stderr).toContain('Usage: friday keys');
  });

  it('refuses a --now or FRIDAY_NOW that is not a time, before doing anything', async () => {
    const dir = tmpDir();
    const r = await runFriday(['init', '--now', 'next friday', '-C', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--now: not an ISO 8601 time');
    expect(existsSync(join(dir, 'friday.config.json'))).toBe(false);
    const env = await runFriday(['init', '-C', dir], { env: { FRIDAY_NOW: 'yesterday' } });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('FRIDAY_NOW: not an ISO 8601 time');
  });

  it('accepts global options before or after the command', async () => {
    const dir = tmpDir();
    const before = await runFriday(['--json', '-C', dir, 'init', '--product', 'aurora', '--devices', 'umi']);
    expect(before.code, before.stderr).toBe(0);
    expect(before.json).toMatchObject({ product: 'aurora', devices: ['umi'] });
    const dir2 = tmpDir();
    const after = await runFriday(['init', '--product', 'aurora', '--json', '--cwd', dir2]);
    expect(after.json).toMatchObject({ product: 'aurora' });
  });

  it('prints stack traces only with FRIDAY_DEBUG=1', async () => {
    const dir = tmpDir();
    const quiet = await runFriday(['cut', '-C', dir]);
    expect(quiet.code).toBe(2);
    expect(quiet.stderr).not.toMatch(/\n\s+at /);
    const debug = await runFriday(['cut', '-C', dir], { env: { FRIDAY_DEBUG: '1' } });
    expect(debug.stderr).toMatch(/\n\s+at /);
  });
});

describe('system errors', () => {
  it('names the system call, the path and the reason (exit 1), not an internal error', async () => {
    const dir = tmpDir();
    await runFriday(['init', '--product', 'aurora', '--devices', 'umi', '-C', dir]);
    const g = await runFriday(['keys', 'generate', 'alice', '--out', join(dir, 'keys')]);
    expect(g.code, g.stderr).toBe(0);
    await fs.rm(join(dir, 'ota'), { recursive: true });
    await fs.writeFile(join(dir, 'ota'), 'a file where the publish root should be\n');
    const r = await runFriday(['keys', 'trust', join(dir, 'keys/alice.pub'), '-C', dir, '--json']);
    expect(r.code).toBe(1);
    expect(r.json.error.code).toBe('E_IO');
    expect(r.json.error.message).toBe(`mkdir ${join(dir, 'ota')}: file already exists (EEXIST)`);
    expect(r.stderr).not.toContain('internal error');
    expect(readFileSync(join(dir, 'ota'), 'utf8')).toBe('a file where the publish root should be\n');
  });
});

describe('friday init', () => {
  it('writes the config, the shipped channel policies and the publish root, and refuses to overwrite', async () => {
    const dir = tmpDir();
    const r = await runFriday(['init', '--product', 'aurora', '--devices', 'cepheus,umi', '-C', dir]);
    expect(r.code, r.stderr).toBe(0);
    const config = JSON.parse(readFileSync(join(dir, 'friday.config.json'), 'utf8'));
    expect(config).toMatchObject({ product: 'aurora', devices: ['cepheus', 'umi'], publish: { dir: 'ota' } });
    expect(readFileSync(join(dir, 'channels/stable.json'), 'utf8')).toBe(
      readFileSync(new URL('../../channels/stable.json', import.meta.url), 'utf8'),
    );
    expect(statSync(join(dir, 'ota')).isDirectory()).toBe(true);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toContain('/ota/');

    await fs.writeFile(join(dir, 'friday.config.json'), '{"mine":true}');
    const again = await runFriday(['init', '--product', 'other', '-C', dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exist');
    expect(readFileSync(join(dir, 'friday.config.json'), 'utf8')).toBe('{"mine":true}');
    const forced = await runFriday(['init', '--product', 'other', '--force', '-C', dir]);
    expect(forced.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'friday.config.json'), 'utf8')).product).toBe('other');
  });

  it('refuses a bad product name with exit 2 and writes nothing', async () => {
    const dir = tmpDir();
    const r = await runFriday(['init', '--product', 'Bad Name', '-C', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--product');
    expect(await fs.readdir(dir)).toEqual([]);
  });
});

describe('friday keys', () => {
  it('generates a 0600 PKCS#8 key and an SPKI public key, prints the keyid, and trusts it', async () => {
    const dir = tmpDir();
    await runFriday(['init', '--product', 'aurora', '--devices', 'umi', '-C', dir]);
    const keys = join(dir, 'keys');
    const g = await runFriday(['keys', 'generate', 'alice', '--out', keys, '--json']);
    expect(g.code, g.stderr).toBe(0);
    expect(g.json.keyid).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(join(keys, 'alice.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(keys, 'alice.key'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(readFileSync(join(keys, 'alice.pub'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(g.stdout + g.stderr).not.toContain('PRIVATE KEY');

    const again = await runFriday(['keys', 'generate', 'alice', '--out', keys]);
    expect(again.code).toBe(2);

    const t = await runFriday(['keys', 'trust', join(keys, 'alice.pub'), '-C', dir, '--json']);
    expect(t.code, t.stderr).toBe(0);
    const trust = JSON.parse(readFileSync(join(dir, 'ota/trust.json'), 'utf8'));
    expect(trust).toMatchObject({ type: 'friday.trust/v1', product: 'aurora', threshold: 1 });
    expect(trust.keys[g.json.keyid]).toMatchObject({ type: 'ed25519', name: 'alice' });
    expect(Buffer.from(trust.keys[g.json.keyid].public, 'base64')).toHaveLength(32);

    const over = await runFriday(['keys', 'trust', join(keys, 'alice.pub'), '--threshold', '2', '-C', dir]);
    expect(over.code).toBe(2);
    await runFriday(['keys', 'generate', 'bob', '--out', keys]);
    const two = await runFriday(['keys', 'trust', join(keys, 'bob.pub'), '--threshold', '2', '--channel', 'stable', '-C', dir]);
    expect(two.code, two.stderr).toBe(0);
    const after = JSON.parse(readFileSync(join(dir, 'ota/trust.json'), 'utf8'));
    expect(after.threshold).toBe(1);
    expect(after.channels).toEqual({ stable: { threshold: 2 } });
    expect(Object.keys(after.keys)).toHaveLength(2);
  });

  it('accepts the global options on the group, on the subcommand or before both', async () => {
    const keys = tmpDir();
    const dry = await runFriday(['keys', '--json', '--dry-run', 'generate', 'alice', '--out', keys]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json.keyid).toMatch(/^[0-9a-f]{64}$/);
    expect(dry.stderr).toContain('would write');
    expect(await fs.readdir(keys)).toEqual([]);
    expect((await runFriday(['keys', '--quiet', 'generate', 'alice', '--out', keys])).stdout).toBe('');
    const dir = tmpDir();
    await runFriday(['init', '--product', 'aurora', '--devices', 'umi', '-C', dir]);
    const badNow = await runFriday(['keys', '--now', 'soon', 'trust', join(keys, 'alice.pub'), '-C', dir]);
    expect(badNow.code).toBe(2);
    expect(badNow.stderr).toContain('--now: not an ISO 8601 time');
    const group = await runFriday([
      'keys',
      '-C',
      dir,
      '--config',
      join(dir, 'friday.config.json'),
      '--json',
      'trust',
      join(keys, 'alice.pub'),
    ]);
    expect(group.code, group.stderr).toBe(0);
    expect(group.json).toMatchObject({ type: 'friday.trust/v1', product: 'aurora' });
    const before = await runFriday(['--cwd', dir, 'keys', 'trust', join(keys, 'alice.pub'), '--dry-run']);
    expect(before.code, before.stderr).toBe(0);
  });

  it('uses FRIDAY_KEYS_DIR as the default folder and refuses a private key as a trusted key', async () => {
    const home = tmpDir();
    const g = await runFriday(['keys', 'generate', 'ci', '--json'], { env: { FRIDAY_KEYS_DIR: home } });
    expect(g.json.private).toBe(join(home, 'ci.key'));
    const dir = tmpDir();
    await runFriday(['init', '--product', 'aurora', '--devices', 'umi', '-C', dir]);
    const bad = await runFriday(['keys', 'trust', join(home, 'ci.key'), '-C', dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('private key');
    expect(existsSync(join(dir, 'ota/trust.json'))).toBe(false);
  });
});
