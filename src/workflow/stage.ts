/**
 * Staging a release on a channel (docs/cli.md `stage`, `promote`): which release, the gates
 * (build record, files unchanged since the cut, soak and blocks on the `from` channel, a block on
 * this channel), the signed manifest in staged.json with its audit line, and with `publish` the
 * publish right after, all under the channel lock.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { compareVersions, MANIFEST_LIMIT, type SignedManifest } from '../client/index.js';
import { manifestText, newestVersion, parsePercent, signBody, soakCheck, stageBody, withheldDevices } from '../core/manifest.js';
import { formatTime } from '../core/time.js';
import { alreadyStaged } from '../core/channel.js';
import { failure, usageError } from '../errors.js';
import { appendEvent, readEvents, readLiveManifest, stagedPath } from '../io/channel.js';
import { displayPath } from '../io/display.js';
import { startPrehashes } from '../io/minisign.js';
import { listReleases, readBuildRecord, readNotes, rehashArtifacts, releaseDir } from '../io/releases.js';
import { pathExists } from '../io/store.js';
import { isPlainFileName } from '../client/index.js';
import { withAudience } from './audience.js';
import type { Channel } from './channel.js';
import { publishStaged, stageManifest, warnIfClockBehind } from './release.js';
import { signatureCount } from './signers.js';

export interface StageRequest {
  /**
   * The command as the user typed it (`promote --from beta --to stable`), which every message of
   * the operation names; `stage <channel>` when not given.
   */
  as?: string | undefined;
  version?: string | undefined;
  rollout?: string | undefined;
  publish?: boolean | undefined;
  force?: boolean | undefined;
}

export interface StageResult {
  channel: string;
  version: string;
  serial: number;
  rollout: number;
  issuedAt: string;
  expiresAt: string;
  signatures: number;
  threshold: number;
  staged: string;
  published: boolean;
  /** Set when nothing was written: the release is already live, or already staged (docs/cli.md `stage`). */
  unchanged?: 'live' | 'staged';
}

