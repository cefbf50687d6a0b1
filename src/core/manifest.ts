/**
 * Manifest building and the channel rules, pure (docs/formats.md "manifest.json", "events.ndjson";
 * docs/cli.md stage…renew). The shell reads the facts (live manifest, history, events, build record,
 * clock, a fresh salt) and passes them in; nothing here reads a file or the clock.
 */
import {
  canonicalBytes,
  compareVersions,
  isPercent,
  MANIFEST_TYPE,
  offerFor,
  timeOf,
  type DeviceRelease,
  type ManifestArtifact,
  type ManifestBody,
  type Signature,
  type SignedManifest,
} from '../client/index.js';
import type { BuildRecord } from './build-record.js';
import { addDays, formatTime, thirdOfValidityLeft } from './time.js';

export type { DeviceRelease, ManifestArtifact, ManifestBody, Signature, SignedManifest };

/** An audit line of events.ndjson, as far as the rules below need it. */
export interface EventLike {
  at: string;
  action: string;
  serial: number | null;
  version: string | null;
}

/** Anything that can sign bytes (src/io/keys.ts `Signer`, or a test fake). */
export interface SignerLike {
  keyid: string;
  sign(data: Uint8Array): Uint8Array;
}

/** A serial grows by one with every manifest published on the channel, whatever it does. */
export function nextSerial(live: ManifestBody | null): number {
  return live ? live.serial + 1 : 1;
}

/** The salt is chosen when a release is first staged on a channel and kept while it widens. */
export function chooseSalt(live: ManifestBody | null, version: string, fresh: string): string {
  return live && live.release.version === version ? live.rollout.salt : fresh;
}

export function expiryOf(now: Date, expiresDays: number): { issuedAt: string; expiresAt: string } {
  return { issuedAt: formatTime(now), expiresAt: formatTime(addDays(now, expiresDays)) };
}

/** The per-device artifacts of a build record; urls are relative to the publish root. */
export function artifactsOf(build: BuildRecord): Record<string, ManifestArtifact> {
  const out: Record<string, ManifestArtifact> = {};
  for (const a of build.artifacts) {
    out[a.device] = { file: a.file, url: `releases/${build.version}/${a.file}`, size: a.size, sha256: a.sha256 };
  }
  return out;
}

export interface StageInput {
  product: string;
  channel: string;
  live: ManifestBody | null;
  build: BuildRecord;
  notes: ManifestBody['notes'];
  percent: number;
  freshSalt: string;
  now: Date;
  expiresDays: number;
  /**
   * Devices that must not get this release (it is blocked for them where it comes from), each
   * with the release it already had here, or null for none (docs/formats.md "Partial rollback").
   */
  withhold?: Record<string, DeviceRelease | null>;
}

/** Per-device blocks carried from the live manifest (v1 had none). */
const deviceBlocked = (live: ManifestBody | null): Record<string, string[]> =>
  Object.fromEntries(Object.entries(live?.deviceBlocked ?? {}).map(([d, v]) => [d, [...v]]));

/** The `signed` body of a channel's next manifest carrying `build`. */
export function stageBody(i: StageInput): ManifestBody {
  const artifacts = artifactsOf(i.build);
  const deviceReleases: Record<string, DeviceRelease> = {};
  for (const [device, had] of Object.entries(i.withhold ?? {})) {
    delete artifacts[device];
    if (had) deviceReleases[device] = had;
  }
  return {
    type: MANIFEST_TYPE,
    product: i.product,
    channel: i.channel,
    serial: nextSerial(i.live),
    ...expiryOf(i.now, i.expiresDays),
    release: { version: i.build.version, tag: i.build.tag, commit: i.build.commit, builtAt: i.build.builtAt },
    rollout: { percent: i.percent, salt: chooseSalt(i.live, i.build.version, i.freshSalt) },
    artifacts,
    notes: i.notes,
    rollback: null,
    blocked: [...(i.live?.blocked ?? [])],
    deviceReleases,
    deviceBlocked: deviceBlocked(i.live),
  };
}

