/**
 * docs/quality.md "Crash safety" and "Concurrency" for the widening `watch` does on its own: a
 * watch killed at each step of publishing the wider rollout leaves the old manifest or the new
 * one, never a second widening; two watches at once widen once.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAndKill } from '../helpers/index.js';
import { checkChannelFiles } from '../integration/channel-fixture.js';
import { at, onNew, stable, watch, writeFeed } from './advance-fixture.js';

describe('watch widening a rollout', () => {
  it('killed at each step of the publish: the old manifest or the new one, and the next checks never widen twice', async () => {
    const f = await stable({ baseline: true });
    await writeFeed(f, { fleet: 2400, hours: 30, versions: [onNew(240, 0, 30)] });
    const origin = join(f.dir, 'ota-before');
    await fs.cp(f.ota, origin, { recursive: true });
    // The publish steps (src/io/channel.ts publishManifest): the rollout line is the first `event`, the publish line the second.
    for (const step of ['minisig', 'live', 'history', 'event:1', 'event:2']) {
      await fs.rm(f.ota, { recursive: true, force: true });
      await fs.cp(origin, f.ota, { recursive: true });
      const serial = (await f.live('stable')).signed.serial;
      const args = ['watch', '--channel', 'stable', '--key', f.alice.path, '--now', at(24)];
      const killed = await runAndKill(f.dir, args, null, { FRIDAY_TEST_KILL_AFTER: step });
      expect(killed.signal, `${step}: ${killed.stderr}`).toBe('SIGKILL');
      for (const lock of ['.friday.lock', '.watch.lock'])
        await fs.rm(join(f.ota, 'channels/stable', lock), { recursive: true, force: true });
      const live = await checkChannelFiles(f.ota, f.trustPath, 'stable', at(24), { complete: false });
      const widened = live.signed.serial === serial + 1;
      expect(live.signed.rollout.percent, step).toBe(widened ? 50 : 10);
      expect(widened, step).toBe(step !== 'minisig');
      // The next check widens what was not widened, and never widens again what was.
      const next = await watch(f, 24.5);
      expect(next.code, `${step}: ${next.stderr}`).toBe(0);
      expect(next.json.advanced, step).toEqual(widened ? null : { from: 10, to: 50, serial: serial + 1 });
      expect((await f.live('stable')).signed.rollout.percent, step).toBe(50);
      // Any channel command completes what the killed run left.
      expect((await f.friday(['renew', '--channel', 'stable', '--force', '--key', f.alice.path, '--now', at(25)])).code).toBe(0);
      await checkChannelFiles(f.ota, f.trustPath, 'stable', at(25), { complete: true });
    }
  }, 120_000);

  it('two watches at once widen once', async () => {
    const f = await stable({ baseline: true });
    await writeFeed(f, { fleet: 2400, hours: 30, versions: [onNew(240, 0, 30)] });
    const serial = (await f.live('stable')).signed.serial;
    const runs = await Promise.all([watch(f, 24), watch(f, 24)]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    expect(runs.map((r) => r.json.advanced).filter((a) => a !== null)).toEqual([{ from: 10, to: 50, serial: serial + 1 }]);
    const live = await f.live('stable');
    expect(live.signed).toMatchObject({ serial: serial + 1, rollout: { percent: 50 } });
    const events = await f.events('stable');
    expect(events.filter((e) => e.action === 'rollout')).toHaveLength(1);
    expect(events.filter((e) => e.action === 'watch')).toHaveLength(2);
  });
});
