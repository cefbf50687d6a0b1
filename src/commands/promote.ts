/** `friday promote`: stage the release live on `--from` onto `--to`, with all of stage's checks (docs/cli.md `promote`). */
import type { Context, Outcome } from '../context.js';
import { failure, usageError } from '../errors.js';
import { readLiveManifest } from '../io/channel.js';
import { channelPolicy, loadProject } from '../io/project.js';
import { openChannel } from '../workflow/channel.js';
import { describeStage, stageRelease } from '../workflow/stage.js';

export async function run(
  ctx: Context,
  opts: { from: string; to: string; key?: string[]; publish?: boolean; force?: boolean },
): Promise<Outcome> {
  const project = await loadProject(ctx);
  channelPolicy(project, opts.from, '--from');
  const policy = channelPolicy(project, opts.to, '--to');
  if (opts.from === opts.to) throw usageError('E_USAGE', 'promote: --from and --to must be different channels');
  if (policy.from !== null && policy.from !== opts.from) {
    throw usageError(
      'E_USAGE',
      `promote: ${opts.to} takes its releases from ${policy.from}, not ${opts.from}`,
      `run: friday promote --from ${policy.from} --to ${opts.to}`,
    );
  }
  const live = await readLiveManifest(project.publishDir, opts.from, project.root);
  if (!live) throw failure('E_NOTHING', `promote: nothing is live on ${opts.from}`);
  const ch = await openChannel(ctx, opts.to, { project, flag: '--to', keyFiles: opts.key });
  const r = await stageRelease(ch, {
    as: `promote --from ${opts.from} --to ${opts.to}`,
    version: live.signed.release.version,
    publish: opts.publish,
    force: opts.force,
  });
  return { result: { ...r, from: opts.from }, text: describeStage(r, ctx.dryRun) };
}
