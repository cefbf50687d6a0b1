/**
 * docs/quality.md "Crash safety": `publish`, `rollout`, `rollback` (and `stage --publish`, `renew`)
 * are SIGKILLed at random moments, many times. After every kill each managed file is as before or
 * as after: it parses, the live and history manifests verify, the audit log's lines parse; and
 * the next run succeeds and completes what a killed publish left (test/e2e/publish-order.test.ts
 * stops the publisher between each pair of steps instead of at random).
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prng, runAndKill as runIn, tmpDir } from '../helpers/index.js';
import { checkChannelFiles, makeFixture, type Fixture } from '../integration/channel-fixture.js';
import { channel as fleetChannel, NEW, NOW as FLEET_NOW, writeFeed } from './fleet-fixture.js';

const runAndKill = (f: Fixture, args: string[], killAfterMs: number | null) => runIn(f.dir, args, killAfterMs, { FRIDAY_NOW: NOW });

const NOW = '2026-11-27T17:00:00Z';
const KILLS = 30;

/** Every managed file whole after a kill (a killed publish may still owe its history copy and log line). */
const checkChannel = (f: Fixture, channel: string) => checkChannelFiles(f.ota, f.trustPath, channel, NOW, { complete: false });

describe('crash safety', () => {
  it(`${KILLS} SIGKILLs at random points leave every managed file whole, and the next run succeeds`, async () => {
    const f = await makeFixture({ releases: ['2026.46.0', '2026.47.0', '2026.48.0'] });
    const key = ['--key', f.alice.path];
    expect((await runAndKill(f, ['stage', '--channel', 'beta', '--version', '2026.46.0', ...key, '--publish'], null)).code).toBe(0);
    // Kill times follow a staircase that homes in on the moment a run replaces the live file:
    // later after a kill that changed nothing, earlier after a run that finished or published.
    // So kills cluster around the writes whatever the machine's load, with no timing assumption.
    const t0 = await runAndKill(f, ['rollout', '--channel', 'beta', '--percent', '50', ...key], null);
    expect(t0.code).toBe(0);
    const seed = Number(process.env.FRIDAY_CRASH_SEED ?? 20261127);
    const rnd = prng(seed);
    const commands = [
      () => [
        'stage',
        '--channel',
        'beta',
        '--version',
        ['2026.46.0', '2026.47.0', '2026.48.0'][Math.floor(rnd() * 3)]!,
        '--force',
        ...key,
        '--publish',
      ],
      () => ['rollout', '--channel', 'beta', '--percent', String(1 + Math.floor(rnd() * 99)), ...key],
      () => ['rollback', '--channel', 'beta', '--reason', 'crash test', ...key],
      () => ['renew', '--channel', 'beta', '--force', ...key],
      () => ['stage', '--channel', 'beta', '--version', '2026.48.0', '--force', ...key],
      () => ['publish', '--channel', 'beta'],
    ];
    let delay = t0.ms * 0.8;
    let killed = 0;
    for (let i = 0; i < KILLS; i++) {
      const args = commands[Math.floor(rnd() * commands.length)]!();
      const serial = (await checkChannel(f, 'beta')).signed.serial;
      const r = await runAndKill(f, args, Math.max(5, Math.round(delay * (0.85 + rnd() * 0.3))));
      const moved = (await checkChannel(f, 'beta')).signed.serial !== serial;
      if (r.signal === 'SIGKILL') killed++;
      delay *= r.signal !== 'SIGKILL' ? 0.85 : moved ? 0.95 : 1.1;
      // A killed run's lock goes stale after 5 s; drop it rather than wait, except at the end (below).
      if (i < KILLS - 1) await fs.rm(join(f.ota, 'channels/beta/.friday.lock'), { recursive: true, force: true });
    }
    expect(killed, `seed ${seed}`).toBeGreaterThan(0);
    // The next run succeeds, after the last run's lock (if it was killed holding it) goes stale.
    const before = (await checkChannel(f, 'beta')).signed.serial;
    const next = await runAndKill(f, ['stage', '--channel', 'beta', '--version', '2026.48.0', '--force', ...key, '--publish'], null);
    expect(next.code, next.stderr).toBe(0);
    const after = await checkChannelFiles(f.ota, f.trustPath, 'beta', NOW, { complete: true });
    expect(after.signed.serial).toBe(before + 1);
    expect(after.signed.release.version).toBe('2026.48.0');
    const leftovers = (await fs.readdir(join(f.ota, 'channels/beta'))).filter((n) => n.endsWith('.tmp'));
    expect(leftovers).toEqual([]);
  }, 90_000);

  it('a watch SIGKILLed at random points of a partial rollback leaves the old manifest or the new one, never a mix', async () => {
    const f = await fleetChannel();
    await writeFeed(f, { lmi: 5 });
    const pristine = join(tmpDir(), 'ota');
    await fs.cp(f.ota, pristine, { recursive: true });
    const watch = ['watch', '--channel', 'beta', '--key', f.alice.path];
    const check = () => checkChannelFiles(f.ota, f.trustPath, 'beta', FLEET_NOW, { complete: false });
    const t0 = await runIn(f.dir, watch, null, { FRIDAY_NOW: FLEET_NOW });
    expect(t0.code, t0.stderr).toBe(3);
    const rnd = prng(Number(process.env.FRIDAY_CRASH_SEED ?? 20261130));
    let delay = t0.ms * 0.8;
    let killed = 0;
    for (let i = 0; i < 12; i++) {
      await fs.rm(f.ota, { recursive: true, force: true });
      await fs.cp(pristine, f.ota, { recursive: true });
      const r = await runIn(f.dir, watch, Math.max(5, Math.round(delay * (0.85 + rnd() * 0.3))), { FRIDAY_NOW: FLEET_NOW });
      const live = (await check()).signed;
      if (r.signal === 'SIGKILL') killed++;
      // Old (serial 2, lmi on NEW) or new (serial 3, lmi alone back, NEW blocked for it): nothing between.
      if (live.serial === 2) expect([live.deviceReleases ?? {}, live.deviceBlocked ?? {}]).toEqual([{}, {}]);
      else {
        expect(live.serial).toBe(3);
        expect(live.deviceBlocked).toEqual({ lmi: [NEW] });
        expect(Object.keys(live.deviceReleases ?? {})).toEqual(['lmi']);
      }
      delay *= r.signal !== 'SIGKILL' ? 0.85 : live.serial === 3 ? 0.95 : 1.1;
      await fs.rm(join(f.ota, 'channels/beta/.friday.lock'), { recursive: true, force: true });
      await fs.rm(join(f.ota, 'channels/beta/.watch.lock'), { recursive: true, force: true });
    }
    expect(killed).toBeGreaterThan(0);
  }, 120_000);
});
