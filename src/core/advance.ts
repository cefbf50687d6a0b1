/**
 * Rollouts that advance on their own (docs/formats.md "Channel policies", `advance`; docs/cli.md
 * `watch`): when the live rollout's stage began, and whether this check widens it to the policy's
 * next stage, holds it, or reports it stuck. Pure: `watch` reads the audit log, the live manifest
 * and the feed's figures and asks here.
 */
import type { ManifestBody } from '../client/manifest.js';
import { timeOf } from '../client/time.js';
import type { AdvancePolicy } from './config.js';
import type { Verdict } from './health.js';
import type { EventLike } from './manifest.js';

/** The next rollout stage of the policy after `current`, or null when it is already at the last. */
export function nextStage(stages: readonly number[], current: number): number | null {
  return stages.find((p) => p > current) ?? null;
}

/** An audit line with its detail, as far as the stage and the recorded checks need it. */
export interface AdvanceEvent extends EventLike {
  detail?: unknown;
}

const HOUR = 3_600_000;

/** The actions that make a manifest by hand or by watch (docs/formats.md "events.ndjson"). */
const MAKERS = new Set(['stage', 'rollout', 'rollback', 'renew']);

const field = (detail: unknown, key: string): unknown =>
  detail !== null && typeof detail === 'object' ? (detail as Record<string, unknown>)[key] : undefined;

/**
 * When the live rollout's stage began: the `at` of the `publish` line that put the live percent
 * live (a stage, promote, rollout or rollback), walking back over the publishes that only renewed
 * it (same release, same percent). A publish whose cause is not logged (one completed after a
 * killed run) keeps the stage when release and percent are unchanged: the common case is a renew.
 * Null when the log holds no publish line of the live serial (a log lost or cut short).
 */
export function stageStart(events: readonly AdvanceEvent[], live: Pick<ManifestBody, 'serial' | 'release' | 'rollout'>): string | null {
  const publishes: { at: string; serial: number; version: string | null; percent: number | null; cause: string | null }[] = [];
  const causes = new Map<number, string>();
  for (const e of events) {
    if (MAKERS.has(e.action) && e.serial !== null) causes.set(e.serial, e.action);
    if (e.action !== 'publish' || e.serial === null) continue;
    const via = field(e.detail, 'via');
    const rollout = field(e.detail, 'rollout');
    publishes.push({
      at: e.at,
      serial: e.serial,
      version: e.version,
      percent: e.serial === live.serial ? live.rollout.percent : typeof rollout === 'number' ? rollout : null,
      cause: typeof via === 'string' ? via : (causes.get(e.serial) ?? null),
    });
    if (e.serial === live.serial) break;
  }
  const last = publishes.length - 1;
  if (last < 0 || publishes[last]!.serial !== live.serial || publishes[last]!.version !== live.release.version) return null;
  let i = last;
  while (i > 0) {
    const p = publishes[i]!,
      before = publishes[i - 1]!;
    const renewal = p.cause === 'renew' || p.cause === null;
    if (!renewal || before.version !== p.version || before.percent !== p.percent) break;
    i--;
  }
  return publishes[i]!.at;
}

/** The first recorded `watch` check of `version` at or after `since` that was unhealthy (fleet or any model), or null. */
export function firstUnhealthyCheck(events: readonly AdvanceEvent[], version: string, since: string): string | null {
  const from = timeOf(since);
  for (const e of events) {
    if (e.action !== 'watch' || e.version !== version || timeOf(e.at) < from) continue;
    const models = field(e.detail, 'unhealthyModels');
    if (field(e.detail, 'verdict') === 'unhealthy' || (Array.isArray(models) && models.length > 0)) return e.at;
  }
  return null;
}

export interface StageFacts {
  percent: number;
  since: string;
  hours: number;
  /** Distinct devices on the candidate with an event since the stage began. */
  devices: number;
  next: number;
}

export type AdvanceDecision =
  /** Nothing to decide: the policy widens by hand, the rollout is whole, or a rollback is live. */
  | { kind: 'off' }
  | { kind: 'advance'; from: number; to: number; reason: string; stage: StageFacts }
  /** Not this time; `stuck` once the stage is older than `maxHours`. */
  | { kind: 'hold'; why: string; stuck: boolean; stage: StageFacts };

export interface AdvanceFacts {
  policy: AdvancePolicy | null;
  /** The policy's rollout stages. */
  stages: readonly number[];
  live: Pick<ManifestBody, 'rollout' | 'rollback'>;
  /** When the stage began (`stageStart`). */
  since: string;
  now: Date;
  devices: number;
  /** This check's verdict, and the models unhealthy in it. */
  verdict: Verdict;
  unhealthyModels: readonly string[];
  /** `firstUnhealthyCheck` since the stage began, among the checks recorded before this one. */
  unhealthyAt: string | null;
}

const hoursText = (h: number) => `${h.toFixed(1)} h`;

