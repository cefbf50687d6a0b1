/**
 * The channel workflow's decisions, pure (docs/cli.md stage…watch): whether a signed manifest goes
 * live or waits for co-signers, whether a staged manifest may still be signed or published, which
 * release a rollback goes back to, and what `watch` does after its verdict. The workflow
 * (src/workflow/) reads the facts, asks here, and writes what was decided.
 */
import { isPlainFileName, timeOf, type ManifestBody } from '../client/index.js';
import { failure, usageError, type FridayError } from '../errors.js';
import { rollbackTarget } from './manifest.js';

/** A manifest with enough trusted signatures goes live at once; one short of them waits in staged.json. */
export function releaseStep(valid: number, threshold: number): 'publish' | 'stage' {
  return valid >= threshold ? 'publish' : 'stage';
}

/** The staged manifest's serial must follow the live one (`verb` is sign or publish). */
export function staleStaged(verb: 'sign' | 'publish', staged: ManifestBody, liveSerial: number | null): FridayError | null {
  if (staged.serial === (liveSerial ?? 0) + 1) return null;
  return failure(
    'E_STALE',
    `${verb} ${staged.channel}: the staged manifest is stale (serial ${staged.serial}, the live serial is ${liveSerial ?? 'none'})`,
    stageAgain(staged),
  );
}

/** A staged manifest past its expiry can no longer be signed or published. */
export function expiredStaged(verb: 'sign' | 'publish', staged: ManifestBody, now: Date): FridayError | null {
  if (now.getTime() < timeOf(staged.expiresAt)) return null;
  return failure('E_EXPIRED', `${verb} ${staged.channel}: the staged manifest expired at ${staged.expiresAt}`, stageAgain(staged));
}

const stageAgain = (s: ManifestBody) => `stage it again: friday stage --channel ${s.channel} --version ${s.release.version}`;

/**
 * A stage that would change nothing: the release is already live at that rollout, or already
 * staged for the next serial (re-staging would drop the co-signatures it gathered). `--force`
 * stages it again all the same.
 */
export function alreadyStaged(i: {
  live: ManifestBody | null;
  staged: ManifestBody | null;
  version: string;
  percent: number | null;
  force: boolean;
}): { where: 'live' | 'staged'; serial: number } | null {
  if (i.force) return null;
  const same = (m: ManifestBody | null) =>
    m !== null && m.release.version === i.version && (i.percent === null || m.rollout.percent === i.percent);
  if (same(i.staged) && i.staged!.serial === (i.live?.serial ?? 0) + 1) return { where: 'staged', serial: i.staged!.serial };
  if (same(i.live) && i.live!.rollback === null) return { where: 'live', serial: i.live!.serial };
  return null;
}

/** What a rollback manifest carries: a release as it was served (with its salt) or as it was cut. */
export type RollbackGood = Pick<ManifestBody, 'release' | 'artifacts' | 'notes'> & { salt?: string };

export type RollbackChoice =
  /** As it was last served on this channel. */
  | { kind: 'served'; good: RollbackGood }
  /** `--to` a release this channel never carried: from its build record, its files hashed again. */
  | { kind: 'cut'; version: string }
  /** Nothing earlier that is neither the bad release nor blocked. */
  | { kind: 'none' };

/**
 * The release a rollback of `live` goes back to: `to`, or the newest earlier release in the
 * channel's history that is not blocked. `from` is the channel the policy feeds this one from
 * (a fed channel may only go back to what it carried: a rollback skips the soak). Usage errors
 * (exit 2) for a `to` that cannot be.
 */
export function chooseRollback(i: {
  live: ManifestBody;
  history: ManifestBody[];
  to?: string | undefined;
  from: string | null;
}): RollbackChoice {
  const bad = i.live.release.version;
  const blocked = [...i.live.blocked, bad];
  const channel = i.live.channel;
  const served = (m: ManifestBody | null): RollbackChoice =>
    m ? { kind: 'served', good: { release: m.release, artifacts: m.artifacts, notes: m.notes, salt: m.rollout.salt } } : { kind: 'none' };
  if (i.to === undefined) return served(rollbackTarget(i.history, bad, blocked));
  if (!isPlainFileName(i.to)) throw usageError('E_USAGE', `--to ${JSON.stringify(i.to)}: not a version`);
  if (i.to === bad) throw usageError('E_USAGE', `--to ${i.to}: that is the live release being rolled back`);
  if (blocked.includes(i.to)) throw usageError('E_USAGE', `--to ${i.to}: blocked on ${channel} (rolled back before)`);
  const carried = rollbackTarget(
    i.history.filter((m) => m.release.version === i.to),
    bad,
    blocked,
  );
  if (carried) return served(carried);
  if (i.from !== null) {
    throw usageError(
      'E_USAGE',
      `--to ${i.to}: never live on ${channel}, which takes its releases from ${i.from} after the soak`,
      `roll back to a release ${channel} carried before (\`friday status\`), or promote one: friday promote --from ${i.from} --to ${channel}`,
    );
  }
  return { kind: 'cut', version: i.to };
}

/** What `watch` does once it has judged the live release. */
export type WatchAction =
  | { kind: 'none' }
  /** Unhealthy, but not yet for the policy's number of checks in a row. */
  | { kind: 'wait' }
  | { kind: 'roll-back' }
  /** Only these models go back (docs/formats.md "Partial rollback"). */
  | { kind: 'roll-back-models'; models: string[] }
  /** A rollback of this release already waits in staged.json for a co-signature: re-staging would drop those added. */
  | { kind: 'rollback-waiting'; serial: number };

export function afterVerdict(i: {
  rollBack: boolean;
  unhealthy: boolean;
  live: ManifestBody;
  staged: ManifestBody | null;
  /** Models unhealthy for the policy's number of checks in a row (the fleet being healthy). */
  models?: readonly string[];
}): WatchAction {
  const models = i.models ?? [];
  if (!i.rollBack && !models.length) return i.unhealthy ? { kind: 'wait' } : { kind: 'none' };
  const s = i.staged;
  const bad = i.live.release.version;
  if (s && s.serial === i.live.serial + 1) {
    if (i.rollBack && s.rollback?.from === bad) return { kind: 'rollback-waiting', serial: s.serial };
    if (!i.rollBack && models.every((m) => s.deviceReleases?.[m]?.rollback?.from === bad))
      return { kind: 'rollback-waiting', serial: s.serial };
  }
  return i.rollBack ? { kind: 'roll-back' } : { kind: 'roll-back-models', models: [...models] };
}
