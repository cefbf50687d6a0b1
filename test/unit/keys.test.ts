import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verify } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateKeyPair, keyidOf, loadSigners, publicRawFromPem } from '../../src/io/keys.js';
import { FridayError } from '../../src/errors.js';
import { tmpDir } from '../helpers/index.js';

describe('keys', () => {
  it('keyid is the SHA-256 of the raw 32-byte public key', () => {
    const k = generateKeyPair();
    expect(k.publicRaw).toHaveLength(32);
    expect(publicRawFromPem(k.publicPem).equals(k.publicRaw)).toBe(true);
    expect(k.keyid).toBe(keyidOf(k.publicRaw));
    expect(k.keyid).toMatch(/^[0-9a-f]{64}$/);
  });

  it('signs bytes that verify with the public key', async () => {
    const dir = tmpDir();
    const k = generateKeyPair();
    writeFileSync(join(dir, 'a.key'), k.privatePem, { mode: 0o600 });
    const [signer] = await loadSigners([join(dir, 'a.key')], {});
    const data = Buffer.from('{"a":1}');
    const sig = signer!.sign(data);
    expect(sig).toHaveLength(64);
    expect(verify(null, data, createPublicKey(k.publicPem), sig)).toBe(true);
    expect(signer!.keyid).toBe(k.keyid);
  });

  it('refuses a private key file that group or others can read (exit 2)', async () => {
    const dir = tmpDir();
    const file = join(dir, 'a.key');
    writeFileSync(file, generateKeyPair().privatePem);
    for (const mode of [0o640, 0o604, 0o644]) {
      chmodSync(file, mode);
      const err = await loadSigners([file], {}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FridayError);
      expect((err as FridayError).exit).toBe(2);
      expect((err as FridayError).message).toContain('readable by group or others');
      expect((err as FridayError).message).not.toContain('PRIVATE');
    }
  });

  it('reads FRIDAY_SIGNING_KEY when no file is given, and refuses what is not an Ed25519 PKCS#8 key', async () => {
    const k = generateKeyPair();
    const [s] = await loadSigners([], { FRIDAY_SIGNING_KEY: k.privatePem });
    expect(s!.keyid).toBe(k.keyid);
    expect(await loadSigners([], {})).toEqual([]);
    const err = await loadSigners([], { FRIDAY_SIGNING_KEY: k.publicPem }).catch((e: unknown) => e);
    expect((err as FridayError).exit).toBe(2);
    expect((err as FridayError).message).toMatch(/^FRIDAY_SIGNING_KEY: not a PKCS#8 PEM private key/);
  });

  it('says a public key is one: the private key beside it when there is one, else where to find it', async () => {
    const dir = tmpDir();
    const k = generateKeyPair();
    writeFileSync(join(dir, 'a.pub'), k.publicPem, { mode: 0o644 }); // as keys generate writes it
    const alone = (await loadSigners(['a.pub'], {}, dir).catch((e: unknown) => e)) as FridayError;
    expect(alone.exit).toBe(2);
    expect(alone.message).toBe(
      'a.pub: not a PKCS#8 PEM private key: it is a public key (-----BEGIN PUBLIC KEY-----); signing needs the private one',
    );
    expect(alone.hint).toBe('give the private key, the <name>.key that `friday keys generate` wrote beside <name>.pub');
    writeFileSync(join(dir, 'a.key'), k.privatePem, { mode: 0o600 });
    const beside = (await loadSigners(['a.pub'], {}, dir).catch((e: unknown) => e)) as FridayError;
    expect(beside.hint).toBe('give the private key beside it: --key a.key');
    const [s] = await loadSigners(['a.key'], {}, dir);
    expect(s!.keyid).toBe(k.keyid);
  });

  it('FRIDAY_SIGNING_KEY: a file name is said as such, a name that is no file is not taken for one', async () => {
    const dir = tmpDir();
    const k = generateKeyPair();
    writeFileSync(join(dir, 'my key.key'), k.privatePem, { mode: 0o600 });
    const named = (await loadSigners([], { FRIDAY_SIGNING_KEY: 'my key.key' }, dir).catch((e: unknown) => e)) as FridayError;
    expect(named.message).toBe(
      'FRIDAY_SIGNING_KEY: holds the name of a file (my key.key), not a key: it must hold the PEM text of the private key',
    );
    expect(named.hint).toBe(`put the file's text in it: FRIDAY_SIGNING_KEY="$(cat 'my key.key')", or pass the file: --key 'my key.key'`);
    const none = (await loadSigners([], { FRIDAY_SIGNING_KEY: 'nothing.key' }, dir).catch((e: unknown) => e)) as FridayError;
    expect(none.message).toBe('FRIDAY_SIGNING_KEY: not a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)');
    // A one-line CI secret with literal \n sequences is PEM text, never a file name.
    const [s] = await loadSigners([], { FRIDAY_SIGNING_KEY: k.privatePem.trim().replace(/\n/g, '\\n') }, dir);
    expect(s!.keyid).toBe(k.keyid);
  });
});
