/** `friday promote`: stage the release live on `--from` onto `--to`, with all of stage's checks (cli.md). */
import type { Context, Outcome } from '../context.js';
import { failure, usageError } from '../errors.js';
import { readLiveManifest } from '../io/channel.js';
import { channelPolicy, loadProject } from '../io/project.js';
import { describe, stageRelease } from './stage.js';

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
  const live = await readLiveManifest(project.publishDir, opts.from);
  if (!live) throw failure('E_NOTHING', `promote: nothing is live on ${opts.from}`);
  const r = await stageRelease(ctx, project, {
    channel: opts.to,
    version: live.signed.release.version,
    ...(opts.key ? { key: opts.key } : {}),
    ...(opts.publish ? { publish: true } : {}),
    ...(opts.force ? { force: true } : {}),
  });
  return { result: { ...r, from: opts.from }, text: describe(r, ctx.dryRun) };
}
