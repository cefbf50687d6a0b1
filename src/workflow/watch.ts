/**
 * A `watch` check (docs/cli.md `watch`): renew the channel when due, scan the crash feed, judge
 * the live release against the one before it (src/core/health.ts), record the check, and roll the
 * channel back when the rule says so. One scheduled job keeps a channel alive and safe.
 *
 * Read (manifest, audit log, feed) → decide (core/health.ts, core/channel.ts) → write (the watch
 * line, then the rollback), under the channel's watch lock so two checks never both roll back.
 */
import { join, resolve } from 'node:path';
import { afterVerdict } from '../core/channel.js';
import { judge, shouldRollBack, type Judgement, type Verdict } from '../core/health.js';
import { baselineVersion, rollbackTarget, wentLive } from '../core/manifest.js';
import { formatTime, parseTime } from '../core/time.js';
import { failure, isFridayError, usageError, type FridayError } from '../errors.js';
import { appendEvent, channelDir, type AuditEvent } from '../io/channel.js';
import { displayPath } from '../io/display.js';
import type { FeedQuery, FeedScan } from '../core/feed/scan.js';
import type { VersionTally } from '../core/feed/tally.js';
import { pathExists, withLock } from '../io/store.js';
import type { Channel } from './channel.js';
import { renew } from './reissue.js';
import { rollBack } from './rollback.js';
import { renderReport, versionReport, type WatchResult } from '../core/watch-report.js';

export interface WatchCheck {
  result: WatchResult;
  text: string;
  exit: 0 | 1 | 3;
  problem?: FridayError;
}

export async function watchChannel(ch: Channel, opts: { feed?: string | undefined }): Promise<WatchCheck> {
  if (ch.ctx.dryRun) return check(ch, opts);
  // Two scheduled checks must not both roll back: the second would roll back the rollback.
  return withLock(join(channelDir(ch.project.publishDir, ch.name), '.watch'), `watch ${ch.name}`, () => check(ch, opts));
}

