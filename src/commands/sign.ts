/** `friday sign`: add signatures to the staged manifest, for channels whose threshold is above one (cli.md). */
import type { Context, Outcome } from '../context.js';
import { timeOf } from '../client/index.js';
import { addSignatures } from '../core/manifest.js';
import { formatTime } from '../core/time.js';
import { failure } from '../errors.js';
import {
  actorOf,
  appendEvent,
  readLiveManifest,
  readStagedManifest,
  readTrust,
  requireSigners,
  signatureCount,
  stagedPath,
  warnUntrusted,
  withChannelLock,
  writeManifest,
} from '../io/channel.js';
import { channelPolicy, loadProject } from '../io/project.js';
import { createStore } from '../io/store.js';

export async function run(ctx: Context, opts: { channel: string; key?: string[] }): Promise<Outcome> {
  const project = await loadProject(ctx);
  channelPolicy(project, opts.channel);
  const trust = await readTrust(project);
  const signers = await requireSigners(ctx, opts.key, { what: `sign ${opts.channel}`, channel: opts.channel, trust });
  warnUntrusted(signers, trust, ctx.warn);
  const store = createStore(ctx);
  const actor = actorOf(ctx);
  const out = await withChannelLock(ctx, project.publishDir, opts.channel, async () => {
    const staged = await readStagedManifest(project.publishDir, opts.channel);
    if (!staged)
      throw failure('E_NOTHING', `sign ${opts.channel}: nothing is staged`, `stage a release with: friday stage --channel ${opts.channel}`);
    const live = await readLiveManifest(project.publishDir, opts.channel);
    const s = staged.signed;
    if (s.serial !== (live?.signed.serial ?? 0) + 1) {
      throw failure(
        'E_STALE',
        `sign ${opts.channel}: the staged manifest is stale (serial ${s.serial}, the live serial is ${live?.signed.serial ?? 'none'})`,
        `stage it again: friday stage --channel ${opts.channel}`,
      );
    }
    if (ctx.now.getTime() >= timeOf(s.expiresAt))
      throw failure(
        'E_EXPIRED',
        `sign ${opts.channel}: the staged manifest expired at ${s.expiresAt}`,
        `stage it again: friday stage --channel ${opts.channel}`,
      );
    const doc = addSignatures(staged, signers);
    const count = signatureCount(doc, trust);
    await writeManifest(store, stagedPath(project.publishDir, opts.channel), doc);
    await appendEvent(store, project.publishDir, opts.channel, {
      at: formatTime(ctx.now),
      action: 'sign',
      serial: s.serial,
      version: s.release.version,
      actor,
      detail: { keyids: signers.map((k) => k.keyid), signatures: count.valid, threshold: count.threshold },
    });
    return {
      channel: opts.channel,
      serial: s.serial,
      version: s.release.version,
      signatures: count.valid,
      threshold: count.threshold,
      ready: count.valid >= count.threshold,
    };
  });
  const next = out.ready
    ? `ready: friday publish --channel ${out.channel}`
    : `needs ${out.threshold - out.signatures} more signature${out.threshold - out.signatures === 1 ? '' : 's'}`;
  return {
    result: out,
    text: `${out.channel}: serial ${out.serial} (${out.version}) has ${out.signatures} of ${out.threshold} signatures; ${next}`,
  };
}
