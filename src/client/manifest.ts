/**
 * The channel manifest (docs/formats.md "manifest.json"): its types and a structural parser. The parser
 * checks shape only; what the fields must equal (signatures, product, channel, expiry) is
 * verify.ts's job, and it runs on the bytes a server sent, so nothing here trusts them.
 */
import { ClientError } from './errors.js';
import { timeOf } from './time.js';

// The manifest's times are read by the one ISO 8601 parser; updaters reach it from here.
export { timeOf };

/** The type friday writes (docs/manifest.md): v2, with per-device releases and blocks. */
export const MANIFEST_TYPE = 'friday.manifest/v2';
/** The type of manifests written before per-device releases; still read. */
export const MANIFEST_TYPE_V1 = 'friday.manifest/v1';

export interface ManifestArtifact {
  file: string;
  url: string;
  size: number;
  sha256: string;
}

/**
 * A device's own release (manifest v2 `deviceReleases`): what every device of that model takes
 * instead of the channel's release, such as a partial rollback.
 */
export interface DeviceRelease {
  release: { version: string; tag: string; commit: string; builtAt: string };
  artifact: ManifestArtifact;
  rollback: { from: string; reason: string } | null;
}

export interface ManifestBody {
  type: typeof MANIFEST_TYPE | typeof MANIFEST_TYPE_V1;
  product: string;
  channel: string;
  serial: number;
  issuedAt: string;
  expiresAt: string;
  release: { version: string; tag: string; commit: string; builtAt: string };
  rollout: { percent: number; salt: string };
  artifacts: Record<string, ManifestArtifact>;
  notes: { popcorn: { id: number; title: string } | null; changelog: string | null };
  rollback: { from: string; reason: string } | null;
  blocked: string[];
  /** v2: devices that take their own release, not the channel's (no entry in `artifacts`). */
  deviceReleases?: Record<string, DeviceRelease>;
  /** v2: versions blocked for one device only. */
  deviceBlocked?: Record<string, string[]>;
  /**
   * A closed beta (docs/fans.md): only the devices listed are offered the release, each as the
   * first 8 bytes (16 lowercase hex) of SHA-256(`<rollout salt>:<device id>`). Absent: every device.
   */
  audience?: { minGrade: string; devices: string[] };
}

export interface Signature {
  keyid: string;
  sig: string;
}

export interface SignedManifest {
  signed: ManifestBody;
  signatures: Signature[];
}

const HEX64 = /^[0-9a-f]{64}$/;
const SALT = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

/**
 * The longest file name, in bytes of UTF-8. A download writes `<file>.part`, its record
 * `<file>.part.json`, the record's temporary file `.<file>.part.json.<pid>.<8 hex>.tmp` and the
 * lock `<file>.part.lock` (created through `<file>.part.lock.<16 hex>`); the longest of these adds
 * 32 bytes (a pid has at most 7 digits), and a name must fit in 255 bytes on every common file
 * system. A longer name would pass the check and fail the download half-way.
 */
export const MAX_FILE_NAME_BYTES = 255 - '..part.json.4194304.01234567.tmp'.length;

