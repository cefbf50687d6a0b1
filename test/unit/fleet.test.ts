/**
 * Every device model judged on its own, on literals: the per-model verdict and its alpha split
 * (src/core/health.ts), what watch does after it (core/channel.ts), the partial-rollback and
 * promote manifests (core/manifest.ts), and what a device of each model decides from a v2
 * manifest (client/decide.ts, client/manifest.ts).
 */
import { describe, expect, it } from 'vitest';
import { bodyProblems, decide, type ManifestBody } from '../../src/client/index.js';
import { HEALTH_DEFAULTS } from '../../src/core/config.js';
import { afterVerdict } from '../../src/core/channel.js';
import { judgeFleet, modelsToRollBack, type CandidateCounts, type ModelCounts, type UnitCounts } from '../../src/core/health.js';
import {
  keepModelBlocks,
  modelRollbackTarget,
  partialRollbackBody,
  reissueBody,
  rollbackBody,
  stageBody,
  withheldDevices,
} from '../../src/core/manifest.js';

const policy = { ...HEALTH_DEFAULTS };
const NOW = new Date('2026-11-28T05:00:00Z');
const counts = (version: string, units: number, crashUnits: number, devices = units / 10, crashed = crashUnits): CandidateCounts => ({
  version,
  units,
  crashUnits,
  devices,
  crashed,
  recentDevices: devices,
  recentCrashed: 0,
});
const base = (units: number, crashUnits: number): UnitCounts => counts('2026.47.0', units, crashUnits);
const model = (name: string, c: CandidateCounts, b: UnitCounts | null, blocked = false): ModelCounts => ({
  model: name,
  candidate: c,
  baseline: b,
  blocked,
});

describe('per-model verdict', () => {
  // 20 models; the fleet's rate barely moves when one small model triples.
  const healthy = (name: string) => model(name, counts('2026.48.0', 1000, 5), base(7000, 35));
  const fleetC = counts('2026.48.0', 20_000, 130, 2000);
  const fleetB = base(140_000, 700);

  it('a model whose own figures spike is unhealthy while the fleet is not', () => {
    const models = Array.from({ length: 19 }, (_, i) => healthy(`m${i}`));
    models.splice(4, 0, model('umi', counts('2026.48.0', 1000, 40), base(7000, 35)));
    const v = judgeFleet(fleetC, fleetB, models, policy);
    expect(v.fleet.verdict).not.toBe('unhealthy');
    expect(v.fleet.threshold).toBe(200); // 2/alpha once models are judged
    expect(v.models[4]).toMatchObject({ model: 'umi', verdict: 'unhealthy', rule: 'spike' });
    expect(v.models[4]!.evidence).toBeGreaterThanOrEqual(4000); // 2·M/alpha
    expect(v).toMatchObject({ verdict: 'unhealthy', rule: 'spike', unhealthyModels: ['umi'] });
    expect(v.reason).toMatch(/^umi: crash units 40\/1000/);
  });

  it('the model threshold is 2·M/alpha: evidence the fleet would act on is not enough for one of twenty models', () => {
    // 18 of 1000 against 35 of 7000 (3.6×): evidence 737, past the 100 of a single test, short of 4000.
    const models = Array.from({ length: 20 }, (_, i) =>
      i === 0 ? model('umi', counts('2026.48.0', 1000, 18), base(7000, 35)) : healthy(`m${i}`),
    );
    const v = judgeFleet(fleetC, fleetB, models, policy);
    expect(v.models[0]!.evidence).toBeGreaterThan(100);
    expect(v.models[0]!.evidence).toBeLessThan(4000);
    expect(v.models[0]!.verdict).not.toBe('unhealthy');
    expect(v.unhealthyModels).toEqual([]);
  });

  it('the fleet unhealthy wins: no model singled out; without any model on the events the fleet is judged as before', () => {
    const models = [model('umi', counts('2026.48.0', 1000, 40), base(7000, 35))];
    const v = judgeFleet(counts('2026.48.0', 20_000, 600, 2000), fleetB, models, policy);
    expect(v).toMatchObject({ verdict: 'unhealthy', unhealthyModels: [] });
    const none = judgeFleet(fleetC, fleetB, [model('umi', counts('2026.48.0', 0, 0, 0), null)], policy);
    expect(none.fleet.threshold).toBe(100);
    expect(none.models[0]).toMatchObject({ verdict: 'insufficient-data', rule: null, evidence: 1, ratio: null, baseline: null });
    expect(none.models[0]!.candidate).toEqual({ devices: 0, crashed: 0, units: 0, crashUnits: 0 });
    expect(judgeFleet(fleetC, fleetB, null, policy).models).toEqual([]);
  });

  it('a model already rolled back is shown but never unhealthy again', () => {
    const v = judgeFleet(fleetC, fleetB, [model('umi', counts('2026.48.0', 1000, 40), base(7000, 35), true)], policy);
    expect(v.models[0]).toMatchObject({ verdict: 'unhealthy', blocked: true });
    expect(v.unhealthyModels).toEqual([]);
  });

  it('consecutive counts per model', () => {
    expect(modelsToRollBack(['umi', 'lmi'], [['umi'], ['lmi', 'umi']], 3)).toEqual(['umi']);
    expect(modelsToRollBack(['umi'], [], 1)).toEqual(['umi']);
    expect(modelsToRollBack(['umi'], [['lmi']], 2)).toEqual([]);
  });
});