/** Whether this check widens the rollout (docs/formats.md "Channel policies", `advance`). */
export function decideAdvance(f: AdvanceFacts): AdvanceDecision {
  const a = f.policy;
  const percent = f.live.rollout.percent;
  const next = nextStage(f.stages, percent);
  if (a === null || next === null || f.live.rollback !== null) return { kind: 'off' };
  const hours = Math.max(0, (f.now.getTime() - timeOf(f.since)) / HOUR);
  const stage: StageFacts = { percent, since: f.since, hours, devices: f.devices, next };
  const hold = (why: string): AdvanceDecision => ({ kind: 'hold', why, stuck: hours > a.maxHours, stage });
  if (f.verdict === 'unhealthy' || f.unhealthyModels.length > 0) {
    const models = f.unhealthyModels.length ? ` (${f.unhealthyModels.join(', ')})` : '';
    return hold(`an unhealthy check: this one${models}`);
  }
  if (f.unhealthyAt !== null) return hold(`an unhealthy check at ${f.unhealthyAt}, since the stage began`);
  if (hours < a.afterHours) return hold(`${hoursText(hours)} of the ${a.afterHours} h a stage lasts at least`);
  if (f.devices < a.minDevices)
    return hold(`too few devices: ${f.devices} of the ${a.minDevices} needed have reported since the stage began`);
  // Insufficient data never advances (health.minDevices counts since go-live, and may ask for more).
  if (f.verdict !== 'healthy') return hold(`too few devices: this check's verdict is ${f.verdict}`);
  return {
    kind: 'advance',
    from: percent,
    to: next,
    reason: `healthy at ${percent}% for ${hoursText(hours)} (at least ${a.afterHours} h), ${f.devices} devices since the stage began (at least ${a.minDevices}), no unhealthy check since ${f.since}`,
    stage,
  };
}

export interface StageStatus {
  /** The live rollout's stage when the policy widens it on its own; `why` says what holds a stuck one. */
  stage: { percent: number; since: string; hours: number; next: number; stuck: boolean; why: string | null } | null;
  /** The widening by `watch` among `events` (the stage's lines), last first found. */
  lastAdvance: { at: string; serial: number | null; from: unknown; to: unknown; by: 'watch'; reason: unknown } | null;
}

/**
 * What `status` shows of a rollout that advances on its own, from the audit lines of the live
 * stage (src/io/audit-tail.ts `stageTail`): the stage, stuck or not and why, and the last
 * widening by `watch`. Why a stage is stuck is read from the recorded checks, as `watch` said it.
 */
export function stageStatus(i: {
  events: readonly AdvanceEvent[];
  live: ManifestBody;
  policy: { advance: AdvancePolicy | null; rollout: readonly number[] };
  now: Date;
}): StageStatus {
  const widened = i.events.filter((e) => e.action === 'rollout' && field(e.detail, 'by') === 'watch' && field(e.detail, 'staged') !== true);
  const w = widened[widened.length - 1];
  const lastAdvance = w
    ? {
        at: w.at,
        serial: w.serial,
        from: field(w.detail, 'from'),
        to: field(w.detail, 'to'),
        by: 'watch' as const,
        reason: field(w.detail, 'reason'),
      }
    : null;
  const a = i.policy.advance;
  const next = nextStage(i.policy.rollout, i.live.rollout.percent);
  if (a === null || next === null || i.live.rollback !== null) return { stage: null, lastAdvance };
  const since = stageStart(i.events, i.live) ?? i.live.issuedAt;
  const hours = Math.round(Math.max(0, (i.now.getTime() - timeOf(since)) / HOUR) * 10) / 10;
  const stuck = hours > a.maxHours;
  return {
    stage: { percent: i.live.rollout.percent, since, hours, next, stuck, why: stuck ? stuckWhy(i.events, i.live, since, a) : null },
    lastAdvance,
  };
}

function stuckWhy(events: readonly AdvanceEvent[], live: ManifestBody, since: string, a: AdvancePolicy): string {
  const unhealthyAt = firstUnhealthyCheck(events, live.release.version, since);
  if (unhealthyAt !== null) return `an unhealthy check at ${unhealthyAt}, since the stage began`;
  const from = timeOf(since);
  const checks = events.filter((e) => e.action === 'watch' && e.version === live.release.version && timeOf(e.at) >= from);
  const last = checks[checks.length - 1];
  if (!last) return 'no watch check since the stage began';
  const devices = field(field(last.detail, 'candidate'), 'stageDevices');
  if (typeof devices === 'number' && devices < a.minDevices)
    return `too few devices: ${devices} of the ${a.minDevices} needed had reported since the stage began at the last check (${last.at})`;
  const verdict = field(last.detail, 'verdict');
  if (verdict !== 'healthy') return `too few devices: the last check (${last.at}) was ${String(verdict)}`;
  return `the last check (${last.at}) did not widen it: see friday watch --channel ${live.channel}`;
}