/** The live body again with the next serial and a fresh expiry: what `rollout` and `renew` publish. */
export function reissueBody(live: ManifestBody, now: Date, expiresDays: number, change: { percent?: number } = {}): ManifestBody {
  return {
    ...live,
    // Every manifest is written as v2 (docs/manifest.md), a reissued v1 one included.
    type: MANIFEST_TYPE,
    serial: live.serial + 1,
    ...expiryOf(now, expiresDays),
    rollout: { percent: change.percent ?? live.rollout.percent, salt: live.rollout.salt },
    deviceReleases: live.deviceReleases ?? {},
    deviceBlocked: deviceBlocked(live),
  };
}

/**
 * The rollback manifest: the last good release (as it was last served, from `good`), at 100 %
 * so every device on the bad version gets it, `rollback` set, and the bad version blocked.
 */
export function rollbackBody(
  live: ManifestBody,
  good: Pick<ManifestBody, 'release' | 'artifacts' | 'notes'> & { salt?: string },
  reason: string,
  now: Date,
  expiresDays: number,
  freshSalt: string,
): ManifestBody {
  const bad = live.release.version;
  return {
    type: MANIFEST_TYPE,
    product: live.product,
    channel: live.channel,
    serial: live.serial + 1,
    ...expiryOf(now, expiresDays),
    release: { ...good.release },
    rollout: { percent: 100, salt: good.salt ?? freshSalt },
    artifacts: good.artifacts,
    notes: good.notes,
    rollback: { from: bad, reason },
    blocked: live.blocked.includes(bad) ? [...live.blocked] : [...live.blocked, bad],
    deviceReleases: {},
    deviceBlocked: deviceBlocked(live),
  };
}

/** What each model of a partial rollback goes back to. */
export type ModelTargets = Record<string, Pick<DeviceRelease, 'release' | 'artifact'>>;

/**
 * A partial rollback (docs/formats.md "Partial rollback"): the live manifest with the next serial,
 * in which each model of `targets` alone goes back to its release, its entry saying it is a
 * rollback from the candidate and why, and the candidate blocked for that model only. The other
 * devices keep what they had, at the same rollout.
 */
export function partialRollbackBody(
  live: ManifestBody,
  targets: ModelTargets,
  reason: string,
  now: Date,
  expiresDays: number,
): ManifestBody {
  const bad = live.release.version;
  const body = reissueBody(live, now, expiresDays);
  const artifacts = { ...live.artifacts };
  const deviceReleases = { ...body.deviceReleases };
  const blocked = body.deviceBlocked!;
  for (const [model, t] of Object.entries(targets)) {
    delete artifacts[model];
    deviceReleases[model] = { release: { ...t.release }, artifact: t.artifact, rollback: { from: bad, reason } };
    blocked[model] = [...(blocked[model] ?? []).filter((v) => v !== bad), bad];
  }
  return { ...body, artifacts, deviceReleases, deviceBlocked: blocked };
}

/**
 * A whole-channel rollback must not undo a model's own rollback: a model for which the good
 * release is itself blocked (rolled back from it earlier) goes to the newest release of the
 * channel's history not blocked for it, its entry a rollback from the bad release; with none, it
 * is offered nothing (docs/formats.md "Partial rollback").
 */
export function keepModelBlocks(body: ManifestBody, history: readonly ManifestBody[]): ManifestBody {
  const good = body.release.version;
  const artifacts = { ...body.artifacts };
  const deviceReleases = { ...body.deviceReleases };
  for (const model of Object.keys(body.deviceBlocked ?? {})) {
    if (!blockedFor(body, model, good)) continue;
    delete artifacts[model];
    // `body` as the "live" manifest: its release (blocked for the model) and every block it carries are skipped.
    const t = modelRollbackTarget(history, body, model);
    if (t) deviceReleases[model] = { release: { ...t.release }, artifact: t.artifact, rollback: body.rollback };
  }
  return { ...body, artifacts, deviceReleases };
}

/** Whether `version` is blocked for `device` on the channel of `body` (for everyone, or that device alone). */
export function blockedFor(body: Pick<ManifestBody, 'blocked' | 'deviceBlocked'>, device: string, version: string): boolean {
  return body.blocked.includes(version) || (body.deviceBlocked?.[device]?.includes(version) ?? false);
}

/**
 * The release a model goes back to in a partial rollback: what the newest manifest of the
 * channel's history offered that model, not the bad release and not blocked for it.
 */
