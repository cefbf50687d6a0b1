/** docs/manifest.md's worked example is reproduced by this code, byte for byte. */
import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bucketOf, canonicalBytes, decide, inRollout, parseTrust, verifyManifest } from '../../src/client/index.js';
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

describe('docs/manifest.md worked example, v2', () => {
  const signedV2 = JSON.parse(grab(/```json example-signed-v2\n([\s\S]*?)```/));
  const canonicalV2 = grab(/```text example-canonical-v2\n([\s\S]*?)```/);
  const shaV2 = grab(/SHA-256 of the v2 canonical bytes: `([0-9a-f]{64})`/);
  const sigV2 = grab(/v2 signature \(base64\):\s*`([^`]+)`/);
  const priv = createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seedHex, 'hex')]),
    format: 'der',
    type: 'pkcs8',
  });

  it('canonical bytes, their SHA-256 and the signature match, and it verifies', () => {
    const bytes = canonicalBytes(signedV2);
    expect(bytes.toString('utf8')).toBe(canonicalV2);
    expect(doc).toContain(`Its canonical form, ${bytes.length} bytes`);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(shaV2);
    expect(sign(null, bytes, priv).toString('base64')).toBe(sigV2);
    const trust = parseTrust({
      type: 'friday.trust/v1',
      product: 'aurora',
      keys: { [keyid]: { type: 'ed25519', public: publicB64 } },
      threshold: 1,
    });
    const v = verifyManifest({ signed: signedV2, signatures: [{ keyid, sig: sigV2 }] }, trust, {
      channel: 'beta',
      now: new Date('2026-12-01T00:00:00Z'),
    });
    expect(v.signatures.valid).toEqual([keyid]);
  });

  it('decides per device as stated', () => {
    expect(decide(signedV2, { device: 'umi', current: '2026.48.0', deviceId: '8c1f2a' })).toMatchObject({
      decision: 'update',
      version: '2026.47.0',
      rollback: true,
    });
    expect(decide(signedV2, { device: 'umi', current: '2026.47.0' }).decision).toBe('up-to-date');
    expect(decide(signedV2, { device: 'cepheus', current: '2026.47.0', deviceId: '8c1f2a' }).decision).toBe('not-in-rollout');
  });
});
