/**
 * trust.json, the root of trust (docs/formats.md "trust.json"): which Ed25519 keys may sign, and how
 * many distinct ones must (per channel, else the file's threshold). Parsing checks every field
 * and reports every problem at once, each naming the field, because a trust file is the
 * user's own input (exit 2).
 */
import { createHash, createPublicKey, verify as edVerify, type KeyObject } from 'node:crypto';
import { canonicalBytes } from './canonical.js';
import { ClientError } from './errors.js';
import { readRegularFileSync, type ReadProblem } from './files.js';

export const TRUST_TYPE = 'friday.trust/v1';
/** docs/security.md: each trust file is read up to 1 MiB. */
export const TRUST_LIMIT = 1024 * 1024;

export interface TrustedKey {
  keyid: string;
  publicRaw: Buffer;
  name?: string;
  key: KeyObject;
}

export interface Trust {
  /** 1 for a plain file (what devices ship with); 2 and on, a signed document (docs/security.md). */
  version: number;
  product: string;
  threshold: number;
  channels: Record<string, { threshold: number }>;
  keys: Map<string, TrustedKey>;
  /** The JSON value it was parsed from, kept as is (a device stores the newest it accepted). */
  document: unknown;
  /** A signed version's signatures, over the canonical bytes of `signed`; none for a plain file. */
  signatures: { keyid: string; sig: string }[];
}

// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the raw 32 bytes follow it.
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const KEYID = /^[0-9a-f]{64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** keyid = lowercase hex SHA-256 of the raw 32-byte public key. */
export function keyidOfRaw(raw: Uint8Array): string {
  return createHash('sha256').update(raw).digest('hex');
}

const P = 2n ** 255n - 19n;
// y of the points of order 8 (RFC 8032 encodes a point as y, little-endian, with x's sign in bit 255).
const Y8 = 0x7a03ac9277fdc74ec6cc392cfa53202a0f67100d760b3cba4fd84d3d706a17c7n;
// Every point of small order (1, 2, 4, 8) has one of these y: the identity (1), order 2 (−1),
// order 4 (0) and order 8 (±Y8).
const SMALL_ORDER_Y = new Set([0n, 1n, P - 1n, Y8, P - Y8]);

/**
 * Why an Ed25519 public key must not be trusted, or null. A key of small order (the identity
 * `0100…00` and the other "neutral" points) verifies a forged signature over any message, so
 * anyone could sign manifests with it; an encoding with y ≥ p is non-canonical (it names one of
 * those points, or another point a second way). Both are checked on y alone, whatever the x sign
 * bit says, so the non-canonical encodings of the small-order points are caught too.
 */
export function weakKeyProblem(raw: Uint8Array): string | null {
  if (raw.length !== 32) return 'not 32 bytes';
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? raw[i]! & 0x7f : raw[i]!);
  if (SMALL_ORDER_Y.has(y % P)) return 'a point of small order, which verifies forged signatures over any message';
  if (y >= P) return 'a non-canonical encoding (y ≥ 2^255 − 19)';
  return null;
}

