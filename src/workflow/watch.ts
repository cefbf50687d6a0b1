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
import { judgeFleet, modelsToRollBack, shouldRollBack, type FleetJudgement, type Judgement, type Verdict } from '../core/health.js';
import { baselineVersion, modelRollbackTarget, rollbackTarget, wentLive } from '../core/manifest.js';
import { formatTime, parseTime } from '../core/time.js';
import { failure, isFridayError, usageError, type FridayError } from '../errors.js';
import { appendEvent, channelDir, type AuditEvent } from '../io/channel.js';
import { displayPath } from '../io/display.js';
import type { FeedQuery, FeedScan } from '../core/feed/scan.js';
import type { FeedWindow, VersionTally } from '../core/feed/tally.js';
import { pathExists, withLock } from '../io/store.js';
import type { Channel } from './channel.js';
import { renew } from './reissue.js';
import { rollBack, rollBackModels } from './rollback.js';
import { modelEntry, renderReport, versionReport, type WatchResult } from '../core/watch-report.js';
import { advanceAfterCheck, stageFromMs } from './advance.js';

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
  const devices = project.config.devices;
  // Models rolled back from the candidate no longer count for the fleet (docs/formats.md).
  const rolledBack = modelsBlockedFor(live.signed, candidate);
  const except = rolledBack.length ? { exceptModels: rolledBack } : {};
  const candidateFrom = parseTime(liveAt)?.getTime() ?? nowMs;
  // The baseline's units are whole UTC hours: those starting within baselineHours before now
  // (docs/formats.md "Incremental checks": so the next check drops whole hours).
  const baselineFrom = Math.ceil((nowMs - h.baselineHours * 3_600_000) / 3_600_000) * 3_600_000;
  const windows: FeedWindow[] = [
    { version: candidate, fromMs: candidateFrom, recentFromMs, stageFromMs: stageFromMs(events, live.signed), ...except },
  ];
  if (baseline) windows.push({ version: baseline, fromMs: baselineFrom, recentFromMs, ...except });
  if (h.models) {
    for (const model of devices) {
      windows.push({ version: candidate, fromMs: candidateFrom, recentFromMs, model });
      if (baseline) windows.push({ version: baseline, fromMs: baselineFrom, recentFromMs, model });
    }
  }
  const scan = await scanWithProgress(ch, feedPath, { nowMs, windows, devices: [...devices], channel });

  // Decide.
  const cand = scan.versions[0]!;
  const base = baseline ? scan.versions[1]! : null;
  const per = baseline ? 2 : 1;
  const modelCounts = h.models
    ? devices.map((model, i) => ({
        model,
        candidate: scan.versions[per * (i + 1)]!,
        baseline: baseline ? scan.versions[per * (i + 1) + 1]! : null,
        blocked: rolledBack.includes(model),
      }))
    : null;
  const verdict = judgeFleet(cand, base, modelCounts, h);
  const judgement = verdict.fleet;
  const previousChecks = events.filter((e) => e.action === 'watch' && e.version === candidate && e.at >= liveAt);
  const previous = previousChecks.map((e) => fleetVerdictOf(e.detail));
  const previousModels = previousChecks.map((e) => (e.detail as { unhealthyModels?: string[] } | null)?.unhealthyModels ?? []);
  const modelsDue = modelsToRollBack(verdict.unhealthyModels, previousModels, h.consecutive);
  const staged = await ch.staged().catch(() => null);
  const action = afterVerdict({
    rollBack: shouldRollBack(judgement.verdict, previous, h.consecutive),
    unhealthy: verdict.verdict === 'unhealthy',
    live: live.signed,
    staged: staged?.signed ?? null,
    models: modelsDue,
  });

  const result: WatchResult = {
    channel,
    candidate: { ...versionReport(cand, h.confidence), wentLiveAt: liveAt },
    baseline: base ? versionReport(base, h.confidence) : null,
    evidence: judgement.evidence,
    ratio: judgement.ratio === null || !Number.isFinite(judgement.ratio) ? null : judgement.ratio,
    verdict: verdict.verdict,
    rule: verdict.rule,
    rolledBack: false,
    rejected: scan.rejected,
    reason: verdict.reason,
    threshold: judgement.threshold,
    recent: judgement.recent,
    rejectedBy: scan.rejectedBy,
    lines: scan.lines,
    consecutive: {
      needed: h.consecutive,
      unhealthy: verdict.unhealthyModels.length
        ? Math.max(
            ...verdict.unhealthyModels.map((m) =>
              trailingUnhealthy(
                previousModels.map((p) => (p.includes(m) ? 'unhealthy' : 'healthy')),
                'unhealthy',
              ),
            ),
          )
        : trailingUnhealthy(previous, judgement.verdict),
    },
    renewed: renewed && !ctx.dryRun,
    rollback: null,
    error: null,
    models: verdict.models.map(modelEntry),
    unhealthyModels: verdict.unhealthyModels,
    modelRollback: null,
  };

  // Write: the check first, so the audit log reads check → rollback.
  await appendEvent(
    ch.store,
    project.publishDir,
    channel,
    watchEvent(ctx.now, live.signed.serial, candidate, await ch.actor(), verdict, cand, base, scan),
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
  } else if (action.kind === 'roll-back-models') {
    const r = await partialRollback(ch, action.models, candidate, `watch: ${verdict.rule} rule: ${verdict.reason}`);
    result.modelRollback = r.rollback;
    result.rolledBack = r.rollback?.published === true;
    if (r.exit) exit = r.exit;
    notes.push(...r.notes);
    problem = r.problem ?? problem;
  }
  // Widen a healthy rollout by the policy's `advance` (src/workflow/advance.ts).
  const widen = await advanceAfterCheck(ch, { live, events, tally: cand, result, notes });
  problem ??= widen;
  if (problem) {
    if (exit === 0) exit = 1;
    result.error = { code: problem.code, message: problem.message };
  }
  return {
    result,
    text: renderReport(result, judgement, cand, base, scan, ctx.now, h.windowHours, notes, verdict.models),
    exit,
    ...(problem ? { problem } : {}),
  };
}

