/**
 * `friday export-tuf`: the channel's live manifest as a TUF 1.0 repository (docs/cli.md
 * `export-tuf`, docs/security.md "The TUF view of a channel"), for updaters built on TUF.
 */
import { resolve } from 'node:path';
import type { Context, Outcome } from '../context.js';
import { displayPath } from '../io/display.js';
import { openChannel } from '../workflow/channel.js';
import { exportChannel } from '../workflow/tuf.js';

export async function run(ctx: Context, opts: { channel: string; key?: string[]; out?: string }): Promise<Outcome> {
  const ch = await openChannel(ctx, opts.channel, { keyFiles: opts.key });
  const plan = await exportChannel(ch, opts.out === undefined ? undefined : resolve(ctx.cwd, opts.out));
  const result = {
    channel: opts.channel,
    dir: plan.dir,
    root: plan.root,
    targets: plan.targets,
    snapshot: plan.snapshot,
    timestamp: plan.timestamp,
    expires: plan.expires,
    written: plan.files.map((f) => f.name),
  };
  const where = displayPath(ctx.cwd, plan.dir);
  return {
    result,
    text: `${opts.channel}: ${ctx.dryRun ? 'would export' : 'exported'} to ${where}/: root version ${plan.root}, targets ${plan.targets}, snapshot ${plan.snapshot}, timestamp ${plan.timestamp} (expires ${plan.expires})`,
  };
}