/** Strict base64 (RFC 4648 alphabet with padding); Buffer.from alone accepts anything. */
export function decodeBase64(text: string): Buffer | null {
  return BASE64.test(text) ? Buffer.from(text, 'base64') : null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isThreshold = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;

/** Validate a parsed trust.json. Throws E_TRUST (exit 2) listing every problem as `<label>: <field>: <why>`. */
export function parseTrust(document: unknown, label = 'trust.json'): Trust {
  const problems: string[] = [];
  const trust: Trust = { version: 1, product: '', threshold: 1, channels: {}, keys: new Map(), document, signatures: [] };
  if (!isObject(document)) throw new ClientError('E_TRUST', `${label}: must be a JSON object`, 2);
  let value = document;
  if ('signed' in document) {
    // The signed form (version 2 and on): what a plain file holds, plus `version`, under `signed`.
    if (!isObject(document.signed)) throw new ClientError('E_TRUST', `${label}: signed: must be an object`, 2);
    value = document.signed;
    const sigs = document.signatures;
    if (!Array.isArray(sigs) || !sigs.every((x) => isObject(x) && typeof x.keyid === 'string' && typeof x.sig === 'string'))
      problems.push('signatures: must be a list of { "keyid", "sig" }');
    else trust.signatures = sigs.map((x) => ({ keyid: x.keyid as string, sig: x.sig as string }));
    if (!Number.isSafeInteger(value.version) || (value.version as number) < 2)
      problems.push('signed.version: must be a whole number of 2 or more (version 1 is the plain file)');
    else trust.version = value.version as number;
  } else if (value.version !== undefined && value.version !== 1) {
    problems.push('version: a plain trust file is version 1; later versions are signed documents ({ "signed", "signatures" })');
  }
  if (value.type !== TRUST_TYPE) problems.push(`type: must be "${TRUST_TYPE}"`);
  if (typeof value.product !== 'string' || !NAME.test(value.product)) problems.push('product: must match [a-z0-9][a-z0-9-]{0,62}');
  else trust.product = value.product;
  if (!isThreshold(value.threshold)) problems.push('threshold: must be a whole number of 1 or more');
  else trust.threshold = value.threshold;

  if (!isObject(value.keys)) problems.push('keys: must be an object of keyid → key');
  else {
    for (const [keyid, entry] of Object.entries(value.keys)) {
      const at = `keys.${keyid}`;
      if (!KEYID.test(keyid)) problems.push(`${at}: the keyid must be 64 lowercase hex digits`);
      if (!isObject(entry)) {
        problems.push(`${at}: must be an object`);
        continue;
      }
      if (entry.type !== 'ed25519') problems.push(`${at}: type must be "ed25519"`);
      if (entry.name !== undefined && typeof entry.name !== 'string') problems.push(`${at}: name must be a string`);
      const raw = typeof entry.public === 'string' ? decodeBase64(entry.public) : null;
      if (!raw || raw.length !== 32) {
        problems.push(`${at}: public must be 32 bytes of base64`);
        continue;
      }
      const weak = weakKeyProblem(raw);
      if (weak) {
        problems.push(`${at}: public is a weak Ed25519 key (${weak})`);
        continue;
      }
      if (KEYID.test(keyid) && keyidOfRaw(raw) !== keyid) {
        problems.push(`${at}: the keyid is not the SHA-256 of its public key (${keyidOfRaw(raw)})`);
        continue;
      }
      let key: KeyObject;
      try {
        key = publicKeyFromRaw(raw);
      } catch {
        problems.push(`${at}: public is not an Ed25519 public key`);
        continue;
      }
      trust.keys.set(keyid, { keyid, publicRaw: raw, key, ...(typeof entry.name === 'string' ? { name: entry.name } : {}) });
    }
  }

  if (value.channels !== undefined) {
    if (!isObject(value.channels)) problems.push('channels: must be an object of channel → { threshold }');
    else {
      for (const [name, entry] of Object.entries(value.channels)) {
        if (!NAME.test(name)) problems.push(`channels.${name}: the channel name must match [a-z0-9][a-z0-9-]{0,62}`);
        if (!isObject(entry) || !isThreshold(entry.threshold))
          problems.push(`channels.${name}.threshold: must be a whole number of 1 or more`);
        else trust.channels[name] = { threshold: entry.threshold };
      }
    }
  }
  if (problems.length) {
    throw new ClientError(
      'E_TRUST',
      problems.length === 1 ? `${label}: ${problems[0]}` : `${label}: ${problems.length} problems: ${problems.join('; ')}`,
      2,
    );
  }
  return trust;
}

/** The highest threshold a trust version names (global or any channel): what a rotation away from it needs. */
export function highestThreshold(trust: Trust): number {
  return Math.max(trust.threshold, ...Object.values(trust.channels).map((c) => c.threshold));
}

/** Distinct keys of `keys` whose signature verifies over `data`; a key listed twice counts once. */
export function validSigners(signatures: { keyid: string; sig: string }[], keys: Map<string, TrustedKey>, data: Uint8Array): string[] {
  const valid = new Set<string>();
  for (const { keyid, sig } of signatures) {
    const key = keys.get(keyid);
    if (!key || valid.has(keyid)) continue;
    const raw = decodeBase64(sig);
    try {
      if (raw && raw.length === 64 && edVerify(null, data, key.key, raw)) valid.add(keyid);
    } catch {
      // a malformed signature does not count
    }
  }
  return [...valid];
}

/**
 * Whether `next` may follow `prev` (TUF's root rule): version exactly one more, the same product,
 * signed by the highest threshold of `prev`'s keys and the highest threshold of its own. Throws
 * E_TRUST naming `label` and what is short.
 */
export function checkTrustLink(prev: Trust, next: Trust, label: string, exit: 1 | 2 = 1): void {
  const refuse = (why: string) => new ClientError('E_TRUST', `${label}: ${why}`, exit);
  if (next.version !== prev.version + 1)
    throw refuse(`version ${next.version} cannot follow version ${prev.version} (want ${prev.version + 1})`);
  if (next.product !== prev.product) throw refuse(`product "${next.product}" is not version ${prev.version}'s "${prev.product}"`);
  const data = canonicalBytes((next.document as { signed: unknown }).signed);
  const byOld = validSigners(next.signatures, prev.keys, data).length;
  const needOld = highestThreshold(prev);
  if (byOld < needOld) throw refuse(`signed by ${byOld} of version ${prev.version}'s keys, ${needOld} needed`);
  const byNew = validSigners(next.signatures, next.keys, data).length;
  const needNew = highestThreshold(next);
  if (byNew < needNew) throw refuse(`signed by ${byNew} of its own keys, ${needNew} needed`);
}

/** The channel's own threshold first, else the file's. */
export function thresholdFor(trust: Trust, channel: string): number {
  return trust.channels[channel]?.threshold ?? trust.threshold;
}

/** Read and validate a trust file given by the user: every failure is exit 2 (E_TRUST). */
export async function readTrustFile(path: string, label: string = path): Promise<Trust> {
  return parseTrustBytes(readTrustBytes(path, label), label);
}

function readTrustBytes(path: string, label: string): Buffer {
  try {
    return readRegularFileSync(path, TRUST_LIMIT); // small, and read once at start-up
  } catch (err) {
    throw new ClientError('E_TRUST', `${label}: ${(err as ReadProblem).message}`, 2);
  }
}

/** Parse a trust file's bytes: not JSON, or not a valid trust file, is E_TRUST (`exit`, 2 for the caller's own file). */
export function parseTrustBytes(bytes: Buffer, label: string, exit: 1 | 2 = 2): Trust {
  const text = bytes.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw new ClientError('E_TRUST', `${label}: not valid JSON (${(err as Error).message})`, exit);
  }
  try {
    return parseTrust(value, label);
  } catch (err) {
    if (err instanceof ClientError && err.exit !== exit) throw new ClientError(err.code, err.message, exit);
    throw err;
  }
}
