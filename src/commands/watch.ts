/**
 * `friday watch`: the scheduled check of a channel (docs/cli.md `watch`): renew when due, judge the
 * live release on the crash feed, roll back when the rule says so (exit 3). The check itself is
 * src/workflow/watch.ts.
 */
import type { Context, Outcome } from '../context.js';
import { openChannel } from '../workflow/channel.js';
import { watchChannel } from '../workflow/watch.js';

export interface WatchOptions {
  channel: string;
  feed?: string;
  key?: string[];
}

export async function run(ctx: Context, opts: WatchOptions): Promise<Outcome> {
  const ch = await openChannel(ctx, opts.channel, { keyFiles: opts.key });
  return watchChannel(ch, { feed: opts.feed });
}
