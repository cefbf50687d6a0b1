/**
 * `friday verify` on the bad-input corpora (test/corpus/manifests, test/corpus/trust), and
 * interop: a manifest `friday` published verifies with `openssl pkeyutl -verify -rawin` over its
 * JCS bytes, so anyone can check a signature without this code.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalBytes } from '../../src/client/canonical.js';
import { ROOT, runFriday } from '../helpers/index.js';
import { makeFixture, snapshot } from '../integration/channel-fixture.js';

const MANIFESTS = join(ROOT, 'test/corpus/manifests');
const TRUSTS = join(ROOT, 'test/corpus/trust');
const NOW = '2026-12-01T00:00:00Z';
type Expect = { code: string | null; exit: number; message?: string };

describe('verify: the manifest corpus', () => {
  const expected = JSON.parse(readFileSync(join(MANIFESTS, 'expected.json'), 'utf8')) as Record<string, Expect>;
  it('every file gets its documented code and exit, and nothing changes', async () => {
    const before = await snapshot(join(ROOT, 'test/corpus'));
    const files = (await fs.readdir(MANIFESTS)).filter((f) => f !== 'expected.json' && f !== 'trust.json').sort();
    expect(files).toEqual(Object.keys(expected).sort());
    const results = await Promise.all(
      files.map((f) =>
        runFriday(['verify', join(MANIFESTS, f), '--trust', join(MANIFESTS, 'trust.json'), '--channel', 'beta', '--json'], {
          env: { FRIDAY_NOW: NOW },
        }),
      ),
    );
    for (const [i, f] of files.entries()) {
      const r = results[i]!,
        e = expected[f]!;
      expect({ file: f, exit: r.code }).toEqual({ file: f, exit: e.exit });
      if (e.code === null) expect(r.json).toMatchObject({ valid: true, serial: 7, version: '2026.48.0' });
      else {
        expect({ file: f, code: r.json?.error?.code }).toEqual({ file: f, code: e.code });
        if (e.message) expect(r.json.error.message).toContain(e.message);
        expect(r.stderr).toMatch(/^friday: /);
      }
    }
    expect(await snapshot(join(ROOT, 'test/corpus'))).toEqual(before);
  });

  it('the good manifest is refused for another channel and once expired', async () => {
    const other = await runFriday(
      ['verify', join(MANIFESTS, 'good.json'), '--trust', join(MANIFESTS, 'trust.json'), '--channel', 'stable', '--json'],
      { env: { FRIDAY_NOW: NOW } },
    );
    expect(other.json.error.code).toBe('E_CHANNEL');
    const late = await runFriday([
      'verify',
      join(MANIFESTS, 'good.json'),
      '--trust',
      join(MANIFESTS, 'trust.json'),
      '--now',
      '2026-12-11T17:00:00Z',
    ]);
    expect(late.code).toBe(1);
    expect(late.stderr).toContain('expired at 2026-12-11T17:00:00Z');
    const ok = await runFriday(['verify', join(MANIFESTS, 'good.json'), '--trust', join(MANIFESTS, 'trust.json'), '--now', NOW]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('signed by rfc8032-test1 (1 of 1)');
  });
});

describe('verify: the trust corpus', () => {
  const expected = JSON.parse(readFileSync(join(TRUSTS, 'expected.json'), 'utf8')) as Record<string, Expect>;
  it('a broken trust file is exit 2 (E_TRUST) naming the file and the field', async () => {
    const files = (await fs.readdir(TRUSTS)).filter((f) => f !== 'expected.json').sort();
    expect(files).toEqual(Object.keys(expected).sort());
    const results = await Promise.all(
      files.map((f) =>
        runFriday(['verify', join(MANIFESTS, 'good.json'), '--trust', `test/corpus/trust/${f}`, '--json'], {
          cwd: ROOT,
          env: { FRIDAY_NOW: NOW },
        }),
      ),
    );
    for (const [i, f] of files.entries()) {
      const r = results[i]!,
        e = expected[f]!;
      expect({ file: f, exit: r.code, code: r.json?.error?.code }).toEqual({ file: f, exit: 2, code: 'E_TRUST' });
      expect(r.json.error.message).toContain(`test/corpus/trust/${f}: `);
      expect(r.json.error.message).toContain(e.message);
    }
    const missing = await runFriday(['verify', join(MANIFESTS, 'good.json'), '--trust', 'nope.json', '--json'], { cwd: ROOT });
    expect(missing.code).toBe(2);
    expect(missing.json.error.message).toBe('nope.json: no such file');
  });
});

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

describe('interop with OpenSSL', () => {
  it.skipIf(!hasOpenssl)(
    'openssl pkeyutl -verify -rawin accepts the signature over the JCS bytes of `signed` (skipped without openssl)',
    async () => {
      const f = await makeFixture();
      expect((await f.friday(['stage', '--channel', 'beta', '--key', f.alice.path, '--publish'])).code).toBe(0);
      const live = await f.live('beta');
      const dir = join(f.dir, 'interop');
      await fs.mkdir(dir);
      await fs.writeFile(join(dir, 'signed.bin'), canonicalBytes(live.signed));
      await fs.writeFile(join(dir, 'sig.bin'), Buffer.from(live.signatures[0]!.sig, 'base64'));
      const ossl = (data: string) =>
        spawnSync(
          'openssl',
          ['pkeyutl', '-verify', '-pubin', '-inkey', f.alice.pubPath, '-rawin', '-in', join(dir, data), '-sigfile', join(dir, 'sig.bin')],
          { encoding: 'utf8' },
        );
      const good = ossl('signed.bin');
      expect(good.status, good.stderr).toBe(0);
      expect(good.stdout).toContain('Signature Verified Successfully');
      // The same bytes with one field changed do not verify: OpenSSL checks what we sign.
      await fs.writeFile(join(dir, 'altered.bin'), canonicalBytes({ ...live.signed, serial: live.signed.serial + 1 }));
      expect(ossl('altered.bin').status).not.toBe(0);
      // And the reverse: a signature OpenSSL makes over the canonical bytes verifies in friday.
      const osslSig = execFileSync('openssl', ['pkeyutl', '-sign', '-inkey', f.bob.path, '-rawin', '-in', join(dir, 'signed.bin')]);
      await fs.writeFile(
        join(dir, 'manifest.json'),
        JSON.stringify({ signed: live.signed, signatures: [{ keyid: f.bob.keyid, sig: osslSig.toString('base64') }] }),
      );
      const v = await runFriday(['verify', join(dir, 'manifest.json'), '--trust', f.trustPath, '--json'], {
        env: { FRIDAY_NOW: '2026-11-28T00:00:00Z' },
      });
      expect(v.code, v.stderr).toBe(0);
      expect(v.json.signatures.valid).toEqual([f.bob.keyid]);
    },
  );
});
