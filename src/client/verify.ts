/**
 * Verification of a signed channel manifest against trust.json, in the order of docs/manifest.md:
 * shape (E_FORMAT), signatures and threshold (E_SIGNATURE), product (E_PRODUCT), channel
 * (E_CHANNEL), expiry (E_EXPIRED), file names and urls (E_PATH). Pure: bytes and a clock in, a
 * verdict out. The serial (E_REPLAY) and device (E_DEVICE) checks need the device's own state
 * and live in decide.ts / pull.ts.
 */
import { verify as edVerify } from 'node:crypto';
import { canonicalBytes } from './canonical.js';
import { ClientError } from './errors.js';
import { isPlainFileName, isSafeRelativeUrl, MAX_FILE_NAME_BYTES, parseManifest, timeOf, type SignedManifest } from './manifest.js';
import { decodeBase64, thresholdFor, type Trust } from './trust.js';

export interface SignatureCheck {
  /** Distinct trusted keyids whose signature verifies over the canonical bytes of `signed`. */
  valid: string[];
  threshold: number;
  /** Keyids that signed but are not in trust.json (ignored). */
  unknown: string[];
  /** Trusted keyids whose signature does not verify (does not count). */
  bad: string[];
}

/**
 * Count distinct trusted keys with a valid signature. Signatures by unknown keys are ignored and
 * a bad signature by a known key does not count (docs/formats.md "trust.json"); a key listed twice
 * counts once, so one stolen key cannot meet a threshold of two by signing twice.
 */
export function checkSignatures(doc: SignedManifest, trust: Trust, channel: string, servedBytes?: Buffer | null): SignatureCheck {
  // The signed bytes are the canonical form of `signed`. When `doc.signed` was parsed from the
  // served bytes `servedBytes` (manifest.ts splitManifest), a signature over those bytes covers
  // exactly what is acted upon; only when one does not verify over them (another layout, say) is
  // the canonical form computed and tried.
  let canonical: Buffer | null = null;
  const data = () => (canonical ??= canonicalBytes(doc.signed));
  const valid = new Set<string>();
  const unknown: string[] = [];
  const bad: string[] = [];
  for (const { keyid, sig } of doc.signatures) {
    const key = trust.keys.get(keyid);
    if (!key) {
      unknown.push(keyid);
      continue;
    }
    if (valid.has(keyid)) continue;
    const raw = decodeBase64(sig);
    let ok = false;
    if (raw && raw.length === 64) {
      try {
        ok = (servedBytes != null && edVerify(null, servedBytes, key.key, raw)) || edVerify(null, data(), key.key, raw);
      } catch {
        ok = false;
      }
    }
    if (ok) valid.add(keyid);
    else bad.push(keyid);
  }
  return { valid: [...valid], threshold: thresholdFor(trust, channel), unknown, bad };
}

export interface VerifyOptions {
  /** The channel the caller asked for; when absent (offline `verify`), the manifest's own. */
  channel?: string;
  now: Date;
  /** How to name the manifest in messages (a path or URL). */
  label?: string;
  /** The served bytes of `signed` (parseManifestWithBytes), to skip canonicalizing when they are canonical. */
  signedBytes?: Buffer | null;
}

export interface Verified {
  manifest: SignedManifest;
  signatures: SignatureCheck;
}

export function verifyManifest(value: unknown, trust: Trust, opts: VerifyOptions): Verified {
  const label = opts.label ?? 'manifest';
  const doc = parseManifest(value, label);
  const s = doc.signed;

  // The threshold is the one of the channel the manifest names: it is only accepted if that is
  // the channel asked for (below), so the threshold that admits it is always the asked channel's.
  // Checking it first means a beta manifest served as stable reads as E_CHANNEL, not E_SIGNATURE.
  const sigs = checkSignatures(doc, trust, s.channel, opts.signedBytes);
  if (sigs.valid.length < sigs.threshold) {
    const extra = [
      sigs.bad.length ? `${sigs.bad.length} bad by trusted keys` : '',
      sigs.unknown.length ? `${sigs.unknown.length} by unknown keys` : '',
    ]
      .filter(Boolean)
      .join(', ');
    throw new ClientError(
      'E_SIGNATURE',
      `${label}: ${sigs.valid.length} valid trusted signature${sigs.valid.length === 1 ? '' : 's'}, ${sigs.threshold} needed${extra ? ` (${extra})` : ''}`,
    );
  }
  if (s.product !== trust.product) {
    throw new ClientError('E_PRODUCT', `${label}: manifest is for product "${s.product}", the trust file for "${trust.product}"`);
  }
  if (opts.channel !== undefined && s.channel !== opts.channel) {
    throw new ClientError('E_CHANNEL', `${label}: manifest is for channel "${s.channel}", not "${opts.channel}"`);
  }
  if (opts.now.getTime() >= timeOf(s.expiresAt)) {
    throw new ClientError('E_EXPIRED', `${label}: expired at ${s.expiresAt} (serial ${s.serial})`);
  }
  const artifacts = [
    ...Object.entries(s.artifacts).map(([device, a]) => [`artifacts.${device}`, a] as const),
    ...Object.entries(s.deviceReleases ?? {}).map(([device, e]) => [`deviceReleases.${device}.artifact`, e.artifact] as const),
  ];
  for (const [at, a] of artifacts) {
    if (!isPlainFileName(a.file))
      throw new ClientError(
        'E_PATH',
        `${label}: ${at}.file: not a plain file name (no /, \\, .. or control character, at most ${MAX_FILE_NAME_BYTES} bytes): ${JSON.stringify(a.file)}`,
      );
    if (!isSafeRelativeUrl(a.url))
      throw new ClientError('E_PATH', `${label}: ${at}.url: not a safe relative url: ${JSON.stringify(a.url)}`);
  }
  return { manifest: doc, signatures: sigs };
}
