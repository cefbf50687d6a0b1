/** `friday rollout`: publish the live release again with a wider (or narrower) rollout, same salt, next serial (docs/cli.md `rollout`). */
import type { Context, Outcome } from '../context.js';
import { parsePercent } from '../core/manifest.js';
import { failure, usageError } from '../errors.js';
import { openChannel } from '../workflow/channel.js';
import { setRollout } from '../workflow/reissue.js';

export async function run(ctx: Context, opts: { channel: string; percent?: string; next?: boolean; key?: string[] }): Promise<Outcome> {
  if ((opts.percent === undefined) === !opts.next) throw usageError('E_USAGE', 'rollout: give exactly one of --percent <p> or --next');
  let asked: number | null = null;
  if (opts.percent !== undefined) {
    asked = parsePercent(opts.percent);
    if (asked === null)
      throw usageError('E_USAGE', `--percent ${opts.percent}: must be a percentage from 0 to 100 with at most two decimals`);
  }
  const ch = await openChannel(ctx, opts.channel, { keyFiles: opts.key });
  const out = await setRollout(ch, asked);
  if (!out.changed) {
    return {
      result: { ...out, published: false },
      text: `${out.channel}: ${out.version} already at ${out.rollout}%${opts.next ? ', the last stage' : ''}; nothing to do`,
    };
  }
  // Below the channel's threshold nothing went live: that is a failure to say so (exit 1), not a
  // result that reads like success; the manifest waits in staged.json for its co-signers.
  if (!out.published) {
    throw failure(
      'E_THRESHOLD',
      `rollout: ${out.channel} ${out.from}% → ${out.rollout}% ${ctx.dryRun ? 'would be' : 'is'} staged as serial ${out.serial}, not live: ${out.signatures} of the ${out.threshold} signatures needed`,
      `co-sign it: friday sign --channel ${out.channel} --key <file>, then friday publish --channel ${out.channel}`,
    );
  }
  const would = ctx.dryRun ? 'would publish' : 'published';
  return { result: out, text: `${out.channel}: ${would} ${out.version} at ${out.rollout}% (was ${out.from}%) as serial ${out.serial}` };
}