// No separator, no `..`, no C0, DEL or C1 control character, no lone surrogate (it would be
// written as U+FFFD: another name than the one signed).
// eslint-disable-next-line no-control-regex
const PLAIN_FILE = /^(?!\.$)(?!.*\.\.)[^/\\\u0000-\u001f\u007f-\u009f\ud800-\udfff]+$/u;
// What is fetched is exactly this string resolved against the source: no scheme, and nothing the
// URL parser would drop or rewrite (whitespace, controls, a backslash) or that changes the path (`?#%`).
// eslint-disable-next-line no-control-regex
const URL_CHARS = /^(?![a-zA-Z][a-zA-Z0-9+.-]*:)[^\\\s\u0000-\u001f\u007f-\u009f\ud800-\udfff?#%]{1,2048}$/u;
const URL_BAD_SEGMENT = /(?:^|\/)\.{0,2}(?:\/|$)/;

/**
 * A plain file name: no `/`, `\`, `..`, control characters (C0, DEL, C1) or lone surrogates, not
 * empty, at most MAX_FILE_NAME_BYTES bytes of UTF-8 (docs/formats.md).
 */
export function isPlainFileName(name: string): boolean {
  return PLAIN_FILE.test(name) && Buffer.byteLength(name, 'utf8') <= MAX_FILE_NAME_BYTES;
}

/**
 * A url relative to the publish root that cannot climb out of it: no scheme, no leading `/`, no
 * `.` or `..` segment, no whitespace or control character anywhere (the URL parser strips leading
 * spaces and drops tabs and newlines, so `" /x"` would otherwise be fetched as `/x`).
 */
export function isSafeRelativeUrl(url: string): boolean {
  // Segments that are empty, `.` or `..` (a leading `/` is an empty first segment) are refused.
  return URL_CHARS.test(url) && !URL_BAD_SEGMENT.test(url);
}

/** A percentage from 0 to 100 with at most two decimals. */
export function isPercent(p: unknown): p is number {
  return typeof p === 'number' && Number.isFinite(p) && p >= 0 && p <= 100 && Math.abs(Math.round(p * 100) - p * 100) < 1e-9;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** Every shape problem of a `signed` body, each as `signed.<field>: <why>`. */
export function bodyProblems(s: unknown): string[] {
  if (!isObject(s)) return ['signed: must be an object'];
  const p: string[] = [];
  const need = (ok: boolean, field: string, why: string) => ok || p.push(`signed.${field}: ${why}`);
  const v2 = s.type === MANIFEST_TYPE;
  need(v2 || s.type === MANIFEST_TYPE_V1, 'type', `must be "${MANIFEST_TYPE}" or "${MANIFEST_TYPE_V1}"`);
  need(nonEmpty(s.product), 'product', 'must be a non-empty string');
  need(nonEmpty(s.channel), 'channel', 'must be a non-empty string');
  need(typeof s.serial === 'number' && Number.isSafeInteger(s.serial) && s.serial >= 0, 'serial', 'must be a whole number of 0 or more');
  need(isString(s.issuedAt) && !Number.isNaN(timeOf(s.issuedAt)), 'issuedAt', 'must be an ISO 8601 UTC time');
  need(isString(s.expiresAt) && !Number.isNaN(timeOf(s.expiresAt)), 'expiresAt', 'must be an ISO 8601 UTC time');
  const r = s.release;
  if (!isObject(r)) p.push('signed.release: must be an object');
  else for (const f of ['version', 'tag', 'commit', 'builtAt']) need(nonEmpty(r[f]), `release.${f}`, 'must be a non-empty string');
  const ro = s.rollout;
  if (!isObject(ro)) p.push('signed.rollout: must be an object');
  else {
    need(isPercent(ro.percent), 'rollout.percent', 'must be a number from 0 to 100 with at most two decimals');
    need(isString(ro.salt) && SALT.test(ro.salt), 'rollout.salt', 'must be 32 lowercase hex digits');
  }
  if (!isObject(s.artifacts)) p.push('signed.artifacts: must be an object of device → artifact');
  else {
    for (const [device, a] of Object.entries(s.artifacts)) artifactProblems(a, `artifacts.${device}`, p);
  }
  const n = s.notes;
  if (!isObject(n)) p.push('signed.notes: must be an object');
  else {
    const pc = n.popcorn;
    need(
      pc === null || pc === undefined || (isObject(pc) && typeof pc.id === 'number' && isString(pc.title)),
      'notes.popcorn',
      'must be null or { id, title }',
    );
    need(n.changelog === null || n.changelog === undefined || isString(n.changelog), 'notes.changelog', 'must be null or a path');
  }
  const rb = s.rollback;
  need(rb === null || (isObject(rb) && nonEmpty(rb.from) && isString(rb.reason)), 'rollback', 'must be null or { from, reason }');
  need(Array.isArray(s.blocked) && s.blocked.every(isString), 'blocked', 'must be a list of versions');
  if (v2) deviceProblems(s, p);
  else {
    // A v1 manifest has no per-device fields: one that carries them is not what it says it is.
    need(s.deviceReleases === undefined, 'deviceReleases', `only in "${MANIFEST_TYPE}"`);
    need(s.deviceBlocked === undefined, 'deviceBlocked', `only in "${MANIFEST_TYPE}"`);
  }
  const au = s.audience;
  need(
    au === undefined ||
      (isObject(au) && nonEmpty(au.minGrade) && Array.isArray(au.devices) && au.devices.every((d) => isString(d) && HEX16.test(d))),
    'audience',
    'must be { minGrade, devices: [16 lowercase hex, …] }',
  );
  return p;
}

function artifactProblems(a: unknown, at: string, p: string[]): void {
  // The common case first, without building a message per field (a manifest may list thousands of devices).
  if (
    isObject(a) &&
    isString(a.file) &&
    isString(a.url) &&
    typeof a.size === 'number' &&
    Number.isSafeInteger(a.size) &&
    a.size >= 0 &&
    isString(a.sha256) &&
    HEX64.test(a.sha256)
  )
    return;
  if (!isObject(a)) {
    p.push(`signed.${at}: must be an object`);
    return;
  }
  const need = (ok: boolean, field: string, why: string) => ok || p.push(`signed.${field}: ${why}`);
  need(isString(a.file), `${at}.file`, 'must be a string');
  need(isString(a.url), `${at}.url`, 'must be a string');
  need(typeof a.size === 'number' && Number.isSafeInteger(a.size) && a.size >= 0, `${at}.size`, 'must be a whole number of bytes');
  need(isString(a.sha256) && HEX64.test(a.sha256), `${at}.sha256`, 'must be 64 lowercase hex digits');
}

/** v2's `deviceReleases` and `deviceBlocked` (docs/manifest.md). */
function deviceProblems(s: Record<string, unknown>, p: string[]): void {
  const need = (ok: boolean, field: string, why: string) => ok || p.push(`signed.${field}: ${why}`);
  const dr = s.deviceReleases;
  if (!isObject(dr)) p.push('signed.deviceReleases: must be an object of device → release');
  else {
    for (const [device, e] of Object.entries(dr)) {
      const at = `deviceReleases.${device}`;
      if (!isObject(e)) {
        p.push(`signed.${at}: must be an object`);
        continue;
      }
      const r = e.release;
      if (!isObject(r)) p.push(`signed.${at}.release: must be an object`);
      else
        for (const f of ['version', 'tag', 'commit', 'builtAt']) need(nonEmpty(r[f]), `${at}.release.${f}`, 'must be a non-empty string');
      artifactProblems(e.artifact, `${at}.artifact`, p);
      const rb = e.rollback;
      need(rb === null || (isObject(rb) && nonEmpty(rb.from) && isString(rb.reason)), `${at}.rollback`, 'must be null or { from, reason }');
      // One device, one release: the channel's (artifacts) or its own, never both.
      need(
        !isObject(s.artifacts) || !Object.prototype.hasOwnProperty.call(s.artifacts, device),
        at,
        'the device also has an entry in artifacts',
      );
    }
  }
  const db = s.deviceBlocked;
  if (!isObject(db)) p.push('signed.deviceBlocked: must be an object of device → versions');
  else
    for (const [device, v] of Object.entries(db))
      need(Array.isArray(v) && v.every(isString), `deviceBlocked.${device}`, 'must be a list of versions');
}

/** Shape of the whole document; throws E_FORMAT naming the first problems. */
export function parseManifest(value: unknown, label = 'manifest'): SignedManifest {
  const problems: string[] = [];
  if (!isObject(value)) throw new ClientError('E_FORMAT', `${label}: not a manifest (not a JSON object)`);
  if (!Array.isArray(value.signatures)) problems.push('signatures: must be a list');
  else {
    value.signatures.forEach((s, i) => {
      if (!isObject(s) || !isString(s.keyid) || !isString(s.sig)) problems.push(`signatures.${i}: must be { keyid, sig }`);
    });
  }
  problems.push(...bodyProblems(value.signed));
  if (problems.length) {
    const shown = problems.slice(0, 3).join('; ') + (problems.length > 3 ? ` (and ${problems.length - 3} more)` : '');
    throw new ClientError('E_FORMAT', `${label}: not a manifest: ${shown}`);
  }
  return value as unknown as SignedManifest;
}

/** Parse manifest bytes (UTF-8 JSON) into a checked document. */
export function parseManifestBytes(bytes: Uint8Array, label = 'manifest'): SignedManifest {
  let value: unknown;
  try {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw new ClientError('E_FORMAT', `${label}: not a manifest (not valid JSON: ${(err as Error).message})`);
  }
  return parseManifest(value, label);
}

const isWs = (c: number | undefined) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * The fast way in, for manifests laid out as friday writes them (`{ "signed": <canonical>,
 * "signatures": [...] }`): split the served bytes into the bytes of `signed` and the rest, and
 * parse each. The document returned is built from *those* bytes, so when a signature verifies
 * over `signedBytes` (verify.ts), the body acted upon is exactly the parse of the bytes that were
 * signed, whatever else the document holds: verify the bytes, then use what they say. Returns
 * null (take the ordinary path) when the layout is not this one.
 */
export function splitManifest(b: Buffer): { value: { signed: unknown; signatures: unknown }; signedBytes: Buffer } | null {
  let i = b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  while (isWs(b[i])) i++;
  if (b[i] !== 0x7b) return null;
  i++;
  while (isWs(b[i])) i++;
  if (b.toString('latin1', i, i + 8) !== '"signed"') return null;
  i += 8;
  while (isWs(b[i])) i++;
  if (b[i] !== 0x3a) return null;
  i++;
  while (isWs(b[i])) i++;
  const start = i;
  const k = b.lastIndexOf('"signatures"');
  if (k <= start) return null;
  let j = k - 1;
  while (isWs(b[j])) j--;
  if (b[j] !== 0x2c) return null;
  j--;
  while (isWs(b[j])) j--;
  const signedBytes = b.subarray(start, j + 1);
  try {
    const signed: unknown = JSON.parse(signedBytes.toString('utf8'));
    const rest = JSON.parse('{' + b.toString('utf8', k)) as Record<string, unknown>;
    if (Object.keys(rest).length !== 1) return null; // anything besides "signatures": the ordinary path decides
    return { value: { signed, signatures: rest.signatures }, signedBytes };
  } catch {
    return null;
  }
}

/** Parse manifest bytes, keeping the served bytes of `signed` when they can be (verify.ts's fast path). */
export function parseManifestWithBytes(bytes: Buffer, label = 'manifest'): { doc: SignedManifest; signedBytes: Buffer | null } {
  const split = splitManifest(bytes);
  if (split) return { doc: parseManifest(split.value, label), signedBytes: split.signedBytes };
  return { doc: parseManifestBytes(bytes, label), signedBytes: null };
}
