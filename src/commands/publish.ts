/**
 * `friday publish`: check the staged manifest against trust.json (threshold, expiry, serial =
 * live + 1) and make it live atomically (cli.md; the order of writes is in io/channel.ts).
 */
import type { Context, Outcome } from '../context.js';
import { verifyManifest } from '../client/index.js';
import { formatTime } from '../core/time.js';
import { failure, fromClient } from '../errors.js';
import {
  actorOf,
  publishLocked,
  readEvents,
  readLiveManifest,
  readStagedManifest,
  readTrust,
  reconcileEvents,
  signatureCount,
  withChannelLock,
  type SignedManifest,
} from '../io/channel.js';
import { channelPolicy, loadProject, type Project } from '../io/project.js';
import { createStore, type Store } from '../io/store.js';
import type { Trust } from '../client/index.js';

export async function run(ctx: Context, opts: { channel: string }): Promise<Outcome> {
  const project = await loadProject(ctx);
  channelPolicy(project, opts.channel);
  const trust = await readTrust(project);
  const store = createStore(ctx);
  const actor = actorOf(ctx);
  const doc = await withChannelLock(ctx, project.publishDir, opts.channel, async () => {
    const staged = await readStagedManifest(project.publishDir, opts.channel);
    if (!staged)
      throw failure(
        'E_NOTHING',
        `publish ${opts.channel}: nothing is staged`,
        `stage a release with: friday stage --channel ${opts.channel}`,
      );
    const live = await readLiveManifest(project.publishDir, opts.channel);
    await publishStaged(ctx, store, project, trust, opts.channel, staged, live, actor);
    return staged;
  });
  const s = doc.signed;
  const result = {
    channel: s.channel,
    serial: s.serial,
    version: s.release.version,
    rollout: s.rollout.percent,
    issuedAt: s.issuedAt,
    expiresAt: s.expiresAt,
    rollback: s.rollback,
  };
  return {
    result,
    text: `${s.channel}: ${ctx.dryRun ? 'would publish' : 'published'} ${s.release.version} as serial ${s.serial} at ${s.rollout.percent}% (expires ${s.expiresAt})`,
  };
}

/** Checks a staged manifest and publishes it; the channel lock must be held. */
export async function publishStaged(
  ctx: Context,
  store: Store,
  project: Project,
  trust: Trust,
  channel: string,
  staged: SignedManifest,
  live: SignedManifest | null,
  actor: string,
): Promise<void> {
  const s = staged.signed;
  try {
    verifyManifest(staged, trust, { channel, now: ctx.now, label: `channels/${channel}/staged.json` });
  } catch (err) {
    const e = fromClient(err) as Error & { code?: string };
    if (e.code === 'E_SIGNATURE') {
      const { valid, threshold } = signatureCount(staged, trust);
      throw failure(
        'E_THRESHOLD',
        `publish ${channel}: serial ${s.serial} has ${valid} of the ${threshold} trusted signatures needed`,
        `add one with: friday sign --channel ${channel} --key <file>`,
      );
    }
    if (e.code === 'E_EXPIRED')
      throw failure(
        'E_EXPIRED',
        `publish ${channel}: the staged manifest expired at ${s.expiresAt}`,
        `stage it again: friday stage --channel ${channel}`,
      );
    throw e;
  }
  const want = (live?.signed.serial ?? 0) + 1;
  if (s.serial !== want) {
    throw failure(
      'E_STALE',
      `publish ${channel}: the staged manifest is stale (serial ${s.serial}, the live serial is ${live?.signed.serial ?? 'none'})`,
      `stage it again: friday stage --channel ${channel}${s.release ? ` --version ${s.release.version}` : ''}`,
    );
  }
  await reconcileEvents(store, project.publishDir, live, await readEvents(project.publishDir, channel), actor);
  const { valid } = signatureCount(staged, trust);
  await publishLocked(
    store,
    project.publishDir,
    staged,
    [
      {
        at: formatTime(ctx.now),
        action: 'publish',
        serial: s.serial,
        version: s.release.version,
        actor,
        detail: { rollout: s.rollout.percent, signatures: valid, expiresAt: s.expiresAt },
      },
    ],
    { removeStaged: true },
  );
  ctx.info(`${channel}: serial ${s.serial} live (${s.release.version}, ${s.rollout.percent}%)`);
}
