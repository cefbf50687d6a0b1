/**
 * `friday watch`: renew the channel when due, scan the crash feed, judge the live release against
 * the one before it (formats.md "Crash feedback and the rollback rule"), record the check, and roll
 * the channel back when the rule says so (exit 3). One scheduled job keeps a channel alive and safe.
 *
 * Read (manifest, audit log, feed) → decide (core/health.ts) → write (watch line, rollback).
 */
import { resolve } from 'node:path';
import type { Context, Outcome } from '../context.js';
import { baselineVersion, rollbackTarget, wentLive } from '../core/manifest.js';
import {
  formatEvidence,
  formatNumber,
  formatRatio,
  judge,
  percent,
  shouldRollBack,
  wilsonBounds,
  type Judgement,
  type Verdict,
} from '../core/health.js';
import { formatTime, parseTime } from '../core/time.js';
import { FridayError, failure, isFridayError, usageError } from '../errors.js';
import {
  actorOf,
  appendEvent,
  channelDir,
  readEvents,
  readHistory,
  readLiveManifest,
  readStagedManifest,
  show,
  type AuditEvent,
} from '../io/channel.js';
import type { FeedQuery, FeedScan } from '../core/feed/scan.js';
import type { SignatureCount, VersionTally } from '../core/feed/tally.js';
import { channelPolicy, loadProject, type Project } from '../io/project.js';
import { createStore, pathExists, withLock } from '../io/store.js';
import { performRenew } from './renew.js';
import { performRollback } from './rollback.js';

export interface WatchOptions {
  channel: string;
  feed?: string;
  key?: string[];
}

export async function run(ctx: Context, opts: WatchOptions): Promise<Outcome> {
  const project = await loadProject(ctx);
  channelPolicy(project, opts.channel);
  // Two scheduled checks must not both roll back: the second would roll back the rollback.
  if (ctx.dryRun) return check(ctx, project, opts);
  return withLock(resolve(channelDir(project.publishDir, opts.channel), '.watch'), `watch ${opts.channel}`, () =>
    check(ctx, project, opts),
  );
}

