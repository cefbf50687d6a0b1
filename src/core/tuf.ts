/**
 * The TUF view of a channel (docs/security.md "The TUF view of a channel"): TUF 1.0 metadata
 * (root, targets, snapshot, timestamp) for a live manifest, in TUF's own formats: OLPC canonical
 * JSON, keys `{ keytype: ed25519, scheme: ed25519, keyval: { public: <hex> } }` whose keyid is the
 * SHA-256 of that key's canonical form, signatures `{ keyid, sig: <hex> }`. Pure: the signing is a
 * capability passed in, the clock a `now`.
 *
 * Written here rather than with `@tufjs/models`: importing it took 85 ms against 64 ms for
 * `node -e 0` (median of 21, 2026-11-30, the 2-core CI machine), paid by every command that
 * signs a channel with `publish.tuf`, and would make it and minimatch runtime dependencies, for
 * the hundred lines below. `@tufjs/models` checks what this writes (test/unit/tuf.test.ts), and
 * tuf-js's own client reads it (test/e2e/tuf-export.test.ts).
 */
import { createHash } from 'node:crypto';
import type { ManifestBody, Trust } from '../client/index.js';
import { formatTime } from './time.js';

export const TUF_SPEC_VERSION = '1.0.31';
export const ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;
/** docs/security.md: a root version expires a year after it was made. */
const ROOT_LIFETIME_MS = 365 * 24 * 3600 * 1000;

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/**
 * OLPC canonical JSON (http://wiki.laptop.org/go/Canonical_JSON), what TUF signs: keys sorted,
 * no whitespace, only `"` and `\` escaped, whole numbers only. Not RFC 8785 (the manifests'):
 * the two differ on control characters and on fractions, which OLPC has no form for.
 */
