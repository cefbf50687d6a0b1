/**
 * Rolling a channel back (docs/cli.md `rollback`; also what `watch` does): the last good release
 * (or `--to`) published at once with `rollback` set and the bad version blocked, or staged for
 * co-signers when the keys given fall short of the threshold.
 */
import { randomBytes } from 'node:crypto';
import { chooseRollback, type RollbackGood } from '../core/channel.js';
import {
  artifactsOf,
  keepModelBlocks,
  modelRollbackTarget,
  partialRollbackBody,
  rollbackBody,
  type ModelTargets,
  type SignedManifest,
} from '../core/manifest.js';
import { failure, usageError } from '../errors.js';
import { displayPath } from '../io/display.js';
import { readBuildRecord, readNotes, rehashArtifacts, releaseDir } from '../io/releases.js';
import { pathExists } from '../io/store.js';
import type { Channel } from './channel.js';
import { signAndRelease } from './release.js';

export interface RollbackResult {
  published: boolean;
  fromVersion: string;
  toVersion: string;
  serial: number;
  manifest: SignedManifest;
  /** Trusted signatures it carries, and the channel's threshold. */
  signatures: number;
  threshold: number;
}

export async function rollBack(ch: Channel, req: { to?: string | undefined; reason: string }): Promise<RollbackResult> {
  const { ctx, project, name, policy } = ch;
  if (!req.reason.trim()) throw usageError('E_USAGE', 'rollback: --reason must say why');
  const signers = await ch.signers(`rollback ${name}`);

  return ch.locked(async () => {
    const live = await ch.live();
    if (!live) throw failure('E_NOTHING', `rollback ${name}: nothing is live, so nothing to roll back`);
    const bad = live.signed.release.version;
    const choice = chooseRollback({ live: live.signed, history: (await ch.history()).map((m) => m.signed), to: req.to, from: policy.from });
    let good: RollbackGood;
    if (choice.kind === 'none') {
      throw failure(
        'E_NOTHING',
        `rollback ${name}: nothing to roll back to (no earlier release of ${name} that is not ${bad} or blocked)`,
        'name one with --to <version>, or stage a fixed release',
      );
    } else if (choice.kind === 'served') {
      good = choice.good;
    } else {
      // Neither served here nor cut: the user's own input names nothing (exit 2, like stage --version).
      const dir = releaseDir(project.publishDir, choice.version);
      if (!(await pathExists(dir))) {
        throw usageError(
          'E_USAGE',
          `--to ${choice.version}: no such release (never on ${name}, and no ${displayPath(project.root, dir)})`,
          `leave out --to to go back to the last good release of ${name}; \`friday status\` lists the releases`,
        );
      }
      const place = { publishDir: project.publishDir, root: project.root, product: project.config.product };
      const build = await readBuildRecord(place, choice.version);
      // Never signed for this channel before: check its files as stage does.
      await rehashArtifacts(place, build, ctx.info);
      good = {
        release: { version: build.version, tag: build.tag, commit: build.commit, builtAt: build.builtAt },
        artifacts: artifactsOf(build),
        notes: await readNotes(project.publishDir, choice.version, ctx.warn),
      };
    }
    const body = keepModelBlocks(
      rollbackBody(live.signed, good, req.reason, ctx.now, policy.expiresDays, randomBytes(16).toString('hex')),
      (await ch.history()).map((m) => m.signed),
    );
    const r = await signAndRelease(ch, body, signers, 'rollback', { from: bad, to: body.release.version, reason: req.reason });
    return {
      published: r.published,
      fromVersion: bad,
      toVersion: body.release.version,
      serial: body.serial,
      manifest: r.doc,
      signatures: r.valid,
      threshold: r.threshold,
    };
  });
}

export interface ModelRollbackResult {
  published: boolean;
  fromVersion: string;
  /** Each model and the release it goes back to. */
  models: { model: string; to: string }[];
  serial: number;
  manifest: SignedManifest;
  signatures: number;
  threshold: number;
}

/**
 * A partial rollback (docs/formats.md "Partial rollback"; `rollback --model`, and `watch` when
 * only some models are unhealthy): those models alone go back to the newest earlier release of
 * the channel not blocked for them, the live release blocked for them only.
 */
export async function rollBackModels(ch: Channel, req: { models: string[]; reason: string }): Promise<ModelRollbackResult> {
  const { ctx, project, name, policy } = ch;
  if (!req.reason.trim()) throw usageError('E_USAGE', 'rollback: --reason must say why');
  for (const m of req.models) {
    if (!project.config.devices.includes(m))
      throw usageError('E_USAGE', `--model ${m}: not a device of friday.config.json (${project.config.devices.join(', ')})`);
  }
  const signers = await ch.signers(`rollback ${name}`);
  return ch.locked(async () => {
    const live = await ch.live();
    if (!live) throw failure('E_NOTHING', `rollback ${name}: nothing is live, so nothing to roll back`);
    const bad = live.signed.release.version;
    const history = (await ch.history()).map((m) => m.signed);
    const targets: ModelTargets = {};
    for (const model of req.models) {
      const own = live.signed.deviceReleases?.[model];
      if (own || !Object.prototype.hasOwnProperty.call(live.signed.artifacts, model)) {
        throw failure(
          'E_NOTHING',
          `rollback ${name} --model ${model}: ${model} is not on ${bad}${own ? ` (it has ${own.release.version})` : ' (no artifact for it)'}, so nothing to roll back`,
        );
      }
      const t = modelRollbackTarget(history, live.signed, model);
      if (!t)
        throw failure(
          'E_NOTHING',
          `rollback ${name} --model ${model}: nothing to roll back to (no earlier release of ${name} for ${model} that is not ${bad} or blocked for it)`,
          `stage a fixed release (friday stage --channel ${name} --version <v> --publish)`,
        );
      targets[model] = t;
    }
    const body = partialRollbackBody(live.signed, targets, req.reason, ctx.now, policy.expiresDays);
    const models = req.models.map((model) => ({ model, to: targets[model]!.release.version }));
    const r = await signAndRelease(ch, body, signers, 'rollback', {
      from: bad,
      models: req.models,
      to: Object.fromEntries(models.map((m) => [m.model, m.to])),
      reason: req.reason,
    });
    return {
      published: r.published,
      fromVersion: bad,
      models,
      serial: body.serial,
      manifest: r.doc,
      signatures: r.valid,
      threshold: r.threshold,
    };
  });
}