export async function stageRelease(ch: Channel, req: StageRequest): Promise<StageResult> {
  const { ctx, project, policy, name } = ch;
  const { publishDir } = project;
  const place = { publishDir, root: project.root, product: project.config.product };
  const as = req.as ?? `stage ${name}`;
  const signers = await ch.signers(as);
  let percent = policy.rollout[0]!;
  if (req.rollout !== undefined) {
    const p = parsePercent(req.rollout);
    if (p === null) throw usageError('E_USAGE', `--rollout ${req.rollout}: must be a percentage from 0 to 100 with at most two decimals`);
    percent = p;
  }

  // Which release: --version, else what is live on `from`, else the newest cut.
  const fromLive = policy.from ? await readLiveManifest(publishDir, policy.from, project.root) : null;
  let version = req.version;
  if (version !== undefined) {
    if (!isPlainFileName(version)) throw usageError('E_USAGE', `--version ${JSON.stringify(version)}: not a version`);
    if (!(await pathExists(releaseDir(publishDir, version)))) {
      throw usageError(
        'E_USAGE',
        `--version ${version}: no such release (no ${displayPath(project.root, releaseDir(publishDir, version))})`,
        'list the releases with `friday status`',
      );
    }
  } else if (policy.from) {
    if (!fromLive) throw failure('E_NOTHING', `${as}: nothing is live on ${policy.from}, where ${name} takes its releases from`);
    version = fromLive.signed.release.version;
  } else {
    version = newestVersion(await listReleases(publishDir)) ?? undefined;
    if (version === undefined) throw failure('E_NOTHING', `${as}: no release has been cut`, 'cut one with `friday cut`');
  }

  // Blocked for a model here: refused before any "nothing to do" answer (docs/cli.md `stage`).
  const forModels = refuseModelBlocked(as, name, (await ch.live())?.signed.deviceBlocked, version, req.force);
  if (forModels.length) ctx.warn(`${version} is blocked for ${forModels.join(', ')} on ${name}; staged anyway (--force)`);
  // A re-run Friday job: the release is already there, so nothing is hashed or signed again.
  const there = await unchanged(ch, version, req);
  if (there) return there;

  const build = await readBuildRecord(place, version);
  const missing = project.config.devices.filter((d) => !build.artifacts.some((a) => a.device === d));
  if (missing.length) ctx.warn(`release ${version} has no artifact for ${missing.join(', ')}`);
  // The soak gate has no override (--force is only for a release blocked on the channel itself):
  // a release rolled back on `from`, or not yet soaked there, never moves on.
  if (policy.from) {
    const soak = soakCheck(
      await readEvents(publishDir, policy.from),
      fromLive?.signed.blocked ?? [],
      policy.from,
      version,
      policy.soakHours,
      ctx.now,
    );
    if (!soak.ok) {
      const force = req.force ? `--force overrides only a block on ${name} itself, never the soak on ${policy.from}` : null;
      const retry = soak.allowedAt ? `run it again at or after ${soak.allowedAt}` : null;
      throw failure('E_SOAK', `${as}: ${soak.why}`, [force, retry].filter(Boolean).join('; ') || undefined);
    }
  }
  // A release blocked here is refused before its files are hashed (again under the lock below).
  refuseBlocked(as, ch.name, (await ch.live())?.signed.blocked ?? [], version, req.force);
  // The minisign prehash of artifacts not signed yet runs in a worker beside the rehash.
  await startPrehashes(
    build.artifacts.map((a) => join(releaseDir(publishDir, version), a.file)),
    [...ch.trust.keys.keys()],
  );
  await rehashArtifacts(place, build, ctx.info);
  const notes = await readNotes(publishDir, version, ctx.warn);
  const chosen = version;

  return ch.locked(async () => {
    const again = await unchanged(ch, chosen, req);
    if (again) return again;
    const live = await ch.live();
    if (refuseBlocked(as, name, live?.signed.blocked ?? [], chosen, req.force))
      ctx.warn(`${chosen} is blocked on ${name}; staged anyway (--force)`);
    if (live && compareVersions(chosen, live.signed.release.version) < 0)
      ctx.warn(
        `${chosen} is older than ${live.signed.release.version}, live on ${name}: devices on it will not take it (use rollback to go back)`,
      );
    // Never carry a release to a model it was rolled back from on `from`.
    const withhold = withheldDevices(project.config.devices, fromLive?.signed ?? null, live?.signed ?? null, chosen);
    const held = Object.keys(withhold);
    if (held.length) ctx.info(`${name}: ${chosen} is not given to ${held.join(', ')}: rolled back for it on ${policy.from}`);
    await warnIfClockBehind(ch, live);
    const body = await withAudience(
      ch,
      stageBody({
        product: project.config.product,
        channel: name,
        live: live?.signed ?? null,
        build,
        notes,
        percent,
        freshSalt: randomBytes(16).toString('hex'),
        now: ctx.now,
        expiresDays: policy.expiresDays,
        withhold,
      }),
    );
    const doc = { signed: body, signatures: signBody(body, signers) };
    refuseOversized(as, doc);
    const count = signatureCount(doc, ch.trust);
    await stageManifest(ch, doc, signers);
    await appendEvent(ch.store, publishDir, name, {
      at: formatTime(ctx.now),
      action: 'stage',
      serial: body.serial,
      version: chosen,
      actor: await ch.actor(),
      detail: { rollout: percent, signatures: count.valid, threshold: count.threshold, expiresAt: body.expiresAt },
    });
    const result: StageResult = {
      channel: name,
      version: chosen,
      serial: body.serial,
      rollout: percent,
      issuedAt: body.issuedAt,
      expiresAt: body.expiresAt,
      signatures: count.valid,
      threshold: count.threshold,
      staged: stagedPath(publishDir, name),
      published: false,
    };
    if (req.publish) {
      if (count.valid < count.threshold) {
        throw failure(
          'E_THRESHOLD',
          `${as}: serial ${body.serial} has ${count.valid} of the ${count.threshold} signatures needed to publish; it is staged`,
          `add one with: friday sign --channel ${name} --key <file>, then friday publish --channel ${name}`,
        );
      }
      await publishStaged(ch, doc, live, signers);
      result.published = true;
    }
    return result;
  });
}

