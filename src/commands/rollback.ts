/**
 * `friday rollback`: publish at once the last good release (or `--to`), with `rollback` set and the
 * bad version blocked (cli.md). `performRollback` is also what `watch` calls.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Context, Outcome } from '../context.js';
import { artifactsOf, rollbackBody, rollbackTarget, type ManifestBody, type SignedManifest } from '../core/manifest.js';
import { isPlainFileName } from '../client/index.js';
import { failure, usageError } from '../errors.js';
import {
  actorOf,
  readBuildRecord,
  readEvents,
  rehashArtifacts,
  readHistory,
  readLiveManifest,
  readNotes,
  readTrust,
  reconcileEvents,
  requireSigners,
  show,
  signAndRelease,
  warnUntrusted,
  withChannelLock,
} from '../io/channel.js';
import { channelPolicy, loadProject, type Project } from '../io/project.js';
import { createStore, pathExists } from '../io/store.js';

export interface RollbackResult {
  published: boolean;
  fromVersion: string;
  toVersion: string;
  serial: number;
  manifest: SignedManifest;
  /** Trusted signatures it carries, and the channel's threshold. */
  signatures: number;
  threshold: number;
}

export async function performRollback(
  ctx: Context,
  project: Project,
  opts: { channel: string; to?: string; reason: string; keyFiles: string[] },
): Promise<RollbackResult> {
  const policy = channelPolicy(project, opts.channel);
  if (!opts.reason.trim()) throw usageError('E_USAGE', 'rollback: --reason must say why');
  const trust = await readTrust(project);
  const signers = await requireSigners(ctx, opts.keyFiles, { what: `rollback ${opts.channel}`, channel: opts.channel, trust });
  warnUntrusted(signers, trust, ctx.warn);
  const store = createStore(ctx);
  const actor = actorOf(ctx);

  return withChannelLock(ctx, project.publishDir, opts.channel, async () => {
    const live = await readLiveManifest(project.publishDir, opts.channel);
    if (!live) throw failure('E_NOTHING', `rollback ${opts.channel}: nothing is live, so nothing to roll back`);
    const bad = live.signed.release.version;
    const blocked = [...live.signed.blocked, bad];
    const history = (await readHistory(project.publishDir, opts.channel)).map((m) => m.signed);
    let good: (Pick<ManifestBody, 'release' | 'artifacts' | 'notes'> & { salt?: string }) | null;
    if (opts.to !== undefined) {
      if (!isPlainFileName(opts.to)) throw usageError('E_USAGE', `--to ${JSON.stringify(opts.to)}: not a version`);
      if (opts.to === bad) throw usageError('E_USAGE', `--to ${opts.to}: that is the live release being rolled back`);
      if (blocked.includes(opts.to)) throw usageError('E_USAGE', `--to ${opts.to}: blocked on ${opts.channel} (rolled back before)`);
      // As it was last served on this channel if it was; else from its build record.
      const served = rollbackTarget(
        history.filter((m) => m.release.version === opts.to),
        bad,
        blocked,
      );
      if (served) good = { release: served.release, artifacts: served.artifacts, notes: served.notes, salt: served.rollout.salt };
      else if (policy.from !== null) {
        // A channel fed from another takes only releases that soaked there (stage's gates); a
        // rollback skips those gates, so it may only go back to what this channel carried before.
        throw usageError(
          'E_USAGE',
          `--to ${opts.to}: never live on ${opts.channel}, which takes its releases from ${policy.from} after the soak`,
          `roll back to a release ${opts.channel} carried before (\`friday status\`), or promote one: friday promote --from ${policy.from} --to ${opts.channel}`,
        );
      } else {
        // Neither served here nor cut: the user's own input names nothing (exit 2, like stage --version).
        const dir = join(project.publishDir, 'releases', opts.to);
        if (!(await pathExists(dir))) {
          throw usageError(
            'E_USAGE',
            `--to ${opts.to}: no such release (never on ${opts.channel}, and no ${show(dir, project.root)})`,
            `leave out --to to go back to the last good release of ${opts.channel}; \`friday status\` lists the releases`,
          );
        }
        const build = await readBuildRecord(project, opts.to);
        // Never signed for this channel before: check its files as stage does.
        await rehashArtifacts(project, build, ctx.info);
        good = {
          release: { version: build.version, tag: build.tag, commit: build.commit, builtAt: build.builtAt },
          artifacts: artifactsOf(build),
          notes: await readNotes(project, opts.to, ctx.warn),
        };
      }
    } else {
      const t = rollbackTarget(history, bad, blocked);
      good = t && { release: t.release, artifacts: t.artifacts, notes: t.notes, salt: t.rollout.salt };
    }
    if (!good) {
      throw failure(
        'E_NOTHING',
        `rollback ${opts.channel}: nothing to roll back to (no earlier release of ${opts.channel} that is not ${bad} or blocked)`,
        'name one with --to <version>, or stage a fixed release',
      );
    }
    await reconcileEvents(store, project.publishDir, live, await readEvents(project.publishDir, opts.channel), actor);
    const body = rollbackBody(live.signed, good, opts.reason, ctx.now, policy.expiresDays, randomBytes(16).toString('hex'));
    const r = await signAndRelease(
      ctx,
      store,
      project.publishDir,
      body,
      signers,
      trust,
      'rollback',
      { from: bad, to: body.release.version, reason: opts.reason },
      actor,
    );
    return {
      published: r.published,
      fromVersion: bad,
      toVersion: body.release.version,
      serial: body.serial,
      manifest: r.doc,
      signatures: r.valid,
      threshold: r.threshold,
    };
  });
}

export async function run(ctx: Context, opts: { channel: string; to?: string; reason: string; key?: string[] }): Promise<Outcome> {
  const project = await loadProject(ctx);
  const r = await performRollback(ctx, project, {
    channel: opts.channel,
    ...(opts.to !== undefined ? { to: opts.to } : {}),
    reason: opts.reason,
    keyFiles: opts.key ?? [],
  });
  // Below the channel's threshold the bad release is still live: a failure (exit 1), loud, with the
  // rollback manifest waiting in staged.json for a co-signer. (`watch` reads `published` itself.)
  if (!r.published) {
    throw failure(
      'E_THRESHOLD',
      `rollback: ${opts.channel} ${r.fromVersion} → ${r.toVersion} ${ctx.dryRun ? 'would be' : 'is'} staged as serial ${r.serial}, NOT live: ${r.signatures} of the ${r.threshold} signatures needed`,
      `co-sign it now: friday sign --channel ${opts.channel} --key <file>, then friday publish --channel ${opts.channel}`,
    );
  }
  const result = {
    channel: opts.channel,
    published: r.published,
    from: r.fromVersion,
    to: r.toVersion,
    serial: r.serial,
    blocked: r.manifest.signed.blocked,
    reason: opts.reason,
  };
  return {
    result,
    text: `${opts.channel}: ${ctx.dryRun ? 'would roll back' : 'rolled back'} ${r.fromVersion} → ${r.toVersion} (serial ${r.serial}); ${r.fromVersion} is blocked`,
  };
}