const art = (device: string, v: string) => ({
  file: `a-${device}-${v}.zip`,
  url: `releases/${v}/a-${device}-${v}.zip`,
  size: 1,
  sha256: 'd'.repeat(64),
});
const rel = (v: string) => ({ version: v, tag: `v${v}`, commit: 'c'.repeat(40), builtAt: '2026-11-27T15:00:00Z' });
const manifest = (v: string, serial: number, over: Partial<ManifestBody> = {}): ManifestBody => ({
  type: 'friday.manifest/v2',
  product: 'aurora',
  channel: 'beta',
  serial,
  issuedAt: '2026-11-27T16:00:00Z',
  expiresAt: '2026-12-11T16:00:00Z',
  release: rel(v),
  rollout: { percent: 10, salt: 'a'.repeat(32) },
  artifacts: { umi: art('umi', v), lmi: art('lmi', v) },
  notes: { popcorn: null, changelog: null },
  rollback: null,
  blocked: [],
  deviceReleases: {},
  deviceBlocked: {},
  ...over,
});

describe('partial rollback manifests', () => {
  const history = [manifest('2026.46.0', 1), manifest('2026.47.0', 2, { blocked: [] }), manifest('2026.48.0', 3)];
  const live = history[2]!;

  it('one model goes back to the newest earlier release not blocked for it; the others keep the candidate', () => {
    const target = modelRollbackTarget(history, { ...live, deviceBlocked: { lmi: ['2026.47.0'] } }, 'lmi');
    expect(target?.release.version).toBe('2026.46.0');
    const b = partialRollbackBody(live, { lmi: modelRollbackTarget(history, live, 'lmi')! }, 'camera crash', NOW, 14);
    expect(b).toMatchObject({ serial: 4, release: { version: '2026.48.0' }, rollout: live.rollout, rollback: null, blocked: [] });
    expect(Object.keys(b.artifacts)).toEqual(['umi']);
    expect(b.deviceReleases).toEqual({
      lmi: { release: rel('2026.47.0'), artifact: art('lmi', '2026.47.0'), rollback: { from: '2026.48.0', reason: 'camera crash' } },
    });
    expect(b.deviceBlocked).toEqual({ lmi: ['2026.48.0'] });
    expect(bodyProblems(b)).toEqual([]);
    expect(modelRollbackTarget([live], live, 'lmi')).toBeNull();
  });

  it('a whole-channel rollback keeps a model off a release it was rolled back from: it goes to its own last good one', () => {
    // 48 rolled back for lmi alone (lmi on 47), then 49 live for everyone, then 49 spikes fleet-wide: back to 48.
    const partial = partialRollbackBody(live, { lmi: modelRollbackTarget(history, live, 'lmi')! }, 'camera crash', NOW, 14);
    const v49 = stageBody({
      product: 'aurora',
      channel: 'beta',
      live: partial,
      build: { version: '2026.49.0', tag: 'v2026.49.0', commit: 'c'.repeat(40), builtAt: '2026-11-27T15:00:00Z', artifacts: [] } as never,
      notes: { popcorn: null, changelog: null },
      percent: 100,
      freshSalt: 'b'.repeat(32),
      now: NOW,
      expiresDays: 14,
      withhold: {},
    });
    const all = [...history, partial, { ...v49, artifacts: { umi: art('umi', '2026.49.0'), lmi: art('lmi', '2026.49.0') } }];
    const fleet = rollbackBody(all.at(-1)!, all[2]!, 'bootloop', NOW, 14, 'f'.repeat(32));
    expect(fleet.release.version).toBe('2026.48.0');
    const kept = keepModelBlocks(fleet, all);
    expect(Object.keys(kept.artifacts)).toEqual(['umi']);
    expect(kept.deviceReleases).toEqual({
      lmi: { release: rel('2026.47.0'), artifact: art('lmi', '2026.47.0'), rollback: { from: '2026.49.0', reason: 'bootloop' } },
    });
    expect(decide(kept, { device: 'lmi', current: '2026.49.0', deviceId: 'x' })).toMatchObject({
      decision: 'update',
      version: '2026.47.0',
    });
    expect(decide(kept, { device: 'umi', current: '2026.49.0', deviceId: 'x' })).toMatchObject({
      decision: 'update',
      version: '2026.48.0',
    });
    expect(bodyProblems(kept)).toEqual([]);
    // No model blocked for the good release: nothing changes.
    expect(keepModelBlocks(rollbackBody(partial, history[1]!, 'x', NOW, 14, 'f'.repeat(32)), all).deviceReleases).toEqual({});
  });

  it('a device decides from its own entry: the rolled-back model takes the rollback, the others what they had', () => {
    const b = partialRollbackBody(live, { lmi: modelRollbackTarget(history, live, 'lmi')! }, 'camera crash', NOW, 14);
    expect(decide(b, { device: 'lmi', current: '2026.48.0', deviceId: 'x' })).toMatchObject({
      decision: 'update',
      version: '2026.47.0',
      rollback: true,
    });
    expect(decide(b, { device: 'lmi', current: '2026.47.0' })).toMatchObject({ decision: 'up-to-date', version: '2026.47.0' });
    expect(decide(b, { device: 'umi', current: '2026.48.0' })).toMatchObject({
      decision: 'up-to-date',
      version: '2026.48.0',
      rollback: false,
    });
    expect(() => decide(b, { device: 'sagit' })).toThrow(/no artifact for device "sagit" \(the release has umi, lmi\)/);
  });

  it('every manifest is written as v2, a reissued v1 one included; v1 may not carry per-device fields', () => {
    const { deviceReleases: _r, deviceBlocked: _b, ...v1 } = { ...live, type: 'friday.manifest/v1' as const };
    expect(bodyProblems(v1)).toEqual([]);
    expect(reissueBody(v1, NOW, 14)).toMatchObject({ type: 'friday.manifest/v2', deviceReleases: {}, deviceBlocked: {} });
    expect(bodyProblems({ ...v1, deviceBlocked: {} })).toEqual(['signed.deviceBlocked: only in "friday.manifest/v2"']);
    expect(bodyProblems({ ...live, deviceReleases: undefined })).toEqual(['signed.deviceReleases: must be an object of device → release']);
    const both = { ...live, deviceReleases: { umi: { release: rel('1'), artifact: art('umi', '1'), rollback: null } } };
    expect(bodyProblems(both)).toEqual(['signed.deviceReleases.umi: the device also has an entry in artifacts']);
  });

  it('a promote never carries a release to a model blocked for it on `from`: it keeps what it had, or gets no entry', () => {
    const from = partialRollbackBody(live, { lmi: modelRollbackTarget(history, live, 'lmi')! }, 'camera crash', NOW, 14);
    const target = manifest('2026.46.0', 5, { channel: 'stable' });
    expect(withheldDevices(['umi', 'lmi'], from, target, '2026.48.0')).toEqual({
      lmi: { release: rel('2026.46.0'), artifact: art('lmi', '2026.46.0'), rollback: null },
    });
    expect(withheldDevices(['umi', 'lmi'], from, null, '2026.48.0')).toEqual({ lmi: null });
    expect(withheldDevices(['umi', 'lmi'], from, target, '2026.47.0')).toEqual({});
    const build = { version: '2026.48.0', tag: 'v2026.48.0', commit: 'c'.repeat(40), builtAt: '2026-11-27T15:00:00Z', artifacts: [] };
    const staged = stageBody({
      product: 'aurora',
      channel: 'stable',
      live: target,
      build: {
        ...build,
        artifacts: ['umi', 'lmi'].map((d) => ({ device: d, file: `a-${d}-2026.48.0.zip`, size: 1, sha256: 'd'.repeat(64) })),
      } as never,
      notes: { popcorn: null, changelog: null },
      percent: 10,
      freshSalt: 'b'.repeat(32),
      now: NOW,
      expiresDays: 30,
      withhold: { lmi: null },
    });
    expect(Object.keys(staged.artifacts)).toEqual(['umi']);
    expect(staged.deviceReleases).toEqual({});
  });
});

describe('after the verdict', () => {
  const live = manifest('2026.48.0', 3);
  it('rolls the unhealthy models back, or waits for the co-signature of a staged one', () => {
    expect(afterVerdict({ rollBack: false, unhealthy: true, live, staged: null, models: ['lmi'] })).toEqual({
      kind: 'roll-back-models',
      models: ['lmi'],
    });
    const staged = partialRollbackBody(live, { lmi: { release: rel('2026.47.0'), artifact: art('lmi', '2026.47.0') } }, 'x', NOW, 14);
    expect(afterVerdict({ rollBack: false, unhealthy: true, live, staged, models: ['lmi'] })).toEqual({
      kind: 'rollback-waiting',
      serial: 4,
    });
    expect(afterVerdict({ rollBack: true, unhealthy: true, live, staged, models: [] })).toEqual({ kind: 'roll-back' });
    expect(afterVerdict({ rollBack: false, unhealthy: true, live, staged: null, models: [] })).toEqual({ kind: 'wait' });
  });
});