async function check(ctx: Context, project: Project, opts: WatchOptions): Promise<Outcome> {
  const channel = opts.channel;
  const policy = channelPolicy(project, channel);
  const keyFiles = opts.key ?? [];

  // Renew first: a channel whose manifest lapses is as broken for devices as a bad build.
  let renewError: FridayError | null = null;
  let renewed = false;
  try {
    renewed = (await performRenew(ctx, project, { channel, keyFiles, force: false })).renewed;
    if (renewed) ctx.info(`${channel}: manifest renewed`);
  } catch (err) {
    if (!isFridayError(err)) throw err;
    if (err.code === 'E_NOTHING') throw nothingLive(channel);
    renewError = err;
    ctx.warn(`renew ${channel}: ${err.message}`);
  }

  // Read the facts.
  const live = await readLiveManifest(project.publishDir, channel);
  if (!live) throw nothingLive(channel);
  const events = await readEvents(project.publishDir, channel);
  const candidate = live.signed.release.version;
  const liveAt = wentLive(events, candidate) ?? live.signed.issuedAt;
  const baseline = baselineVersion(events, candidate, live.signed.blocked);
  const feedPath = resolve(project.root, opts.feed ?? project.config.feedback.path);
  if (!(await pathExists(feedPath))) {
    throw usageError(
      'E_FEED',
      `watch ${channel}: crash feed ${show(feedPath, project.root)}: no such file`,
      opts.feed ? 'check --feed' : 'set feedback.path in friday.config.json or pass --feed <file>',
    );
  }
  const nowMs = ctx.now.getTime();
  const h = policy.health;
  const recentFromMs = nowMs - h.windowHours * 3_600_000;
  const windows = [{ version: candidate, fromMs: parseTime(liveAt)?.getTime() ?? nowMs, recentFromMs }];
  if (baseline) windows.push({ version: baseline, fromMs: nowMs - h.baselineHours * 3_600_000, recentFromMs });
  const scan = await scanWithProgress(ctx, feedPath, { nowMs, windows });

  // Decide.
  const cand = scan.versions[0]!;
  const base = baseline ? scan.versions[1]! : null;
  const judgement = judge(cand, base, h);
  const previous = events
    .filter((e) => e.action === 'watch' && e.version === candidate && e.at >= liveAt)
    .map((e) => (e.detail as { verdict?: Verdict } | null)?.verdict ?? 'healthy');
  const rollBack = shouldRollBack(judgement.verdict, previous, h.consecutive);

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
    renewed,
    rollback: null,
  };

  // Write: the check first, so the audit log reads check → rollback.
  const store = createStore(ctx);
  const actor = actorOf(ctx);
  await appendEvent(store, project.publishDir, channel, watchEvent(ctx, live.signed.serial, candidate, actor, judgement, cand, base, scan));

  let exit: 0 | 1 | 3 = renewError ? 1 : 0;
  const notes: string[] = renewError ? [`renew failed: ${renewError.message}`] : [];
  if (rollBack) {
    const reason = `watch: ${judgement.rule} rule: ${judgement.reason}`;
    const staged = await readStagedManifest(project.publishDir, channel).catch(() => null);
    if (ctx.dryRun) {
      const target = rollbackTarget(
        (await readHistory(project.publishDir, channel)).map((m) => m.signed),
        candidate,
        [...live.signed.blocked, candidate],
      );
      if (target) {
        exit = 3;
        notes.push(`would roll ${channel} back from ${candidate} to ${target.release.version} (dry run: nothing written)`);
      } else {
        exit = 1;
        notes.push(`${candidate} is unhealthy but ${channel} has nothing to roll back to`);
      }
    } else if (staged?.signed.rollback?.from === candidate && staged.signed.serial === live.signed.serial + 1) {
      // Re-staging would drop the co-signatures already added to the waiting rollback.
      exit = 1;
      notes.push(
        `a rollback of ${candidate} is already staged as serial ${staged.signed.serial}, waiting for a co-signature: friday sign --channel ${channel} --key <file>, then friday publish --channel ${channel}`,
      );
    } else {
      try {
        const r = await performRollback(ctx, project, { channel, reason, keyFiles });
        result.rollback = { from: r.fromVersion, to: r.toVersion, serial: r.serial, published: r.published };
        if (r.published) {
          result.rolledBack = true;
          exit = 3;
          notes.push(`rolled ${channel} back from ${r.fromVersion} to ${r.toVersion} (serial ${r.serial}); ${r.fromVersion} is blocked`);
        } else {
          exit = 1;
          notes.push(
            `rollback ${r.fromVersion} → ${r.toVersion} staged as serial ${r.serial}, NOT live: it needs a co-signature: friday sign --channel ${channel} --key <file>, then friday publish --channel ${channel}`,
          );
        }
      } catch (err) {
        if (!isFridayError(err) || err.code !== 'E_NOTHING') throw err;
        exit = 1;
        notes.push(`${candidate} is unhealthy but ${err.message}`);
      }
    }
  } else if (judgement.verdict === 'unhealthy') {
    notes.push(`unhealthy ${result.consecutive.unhealthy} check(s) in a row; rolling back after ${h.consecutive}`);
  }
  return { result, text: renderReport(result, judgement, cand, base, scan, ctx.now, h.windowHours, notes), exit };
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
  ctx: Context,
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
    at: formatTime(ctx.now),
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

async function scanWithProgress(ctx: Context, path: string, query: FeedQuery): Promise<FeedScan> {
  let out: FeedScan | undefined;
  const { runSteps } = await import('../io/progress.js');
  // Imported on its own so the build gives the scanner its own small chunk: the worker thread
  // that scans the second half of a large feed loads that chunk, not the whole command.
  const { scanFeedFile } = await import('../io/feed.js');
  await runSteps(ctx, [
    {
      title: `scanning ${show(path, ctx.cwd)}`,
      async run(report) {
        let shown = -1;
        out = await scanFeedFile(path, query, {
          progress: (done, total) => {
            // Quarter steps: enough to see it move in a CI log without flooding it.
            const q = total > 0 ? Math.floor((done / total) * 4) : 4;
            if (q !== shown) report.status(`${q * 25}% of ${(total / 1048576).toFixed(1)} MiB`);
            shown = q;
          },
        });
      },
    },
  ]);
  return out!;
}

// The report: the JSON document of cli.md and its text view. Pure.

export interface VersionReport {
  version: string;
  devices: number;
  crashed: number;
  units: number;
  crashUnits: number;
  sessions: number;
  crashes: number;
  signatures: SignatureCount[];
  /**
   * Crash units / exposure units (crashes per device-hour), with one-sided Wilson bounds at the
   * policy's confidence: comparable between a candidate live for hours and a baseline's week.
   */
  crashRate: { rate: number; lower: number; upper: number };
}

export interface WatchResult {
  channel: string;
  candidate: VersionReport & { wentLiveAt: string };
  baseline: VersionReport | null;
  evidence: number;
  ratio: number | null;
  verdict: Verdict;
  rule: 'spike' | 'absolute' | null;
  rolledBack: boolean;
  rejected: number;
  reason: string;
  threshold: number;
  recent: Judgement['recent'];
  rejectedBy: FeedScan['rejectedBy'];
  lines: number;
  consecutive: { needed: number; unhealthy: number };
  renewed: boolean;
  rollback: { from: string; to: string; serial: number; published: boolean } | null;
}

