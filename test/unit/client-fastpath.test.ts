/**
 * The fast path of verification (manifest.ts splitManifest): signatures checked over the served
 * bytes of `signed`, and the body acted upon parsed from exactly those bytes. These are the
 * documents that try to make the verified bytes and the used body differ.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  canonicalString,
  ClientError,
  keyidOfRaw,
  parseManifestWithBytes,
  parseTrust,
  splitManifest,
  verifyManifest,
  type ManifestBody,
} from '../../src/client/index.js';
import { manifestText } from '../../src/core/manifest.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const raw = Buffer.from((publicKey.export({ format: 'jwk' }) as { x: string }).x, 'base64url');
const keyid = keyidOfRaw(raw);
const trust = parseTrust({
  type: 'friday.trust/v1',
  product: 'aurora',
  keys: { [keyid]: { type: 'ed25519', public: raw.toString('base64') } },
  threshold: 1,
});
const body: ManifestBody = {
  type: 'friday.manifest/v1',
  product: 'aurora',
  channel: 'beta',
  serial: 5,
  issuedAt: '2026-11-27T17:00:00Z',
  expiresAt: '2026-12-11T17:00:00Z',
  release: { version: '2026.48.0', tag: 'v2026.48.0', commit: 'c'.repeat(40), builtAt: '2026-11-27T16:40:00Z' },
  rollout: { percent: 50, salt: 'a'.repeat(32) },
  artifacts: { umi: { file: 'a.zip', url: 'releases/2026.48.0/a.zip', size: 10, sha256: 'b'.repeat(64) } },
  notes: { popcorn: { id: 1, title: 'Café “quotes” \\ and "escapes" 🍿' }, changelog: null },
  rollback: null,
  blocked: [],
};
const sig = sign(null, Buffer.from(canonicalString(body)), privateKey).toString('base64');
const doc = { signed: body, signatures: [{ keyid, sig }] };
const NOW = new Date('2026-11-28T00:00:00Z');
const check = (text: string) => {
  try {
    const { doc: d, signedBytes } = parseManifestWithBytes(Buffer.from(text), 'm');
    return { fast: signedBytes !== null, body: verifyManifest(d, trust, { channel: 'beta', now: NOW, signedBytes }).manifest.signed };
  } catch (err) {
    if (err instanceof ClientError) return { code: err.code };
    throw err;
  }
};

describe('verification fast path', () => {
  it('takes the fast path for the layout friday writes, and the result equals the slow path', () => {
    const fast = check(manifestText(doc));
    expect(fast).toEqual({ fast: true, body });
    // Pretty-printed: split, the signature fails over those bytes, the canonical form verifies.
    expect(check(JSON.stringify(doc, null, 2))).toEqual({ fast: true, body });
    expect(check(JSON.stringify({ signatures: doc.signatures, signed: body }))).toEqual({ fast: false, body });
    expect(check('\ufeff' + manifestText(doc))).toEqual({ fast: true, body });
  });
  it('falls back to the canonical form when the served bytes are not canonical', () => {
    const spaced = manifestText(doc).replace('{"artifacts":', '{ "artifacts" :');
    expect(check(spaced)).toEqual({ fast: true, body });
    const escaped = manifestText(doc).replace('"Caf\u00e9', '"Caf\\u00e9');
    expect(check(escaped)).toEqual({ fast: true, body });
  });
  it('a second "signed" member (plain or escaped) never smuggles an unsigned body in', () => {
    const evil = { ...body, serial: 99, release: { ...body.release, version: '6.6.6' } };
    const text = manifestText(doc);
    const dupAfter = text.replace(/\n}\n$/, `,\n  "signed": ${JSON.stringify(evil)}\n}\n`);
    expect(splitManifest(Buffer.from(dupAfter))).toBeNull(); // anything besides "signatures" after it: ordinary path
    expect(check(dupAfter)).toEqual({ code: 'E_SIGNATURE' }); // JSON.parse keeps the last "signed": evil, unsigned
    const escapedKey = text.replace(/\n}\n$/, `,\n  "sign\\u0065d": ${JSON.stringify(evil)}\n}\n`);
    expect(check(escapedKey)).toEqual({ code: 'E_SIGNATURE' });
    const dupBefore = `{"signed": ${JSON.stringify(evil)}, ` + text.slice(1);
    expect(check(dupBefore)).toEqual({ fast: false, body }); // the last "signed" is the signed one: fine
    // "signatures" smuggled inside the signed body's strings cannot move the split point to an unsigned body.
    const inString = manifestText({
      signed: { ...body, notes: { popcorn: { id: 1, title: '", "signatures": [' }, changelog: null } },
      signatures: doc.signatures,
    });
    expect(check(inString)).toEqual({ code: 'E_SIGNATURE' });
  });
  it('an altered body with the original bytes elsewhere is refused', () => {
    const text = manifestText(doc).replace('"serial":5', '"serial":6');
    expect(check(text)).toEqual({ code: 'E_SIGNATURE' });
  });
});