async function check(ch: Channel, opts: { feed?: string | undefined }): Promise<WatchCheck> {
  const { ctx, project, name: channel, policy } = ch;

  // Renew first: a channel whose manifest lapses is as broken for devices as a bad build.
  let renewError: FridayError | null = null;
  let renewed = false;
  try {
    renewed = (await renew(ch, { force: false })).renewed;
    if (renewed) ctx.info(`${channel}: ${ctx.dryRun ? 'would renew the manifest (dry run: nothing written)' : 'manifest renewed'}`);
  } catch (err) {
    if (!isFridayError(err)) throw err;
    if (err.code === 'E_NOTHING') throw nothingLive(channel);
    renewError = err;
    ctx.warn(`renew ${channel}: ${err.message}`);
  }

  // Read the facts.
  const live = await ch.live();
  if (!live) throw nothingLive(channel);
  const events = await ch.events();
  const candidate = live.signed.release.version;
  const liveAt = wentLive(events, candidate) ?? live.signed.issuedAt;
  const baseline = baselineVersion(events, candidate, live.signed.blocked);
  // --feed is the user's path (from where friday runs); feedback.path is the project's.
  const feedPath = opts.feed !== undefined ? resolve(ctx.cwd, opts.feed) : resolve(project.root, project.config.feedback.path);
  if (!(await pathExists(feedPath))) {
    throw usageError(
      'E_FEED',
      `watch ${channel}: crash feed ${displayPath(project.root, feedPath)}: no such file`,
      opts.feed ? 'check --feed' : 'set feedback.path in friday.config.json or pass --feed <file>',
    );
  }
  const nowMs = ctx.now.getTime();
  const h = policy.health;
  const recentFromMs = nowMs - h.windowHours * 3_600_000;
  const windows = [{ version: candidate, fromMs: parseTime(liveAt)?.getTime() ?? nowMs, recentFromMs }];
  // The baseline's units are whole UTC hours: those starting within baselineHours before now
  // (docs/formats.md "Incremental checks": so the next check drops whole hours).
  const baselineFromMs = Math.ceil((nowMs - h.baselineHours * 3_600_000) / 3_600_000) * 3_600_000;
  if (baseline) windows.push({ version: baseline, fromMs: baselineFromMs, recentFromMs });
  const scan = await scanWithProgress(ch, feedPath, { nowMs, windows });

  // Decide.
  const cand = scan.versions[0]!;
  const base = baseline ? scan.versions[1]! : null;
  const judgement = judge(cand, base, h);
  const previous = events
    .filter((e) => e.action === 'watch' && e.version === candidate && e.at >= liveAt)
    .map((e) => (e.detail as { verdict?: Verdict } | null)?.verdict ?? 'healthy');
  const staged = await ch.staged().catch(() => null);
  const action = afterVerdict({
    rollBack: shouldRollBack(judgement.verdict, previous, h.consecutive),
    unhealthy: judgement.verdict === 'unhealthy',
    live: live.signed,
    staged: staged?.signed ?? null,
  });

  const result: WatchResult = {
    channel,
    candidate: { ...versionReport(cand, h.confidence), wentLiveAt: liveAt },
    baseline: base ? versionReport(base, h.confidence) : null,
    evidence: judgement.evidence,
    ratio: judgement.ratio === null || !Number.isFinite(judgement.ratio) ? null : judgement.ratio,
    verdict: judgement.verdict,
    rule: judgement.rule,
    rolledBack: false,
    rejected: scan.rejected,
    reason: judgement.reason,
    threshold: judgement.threshold,
    recent: judgement.recent,
    rejectedBy: scan.rejectedBy,
    lines: scan.lines,
    consecutive: { needed: h.consecutive, unhealthy: trailingUnhealthy(previous, judgement.verdict) },
    renewed: renewed && !ctx.dryRun,
    rollback: null,
    error: null,
  };

  // Write: the check first, so the audit log reads check → rollback.
  await appendEvent(
    ch.store,
    project.publishDir,
    channel,
    watchEvent(ctx.now, live.signed.serial, candidate, await ch.actor(), judgement, cand, base, scan),
  );

  let exit: 0 | 1 | 3 = 0;
  const notes: string[] = [];
  // What kept the check from doing its job: on stderr in every mode, in the JSON as `error`.
  let problem: FridayError | null =
    renewError && failure(renewError.code, `watch ${channel}: renew failed: ${renewError.message}`, renewError.hint);
  const cosign = `friday sign --channel ${channel} --key <file>, then friday publish --channel ${channel}`;
  if (action.kind === 'wait') {
    notes.push(`unhealthy ${result.consecutive.unhealthy} check(s) in a row; rolling back after ${h.consecutive}`);
  } else if (action.kind === 'rollback-waiting') {
    problem = failure(
      'E_THRESHOLD',
      `watch ${channel}: ${candidate} is unhealthy; its rollback is staged as serial ${action.serial}, waiting for a co-signature`,
      `co-sign it: ${cosign}`,
    );
  } else if (action.kind === 'roll-back' && ctx.dryRun) {
    const target = rollbackTarget(
      (await ch.history()).map((m) => m.signed),
      candidate,
      [...live.signed.blocked, candidate],
    );
    if (target) {
      exit = 3;
      notes.push(`would roll ${channel} back from ${candidate} to ${target.release.version} (dry run: nothing written)`);
    } else problem = nothingToRollBackTo(channel, candidate);
  } else if (action.kind === 'roll-back') {
    try {
      const r = await rollBack(ch, { reason: `watch: ${judgement.rule} rule: ${judgement.reason}` });
      result.rollback = { from: r.fromVersion, to: r.toVersion, serial: r.serial, published: r.published };
      result.rolledBack = r.published;
      if (r.published) {
        exit = 3;
        notes.push(`rolled ${channel} back from ${r.fromVersion} to ${r.toVersion} (serial ${r.serial}); ${r.fromVersion} is blocked`);
      } else {
        problem = failure(
          'E_THRESHOLD',
          `watch ${channel}: rollback ${r.fromVersion} → ${r.toVersion} staged as serial ${r.serial}, NOT live: ${r.signatures} of the ${r.threshold} signatures needed`,
          `co-sign it now: ${cosign}`,
        );
      }
    } catch (err) {
      if (!isFridayError(err) || err.code !== 'E_NOTHING') throw err;
      problem = nothingToRollBackTo(channel, candidate);
    }
  }
  if (problem) {
    if (exit === 0) exit = 1;
    result.error = { code: problem.code, message: problem.message };
  }
  return {
    result,
    text: renderReport(result, judgement, cand, base, scan, ctx.now, h.windowHours, notes),
    exit,
    ...(problem ? { problem } : {}),
  };
}

