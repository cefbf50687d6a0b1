/**
 * After a `watch` check: widen a healthy rollout to the policy's next stage (docs/formats.md
 * "Channel policies", `advance`; docs/cli.md `watch`). The decision is src/core/advance.ts; this
 * reads its facts from the check and publishes the wider rollout through `setRollout`, signed with
 * the keys `watch` was given, recorded as a `rollout` line with `"by": "watch"` and the reason.
 * It runs under the channel's watch lock, so two checks never both widen.
 */
import { timeOf } from '../client/index.js';
import { decideAdvance, firstUnhealthyCheck, stageStart } from '../core/advance.js';
import type { VersionTally } from '../core/feed/tally.js';
import type { ManifestBody } from '../core/manifest.js';
import type { WatchResult } from '../core/watch-report.js';
import { failure, isFridayError, type FridayError } from '../errors.js';
import type { AuditEvent, SignedManifest } from '../io/channel.js';
import type { Channel } from './channel.js';
import { setRollout } from './reissue.js';

/**
 * When the live rollout's stage began, as a time for the feed window (`stageFromMs` in
 * src/core/feed/tally.ts). Without its publish line in the log, the live manifest's issue time:
 * later than the truth, so a stage is never taken for older than it is.
 */
export function stageFromMs(events: readonly AuditEvent[], live: ManifestBody): number {
  return timeOf(stageSince(events, live));
}

const stageSince = (events: readonly AuditEvent[], live: ManifestBody) => stageStart(events, live) ?? live.issuedAt;

/**
 * The models unhealthy in this check. The one place that reads them, so the per-model verdicts
 * (docs/formats.md "The verdict, per model") hold a rollout back as soon as the check reports them.
 */
function unhealthyModelsOf(result: WatchResult): readonly string[] {
  const models = (result as { unhealthyModels?: unknown }).unhealthyModels;
  return Array.isArray(models) ? models.filter((m): m is string => typeof m === 'string') : [];
}

export interface CheckFacts {
  /** The live manifest and audit log the check judged. */
  live: SignedManifest;
  events: readonly AuditEvent[];
  /** The candidate's figures from the feed (`stageDevices`). */
  tally: VersionTally;
  result: WatchResult;
  /** Lines of the text report. */
  notes: string[];
}

/**
 * Widen, hold or report the stage stuck; sets `advanced`, `stuck` and `stage` on the result.
 * Returns what kept it from widening when it should have (no key, a co-signature needed), else null.
 */
export async function advanceAfterCheck(ch: Channel, c: CheckFacts): Promise<FridayError | null> {
  const { ctx, name, policy } = ch;
  const { result, notes } = c;
  const live = c.live.signed;
  result.advanced = null;
  result.stuck = false;
  result.stage = null;
  // A rollback published by this check replaced the rollout judged here.
  if (result.rolledBack || result.rollback !== null) return null;
  const since = stageSince(c.events, live);
  const decision = decideAdvance({
    policy: policy.advance,
    stages: policy.rollout,
    live,
    since,
    now: ctx.now,
    devices: c.tally.stageDevices,
    verdict: result.verdict,
    unhealthyModels: unhealthyModelsOf(result),
    unhealthyAt: firstUnhealthyCheck(c.events, live.release.version, since),
  });
  if (decision.kind === 'off') return null;
  const { stage } = decision;
  result.stage = { ...stage, hours: Math.round(stage.hours * 10) / 10 };
  const at = `${stage.percent}% since ${since} (${stage.hours.toFixed(1)} h, ${stage.devices} devices)`;
  if (decision.kind === 'hold') {
    result.stuck = decision.stuck;
    notes.push(
      decision.stuck
        ? `rollout STUCK at ${at}, past advance.maxHours (${policy.advance!.maxHours} h): ${decision.why}`
        : `rollout ${at}; not widened to ${stage.next}% yet: ${decision.why}`,
    );
    return null;
  }
  const { from, to, reason } = decision;
  if (ctx.dryRun) {
    result.advanced = { from, to, serial: null };
    notes.push(`would widen ${name} from ${from}% to ${to}% (dry run: nothing written): ${reason}`);
    return null;
  }
  const cosign = `friday sign --channel ${name} --key <file>, then friday publish --channel ${name}`;
  const staged = await ch.staged().catch(() => null);
  const s = staged?.signed;
  // Staging it again would drop the co-signatures it has gathered.
  if (s && s.serial === live.serial + 1 && s.rollback === null && s.release.version === live.release.version && s.rollout.percent === to) {
    return failure(
      'E_THRESHOLD',
      `watch ${name}: widening ${from}% → ${to}% is staged as serial ${s.serial}, waiting for a co-signature`,
      `co-sign it: ${cosign}`,
    );
  }
  try {
    await ch.signers(`watch ${name}: widening ${from}% → ${to}%`);
  } catch (err) {
    // The check itself stands (its report is printed, exit 1); what it could not do is said.
    if (!isFridayError(err) || err.code !== 'E_KEY') throw err;
    return failure(err.code, err.message, err.hint);
  }
  const r = await setRollout(ch, to, { ifSerial: live.serial, detail: { by: 'watch', reason } });
  if (!r.changed) {
    notes.push(`the rollout changed during this check (serial ${r.serial} is live now): not widened`);
    return null;
  }
  result.advanced = { from, to, serial: r.serial };
  if (r.published) {
    notes.push(`widened ${name} from ${from}% to ${to}% (serial ${r.serial}): ${reason}`);
    return null;
  }
  return failure(
    'E_THRESHOLD',
    `watch ${name}: widening ${from}% → ${to}% staged as serial ${r.serial}, NOT live: ${r.signatures} of the ${r.threshold} signatures needed`,
    `co-sign it now: ${cosign}`,
  );
}
