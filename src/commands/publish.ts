/**
 * `friday publish`: check the staged manifest against trust.json (threshold, expiry, serial = live
 * + 1) and make it live atomically (docs/cli.md `publish`; the order of writes: src/io/channel.ts).
 */
import type { Context, Outcome } from '../context.js';
import { failure } from '../errors.js';
import { openChannel } from '../workflow/channel.js';
import { publishStaged } from '../workflow/release.js';

export async function run(ctx: Context, opts: { channel: string }): Promise<Outcome> {
  const ch = await openChannel(ctx, opts.channel);
  const doc = await ch.locked(async () => {
    const staged = await ch.staged();
    if (!staged)
      throw failure('E_NOTHING', `publish ${ch.name}: nothing is staged`, `stage a release with: friday stage --channel ${ch.name}`);
    await publishStaged(ch, staged, await ch.live());
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
