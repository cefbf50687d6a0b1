/** docs/manifest.md's worked example is reproduced by this code, byte for byte. */
import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bucketOf, canonicalBytes, inRollout, parseTrust, verifyManifest } from '../../src/client/index.js';
import { ROOT } from '../helpers/index.js';

const doc = readFileSync(join(ROOT, 'docs/manifest.md'), 'utf8');
const grab = (re: RegExp) => {
  const m = re.exec(doc);
  if (!m) throw new Error(`docs/manifest.md: ${re} not found`);
  return m[1]!.trim();
};
const seedHex = grab(/private key seed \(hex\): `([0-9a-f]{64})`/);
const publicHex = grab(/public key \(hex\): `([0-9a-f]{64})`/);
const publicB64 = grab(/public key \(base64, as in trust.json\): `([^`]+)`/);
const keyid = grab(/keyid: `([0-9a-f]{64})`/);
const signed = JSON.parse(grab(/```json example-signed\n([\s\S]*?)```/));
const canonical = grab(/```text example-canonical\n([\s\S]*?)```/);
const sha = grab(/SHA-256 of the canonical bytes: `([0-9a-f]{64})`/);
const sig = grab(/signature \(base64[^)]*\):\s*`([^`]+)`/);

describe('docs/manifest.md worked example', () => {
  const priv = createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seedHex, 'hex')]),
    format: 'der',
    type: 'pkcs8',
  });
  const raw = Buffer.from((createPublicKey(priv).export({ format: 'jwk' }) as { x: string }).x, 'base64url');

  it('has the key of RFC 8032 TEST 1 and its keyid', () => {
    expect(raw.toString('hex')).toBe(publicHex);
    expect(raw.toString('base64')).toBe(publicB64);
    expect(createHash('sha256').update(raw).digest('hex')).toBe(keyid);
  });

  it('canonical bytes, their SHA-256 and the signature match', () => {
    const bytes = canonicalBytes(signed);
    expect(bytes.toString('utf8')).toBe(canonical);
    expect(doc).toContain(`Its canonical form, ${bytes.length} bytes`);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(sha);
    expect(sign(null, bytes, priv).toString('base64')).toBe(sig);
  });

  it('verifies with the trust file it describes, and the buckets are as stated', () => {
    const trust = parseTrust({
      type: 'friday.trust/v1',
      product: 'aurora',
      keys: { [keyid]: { type: 'ed25519', public: publicB64 } },
      threshold: 1,
    });
    const v = verifyManifest({ signed, signatures: [{ keyid, sig }] }, trust, { channel: 'beta', now: new Date('2026-12-01T00:00:00Z') });
    expect(v.signatures.valid).toEqual([keyid]);
    expect(bucketOf(signed.rollout.salt, '8c1f2a')).toBe(1676);
    expect(bucketOf(signed.rollout.salt, 'device-42')).toBe(9465);
    expect(inRollout(12.5, signed.rollout.salt, '8c1f2a')).toBe(false);
    expect(inRollout(25, signed.rollout.salt, '8c1f2a')).toBe(true);
    expect(inRollout(94.65, signed.rollout.salt, 'device-42')).toBe(false);
    expect(inRollout(94.66, signed.rollout.salt, 'device-42')).toBe(true);
    expect(doc).toContain('1494841676');
    expect(doc).toContain('2263299465');
  });
});