function nothingToRollBackTo(channel: string, candidate: string): FridayError {
  return failure(
    'E_NOTHING',
    `watch ${channel}: ${candidate} is unhealthy but there is nothing to roll back to (no earlier release of ${channel} that is not blocked)`,
    `stage a fixed release (friday stage --channel ${channel} --version <v> --publish), or roll back to a cut one: friday rollback --channel ${channel} --to <version> --reason "…"`,
  );
}

function nothingLive(channel: string): FridayError {
  return failure(
    'E_NOTHING',
    `watch ${channel}: nothing is live on ${channel}, so there is nothing to judge`,
    `stage and publish a release first: friday stage --channel ${channel} --publish`,
  );
}

function trailingUnhealthy(previous: readonly Verdict[], current: Verdict): number {
  if (current !== 'unhealthy') return 0;
  let n = 1;
  for (let i = previous.length - 1; i >= 0 && previous[i] === 'unhealthy'; i--) n++;
  return n;
}

/** The audit line: every figure the verdict used, so a later reader can redo the judgement. */
function watchEvent(
  now: Date,
  serial: number,
  version: string,
  actor: string,
  j: Judgement,
  c: VersionTally,
  b: VersionTally | null,
  scan: FeedScan,
): AuditEvent {
  const figures = (t: VersionTally) => ({
    version: t.version,
    units: t.units,
    crashUnits: t.crashUnits,
    devices: t.devices,
    crashed: t.crashed,
    recentDevices: t.recentDevices,
    recentCrashed: t.recentCrashed,
  });
  return {
    at: formatTime(now),
    action: 'watch',
    serial,
    version,
    actor,
    detail: {
      verdict: j.verdict,
      rule: j.rule,
      reason: j.reason,
      candidate: figures(c),
      baseline: b ? figures(b) : null,
      evidence: j.evidence,
      evidenceLog10: j.logEvidence / Math.LN10,
      threshold: j.threshold,
      ratio: j.ratio === null || !Number.isFinite(j.ratio) ? null : j.ratio,
      bounds: { lower: j.recent.lower, upper: j.recent.upper },
      rejected: scan.rejected,
      lines: scan.lines,
    },
  };
}

async function scanWithProgress(ch: Channel, path: string, query: FeedQuery): Promise<FeedScan> {
  let out: FeedScan | undefined;
  let fullScan: string | null = null;
  const { runSteps } = await import('../io/progress.js');
  // Loaded with the command that scans; the worker thread of a large feed loads its own build
  // entry (dist/io/feed-worker.js), not this chunk.
  const { scanFeedIncremental, watchStatePath } = await import('../io/feed-incremental.js');
  const statePath = await watchStatePath(ch.project.root, ch.name);
  await runSteps(ch.ctx, [
    {
      title: `scanning ${displayPath(ch.project.root, path)}`,
      async run(report) {
        let shown = -1;
        ({ scan: out } = await scanFeedIncremental(path, query, {
          statePath,
          keyExtra: ch.policy.health,
          store: ch.store,
          fullScan: (why) => (fullScan = why),
          progress: (done, total) => {
            // Quarter steps: enough to see it move in a CI log without flooding it.
            const q = total > 0 ? Math.floor((done / total) * 4) : 4;
            if (q !== shown) report.status(`${q * 25}% of ${(total / 1048576).toFixed(1)} MiB`);
            shown = q;
          },
        }));
      },
    },
  ]);
  if (fullScan !== null) ch.ctx.info(`watch ${ch.name}: full scan of ${displayPath(ch.project.root, path)}: ${fullScan}`);
  return out!;
}
