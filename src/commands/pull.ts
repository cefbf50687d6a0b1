/**
 * `friday pull`: what a tester or a device updater runs (docs/cli.md, docs/client.md). A thin shell over the
 * embeddable client (src/client): it reads the trust file, hands the rest over, draws the
 * download's progress on stderr and turns Ctrl-C or SIGTERM into a clean stop.
 */
import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import type { Context, Outcome } from '../context.js';
import { pull, defaultStatePath, printable, readTrustFile } from '../client/index.js';
import { FridayError, fromClient, usageError } from '../errors.js';
import { progressView } from '../io/download-progress.js';

export interface PullCommandOptions {
  channel: string;
  source: string[];
  trust: string;
  device: string;
  deviceId?: string;
  current?: string;
  download?: string;
  state?: string;
  stallTimeout?: string;
  retries?: string;
}

function seconds(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw usageError('E_USAGE', `--stall-timeout ${text}: must be a positive number of seconds`);
  return n * 1000;
}

function count(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n))
    throw usageError('E_USAGE', `--retries ${text}: must be a whole number of 0 or more`);
  return n;
}

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

export async function run(ctx: Context, opts: PullCommandOptions): Promise<Outcome> {
  const download = opts.download !== undefined ? resolve(ctx.cwd, opts.download) : undefined;
  // A folder, or a link to one; the artifact is renamed into it. Anything else is said now, not
  // after the manifest was fetched and checked.
  const st = download === undefined ? null : await fs.stat(download).catch(() => null);
  if (st && !st.isDirectory()) throw usageError('E_USAGE', `--download ${opts.download}: not a folder`, 'name the folder to download into');
  const stallTimeoutMs = seconds(opts.stallTimeout);
  const retries = count(opts.retries);
  // Ctrl-C or SIGTERM stop the pull cleanly: the download's .part and its record stay for the next
  // run, nothing else is written. A second one stops at once.
  const stop = new AbortController();
  const onSignal = (signal: keyof typeof SIGNAL_EXIT) => {
    if (stop.signal.aborted) process.exit(SIGNAL_EXIT[signal]);
    stop.abort(signal);
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  const view = progressView(
    ctx,
    (s) => process.stderr.write(s),
    () => process.stderr.columns ?? 80,
  );
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
      ...(stallTimeoutMs !== undefined ? { stallTimeoutMs } : {}),
      ...(retries !== undefined ? { retries } : {}),
      dryRun: ctx.dryRun,
      signal: stop.signal,
      onEvent: (e) => view.onEvent(e),
    });
    view.stop();
    // Without --device-id there is no rollout bucket: only a full rollout or a rollback applies.
    const noId = r.decision === 'not-in-rollout' && opts.deviceId === undefined;
    const version = printable(r.version);
    const what =
      r.decision === 'update'
        ? `update to ${version}${r.rollback ? ' (a rollback: the last good release)' : ''}`
        : r.decision === 'up-to-date'
          ? `up to date (${version} is live)`
          : r.decision === 'not-enrolled'
            ? `not enrolled: ${version} is a closed beta for fans of grade ${printable(r.audience?.minGrade ?? '?')} and up, and this device is not on its list${opts.deviceId === undefined ? ' (no --device-id)' : ''}`
            : noId
              ? `not in rollout: ${version} is live to part of the devices, and without a device id this one has no place in its rollout`
              : `${version} is live but this device is not in its rollout yet`;
    const lines = [`${printable(r.channel)}: serial ${r.serial}: ${what}`];
    const hint = 'pass --device-id <id> (a stable id of this device) to be placed in the rollout';
    if (noId) {
      if (ctx.json) ctx.info(hint);
      else lines.push(hint);
    }
    const artifact = `${r.artifact.size} bytes, sha256 ${r.artifact.sha256}`;
    if (r.downloaded) {
      const how = r.attempts === 0 ? 'already there, checked' : r.resumedFrom > 0 ? `resumed at byte ${r.resumedFrom}` : '';
      lines.push(`downloaded ${printable(r.downloaded)} (${artifact}${how ? `; ${how}` : ''})`);
    } else if (r.decision === 'update') lines.push(`artifact: ${printable(r.artifact.url)} (${artifact})`);
    return { result: r, text: lines.join('\n') };
  } catch (err) {
    view.stop();
    const signal = stop.signal.reason as keyof typeof SIGNAL_EXIT | undefined;
    if (stop.signal.aborted && signal && SIGNAL_EXIT[signal]) {
      // The shell's convention for a stop by a signal: 128 + its number.
      const message = err instanceof Error ? err.message : String(err);
      throw new FridayError(
        'E_INTERRUPTED',
        `pull: stopped by ${signal}: ${message}`,
        SIGNAL_EXIT[signal],
        'run the same pull again: a download resumes where it stopped',
      );
    }
    // The client's refusal keeps its code (E_SIGNATURE, E_REPLAY…) and exit (1, or 2 for the trust file).
    throw fromClient(err);
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}