/** The partial rollback of `models` (or, with --dry-run, what it would be). */
async function partialRollback(
  ch: Channel,
  models: string[],
  candidate: string,
  reason: string,
): Promise<{ rollback: WatchResult['modelRollback']; exit?: 3; notes: string[]; problem?: FridayError }> {
  const channel = ch.name;
  const names = models.join(', ');
  const none = (model: string) =>
    failure(
      'E_NOTHING',
      `watch ${channel}: ${candidate} is unhealthy on ${model} but there is nothing to roll ${model} back to (no earlier release of ${channel} for it that is not blocked)`,
      `stage a fixed release: friday stage --channel ${channel} --version <v> --publish`,
    );
  if (ch.ctx.dryRun) {
    const live = (await ch.live())!;
    const history = (await ch.history()).map((m) => m.signed);
    const to: { model: string; to: string }[] = [];
    for (const model of models) {
      const t = modelRollbackTarget(history, live.signed, model);
      if (!t) return { rollback: null, notes: [], problem: none(model) };
      to.push({ model, to: t.release.version });
    }
    const list = to.map((t) => `${t.model} → ${t.to}`).join(', ');
    return {
      rollback: { models: to, serial: live.signed.serial + 1, published: false },
      exit: 3,
      notes: [`would roll ${names} back from ${candidate} (${list}); other models keep it (dry run: nothing written)`],
    };
  }
  try {
    const r = await rollBackModels(ch, { models, reason });
    const rollback = { models: r.models, serial: r.serial, published: r.published };
    const list = r.models.map((t) => `${t.model} → ${t.to}`).join(', ');
    if (r.published)
      return {
        rollback,
        exit: 3,
        notes: [
          `rolled ${names} back from ${candidate} (${list}, serial ${r.serial}); ${candidate} is blocked for ${names}, other models keep it`,
        ],
      };
    return {
      rollback,
      notes: [],
      problem: failure(
        'E_THRESHOLD',
        `watch ${channel}: rollback of ${names} from ${candidate} staged as serial ${r.serial}, NOT live: ${r.signatures} of the ${r.threshold} signatures needed`,
        `co-sign it now: friday sign --channel ${channel} --key <file>, then friday publish --channel ${channel}`,
      ),
    };
  } catch (err) {
    if (!isFridayError(err) || err.code !== 'E_NOTHING') throw err;
    return { rollback: null, notes: [], problem: err };
  }
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

/** The fleet's verdict in a recorded check: `fleetVerdict`, or `verdict` in a line written before models were judged. */
function fleetVerdictOf(detail: unknown): Verdict {
  const d = detail as { verdict?: Verdict; fleetVerdict?: Verdict } | null;
  return d?.fleetVerdict ?? d?.verdict ?? 'healthy';
}

/** The models a live manifest has rolled back from `version` (manifest v2 `deviceBlocked`). */
function modelsBlockedFor(live: { deviceBlocked?: Record<string, string[]> }, version: string): string[] {
  return Object.entries(live.deviceBlocked ?? {})
    .filter(([, versions]) => versions.includes(version))
    .map(([model]) => model);
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
  v: FleetJudgement,
  c: VersionTally,
  b: VersionTally | null,
  scan: FeedScan,
): AuditEvent {
  const j: Judgement = v.fleet;
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
      verdict: v.verdict,
      rule: v.rule,
      reason: v.reason,
      // The fleet's own verdict and the unhealthy models: `consecutive` counts each apart.
      fleetVerdict: j.verdict,
      unhealthyModels: v.unhealthyModels,
      models: v.models
        .filter((m) => m.verdict !== 'insufficient-data' || m.candidate.units > 0)
        .map((m) => ({
          model: m.model,
          verdict: m.verdict,
          rule: m.rule,
          evidence: m.evidence,
          candidate: m.candidate,
        })),
      candidate: { ...figures(c), stageDevices: c.stageDevices },
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