export function olpcCanonical(value: Json): string {
  if (typeof value === 'string') return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`canonical JSON has no form for the number ${value}`);
    return String(value);
  }
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(olpcCanonical).join(',')}]`;
  // The same order as tuf-js and python-tuf give these keys (all ASCII): UTF-16 code units.
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${olpcCanonical(k)}:${olpcCanonical(value[k]!)}`).join(',')}}`;
}

export interface TufKey {
  keytype: 'ed25519';
  scheme: 'ed25519';
  keyval: { public: string };
}

export const tufKeyOf = (publicRaw: Uint8Array): TufKey => ({
  keytype: 'ed25519',
  scheme: 'ed25519',
  keyval: { public: Buffer.from(publicRaw).toString('hex') },
});

/** TUF's keyid: the hex SHA-256 of the key's canonical form (not friday's keyid, the SHA-256 of the raw key). */
export const tufKeyId = (publicRaw: Uint8Array): string =>
  createHash('sha256')
    .update(olpcCanonical(tufKeyOf(publicRaw) as unknown as Json))
    .digest('hex');

/** A key that can sign: friday's keyid (to match trust.json) and the raw public key. */
export interface TufSigner {
  keyid: string;
  publicRaw: Uint8Array;
  sign(data: Uint8Array): Uint8Array;
}

export interface Signed<T> {
  signed: T;
  signatures: { keyid: string; sig: string }[];
}

/** `signed` signed by each of `signers`, in TUF keyid order (one file, whatever order the keys came in). */
export function signTuf<T extends object>(signed: T, signers: readonly TufSigner[]): Signed<T> {
  const data = Buffer.from(olpcCanonical(signed as unknown as Json), 'utf8');
  const signatures = signers
    .map((s) => ({ keyid: tufKeyId(s.publicRaw), sig: Buffer.from(s.sign(data)).toString('hex') }))
    .sort((a, b) => (a.keyid < b.keyid ? -1 : a.keyid > b.keyid ? 1 : 0));
  return { signed, signatures: signatures.filter((s, i) => i === 0 || s.keyid !== signatures[i - 1]!.keyid) };
}

/** Metadata as written: 2-space JSON, what a person reads (the signature is over the canonical form). */
export const tufText = (doc: Signed<object>): string => JSON.stringify(doc, null, 2) + '\n';

export interface RootSigned {
  _type: 'root';
  spec_version: string;
  version: number;
  expires: string;
  consistent_snapshot: false;
  keys: Record<string, TufKey>;
  roles: Record<(typeof ROLES)[number], { keyids: string[]; threshold: number }>;
}

/**
 * Root version `trust.version` for `channel`: every key of the trust version holds every role, at
 * the channel's threshold (its own, else the file's), expiring a year after `made`.
 */
export function rootFor(trust: Trust, channel: string, made: Date): RootSigned {
  const keys: Record<string, TufKey> = {};
  for (const k of trust.keys.values()) keys[tufKeyId(k.publicRaw)] = tufKeyOf(k.publicRaw);
  const keyids = Object.keys(keys).sort();
  const threshold = trust.channels[channel]?.threshold ?? trust.threshold;
  const role = () => ({ keyids: [...keyids], threshold });
  return {
    _type: 'root',
    spec_version: TUF_SPEC_VERSION,
    version: trust.version,
    expires: formatTime(new Date(made.getTime() + ROOT_LIFETIME_MS)),
    consistent_snapshot: false,
    keys,
    roles: { root: role(), targets: role(), snapshot: role(), timestamp: role() },
  };
}

/**
 * The signers of `signers` whose keys hold `role` in `root`, and how many that is against the
 * role's threshold (a key given twice counts once).
 */
export function roleSigners(root: RootSigned, role: (typeof ROLES)[number], signers: readonly TufSigner[]) {
  const ids = new Set(root.roles[role].keyids);
  const seen = new Set<string>();
  const holding = signers.filter((s) => {
    const id = tufKeyId(s.publicRaw);
    if (!ids.has(id) || seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  return { signers: holding, count: holding.length, threshold: root.roles[role].threshold };
}

/**
 * A rollout percent in canonical JSON, which has whole numbers only: a whole percent as a
 * number, one with decimals (12.5) as its decimal string (docs/security.md).
 */
const percentValue = (p: number): number | string => (Number.isInteger(p) ? p : String(p));

export interface TargetsSigned {
  _type: 'targets';
  spec_version: string;
  version: number;
  expires: string;
  targets: Record<string, { length: number; hashes: { sha256: string }; custom: Record<string, Json> }>;
}

/** One target per device artifact, at its path in the publish root, expiring with the manifest. */
export function targetsFor(body: ManifestBody, version: number): TargetsSigned {
  const targets: TargetsSigned['targets'] = {};
  for (const device of Object.keys(body.artifacts).sort()) {
    const a = body.artifacts[device]!;
    targets[a.url] = {
      length: a.size,
      hashes: { sha256: a.sha256 },
      custom: {
        device,
        version: body.release.version,
        channel: body.channel,
        rollout: { percent: percentValue(body.rollout.percent), salt: body.rollout.salt },
      },
    };
  }
  return { _type: 'targets', spec_version: TUF_SPEC_VERSION, version, expires: body.expiresAt, targets };
}

export interface SnapshotSigned {
  _type: 'snapshot';
  spec_version: string;
  version: number;
  expires: string;
  meta: { 'targets.json': { version: number } };
}

export const snapshotFor = (targets: TargetsSigned, version: number): SnapshotSigned => ({
  _type: 'snapshot',
  spec_version: TUF_SPEC_VERSION,
  version,
  expires: targets.expires,
  meta: { 'targets.json': { version: targets.version } },
});

export interface TimestampSigned {
  _type: 'timestamp';
  spec_version: string;
  version: number;
  expires: string;
  meta: { 'snapshot.json': { version: number; length: number; hashes: { sha256: string } } };
}

/** The timestamp names the snapshot by version, length and hash of the exact bytes written. */
export function timestampFor(snapshot: SnapshotSigned, snapshotBytes: Uint8Array, version: number): TimestampSigned {
  return {
    _type: 'timestamp',
    spec_version: TUF_SPEC_VERSION,
    version,
    expires: snapshot.expires,
    meta: {
      'snapshot.json': {
        version: snapshot.version,
        length: snapshotBytes.length,
        hashes: { sha256: createHash('sha256').update(snapshotBytes).digest('hex') },
      },
    },
  };
}