const TOP_SIGNATURES = 10;

export function versionReport(t: VersionTally, confidence: number): VersionReport {
  return {
    version: t.version,
    devices: t.devices,
    crashed: t.crashed,
    units: t.units,
    crashUnits: t.crashUnits,
    sessions: t.sessions,
    crashes: t.crashes,
    signatures: t.signatures.slice(0, TOP_SIGNATURES),
    crashRate: { rate: t.units ? t.crashUnits / t.units : 0, ...wilsonBounds(t.crashUnits, t.units, confidence) },
  };
}

const BARS = ' ▁▂▃▄▅▆▇█';
const CHART_HOURS = 24;

/** Crash units per hour, last CHART_HOURS hours, as bars scaled to the row's own peak. */
export function sparkline(t: VersionTally, nowMs: number): { bars: string; peak: number } {
  const lastHour = Math.floor(nowMs / 3_600_000);
  const values: (number | null)[] = [];
  for (let hr = lastHour - CHART_HOURS + 1; hr <= lastHour; hr++) {
    const i = hr - t.firstHourMs / 3_600_000;
    values.push(i >= 0 && i < t.crashUnitsPerHour.length ? t.crashUnitsPerHour[i]! : null);
  }
  const peak = Math.max(0, ...values.map((v) => v ?? 0));
  const bars = values
    .map((v) => (v === null ? '·' : v === 0 || peak === 0 ? BARS[1]! : BARS[Math.max(2, Math.round((v / peak) * 8))]!))
    .join('');
  return { bars, peak };
}

export function renderReport(
  r: WatchResult,
  j: Judgement,
  c: VersionTally,
  b: VersionTally | null,
  scan: FeedScan,
  now: Date,
  windowHours: number,
  notes: string[],
): string {
  const verdict = r.verdict === 'unhealthy' ? `UNHEALTHY (${r.rule} rule)` : r.verdict;
  const out = [`${r.channel}: ${r.candidate.version} ${verdict}`, `  ${r.reason}`, ''];
  const row = (label: string, v: VersionReport) =>
    `  ${label.padEnd(10)}${v.version.padEnd(14)}${String(v.devices).padStart(8)}${String(v.crashed).padStart(8)}  ` +
    `${`${percent(v.crashRate.rate)} [${percent(v.crashRate.lower)}, ${percent(v.crashRate.upper)}]`.padEnd(24)}` +
    `${`${v.crashUnits}/${v.units}`.padStart(14)}${String(v.sessions).padStart(10)}${String(v.crashes).padStart(9)}`;
  out.push(
    `  ${''.padEnd(10)}${'version'.padEnd(14)}${'devices'.padStart(8)}${'crashed'.padStart(8)}  ${'crash/hour [bounds]'.padEnd(24)}${'crash units'.padStart(14)}${'sessions'.padStart(10)}${'crashes'.padStart(9)}`,
  );
  out.push(row('candidate', r.candidate));
  out.push(
    r.baseline ? row('baseline', r.baseline) : `  ${'baseline'.padEnd(10)}none (no earlier release of ${r.channel} that is not blocked)`,
  );
  out.push('');
  const ratio = j.ratio === null ? 'n/a' : formatRatio(j.ratio);
  out.push(
    `  evidence ${formatEvidence(j.logEvidence)} (rolls back at ≥ ${formatNumber(j.threshold)}), ratio ${ratio}; last ${windowHours} h: ${j.recent.crashed} of ${j.recent.devices} devices crashed, at least ${percent(j.recent.lower)}`,
  );
  out.push('', `  crash units per hour, last ${CHART_HOURS} h (· = not counted)`);
  for (const [label, t] of [
    ['candidate', c],
    ['baseline', b],
  ] as const) {
    if (!t) continue;
    const s = sparkline(t, now.getTime());
    out.push(`  ${label.padEnd(10)}${s.bars}  peak ${s.peak}`);
  }
  const sigs = r.candidate.signatures.slice(0, 5);
  if (sigs.length) {
    out.push('', '  top crash signatures on the candidate (devices)');
    for (const s of sigs) out.push(`  ${String(s.devices).padStart(8)}  ${s.signature}`);
  }
  const reasons = Object.entries(scan.rejectedBy)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  out.push('', `  feed: ${scan.lines} lines, ${scan.rejected} rejected${reasons ? ` (${reasons})` : ''}`);
  if (notes.length) out.push('', ...notes.map((n) => `${r.channel}: ${n}`));
  return out.join('\n');
}
