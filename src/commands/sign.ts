/** `friday sign`: add signatures to the staged manifest, for channels whose threshold is above one (docs/cli.md `sign`). */
import type { Context, Outcome } from '../context.js';
import { expiredStaged, staleStaged } from '../core/channel.js';
import { addSignatures } from '../core/manifest.js';
import { formatTime } from '../core/time.js';
import { failure } from '../errors.js';
import { appendEvent } from '../io/channel.js';
import { openChannel } from '../workflow/channel.js';
import { stageManifest } from '../workflow/release.js';
import { signatureCount } from '../workflow/signers.js';

export async function run(ctx: Context, opts: { channel: string; key?: string[] }): Promise<Outcome> {
  const ch = await openChannel(ctx, opts.channel, { keyFiles: opts.key });
  const { name, store, project } = ch;
  const signers = await ch.signers(`sign ${name}`);
  const out = await ch.locked(async () => {
    // Read.
    const staged = await ch.staged();
    if (!staged) throw failure('E_NOTHING', `sign ${name}: nothing is staged`, `stage a release with: friday stage --channel ${name}`);
    const s = staged.signed;
    // Decide.
    const problem = staleStaged('sign', s, (await ch.live())?.signed.serial ?? null) ?? expiredStaged('sign', s, ctx.now);
    if (problem) throw problem;
    const doc = addSignatures(staged, signers);
    const count = signatureCount(doc, ch.trust);
    // Write.
    await stageManifest(ch, doc, signers);
    await appendEvent(store, project.publishDir, name, {
      at: formatTime(ctx.now),
      action: 'sign',
      serial: s.serial,
      version: s.release.version,
      actor: await ch.actor(),
      detail: { keyids: signers.map((k) => k.keyid), signatures: count.valid, threshold: count.threshold },
    });
    return {
      channel: name,
      serial: s.serial,
      version: s.release.version,
      signatures: count.valid,
      threshold: count.threshold,
      ready: count.valid >= count.threshold,
    };
  });
  const missing = out.threshold - out.signatures;
  const next = out.ready ? `ready: friday publish --channel ${out.channel}` : `needs ${missing} more signature${missing === 1 ? '' : 's'}`;
  return {
    result: out,
    text: `${out.channel}: serial ${out.serial} (${out.version}) has ${out.signatures} of ${out.threshold} signatures; ${next}`,
  };
}
