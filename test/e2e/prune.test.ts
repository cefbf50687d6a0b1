/** `friday prune --keep <n>` on a channel setup (docs/cli.md `prune`). */
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFixture, snapshot } from '../integration/channel-fixture.js';

const RELEASES = ['2026.44.0', '2026.45.0', '2026.46.0', '2026.47.0', '2026.48.0'];

describe('friday prune', () => {
  it('removes old releases no channel needs, says what it freed, and keeps what devices may still be sent to', async () => {
    const f = await makeFixture({ releases: RELEASES });
    // beta carried 2026.45.0 (expired long ago), then 2026.46.0; both weeks back.
    for (const [v, at] of [
      ['2026.45.0', '2026-09-01T17:00:00Z'],
      ['2026.46.0', '2026-11-20T17:00:00Z'],
    ] as const) {
      const r = await f.friday(['stage', '--channel', 'beta', '--version', v, '--key', f.alice.path, '--publish'], { FRIDAY_NOW: at });
      expect(r.code, r.stderr).toBe(0);
    }
    const now = { FRIDAY_NOW: '2026-11-27T17:00:00Z' };

    const before = await snapshot(f.ota);
    const dry = await f.friday(['prune', '--keep', '1', '--dry-run', '--json'], now);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json.removed.map((r: { version: string }) => r.version)).toEqual(['2026.47.0', '2026.44.0']);
    expect(await snapshot(f.ota)).toEqual(before);

    const r = await f.friday(['prune', '--keep', '1'], now);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^removed 2 releases \(0\.0 MiB freed\): 2026\.47\.0, 2026\.44\.0$/m);
    expect(r.stdout).toContain('kept 2026.46.0: live on beta');
    expect(r.stdout).toContain('kept 2026.45.0: what beta rolls back to');
    expect(r.stdout).toContain('kept 2026.48.0: one of the newest 1 (1)');
    expect((await fs.readdir(join(f.ota, 'releases'))).sort()).toEqual(['2026.45.0', '2026.46.0', '2026.48.0']);

    // What was kept still works: a rollback goes back to 2026.45.0, whose files are there.
    const back = await f.friday(['rollback', '--channel', 'beta', '--reason', 'test', '--key', f.alice.path], now);
    expect(back.code, back.stderr).toBe(0);
    expect(existsSync(join(f.ota, 'releases/2026.45.0/build.json'))).toBe(true);

    const again = await f.friday(['prune', '--keep', '1', '--json'], now);
    expect(again.json.removed).toEqual([]);
  });

  it('--keep must be a whole number of at least 1 (exit 2)', async () => {
    const f = await makeFixture();
    for (const k of ['0', 'two', '-1']) {
      const r = await f.friday(['prune', '--keep', k]);
      expect(r.code, k).toBe(2);
      expect(r.stderr).toContain(`--keep ${k}: must be a whole number of at least 1`);
    }
  });
});