/** The result of a stage with nothing to do, or null when there is something. */
async function unchanged(ch: Channel, version: string, req: StageRequest): Promise<StageResult | null> {
  const live = await ch.live();
  const staged = await ch.staged().catch(() => null);
  const percent = req.rollout === undefined ? null : parsePercent(req.rollout);
  const there = alreadyStaged({ live: live?.signed ?? null, staged: staged?.signed ?? null, version, percent, force: req.force === true });
  // `--publish` of a release that waits in staged.json: stage and publish it as asked.
  if (!there || (there.where === 'staged' && req.publish)) return null;
  const doc = there.where === 'live' ? live! : staged!;
  const count = signatureCount(doc, ch.trust);
  return {
    channel: ch.name,
    version,
    serial: there.serial,
    rollout: doc.signed.rollout.percent,
    issuedAt: doc.signed.issuedAt,
    expiresAt: doc.signed.expiresAt,
    signatures: count.valid,
    threshold: count.threshold,
    staged: stagedPath(ch.project.publishDir, ch.name),
    published: false,
    unchanged: there.where,
  };
}

/** True when `version` is blocked on the channel and --force stages it anyway; an error naming `as` without --force. */
/** A manifest a client would refuse to read (over MANIFEST_LIMIT): a closed beta's audience too large for it. */
function refuseOversized(as: string, doc: SignedManifest): void {
  const size = Buffer.byteLength(manifestText(doc));
  if (size <= MANIFEST_LIMIT) return;
  const n = doc.signed.audience?.devices.length ?? 0;
  throw failure(
    'E_AUDIENCE',
    `${as}: the manifest would be ${size} bytes, over the ${MANIFEST_LIMIT} a client reads (its audience lists ${n} devices)`,
    'raise audience.minGrade in the channel policy, so fewer devices are listed',
  );
}

function refuseBlocked(as: string, channel: string, blocked: readonly string[], version: string, force: boolean | undefined): boolean {
  if (!blocked.includes(version)) return false;
  if (!force)
    throw failure('E_BLOCKED', `${as}: ${version} is blocked on ${channel} (it was rolled back)`, 'use --force to stage it anyway');
  return true;
}

/** The models `version` is blocked for on the channel, when --force stages it anyway; an error without --force. */
function refuseModelBlocked(
  as: string,
  channel: string,
  deviceBlocked: Record<string, string[]> | undefined,
  version: string,
  force: boolean | undefined,
): string[] {
  const models = Object.entries(deviceBlocked ?? {})
    .filter(([, v]) => v.includes(version))
    .map(([m]) => m);
  if (models.length && !force)
    throw failure(
      'E_BLOCKED',
      `${as}: ${version} is blocked for ${models.join(', ')} on ${channel} (it was rolled back there)`,
      'use --force to stage it anyway',
    );
  return models;
}

/** The human lines for a stage (and promote): what was staged, and the next command. */
export function describeStage(r: StageResult, dryRun: boolean): string {
  if (r.unchanged === 'live')
    return `${r.channel}: ${r.version} is already live (serial ${r.serial}, ${r.rollout}%); nothing to do (--force stages it again)`;
  if (r.unchanged === 'staged')
    return `${r.channel}: ${r.version} is already staged as serial ${r.serial} with ${r.signatures} of ${r.threshold} signatures; nothing to do\n${
      r.signatures < r.threshold ? `co-sign it: friday sign --channel ${r.channel} --key <file>, then ` : ''
    }publish it: friday publish --channel ${r.channel}`;
  const would = dryRun ? 'would have ' : '';
  const head = `${r.channel}: ${would}staged ${r.version} as serial ${r.serial} at ${r.rollout}% (expires ${r.expiresAt}), ${r.signatures} of ${r.threshold} signatures`;
  if (r.published) return `${head}\n${r.channel}: ${would}published serial ${r.serial}`;
  if (r.signatures < r.threshold)
    return `${head}\nneeds ${r.threshold - r.signatures} more: friday sign --channel ${r.channel} --key <file>, then friday publish --channel ${r.channel}`;
  return `${head}\npublish it with: friday publish --channel ${r.channel}`;
}
