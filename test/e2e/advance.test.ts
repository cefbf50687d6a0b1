/**
 * Rollouts that advance on their own (docs/formats.md "Channel policies", `advance`), through the
 * CLI with the shipped stable policy (10 → 50 → 100, after 24 h with 200 devices, stuck after
 * 96 h) and `--now` moving over simulated days of generated feeds: a healthy release widened twice,
 * a stage stuck on too few devices, and a widening refused after one unhealthy check.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrust, verifyManifest } from '../../src/client/index.js';
import { snapshot } from '../integration/channel-fixture.js';
import { at, GO_LIVE, NEW, onNew, stable, watch, writeFeed } from './advance-fixture.js';

describe('rollouts that advance on their own', () => {
  it('a healthy release goes 10 → 50 → 100 %, a day per stage, each step signed and logged by watch with its reason', async () => {
    const f = await stable({ baseline: true });
    // The fleet follows the rollout: 240 devices at 10 %, 1,200 at 50 %, then all 2,400.
    await writeFeed(f, { fleet: 2400, hours: 72, versions: [onNew(240, 0, 24), onNew(1200, 24, 48), onNew(2400, 48, 72)] });

    const early = await watch(f, 12);
    expect(early.code, early.stderr).toBe(0);
    expect(early.json).toMatchObject({
      verdict: 'healthy',
      advanced: null,
      stuck: false,
      stage: { percent: 10, since: GO_LIVE, next: 50 },
    });
    expect((await f.live('stable')).signed.rollout.percent).toBe(10);

    const dry = await watch(f, 24, ['--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json.advanced).toEqual({ from: 10, to: 50, serial: null });
    expect((await f.live('stable')).signed.rollout.percent).toBe(10);

    const first = await watch(f, 24);
    expect(first.code, first.stderr).toBe(0);
    const live = await f.live('stable');
    expect(first.json.advanced).toEqual({ from: 10, to: 50, serial: live.signed.serial });
    expect(first.json.stage.devices).toBeGreaterThanOrEqual(200);
    expect(live.signed).toMatchObject({ release: { version: NEW }, rollout: { percent: 50 }, rollback: null });
    const trust = parseTrust(JSON.parse(await fs.readFile(f.trustPath, 'utf8')));
    expect(() => verifyManifest(live, trust, { channel: 'stable', now: new Date(at(24)) })).not.toThrow();
    const [line, publish] = (await f.events('stable')).slice(-2);
    expect(line).toMatchObject({ action: 'rollout', at: at(24), serial: live.signed.serial, detail: { from: 10, to: 50, by: 'watch' } });
    expect(line!.detail.reason).toMatch(/^healthy at 10% for 24\.0 h .* devices since the stage began/);
    expect(publish).toMatchObject({ action: 'publish', serial: live.signed.serial, detail: { rollout: 50 } });

    // The new stage starts when 50 % went live: twelve hours in, it waits.
    const mid = await watch(f, 36);
    expect(mid.json).toMatchObject({ advanced: null, stage: { percent: 50, since: at(24), next: 100 } });
    const text = await f.friday(['watch', '--channel', 'stable', '--key', f.alice.path, '--now', at(48)]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/stable: widened stable from 50% to 100% \(serial \d+\): healthy at 50% for 24\.0 h/);
    expect((await f.live('stable')).signed.rollout).toEqual({ percent: 100, salt: live.signed.rollout.salt });

    const done = await watch(f, 60);
    expect(done.json).toMatchObject({ advanced: null, stuck: false, stage: null });
    const status = await f.friday(['status', '--channel', 'stable', '--json', '--now', at(60)]);
    expect(status.json.channels[0].lastAdvance).toMatchObject({ at: at(48), from: 50, to: 100, by: 'watch' });
    const view = await f.friday(['status', '--channel', 'stable', '--now', at(60)]);
    expect(view.stdout).toMatch(/advanced\s+50% → 100% by watch at 2026-11-29T17:00:00Z: healthy at 50%/);
  });

  it('a stage short of devices waits, then is reported stuck after maxHours, exit 0, with why', async () => {
    const f = await stable({ baseline: true });
    // Only 120 devices ever run the release.
    await writeFeed(f, { fleet: 600, hours: 100, versions: [onNew(120, 0, 100)] });
    const waiting = await watch(f, 30);
    expect(waiting.code, waiting.stderr).toBe(0);
    expect(waiting.json).toMatchObject({ advanced: null, stuck: false });
    const stuck = await watch(f, 97);
    expect(stuck.code, stuck.stderr).toBe(0);
    expect(stuck.json).toMatchObject({ advanced: null, stuck: true, stage: { percent: 10, since: GO_LIVE } });
    expect((await f.live('stable')).signed.rollout.percent).toBe(10);
    const text = await f.friday(['watch', '--channel', 'stable', '--now', at(97)]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.split('\n').filter((l) => l.includes('STUCK'))).toEqual([
      expect.stringMatching(
        /^stable: rollout STUCK at 10% since 2026-11-27T17:00:00Z \(97\.0 h, \d+ devices\), past advance\.maxHours \(96 h\): too few devices: \d+ of the 200 needed/,
      ),
    ]);
    const status = await f.friday(['status', '--channel', 'stable', '--json', '--now', at(97)]);
    expect(status.json.channels[0].stage).toMatchObject({ percent: 10, since: GO_LIVE, stuck: true });
    expect((await f.friday(['status', '--channel', 'stable', '--now', at(97)])).stdout).toMatch(
      /stage\s+10% since 2026-11-27T17:00:00Z .*STUCK/,
    );
  });

  it('one unhealthy check since the stage began holds the rollout, even once the checks are healthy again', async () => {
    const f = await stable({ baseline: false });
    // A crash burst in the first hours (the absolute rule), then a healthy build.
    await writeFeed(f, { fleet: 240, hours: 122, versions: [onNew(240, 0, 3, 0.5), onNew(240, 3, 122)] });
    const bad = await watch(f, 3);
    expect(bad.code, bad.stderr).toBe(0); // stable rolls back after 2 unhealthy checks in a row
    expect(bad.json).toMatchObject({ verdict: 'unhealthy', rule: 'absolute', rolledBack: false, advanced: null });
    const later = await watch(f, 30);
    expect(later.code, later.stderr).toBe(0);
    expect(later.json).toMatchObject({ verdict: 'healthy', advanced: null, stuck: false });
    expect(later.json.stage.devices).toBeGreaterThanOrEqual(200);
    const text = await f.friday(['watch', '--channel', 'stable', '--now', at(30)]);
    expect(text.stdout).toContain(`not widened to 50% yet: an unhealthy check at ${at(3)}, since the stage began`);
    expect((await f.live('stable')).signed.rollout.percent).toBe(10);
    const stuck = await watch(f, 97);
    expect(stuck.json).toMatchObject({ verdict: 'healthy', stuck: true, advanced: null });
    // A rollout by hand wins and starts a new stage, which widens on its own a day later.
    expect((await f.friday(['rollout', '--channel', 'stable', '--percent', '20', '--key', f.alice.path, '--now', at(97)])).code).toBe(0);
    const fresh = await watch(f, 121);
    expect(fresh.json.advanced).toMatchObject({ from: 20, to: 50 });
  });

  it('short of the threshold of keys it stages the wider rollout once and exits 1; without a key it says so', async () => {
    const f = await stable({ baseline: true });
    await writeFeed(f, { fleet: 2400, hours: 30, versions: [onNew(240, 0, 30)] });
    const noKey = await f.friday(['watch', '--channel', 'stable', '--json', '--now', at(24)]);
    expect(noKey.code, noKey.stderr).toBe(1);
    expect(noKey.json).toMatchObject({ verdict: 'healthy', advanced: null, error: { code: 'E_KEY' } });
    expect(noKey.stderr).toMatch(/friday: watch stable: widening 10% → 50%: no signing key/);

    const trust = JSON.parse(await fs.readFile(f.trustPath, 'utf8'));
    trust.channels = { stable: { threshold: 2 } };
    await fs.writeFile(f.trustPath, JSON.stringify(trust));
    const serial = (await f.live('stable')).signed.serial;
    const r = await watch(f, 24);
    expect(r.code, r.stderr).toBe(1);
    expect(r.json).toMatchObject({ advanced: { from: 10, to: 50, serial: serial + 1 }, error: { code: 'E_THRESHOLD' } });
    const staged = JSON.parse(await fs.readFile(join(f.ota, 'channels/stable/staged.json'), 'utf8'));
    expect(staged.signed).toMatchObject({ serial: serial + 1, rollout: { percent: 50 } });
    expect((await f.live('stable')).signed.rollout.percent).toBe(10);
    // The next check does not stage it again over the co-signatures it may have gathered.
    const before = await snapshot(join(f.ota, 'channels/stable'));
    const again = await watch(f, 24.1, ['--dry-run']);
    expect(again.json.advanced).toEqual({ from: 10, to: 50, serial: null });
    expect(await snapshot(join(f.ota, 'channels/stable'))).toEqual(before);
    const next = await watch(f, 24.2);
    expect(next.code).toBe(1);
    expect(next.stderr).toContain('waiting for a co-signature');
    expect(JSON.parse(await fs.readFile(join(f.ota, 'channels/stable/staged.json'), 'utf8'))).toEqual(staged);
    // A co-signature puts it live; the stage at 50 % starts then.
    expect((await f.friday(['sign', '--channel', 'stable', '--key', f.bob.path, '--now', at(25)])).code).toBe(0);
    expect((await f.friday(['publish', '--channel', 'stable', '--now', at(25)])).code).toBe(0);
    const after = await watch(f, 26);
    expect(after.json).toMatchObject({ advanced: null, stage: { percent: 50, since: at(25) } });
  });
});
