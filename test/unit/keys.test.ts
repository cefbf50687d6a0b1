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
});
