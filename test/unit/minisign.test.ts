/** minisign's formats (src/core/minisign.ts): names, key ids and the public key layout minisign reads. */
import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { minisigKeyIdOf, minisigNames, minisignPublicKey, minisignText } from '../../src/core/minisign.js';

function signer() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from((publicKey.export({ format: 'jwk' }) as { x: string }).x, 'base64url');
  return { keyid: createHash('sha256').update(raw).digest('hex'), raw, publicKey, sign: (d: Uint8Array) => sign(null, d, privateKey) };
}

describe('minisign format', () => {
  it('public key: "Ed", the first 8 bytes of the keyid, the raw key, in base64 starting RW', () => {
    const s = signer();
    const pk = Buffer.from(minisignPublicKey(s.keyid, s.raw), 'base64');
    expect(minisignPublicKey(s.keyid, s.raw)).toMatch(/^RW/);
    expect(pk.subarray(0, 2).toString('latin1')).toBe('Ed');
    expect(pk.subarray(2, 10).toString('hex')).toBe(s.keyid.slice(0, 16));
    expect(pk.subarray(10)).toEqual(s.raw);
  });

  it('signature: ED over the prehash, and the global signature over signature ‖ trusted comment', () => {
    const s = signer();
    const prehash = createHash('blake2b512').update('firmware').digest();
    const lines = minisignText(s, prehash, 'product=aurora\nfile=x sha256=00').split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[4]).toBe('');
    const sig = Buffer.from(lines[1]!, 'base64');
    expect(sig.subarray(0, 2).toString('latin1')).toBe('ED');
    expect(verify(null, prehash, s.publicKey, sig.subarray(10))).toBe(true);
    expect(lines[2]).toBe('trusted comment: product=aurora file=x sha256=00'); // one line, whatever it was given
    const comment = Buffer.from(lines[2]!.slice('trusted comment: '.length), 'utf8');
    expect(verify(null, Buffer.concat([sig.subarray(10), comment]), s.publicKey, Buffer.from(lines[3]!, 'base64'))).toBe(true);
    expect(minisigKeyIdOf(lines.join('\n'))).toBe(s.keyid.slice(0, 16));
    expect(minisigKeyIdOf('untrusted comment: x\nnot a signature\n')).toBeNull();
  });

  it('names: the first signer in keyid order gets <file>.minisig, the others <file>.<16 hex>.minisig', () => {
    const [a, b] = [signer(), signer()].sort((x, y) => (x.keyid < y.keyid ? -1 : 1));
    expect(minisigNames('f.zip', [b!, a!]).map((n) => [n.signer.keyid, n.name])).toEqual([
      [a!.keyid, 'f.zip.minisig'],
      [b!.keyid, `f.zip.${b!.keyid.slice(0, 16)}.minisig`],
    ]);
  });
});
