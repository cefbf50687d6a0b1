/** `friday cut` (docs/cli.md `cut`): the weekly cut, src/workflow/cut.ts. */
import type { Context, Outcome } from '../context.js';
import { loadProject } from '../io/project.js';
import { cutRelease, type CutOptions } from '../workflow/cut.js';

export async function run(ctx: Context, opts: CutOptions): Promise<Outcome> {
  const r = await cutRelease(ctx, await loadProject(ctx), opts);
  return { result: r.record, text: r.text };
}
