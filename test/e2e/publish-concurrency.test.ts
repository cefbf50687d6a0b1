/** docs/quality.md "Concurrency": publishers racing on one channel get consecutive serials, and nothing is lost. */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFixture } from '../integration/channel-fixture.js';

describe('two publishers at once', () => {
  it('two `stage --publish` on one channel: serials 1 and 2, both in history and the audit log', async () => {
    const f = await makeFixture();
    const [a, b] = await Promise.all([
      f.friday(['stage', '--channel', 'beta', '--version', '2026.47.0', '--key', f.alice.path, '--publish', '--json']),
      f.friday(['stage', '--channel', 'beta', '--version', '2026.48.0', '--key', f.bob.path, '--publish', '--json']),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect([a.json.serial, b.json.serial].sort()).toEqual([1, 2]);
    const history = (await fs.readdir(join(f.ota, 'channels/beta/history'))).sort();
    expect(history).toEqual(['00000001.json', '00000002.json']);
    const live = await f.live('beta');
    expect(live.signed.serial).toBe(2);
    const publishes = (await f.events('beta')).filter((e) => e.action === 'publish');
    expect(publishes.map((e) => e.serial)).toEqual([1, 2]);
  });

  it('four rollouts at once: four consecutive serials, the salt kept', async () => {
    const f = await makeFixture();
    expect((await f.friday(['stage', '--channel', 'beta', '--rollout', '5', '--key', f.alice.path, '--publish'])).code).toBe(0);
    const salt = (await f.live('beta')).signed.rollout.salt;
    const runs = await Promise.all(
      ['10', '20', '30', '40'].map((p) => f.friday(['rollout', '--channel', 'beta', '--percent', p, '--key', f.alice.path, '--json'])),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    expect(runs.map((r) => r.json.serial).sort()).toEqual([2, 3, 4, 5]);
    const live = await f.live('beta');
    expect(live.signed.serial).toBe(5);
    expect(live.signed.rollout.salt).toBe(salt);
    expect((await fs.readdir(join(f.ota, 'channels/beta/history'))).length).toBe(5);
  });
});
