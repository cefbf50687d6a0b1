/**
 * `friday pull`: what a tester or a device updater runs (cli.md). A thin shell over the embeddable
 * client (src/client): it reads the trust file and hands the rest over.
 */
import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import type { Context, Outcome } from '../context.js';
import { pull, defaultStatePath, readTrustFile } from '../client/index.js';
import { fromClient, usageError } from '../errors.js';

export interface PullCommandOptions {
  channel: string;
  source: string;
  trust: string;
  device: string;
  deviceId?: string;
  current?: string;
  download?: string;
  state?: string;
}

export async function run(ctx: Context, opts: PullCommandOptions): Promise<Outcome> {
  const download = opts.download !== undefined ? resolve(ctx.cwd, opts.download) : undefined;
  // A folder, or a link to one; the artifact is renamed into it. Anything else is said now, not
  // after the manifest was fetched and checked.
  const st = download === undefined ? null : await fs.stat(download).catch(() => null);
  if (st && !st.isDirectory()) throw usageError('E_USAGE', `--download ${opts.download}: not a folder`, 'name the folder to download into');
  try {
    const trust = await readTrustFile(resolve(ctx.cwd, opts.trust), opts.trust);
    const r = await pull({
      channel: opts.channel,
      source: opts.source,
      trust,
      device: opts.device,
      now: ctx.now,
      cwd: ctx.cwd,
      statePath: opts.state !== undefined ? resolve(ctx.cwd, opts.state) : defaultStatePath(ctx.env),
      ...(opts.deviceId !== undefined ? { deviceId: opts.deviceId } : {}),
      ...(opts.current !== undefined ? { current: opts.current } : {}),
      ...(download !== undefined ? { download } : {}),
      dryRun: ctx.dryRun,
    });
    // Without --device-id there is no rollout bucket: only a full rollout or a rollback applies.
    const noId = r.decision === 'not-in-rollout' && opts.deviceId === undefined;
    const what =
      r.decision === 'update'
        ? `update to ${r.version}${r.rollback ? ' (a rollback: the last good release)' : ''}`
        : r.decision === 'up-to-date'
          ? `up to date (${r.version} is live)`
          : noId
            ? `not in rollout: ${r.version} is live to part of the devices, and without a device id this one has no place in its rollout`
            : `${r.version} is live but this device is not in its rollout yet`;
    const lines = [`${r.channel}: serial ${r.serial}: ${what}`];
    const hint = 'pass --device-id <id> (a stable id of this device) to be placed in the rollout';
    if (noId) {
      if (ctx.json) ctx.info(hint);
      else lines.push(hint);
    }
    if (r.downloaded) lines.push(`downloaded ${r.downloaded} (${r.artifact.size} bytes, sha256 ${r.artifact.sha256})`);
    else if (r.decision === 'update') lines.push(`artifact: ${r.artifact.url} (${r.artifact.size} bytes, sha256 ${r.artifact.sha256})`);
    return { result: r, text: lines.join('\n') };
  } catch (err) {
    // The client's refusal keeps its code (E_SIGNATURE, E_REPLAY…) and exit (1, or 2 for the trust file).
    throw fromClient(err);
  }
}
