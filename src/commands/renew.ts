/**
 * `friday renew`: re-sign the live manifest unchanged but for a fresh issuedAt/expiresAt and the
 * next serial, once less than a third of its validity is left (docs/cli.md `renew`). Expiry is
 * what stops a stale manifest being replayed forever, so a served channel must never lapse.
 */
import type { Context, Outcome } from '../context.js';
import { openChannel } from '../workflow/channel.js';
import { renew } from '../workflow/reissue.js';

export async function run(ctx: Context, opts: { channel: string; key?: string[]; force?: boolean }): Promise<Outcome> {
  const ch = await openChannel(ctx, opts.channel, { keyFiles: opts.key });
  const r = await renew(ch, { force: opts.force === true });
  const result = { channel: opts.channel, ...r };
  if (!r.renewed)
    return {
      result,
      text: `${opts.channel}: not due (serial ${r.serial} expires ${r.expiresAt}; renewal starts when a third of its validity is left)`,
    };
  return { result, text: `${opts.channel}: ${ctx.dryRun ? 'would renew' : 'renewed'} as serial ${r.serial}, expires ${r.expiresAt}` };
}
