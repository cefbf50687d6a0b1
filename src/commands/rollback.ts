/** `friday rollback`: publish at once the last good release (or `--to`), with `rollback` set and the bad version blocked (docs/cli.md `rollback`). */
import type { Context, Outcome } from '../context.js';
import { failure } from '../errors.js';
import { openChannel } from '../workflow/channel.js';
import { rollBack } from '../workflow/rollback.js';

export async function run(ctx: Context, opts: { channel: string; to?: string; reason: string; key?: string[] }): Promise<Outcome> {
  const ch = await openChannel(ctx, opts.channel, { keyFiles: opts.key });
  const r = await rollBack(ch, { to: opts.to, reason: opts.reason });
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
