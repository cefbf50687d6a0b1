/**
 * `friday awards [--release <v>] [--channel <c>] [--force]`: the Tuesday ceremony (docs/fans.md):
 * the fans' experience of the build decides the Popcorn Award, with the Bug Hunter and the Tester
 * of the Week. The ceremony itself is src/workflow/awards.ts.
 */
import { printable } from '../client/printable.js';
import type { Context, Outcome } from '../context.js';
import { displayPath } from '../io/display.js';
import { holdAwards } from '../workflow/awards.js';
import { openChannel } from '../workflow/channel.js';

export interface AwardsOptions {
  release?: string;
  channel?: string;
  force?: boolean;
}

export async function run(ctx: Context, opts: AwardsOptions): Promise<Outcome> {
  const ch = await openChannel(ctx, opts.channel ?? 'beta');
  const r = await holdAwards(ch, { release: opts.release, force: opts.force === true });
  const lines = r.markdown
    .trimEnd()
    .split('\n')
    .filter((l) => !l.startsWith('# '))
    .map((l) => printable(l.replace(/\*\*/g, '')));
  const verb = ctx.dryRun ? 'would write' : 'wrote';
  lines.push('', `${verb} ${r.files.map((f) => displayPath(ctx.cwd, f)).join(' and ')}`);
  return {
    result: r.doc,
    text: [`${r.doc.product} ${r.doc.version} on ${r.doc.channel}: the Tuesday awards`, ...lines.filter((l, i) => l !== '' || i > 0)].join(
      '\n',
    ),
  };
}
