/** `friday rollback`: publish at once the last good release (or `--to`), with `rollback` set and the bad version blocked (docs/cli.md `rollback`). */
import type { Context, Outcome } from '../context.js';
import { openChannel } from '../workflow/channel.js';
import { failure, usageError } from '../errors.js';
import { rollBack, rollBackModels } from '../workflow/rollback.js';

export async function run(
  ctx: Context,
  opts: { channel: string; to?: string; model?: string[]; reason: string; key?: string[] },
): Promise<Outcome> {
  const ch = await openChannel(ctx, opts.channel, { keyFiles: opts.key });
  if (opts.model?.length) return byModel(ctx, ch, opts.model, opts);
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

/** `rollback --model`: those models alone go back (docs/formats.md "Partial rollback"). */
async function byModel(
  ctx: Context,
  ch: Awaited<ReturnType<typeof openChannel>>,
  models: string[],
  opts: { channel: string; to?: string; reason: string },
): Promise<Outcome> {
  if (opts.to !== undefined)
    throw usageError('E_USAGE', '--to and --model: a model goes back to its last good release; give one or the other');
  const r = await rollBackModels(ch, { models, reason: opts.reason });
  const list = r.models.map((m) => `${m.model} → ${m.to}`).join(', ');
  if (!r.published) {
    throw failure(
      'E_THRESHOLD',
      `rollback: ${opts.channel} ${models.join(', ')} ${r.fromVersion} → ${list} ${ctx.dryRun ? 'would be' : 'is'} staged as serial ${r.serial}, NOT live: ${r.signatures} of the ${r.threshold} signatures needed`,
      `co-sign it now: friday sign --channel ${opts.channel} --key <file>, then friday publish --channel ${opts.channel}`,
    );
  }
  return {
    result: {
      channel: opts.channel,
      published: r.published,
      from: r.fromVersion,
      models: r.models,
      serial: r.serial,
      blocked: r.manifest.signed.blocked,
      deviceBlocked: r.manifest.signed.deviceBlocked ?? {},
      reason: opts.reason,
    },
    text: `${opts.channel}: ${ctx.dryRun ? 'would roll back' : 'rolled back'} ${list} from ${r.fromVersion} (serial ${r.serial}); ${r.fromVersion} is blocked for ${models.join(', ')}, other models keep it`,
  };
}