export function modelRollbackTarget(
  history: readonly ManifestBody[],
  live: ManifestBody,
  model: string,
): Pick<DeviceRelease, 'release' | 'artifact'> | null {
  const bad = live.release.version;
  const sorted = [...history].sort((a, b) => b.serial - a.serial);
  for (const m of sorted) {
    const offer = offeredRelease(m, model);
    if (offer && offer.release.version !== bad && !blockedFor(live, model, offer.release.version)) return offer;
  }
  return null;
}

/** The release and artifact a manifest offers `device` (its own entry, else the channel's), or null. */
export function offeredRelease(body: ManifestBody, device: string): Pick<DeviceRelease, 'release' | 'artifact'> | null {
  const offer = offerFor(body, device);
  if (!offer.artifact) return null;
  const release = offer.own ? body.deviceReleases![device]!.release : body.release;
  return { release: { ...release }, artifact: offer.artifact };
}

/**
 * The devices a release staged from channel `from` must not reach (docs/formats.md "Partial
 * rollback"): those it is blocked for there, or that `from` does not give it. Each keeps what
 * the target channel gives it now (not a rollback), or gets no entry.
 */
export function withheldDevices(
  devices: readonly string[],
  from: ManifestBody | null,
  target: ManifestBody | null,
  version: string,
): Record<string, DeviceRelease | null> {
  const out: Record<string, DeviceRelease | null> = {};
  if (!from) return out;
  for (const d of devices) {
    const fromOffer = offeredRelease(from, d);
    const given = from.release.version !== version || fromOffer?.release.version === version;
    if (!blockedFor(from, d, version) && given) continue;
    const had = target ? offeredRelease(target, d) : null;
    out[d] = had && had.release.version !== version && !blockedFor(target!, d, had.release.version) ? { ...had, rollback: null } : null;
  }
  return out;
}

/**
 * The release a rollback goes back to: the newest earlier release in the channel's history that
 * is neither the bad one nor blocked. `history` is every published manifest, any order.
 */
export function rollbackTarget(history: ManifestBody[], bad: string, blocked: readonly string[]): ManifestBody | null {
  const sorted = [...history].sort((a, b) => b.serial - a.serial);
  return sorted.find((m) => m.release.version !== bad && !blocked.includes(m.release.version)) ?? null;
}

/** Signatures over the canonical bytes of `body` (docs/formats.md: Ed25519 over JCS of `signed`). */
export function signBody(body: ManifestBody, signers: readonly SignerLike[]): Signature[] {
  const data = canonicalBytes(body);
  return signers.map((s) => ({ keyid: s.keyid, sig: Buffer.from(s.sign(data)).toString('base64') }));
}

/** Add (or replace) signatures by `signers`, keeping the others. */
export function addSignatures(doc: SignedManifest, signers: readonly SignerLike[]): SignedManifest {
  const fresh = signBody(doc.signed, signers);
  const ids = new Set(fresh.map((s) => s.keyid));
  return { signed: doc.signed, signatures: [...doc.signatures.filter((s) => !ids.has(s.keyid)), ...fresh] };
}

/** A rollout percent given on the command line, or null when it is not one (0–100, two decimals). */
export function parsePercent(text: string | number): number | null {
  const s = String(text).trim().replace(/%$/, '');
  if (!/^\d+(\.\d+)?$/.test(s)) return null;
  const p = Number(s);
  return isPercent(p) ? p : null;
}

// Beside the rest of the stage rules, which `status` loads without the signing code.
export { nextStage } from './advance.js';

/** Renew when less than a third of the validity is left (docs/cli.md `renew`). */
export function renewDue(body: Pick<ManifestBody, 'issuedAt' | 'expiresAt'>, now: Date): boolean {
  return thirdOfValidityLeft(body.issuedAt, body.expiresAt, now.getTime());
}

export interface LivePeriod {
  version: string;
  /** `at` of the publish line that made it live after a different release. */
  from: string;
  /** `at` of the publish line that replaced it, or null while it is live. */
  to: string | null;
}

/**
 * The channel's releases in the order they went live (docs/formats.md "events.ndjson": a release went
 * live at the `publish` line that first made it live after a different one; a rollout or renew
 * publishes the same release and does not restart it).
 */
