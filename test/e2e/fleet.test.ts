/**
 * Every device model judged on its own (docs/formats.md "The verdict, per model", "Partial
 * rollback"), through the CLI on real files: a model that spikes while the fleet looks healthy
 * goes back alone, two models go back together, a fleet-wide spike takes everything back, and a
 * promote after a partial rollback never carries the bad release to the model it was rolled back for.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Fixture } from '../integration/channel-fixture.js';
import { channel, DEVICES, NEW, NOW, OLD, writeFeed } from './fleet-fixture.js';

const watch = (f: Fixture) => f.friday(['watch', '--channel', 'beta', '--key', f.alice.path, '--json'], { FRIDAY_NOW: NOW });

/** What `pull` tells a device of `model` running `current`. */
async function pull(f: Fixture, channel: string, model: string, current: string, now = NOW) {
  const r = await f.friday(
    [
      'pull',
      '--channel',
      channel,
      '--source',
      f.ota,
      '--trust',
      f.trustPath,
      '--device',
      model,
      '--current',
      current,
      '--state',
      join(f.dir, `state-${model}.json`),
      '--json',
    ],
    { FRIDAY_NOW: now },
  );
  expect(r.code, r.stderr).toBe(0);
  return r.json as { decision: string; version: string; rollback: boolean };
}

