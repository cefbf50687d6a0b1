/**
 * `friday renew`: re-sign the live manifest unchanged but for a fresh issuedAt/expiresAt and the
 * next serial, once less than a third of its validity is left (cli.md). Expiry is what stops a
 * stale manifest being replayed forever, so a served channel must never lapse.
 */
import type { Context, Outcome } from '../context.js';
import { renewDue, reissueBody } from '../core/manifest.js';
import { failure } from '../errors.js';
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
import { channelPolicy, loadProject, type Project } from '../io/project.js';
import { createStore } from '../io/store.js';

export async function performRenew(
  ctx: Context,
  project: Project,
  opts: { channel: string; keyFiles: string[]; force: boolean },
): Promise<{ renewed: boolean; serial: number; expiresAt: string }> {
  const policy = channelPolicy(project, opts.channel);
  const live0 = await readLiveManifest(project.publishDir, opts.channel);
  if (!live0) throw failure('E_NOTHING', `renew ${opts.channel}: nothing is live`);
  // Not due: nothing to sign, so no key is needed (the scheduled job may run this every few minutes).
  if (!opts.force && !renewDue(live0.signed, ctx.now))
    return { renewed: false, serial: live0.signed.serial, expiresAt: live0.signed.expiresAt };
  const trust = await readTrust(project);
  const signers = await requireSigners(ctx, opts.keyFiles, { what: `renew ${opts.channel}`, channel: opts.channel, trust });
  warnUntrusted(signers, trust, ctx.warn);
  const store = createStore(ctx);
  const actor = actorOf(ctx);
  return withChannelLock(ctx, project.publishDir, opts.channel, async () => {
    const live = await readLiveManifest(project.publishDir, opts.channel);
    if (!live) throw failure('E_NOTHING', `renew ${opts.channel}: nothing is live`);
    if (!opts.force && !renewDue(live.signed, ctx.now))
      return { renewed: false, serial: live.signed.serial, expiresAt: live.signed.expiresAt };
    await reconcileEvents(store, project.publishDir, live, await readEvents(project.publishDir, opts.channel), actor);
    const body = reissueBody(live.signed, ctx.now, policy.expiresDays);
    const r = await signAndRelease(
      ctx,
      store,
      project.publishDir,
      body,
      signers,
      trust,
      'renew',
      { previousExpiresAt: live.signed.expiresAt, expiresAt: body.expiresAt },
      actor,
    );
    if (!r.published) {
      throw failure(
        'E_THRESHOLD',
        `renew ${opts.channel}: serial ${body.serial} has ${r.valid} of the ${r.threshold} signatures needed; it is staged, not live (the live one expires ${live.signed.expiresAt})`,
        `co-sign it: friday sign --channel ${opts.channel} --key <file>, then friday publish --channel ${opts.channel}`,
      );
    }
    return { renewed: true, serial: body.serial, expiresAt: body.expiresAt };
  });
}

export async function run(ctx: Context, opts: { channel: string; key?: string[]; force?: boolean }): Promise<Outcome> {
  const project = await loadProject(ctx);
  const r = await performRenew(ctx, project, { channel: opts.channel, keyFiles: opts.key ?? [], force: opts.force === true });
  const result = { channel: opts.channel, ...r };
  if (!r.renewed)
    return {
      result,
      text: `${opts.channel}: not due (serial ${r.serial} expires ${r.expiresAt}; renewal starts when a third of its validity is left)`,
    };
  return { result, text: `${opts.channel}: ${ctx.dryRun ? 'would renew' : 'renewed'} as serial ${r.serial}, expires ${r.expiresAt}` };
}
