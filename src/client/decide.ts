/**
 * What a device does with a verified manifest (docs/cli.md `pull`): the replay check against the
 * highest serial it accepted, its own artifact, and whether to update.
 */
import { ClientError } from './errors.js';
import type { ManifestArtifact, ManifestBody } from './manifest.js';
import { audienceEntry, inRollout } from './rollout.js';
import { compareVersions } from './version.js';

export { compareVersions };

export type Decision = 'update' | 'up-to-date' | 'not-in-rollout' | 'not-enrolled';

/** Clients refuse a serial lower than the highest they accepted for the product and channel. */
export function checkReplay(body: ManifestBody, lastSerial: number | undefined, label = 'manifest'): void {
  if (lastSerial !== undefined && body.serial < lastSerial) {
    throw new ClientError(
      'E_REPLAY',
      `${label}: serial ${body.serial} is below ${lastSerial}, the highest accepted for ${body.product}/${body.channel} (a replayed older manifest)`,
    );
  }
}

export interface DecideInput {
  device: string;
  deviceId?: string;
  current?: string;
}

export interface DecideResult {
  decision: Decision;
  artifact: ManifestArtifact;
  /** The release offered to this device: the channel's, or its own (manifest v2 `deviceReleases`). */
  version: string;
  /** Whether what is offered is a rollback (a lower version that devices on `from` take). */
  rollback: boolean;
}

/** What the manifest offers `device`: its own entry (v2) when it has one, else the channel's release. */
export function offerFor(
  body: ManifestBody,
  device: string,
): { version: string; artifact: ManifestArtifact | undefined; rollback: ManifestBody['rollback']; own: boolean } {
  const own =
    body.deviceReleases && Object.prototype.hasOwnProperty.call(body.deviceReleases, device) ? body.deviceReleases[device] : undefined;
  if (own) return { version: own.release.version, artifact: own.artifact, rollback: own.rollback, own: true };
  const artifact = Object.prototype.hasOwnProperty.call(body.artifacts, device) ? body.artifacts[device] : undefined;
  return { version: body.release.version, artifact, rollback: body.rollback, own: false };
}

export function decide(body: ManifestBody, input: DecideInput, label = 'manifest'): DecideResult {
  const offer = offerFor(body, input.device);
  const artifact = offer.artifact;
  if (!artifact) {
    const known = [...Object.keys(body.artifacts), ...Object.keys(body.deviceReleases ?? {})];
    throw new ClientError(
      'E_DEVICE',
      `${label}: no artifact for device "${input.device}" (the release has ${known.length ? known.join(', ') : 'none'})`,
    );
  }
  const { current } = input;
  const { version, rollback } = offer;
  const result = { artifact, version, rollback: rollback !== null };
  // A rollback carries an older release on purpose: devices on the bad version take it.
  const rescue = rollback !== null && rollback.from === current && version !== current;
  // A closed beta offers the release only to its audience; a rollback of my version is offered to
  // every device on it, enrolled or not (docs/fans.md: safety first).
  if (!rescue && body.audience !== undefined && !enrolled(body.audience.devices, body.rollout.salt, input.deviceId))
    return { decision: 'not-enrolled', ...result };
  const wanted = current === undefined || compareVersions(version, current) > 0 || rescue;
  if (!wanted) return { decision: 'up-to-date', ...result };
  // A device's own entry is meant for every device of that model (a partial rollback, or what it
  // already had): no rollout bucket holds it back.
  return { decision: offer.own || admitted(body, input.deviceId) ? 'update' : 'not-in-rollout', ...result };
}

/** Whether a closed beta's audience lists this device; without a device id, never. */
function enrolled(devices: readonly string[], salt: string, deviceId: string | undefined): boolean {
  return deviceId !== undefined && devices.includes(audienceEntry(salt, deviceId));
}

/**
 * Whether the rollout admits this device (docs/formats.md: the bucket of `<salt>:<deviceId>`). With no
 * device id there is no bucket, so only what is meant for every device admits it: a rollout at
 * 100 %, or a rollback (it takes devices off a bad release, and a staged rollout must not keep
 * anyone on that). Anything else would let every id-less updater past a 10 % rollout.
 */
function admitted(body: Pick<ManifestBody, 'rollout' | 'rollback'>, deviceId: string | undefined): boolean {
  if (deviceId === undefined) return body.rollout.percent >= 100 || body.rollback !== null;
  return inRollout(body.rollout.percent, body.rollout.salt, deviceId);
}
