/**
 * `pull`, what a tester's device runs: state → fetch (bounded) → verify → replay → device and
 * decision → download (checked before it is moved into place) → state. The state file is written
 * last, only once everything before it passed, so a refusal leaves no trace on the device; it is
 * updated under its lock and the serial compared again there, so two pulls at once never lower it.
 */
import { ClientError } from './errors.js';
import { checkReplay, decide, type Decision } from './decide.js';
import { parseManifestWithBytes } from './manifest.js';
import { downloadArtifact, parseSource, readManifestBytes, type FetchLike } from './source.js';
import { readState, recordSerial, stateKey, updateState } from './state.js';
import type { Trust } from './trust.js';
import { verifyManifest } from './verify.js';

export interface PullOptions {
  channel: string;
  /** The publish root: a folder or an http(s) URL. */
  source: string;
  trust: Trust;
  device: string;
  deviceId?: string;
  current?: string;
  /** Download the artifact into this folder when the decision is `update`. */
  download?: string;
  statePath: string;
  now: Date;
  cwd?: string;
  fetch?: FetchLike;
  /** Check everything, download nothing, remember nothing. */
  dryRun?: boolean;
}

export interface PullResult {
  decision: Decision;
  channel: string;
  serial: number;
  version: string;
  rollback: boolean;
  artifact: { file: string; url: string; size: number; sha256: string };
  downloaded: string | null;
}

const CHANNEL = /^[a-z0-9][a-z0-9-]{0,62}$/;

export async function pull(opts: PullOptions): Promise<PullResult> {
  if (!CHANNEL.test(opts.channel))
    throw new ClientError('E_USAGE', `--channel ${opts.channel}: not a channel name ([a-z0-9][a-z0-9-]{0,62})`, 2);
  const source = parseSource(opts.source, opts.cwd);
  const state = await readState(opts.statePath);
  const key = stateKey(opts.trust.product, opts.channel);

  const { bytes, location } = await readManifestBytes(source, opts.channel, opts.fetch ? { fetch: opts.fetch } : {});
  const { doc, signedBytes } = parseManifestWithBytes(bytes, location);
  const { manifest } = verifyManifest(doc, opts.trust, { channel: opts.channel, now: opts.now, label: location, signedBytes });
  const body = manifest.signed;
  checkReplay(body, state.serials[key], location);
  const { decision, artifact } = decide(
    body,
    {
      device: opts.device,
      ...(opts.deviceId !== undefined ? { deviceId: opts.deviceId } : {}),
      ...(opts.current !== undefined ? { current: opts.current } : {}),
    },
    location,
  );

  let downloaded: string | null = null;
  if (decision === 'update' && opts.download !== undefined && !opts.dryRun) {
    downloaded = await downloadArtifact(source, artifact, opts.download, opts.fetch ? { fetch: opts.fetch } : {});
  }
  // Nothing to record (the serial was seen before): no lock, no write.
  if (!opts.dryRun && recordSerial(state, key, body.serial) !== state) {
    await updateState(opts.statePath, (current) => {
      // Another pull may have accepted a newer manifest since this one read the state.
      checkReplay(body, current.serials[key], location);
      return recordSerial(current, key, body.serial);
    });
  }
  return {
    decision,
    channel: body.channel,
    serial: body.serial,
    version: body.release.version,
    rollback: body.rollback !== null,
    artifact: { file: artifact.file, url: artifact.url, size: artifact.size, sha256: artifact.sha256 },
    downloaded,
  };
}
