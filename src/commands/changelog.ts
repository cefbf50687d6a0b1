/**
 * `friday changelog [--from] [--to] [--format md|json] [--out] [--unshallow]` (docs/cli.md
 * `changelog`): read the range and build the changelog (src/workflow/changelog.ts), then print it
 * or write --out.
 */
import { resolve } from 'node:path';
import type { Context, Outcome } from '../context.js';
import { usageError } from '../errors.js';
import { displayPath } from '../io/display.js';
import { loadProject } from '../io/project.js';
import { buildChangelog, fetchWholeHistory, resolveRange } from '../workflow/changelog.js';

export interface ChangelogOptions {
  from?: string;
  to?: string;
  format?: 'md' | 'json';
  out?: string;
  /** Fetch the whole history from this remote first when the clone is shallow (true: origin). */
  unshallow?: string | boolean;
}

export async function run(ctx: Context, opts: ChangelogOptions): Promise<Outcome> {
  const format = opts.format ?? 'md';
  if (format !== 'md' && format !== 'json') throw usageError('E_USAGE', `--format ${String(format)}: must be md or json`);
  const project = await loadProject(ctx);
  if (opts.unshallow) await fetchWholeHistory(ctx, project, opts.unshallow === true ? 'origin' : opts.unshallow);
  const args = await resolveRange(ctx, project, opts);
  const cl = await buildChangelog(ctx, project, args);
  for (const w of cl.warnings) ctx.warn(w);
  const content = format === 'json' ? JSON.stringify(cl.json, null, 2) + '\n' : cl.markdown;
  if (opts.out === undefined) return { result: cl.json, text: content };

  const { createStore } = await import('../io/store.js');
  const path = resolve(ctx.cwd, opts.out);
  await createStore(ctx).writeUserFile(path, content, `--out ${opts.out}`);
  const n = cl.json.entries.length;
  const verb = ctx.dryRun ? 'would write' : 'wrote';
  return {
    result: cl.json,
    text: `${verb} ${displayPath(ctx.cwd, path)}: ${n} ${n === 1 ? 'issue' : 'issues'} from ${cl.json.commits} commits`,
  };
}