describe('per-model verdicts and partial rollback', () => {
  it('one model spiking while the fleet looks healthy: that model alone goes back, signed; pull shows it per model', async () => {
    const f = await channel();
    await writeFeed(f, { lmi: 5 });
    // --dry-run says what it would do, per model, and writes nothing.
    const dry = await f.friday(['watch', '--channel', 'beta', '--key', f.alice.path, '--dry-run'], { FRIDAY_NOW: NOW });
    expect(dry.code, dry.stderr).toBe(3);
    expect(dry.stdout).toContain(`beta: ${NEW} UNHEALTHY on lmi (`);
    expect(dry.stdout).toMatch(/\n {2}lmi +UNHEALTHY \((spike|absolute) rule\) +\d+ devices; /);
    expect(dry.stdout).toMatch(/\n {2}umi +healthy +\d+ devices; /);
    expect(dry.stdout).toContain(`would roll lmi back from ${NEW} (lmi → ${OLD}); other models keep it (dry run: nothing written)`);
    expect((await f.live('beta')).signed.serial).toBe(2);
    const r = await watch(f);
    expect(r.code, r.stderr).toBe(3);
    expect(r.json).toMatchObject({ verdict: 'unhealthy', unhealthyModels: ['lmi'], rolledBack: true });
    expect(r.json.models.map((m: { model: string }) => m.model)).toEqual(DEVICES);
    const lmi = r.json.models[2];
    expect(lmi).toMatchObject({ model: 'lmi', verdict: 'unhealthy' });
    expect(Object.keys(lmi).sort()).toEqual(['baseline', 'candidate', 'evidence', 'model', 'ratio', 'rule', 'verdict']);
    expect(Object.keys(lmi.candidate).sort()).toEqual(['crashUnits', 'crashed', 'devices', 'units']);
    expect(lmi.evidence).toBeGreaterThanOrEqual((2 * 4) / 0.01);
    expect(r.json.models.filter((m: { verdict: string }) => m.verdict === 'unhealthy')).toHaveLength(1);
    expect(r.stdout + r.stderr).not.toContain('BEGIN PRIVATE');

    const live = (await f.live('beta')).signed;
    expect(live).toMatchObject({ type: 'friday.manifest/v2', serial: 3, release: { version: NEW }, rollback: null, blocked: [] });
    expect(live.deviceReleases!.lmi).toMatchObject({ release: { version: OLD }, rollback: { from: NEW } });
    expect(live.deviceReleases!.lmi!.rollback!.reason).toMatch(/watch: (spike|absolute) rule/);
    expect(live.deviceBlocked).toEqual({ lmi: [NEW] });
    expect(Object.keys(live.artifacts).sort()).toEqual(['cepheus', 'sagit', 'umi']);
    const events = await f.events('beta');
    expect(events.slice(-3).map((e) => e.action)).toEqual(['watch', 'rollback', 'publish']);
    expect(events.at(-3)!.detail).toMatchObject({ unhealthyModels: ['lmi'], fleetVerdict: expect.not.stringMatching(/unhealthy/) });
    expect(events.at(-2)!.detail).toMatchObject({ from: NEW, models: ['lmi'] });

    expect(await pull(f, 'beta', 'lmi', NEW)).toMatchObject({ decision: 'update', version: OLD, rollback: true });
    expect(await pull(f, 'beta', 'umi', NEW)).toMatchObject({ decision: 'up-to-date', version: NEW, rollback: false });
    expect(await pull(f, 'beta', 'cepheus', NEW)).toMatchObject({ decision: 'up-to-date', version: NEW });

    // The next check: lmi is already back and out of the fleet's figures; nothing more rolls back.
    const again = await watch(f);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json).toMatchObject({ unhealthyModels: [], rolledBack: false });
    expect((await f.live('beta')).signed.serial).toBe(3);

    // Staging the bad release again is refused for the model, before any "nothing to do".
    const stage = await f.friday(['stage', '--channel', 'beta', '--version', NEW, '--key', f.alice.path], { FRIDAY_NOW: NOW });
    expect(stage.code).toBe(1);
    expect(stage.stderr).toContain(`${NEW} is blocked for lmi on beta`);
    const status = await f.friday(['status'], { FRIDAY_NOW: NOW });
    expect(status.stdout).toContain(`blocked   ${NEW} for lmi only (lmi gets ${OLD})`);

    // Promoted to stable: lmi keeps what it had there, the others take NEW.
    const later = '2026-12-04T18:00:00Z';
    const promote = await f.friday(['promote', '--from', 'beta', '--to', 'stable', '--key', f.alice.path, '--publish'], {
      FRIDAY_NOW: later,
    });
    expect(promote.code, promote.stderr).toBe(0);
    const stable = (await f.live('stable')).signed;
    expect(stable.release.version).toBe(NEW);
    expect(stable.deviceReleases!.lmi).toMatchObject({ release: { version: OLD }, rollback: null });
    expect(Object.keys(stable.artifacts).sort()).toEqual(['cepheus', 'sagit', 'umi']);
    expect(await pull(f, 'stable', 'lmi', OLD, later)).toMatchObject({ decision: 'up-to-date', version: OLD });
  });

  it('two models spiking: both go back in one signed manifest, the others keep the release', async () => {
    const f = await channel();
    await writeFeed(f, { lmi: 5, sagit: 5 });
    const r = await watch(f);
    expect(r.code, r.stderr).toBe(3);
    expect(r.json.unhealthyModels).toEqual(['lmi', 'sagit']);
    expect(r.json.modelRollback).toMatchObject({
      models: [
        { model: 'lmi', to: OLD },
        { model: 'sagit', to: OLD },
      ],
      published: true,
    });
    const live = (await f.live('beta')).signed;
    expect(live.deviceBlocked).toEqual({ lmi: [NEW], sagit: [NEW] });
    expect(Object.keys(live.artifacts).sort()).toEqual(['cepheus', 'umi']);
    expect(await pull(f, 'beta', 'sagit', NEW)).toMatchObject({ decision: 'update', version: OLD, rollback: true });
    expect(await pull(f, 'beta', 'umi', NEW)).toMatchObject({ decision: 'up-to-date', version: NEW });
  });

  it('the fleet spiking: everything goes back, no model singled out', async () => {
    const f = await channel();
    await writeFeed(f, { cepheus: 5, umi: 5, lmi: 5, sagit: 5 });
    const r = await watch(f);
    expect(r.code, r.stderr).toBe(3);
    expect(r.json).toMatchObject({ verdict: 'unhealthy', unhealthyModels: [], rolledBack: true, modelRollback: null });
    const live = (await f.live('beta')).signed;
    expect(live).toMatchObject({ release: { version: OLD }, rollback: { from: NEW }, blocked: [NEW], deviceReleases: {} });
    for (const model of DEVICES)
      expect(await pull(f, 'beta', model, NEW)).toMatchObject({ decision: 'update', version: OLD, rollback: true });
  });

  it('rollback --model by hand; a model with nothing to go back to is refused (exit 1)', async () => {
    const f = await channel();
    const r = await f.friday(
      ['rollback', '--channel', 'beta', '--model', 'umi', '--reason', 'modem drops calls', '--key', f.alice.path, '--json'],
      {
        FRIDAY_NOW: NOW,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ from: NEW, models: [{ model: 'umi', to: OLD }], deviceBlocked: { umi: [NEW] } });
    expect((await f.live('beta')).signed.deviceReleases!.umi!.rollback).toEqual({ from: NEW, reason: 'modem drops calls' });
    const unknown = await f.friday(['rollback', '--channel', 'beta', '--model', 'nope', '--reason', 'x', '--key', f.alice.path], {
      FRIDAY_NOW: NOW,
    });
    expect(unknown.code).toBe(2);
    const stable = await f.friday(['rollback', '--channel', 'stable', '--model', 'lmi', '--reason', 'x', '--key', f.alice.path], {
      FRIDAY_NOW: NOW,
    });
    expect(stable.code).toBe(1);
    expect(stable.stderr).toContain('nothing to roll back to');
  });
});