export function releaseHistory(events: readonly EventLike[]): LivePeriod[] {
  const periods: LivePeriod[] = [];
  for (const e of events) {
    if (e.action !== 'publish' || e.version === null) continue;
    const last = periods[periods.length - 1];
    if (last && last.version === e.version) continue;
    if (last) last.to = e.at;
    periods.push({ version: e.version, from: e.at, to: null });
  }
  return periods;
}

/** When `version` went live on the channel (its latest live period), or null if it never did. */
export function wentLive(events: readonly EventLike[], version: string): string | null {
  const mine = releaseHistory(events).filter((p) => p.version === version);
  return mine.length ? mine[mine.length - 1]!.from : null;
}

/**
 * The baseline of a health check: the newest release the channel carried before the candidate's
 * current live period that is neither blocked nor the candidate (docs/formats.md, "Data").
 */
export function baselineVersion(events: readonly EventLike[], candidate: string, blocked: readonly string[]): string | null {
  const periods = releaseHistory(events);
  let i = periods.length - 1;
  while (i >= 0 && periods[i]!.version !== candidate) i--;
  for (let j = (i >= 0 ? i : periods.length) - 1; j >= 0; j--) {
    const v = periods[j]!.version;
    if (v !== candidate && !blocked.includes(v)) return v;
  }
  return null;
}

/** `allowedAt`: when the release passes the soak if it stays live and unblocked (whole seconds, rounded up). */
export type SoakVerdict = { ok: true; hours: number } | { ok: false; why: string; allowedAt: string | null };

/**
 * The soak gate of a channel with `from` (docs/formats.md "channels"): the release must have been live
 * on `from` for `soakHours` (its latest live period there, up to now if still live) and must not
 * be blocked there. The refusal says which stretch counted and when it will pass, so whoever reads
 * it knows when to come back.
 */
export function soakCheck(
  fromEvents: readonly EventLike[],
  fromBlocked: readonly string[],
  fromChannel: string,
  version: string,
  soakHours: number,
  now: Date,
): SoakVerdict {
  const refuse = (why: string, allowedAt: string | null = null): SoakVerdict => ({ ok: false, why, allowedAt });
  if (fromBlocked.includes(version)) return refuse(`${version} is blocked on ${fromChannel} (it was rolled back there)`);
  const mine = releaseHistory(fromEvents).filter((p) => p.version === version);
  const period = mine[mine.length - 1];
  if (!period) return refuse(`${version} has never been live on ${fromChannel}`);
  const end = period.to === null ? now.getTime() : timeOf(period.to);
  const hours = (end - timeOf(period.from)) / 3_600_000;
  if (hours >= soakHours) return { ok: true, hours };
  const soak = `${hours.toFixed(1)} h of the ${soakHours} h soak`;
  const counts = `the soak counts from when it last went live on ${fromChannel}, for as long as it stays live there without interruption and is not blocked`;
  if (period.to !== null) {
    return refuse(
      `${version} was live on ${fromChannel} only from ${period.from} to ${period.to}, ${soak}; ${counts}, so it must go live on ${fromChannel} again and stay ${soakHours} h`,
    );
  }
  const allowedAt = formatTime(new Date(Math.ceil((timeOf(period.from) + soakHours * 3_600_000) / 1000) * 1000));
  return refuse(
    `${version} has been live on ${fromChannel} since ${period.from}, ${soak} (${counts}); it may move on at ${allowedAt}`,
    allowedAt,
  );
}

/** The newest version among `versions` (semver order, calver-week versions included). */
export function newestVersion(versions: readonly string[]): string | null {
  return versions.reduce<string | null>((best, v) => (best === null || compareVersions(v, best) > 0 ? v : best), null);
}

/**
 * A manifest file's text: `signed` in its canonical form on one line (the bytes the signatures
 * cover, so a device can verify them as served and skip canonicalizing), the signatures below.
 */
export function manifestText(doc: SignedManifest): string {
  const sigs = doc.signatures.map((s) => `\n    ${JSON.stringify({ keyid: s.keyid, sig: s.sig })}`).join(',');
  return `{\n  "signed": ${canonicalBytes(doc.signed).toString('utf8')},\n  "signatures": [${sigs}${sigs ? '\n  ' : ''}]\n}\n`;
}
