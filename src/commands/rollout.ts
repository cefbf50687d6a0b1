/** `friday rollout`: publish the live release again with a wider (or narrower) rollout, same salt, next serial (cli.md). */
import type { Context, Outcome } from '../context.js';
import { nextStage, parsePercent, reissueBody } from '../core/manifest.js';
import { failure, usageError } from '../errors.js';
import {
  actorOf,
  readEvents,
  readLiveManifest,
  readTrust,
  reconcileEvents,
  requireSigners,
  signAndRelease,
  warnUntrusted,
  withChannelLock,
} from '../io/channel.js';
import { channelPolicy, loadProject } from '../io/project.js';
import { createStore } from '../io/store.js';

export async function run(ctx: Context, opts: { channel: string; percent?: string; next?: boolean; key?: string[] }): Promise<Outcome> {
  if ((opts.percent === undefined) === !opts.next) throw usageError('E_USAGE', 'rollout: give exactly one of --percent <p> or --next');
  let asked: number | null = null;
  if (opts.percent !== undefined) {
    asked = parsePercent(opts.percent);
    if (asked === null)
      throw usageError('E_USAGE', `--percent ${opts.percent}: must be a percentage from 0 to 100 with at most two decimals`);
  }
  const project = await loadProject(ctx);
  const policy = channelPolicy(project, opts.channel);
  const trust = await readTrust(project);
  const signers = await requireSigners(ctx, opts.key, { what: `rollout ${opts.channel}`, channel: opts.channel, trust });
  warnUntrusted(signers, trust, ctx.warn);
  const store = createStore(ctx);
  const actor = actorOf(ctx);

  const out = await withChannelLock(ctx, project.publishDir, opts.channel, async () => {
    const live = await readLiveManifest(project.publishDir, opts.channel);
    if (!live)
      throw failure(
        'E_NOTHING',
        `rollout ${opts.channel}: nothing is live`,
        `stage and publish a release first: friday stage --channel ${opts.channel} --publish`,
      );
    const from = live.signed.rollout.percent;
    const percent = asked ?? nextStage(policy.rollout, from);
    if (percent === null || percent === from) {
      return {
        changed: false as const,
        channel: opts.channel,
        serial: live.signed.serial,
        version: live.signed.release.version,
        rollout: from,
      };
    }
    await reconcileEvents(store, project.publishDir, live, await readEvents(project.publishDir, opts.channel), actor);
    const body = reissueBody(live.signed, ctx.now, policy.expiresDays, { percent });
    const r = await signAndRelease(ctx, store, project.publishDir, body, signers, trust, 'rollout', { from, to: percent }, actor);
    return {
      changed: true as const,
      channel: opts.channel,
      serial: body.serial,
      version: body.release.version,
      rollout: percent,
      from,
      published: r.published,
      signatures: r.valid,
      threshold: r.threshold,
    };
  });
  if (!out.changed) {
    return {
      result: { ...out, published: false },
      text: `${out.channel}: ${out.version} already at ${out.rollout}%${opts.next ? ', the last stage' : ''}; nothing to do`,
    };
  }
  const would = ctx.dryRun ? 'would publish' : 'published';
  // Below the channel's threshold nothing went live: that is a failure to say so (exit 1), not a
  // result that reads like success; the manifest waits in staged.json for its co-signers.
  if (!out.published) {
    throw failure(
      'E_THRESHOLD',
      `rollout: ${out.channel} ${out.from}% → ${out.rollout}% ${ctx.dryRun ? 'would be' : 'is'} staged as serial ${out.serial}, not live: ${out.signatures} of the ${out.threshold} signatures needed`,
      `co-sign it: friday sign --channel ${out.channel} --key <file>, then friday publish --channel ${out.channel}`,
    );
  }
  return { result: out, text: `${out.channel}: ${would} ${out.version} at ${out.rollout}% (was ${out.from}%) as serial ${out.serial}` };
}
