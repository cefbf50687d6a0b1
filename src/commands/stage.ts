/** `friday stage`: build and sign a channel's next manifest into staged.json (docs/cli.md `stage`). */
import type { Context, Outcome } from '../context.js';
import { openChannel } from '../workflow/channel.js';
import { describeStage, stageRelease } from '../workflow/stage.js';

export interface StageOptions {
  channel: string;
  version?: string;
  rollout?: string;
  key?: string[];
  publish?: boolean;
  force?: boolean;
}

export async function run(ctx: Context, opts: StageOptions): Promise<Outcome> {
  const ch = await openChannel(ctx, opts.channel, { keyFiles: opts.key });
  const r = await stageRelease(ch, opts);
  return { result: r, text: describeStage(r, ctx.dryRun) };
}
