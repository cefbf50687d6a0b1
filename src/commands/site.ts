/**
 * `friday site` (docs/cli.md `site`, docs/site.md): write the release page now, from what the
 * publish root holds. Every command that changes a channel or a release does the same on its
 * way out (src/cli/program.ts); this is for a first page, or after a warning said it failed.
 */
import { relative } from 'node:path';
import type { Context, Outcome } from '../context.js';
import { writeSite } from '../workflow/site.js';

export async function run(ctx: Context): Promise<Outcome> {
  const r = await writeSite(ctx);
  const show = (p: string) => relative(ctx.cwd, p) || '.';
  const verb = ctx.dryRun ? 'would write' : 'wrote';
  const result = { index: r.index, pages: r.pages, written: r.written };
  return {
    result,
    text: `${show(r.index)} and ${r.pages.length} release page${r.pages.length === 1 ? '' : 's'}: ${r.written.length ? `${verb} ${r.written.length} changed` : 'all up to date'}`,
  };
}
