/**
 * `friday stage`: build and sign a channel's next manifest into staged.json (cli.md). Read the
 * facts (policy, trust, build record and its files, live manifests, events), let the core decide
 * (gates, serial, salt, body), write staged.json and the audit line, publish with --publish.
 */
import { randomBytes } from 'node:crypto';
import type { Context, Outcome } from '../context.js';
import { compareVersions, isPlainFileName } from '../client/index.js';
import { newestVersion, parsePercent, soakCheck, stageBody } from '../core/manifest.js';
import { formatTime } from '../core/time.js';
import { failure, usageError } from '../errors.js';
import {
  actorOf,
  appendEvent,
  listReleases,
  readBuildRecord,
  readEvents,
  readLiveManifest,
  readNotes,
  readTrust,
  rehashArtifacts,
  requireSigners,
  show,
  signatureCount,
  stagedPath,
  warnUntrusted,
  withChannelLock,
  writeManifest,
} from '../io/channel.js';
import { channelPolicy, loadProject, type Project } from '../io/project.js';
import { createStore, pathExists } from '../io/store.js';
import { signBody } from '../core/manifest.js';
import { publishStaged } from './publish.js';
import { join } from 'node:path';

export interface StageOptions {
  channel: string;
  version?: string;
  rollout?: string;
  key?: string[];
  publish?: boolean;
  force?: boolean;
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
}

export async function run(ctx: Context, opts: StageOptions): Promise<Outcome> {
  const project = await loadProject(ctx);
  const r = await stageRelease(ctx, project, opts);
  return { result: r, text: describe(r, ctx.dryRun) };
}

export function describe(r: StageResult, dryRun: boolean): string {
  const would = dryRun ? 'would have ' : '';
  const head = `${r.channel}: ${would}staged ${r.version} as serial ${r.serial} at ${r.rollout}% (expires ${r.expiresAt}), ${r.signatures} of ${r.threshold} signatures`;
  if (r.published) return `${head}\n${r.channel}: ${would}published serial ${r.serial}`;
  if (r.signatures < r.threshold)
    return `${head}\nneeds ${r.threshold - r.signatures} more: friday sign --channel ${r.channel} --key <file>, then friday publish --channel ${r.channel}`;
  return `${head}\npublish it with: friday publish --channel ${r.channel}`;
}

/** Stage (and with `publish`, publish) a release on a channel; promote uses it with its `--from`. */
export async function stageRelease(ctx: Context, project: Project, opts: StageOptions): Promise<StageResult> {
  const policy = channelPolicy(project, opts.channel);
  const trust = await readTrust(project);
  const signers = await requireSigners(ctx, opts.key, { what: `stage ${opts.channel}`, channel: opts.channel, trust });
  warnUntrusted(signers, trust, ctx.warn);
  let percent = policy.rollout[0]!;
  if (opts.rollout !== undefined) {
    const p = parsePercent(opts.rollout);
    if (p === null) throw usageError('E_USAGE', `--rollout ${opts.rollout}: must be a percentage from 0 to 100 with at most two decimals`);
    percent = p;
  }

  // Which release: --version, else what is live on `from`, else the newest cut.
  const fromLive = policy.from ? await readLiveManifest(project.publishDir, policy.from) : null;
  let version = opts.version;
  if (version !== undefined) {
    if (!isPlainFileName(version)) throw usageError('E_USAGE', `--version ${JSON.stringify(version)}: not a version`);
    if (!(await pathExists(join(project.publishDir, 'releases', version)))) {
      throw usageError(
        'E_USAGE',
        `--version ${version}: no such release (no ${show(join(project.publishDir, 'releases', version), project.root)})`,
        'list the releases with `friday status`',
      );
    }
  } else if (policy.from) {
    if (!fromLive)
      throw failure('E_NOTHING', `stage ${opts.channel}: nothing is live on ${policy.from}, where ${opts.channel} takes its releases from`);
    version = fromLive.signed.release.version;
  } else {
    version = newestVersion(await listReleases(project.publishDir)) ?? undefined;
    if (version === undefined) throw failure('E_NOTHING', `stage ${opts.channel}: no release has been cut`, 'cut one with `friday cut`');
  }

  const build = await readBuildRecord(project, version);
  const missing = project.config.devices.filter((d) => !build.artifacts.some((a) => a.device === d));
  if (missing.length) ctx.warn(`release ${version} has no artifact for ${missing.join(', ')}`);
  // The soak gate has no override (cli.md `stage`: --force is only for a release blocked on the
  // channel itself): a release rolled back on `from`, or not yet soaked there, never moves on.
  if (policy.from) {
    const soak = soakCheck(
      await readEvents(project.publishDir, policy.from),
      fromLive?.signed.blocked ?? [],
      policy.from,
      version,
      policy.soakHours,
      ctx.now,
    );
    if (!soak.ok) {
      throw failure(
        'E_SOAK',
        `stage ${opts.channel}: ${soak.why}`,
        opts.force ? `--force overrides only a block on ${opts.channel} itself, never the soak on ${policy.from}` : undefined,
      );
    }
  }
  await rehashArtifacts(project, build, ctx.info);
  const notes = await readNotes(project, version, ctx.warn);
  const store = createStore(ctx);
  const actor = actorOf(ctx);

  return withChannelLock(ctx, project.publishDir, opts.channel, async () => {
    const live = await readLiveManifest(project.publishDir, opts.channel);
    if (live?.signed.blocked.includes(version)) {
      if (!opts.force)
        throw failure(
          'E_BLOCKED',
          `stage ${opts.channel}: ${version} is blocked on ${opts.channel} (it was rolled back)`,
          'use --force to stage it anyway',
        );
      ctx.warn(`${version} is blocked on ${opts.channel}; staged anyway (--force)`);
    }
    if (live && compareVersions(version, live.signed.release.version) < 0)
      ctx.warn(
        `${version} is older than ${live.signed.release.version}, live on ${opts.channel}: devices on it will not take it (use rollback to go back)`,
      );
    const body = stageBody({
      product: project.config.product,
      channel: opts.channel,
      live: live?.signed ?? null,
      build,
      notes,
      percent,
      freshSalt: randomBytes(16).toString('hex'),
      now: ctx.now,
      expiresDays: policy.expiresDays,
    });
    const doc = { signed: body, signatures: signBody(body, signers) };
    const count = signatureCount(doc, trust);
    await writeManifest(store, stagedPath(project.publishDir, opts.channel), doc);
    await appendEvent(store, project.publishDir, opts.channel, {
      at: formatTime(ctx.now),
      action: 'stage',
      serial: body.serial,
      version,
      actor,
      detail: { rollout: percent, signatures: count.valid, threshold: count.threshold, expiresAt: body.expiresAt },
    });
    const result: StageResult = {
      channel: opts.channel,
      version,
      serial: body.serial,
      rollout: percent,
      issuedAt: body.issuedAt,
      expiresAt: body.expiresAt,
      signatures: count.valid,
      threshold: count.threshold,
      staged: stagedPath(project.publishDir, opts.channel),
      published: false,
    };
    if (opts.publish) {
      if (count.valid < count.threshold) {
        throw failure(
          'E_THRESHOLD',
          `publish ${opts.channel}: serial ${body.serial} has ${count.valid} of the ${count.threshold} signatures needed; it is staged`,
          `add one with: friday sign --channel ${opts.channel} --key <file>, then friday publish --channel ${opts.channel}`,
        );
      }
      await publishStaged(ctx, store, project, trust, opts.channel, doc, live, actor);
      result.published = true;
    }
    return result;
  });
}
