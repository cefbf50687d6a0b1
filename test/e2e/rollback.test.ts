/** `friday rollback` through the CLI: last good release, `rollback` set, bad version blocked, published at once. */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFixture, snapshot } from '../integration/channel-fixture.js';

async function twoReleasesLive() {
  const f = await makeFixture({ releases: ['2026.46.0', '2026.47.0', '2026.48.0'] });
  for (const v of ['2026.47.0', '2026.48.0']) {
    const r = await f.friday(['stage', '--channel', 'beta', '--version', v, '--key', f.alice.path, '--publish']);
    expect(r.code, r.stderr).toBe(0);
  }
  return f;
}

describe('rollback', () => {
  it('publishes the last good release at once, blocks the bad one, and devices on it take the older build', async () => {
    const f = await twoReleasesLive();
    const r = await f.friday(['rollback', '--channel', 'beta', '--reason', 'bootloop on umi', '--key', f.alice.path, '--json'], {
      FRIDAY_NOW: '2026-11-28T09:00:00Z',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ published: true, from: '2026.48.0', to: '2026.47.0', serial: 3, blocked: ['2026.48.0'] });
    const live = await f.live('beta');
    expect(live.signed).toMatchObject({
      serial: 3,
      release: { version: '2026.47.0' },
      rollback: { from: '2026.48.0', reason: 'bootloop on umi' },
      blocked: ['2026.48.0'],
      rollout: { percent: 100 },
    });
    expect((await f.events('beta')).slice(-2).map((e) => [e.action, e.serial, e.version])).toEqual([
      ['rollback', 3, '2026.47.0'],
      ['publish', 3, '2026.47.0'],
    ]);

    const state = join(f.dir, 'state.json');
    const onBad = await f.friday(
      [
        'pull',
        '--channel',
        'beta',
        '--source',
        f.ota,
        '--trust',
        f.trustPath,
        '--device',
        'umi',
        '--device-id',
        'd1',
        '--current',
        '2026.48.0',
        '--state',
        state,
        '--json',
      ],
      { FRIDAY_NOW: '2026-11-28T09:05:00Z' },
    );
    expect(onBad.json).toMatchObject({ decision: 'update', version: '2026.47.0', rollback: true, serial: 3 });
    const onGood = await f.friday(
      [
        'pull',
        '--channel',
        'beta',
        '--source',
        f.ota,
        '--trust',
        f.trustPath,
        '--device',
        'umi',
        '--current',
        '2026.47.0',
        '--state',
        state,
        '--json',
      ],
      { FRIDAY_NOW: '2026-11-28T09:05:00Z' },
    );
    expect(onGood.json.decision).toBe('up-to-date');

    // A blocked version is never staged again without --force.
    const again = await f.friday(['stage', '--channel', 'beta', '--version', '2026.48.0', '--key', f.alice.path, '--json']);
    expect(again.code).toBe(1);
    expect(again.json.error.code).toBe('E_BLOCKED');
    const forced = await f.friday(['stage', '--channel', 'beta', '--version', '2026.48.0', '--key', f.alice.path, '--force', '--json']);
    expect(forced.code, forced.stderr).toBe(0);
  });

  it('a second rollback skips blocked versions; --to picks a release; nothing left is exit 1', async () => {
    const f = await twoReleasesLive();
    expect((await f.friday(['rollback', '--channel', 'beta', '--reason', 'r1', '--key', f.alice.path])).code).toBe(0);
    // Now 2026.47.0 is live (rollback); rolling it back too leaves nothing earlier in the channel's history.
    const none = await f.friday(['rollback', '--channel', 'beta', '--reason', 'r2', '--key', f.alice.path, '--json']);
    expect(none.code).toBe(1);
    expect(none.json.error.code).toBe('E_NOTHING');
    // --to a release cut but never on the channel: taken from its build record.
    const to = await f.friday(['rollback', '--channel', 'beta', '--to', '2026.46.0', '--reason', 'r2', '--key', f.alice.path, '--json']);
    expect(to.code, to.stderr).toBe(0);
    expect(to.json).toMatchObject({ from: '2026.47.0', to: '2026.46.0', blocked: ['2026.48.0', '2026.47.0'] });
    const blocked = await f.friday(['rollback', '--channel', 'beta', '--to', '2026.48.0', '--reason', 'r3', '--key', f.alice.path]);
    expect(blocked.code).toBe(2);
  });

  it('--to a version neither in the channel history nor cut is bad input: exit 2, named, nothing written', async () => {
    const f = await twoReleasesLive();
    const before = await snapshot(f.ota);
    const r = await f.friday(['rollback', '--channel', 'beta', '--to', '2026.40.0', '--reason', 'r', '--key', f.alice.path, '--json']);
    expect(r.code).toBe(2);
    expect(r.json.error).toEqual({
      code: 'E_USAGE',
      message: '--to 2026.40.0: no such release (never on beta, and no ota/releases/2026.40.0)',
    });
    const text = await f.friday(['rollback', '--channel', 'beta', '--to', '2026.40.0', '--reason', 'r', '--key', f.alice.path]);
    expect(text.code).toBe(2);
    expect(text.stderr).toContain('friday: --to 2026.40.0: no such release');
    expect(await snapshot(f.ota)).toEqual(before);
  });

  it('on a channel fed from another, --to only goes back to a release that channel carried (no skipped soak)', async () => {
    const f = await makeFixture({ releases: ['2026.46.0', '2026.47.0', '2026.48.0'] });
    const at = (iso: string) => ({ FRIDAY_NOW: iso });
    // Each release goes live on beta, then onto stable eight days later (stable soaks 168 h).
    for (const [v, onBeta, onStable] of [
      ['2026.47.0', '2026-11-01T10:00:00Z', '2026-11-09T10:00:00Z'],
      ['2026.48.0', '2026-11-10T10:00:00Z', '2026-11-18T10:00:00Z'],
    ] as const) {
      expect((await f.friday(['stage', '--channel', 'beta', '--version', v, '--key', f.alice.path, '--publish'], at(onBeta))).code).toBe(0);
      const p = await f.friday(['promote', '--from', 'beta', '--to', 'stable', '--key', f.alice.path, '--publish'], at(onStable));
      expect(p.code, p.stderr).toBe(0);
    }
    const before = await snapshot(f.ota);
    const never = await f.friday(
      ['rollback', '--channel', 'stable', '--to', '2026.46.0', '--reason', 'r', '--key', f.alice.path, '--json'],
      at('2026-11-20T12:00:00Z'),
    );
    expect(never.code).toBe(2);
    expect(never.json.error.message).toBe('--to 2026.46.0: never live on stable, which takes its releases from beta after the soak');
    expect(await snapshot(f.ota)).toEqual(before);
    const carried = await f.friday(
      ['rollback', '--channel', 'stable', '--to', '2026.47.0', '--reason', 'r', '--key', f.alice.path, '--json'],
      at('2026-11-20T12:00:00Z'),
    );
    expect(carried.code, carried.stderr).toBe(0);
    expect(carried.json).toMatchObject({ from: '2026.48.0', to: '2026.47.0' });
  });

  it('below the threshold it stages the rollback, says a co-signature is needed and exits 1', async () => {
    const f = await twoReleasesLive();
    const trust = JSON.parse(await fs.readFile(f.trustPath, 'utf8'));
    trust.channels = { beta: { threshold: 2 } };
    await fs.writeFile(f.trustPath, JSON.stringify(trust));
    const r = await f.friday(['rollback', '--channel', 'beta', '--reason', 'spike', '--key', f.alice.path, '--json']);
    expect(r.code).toBe(1);
    // Not a success-looking result: the error document, and the rollback waiting in staged.json.
    expect(r.json).toEqual({
      ok: false,
      error: {
        code: 'E_THRESHOLD',
        message: 'rollback: beta 2026.48.0 → 2026.47.0 is staged as serial 3, NOT live: 1 of the 2 signatures needed',
      },
    });
    expect(r.stderr).toContain('friday: rollback: beta 2026.48.0 → 2026.47.0 is staged as serial 3, NOT live');
    expect(r.stderr).toContain('friday sign --channel beta --key <file>, then friday publish --channel beta');
    expect((await f.live('beta')).signed.serial).toBe(2);
    const staged = JSON.parse(await fs.readFile(join(f.ota, 'channels/beta/staged.json'), 'utf8'));
    expect(staged.signed).toMatchObject({ serial: 3, release: { version: '2026.47.0' }, rollback: { from: '2026.48.0', reason: 'spike' } });
    const text = await f.friday(['rollback', '--channel', 'beta', '--reason', 'spike', '--key', f.alice.path]);
    expect(text.code).toBe(1);
    expect(text.stdout).toBe('');
    expect(text.stderr.split('\n')[0]).toBe(
      'friday: rollback: beta 2026.48.0 → 2026.47.0 is staged as serial 3, NOT live: 1 of the 2 signatures needed',
    );
    expect((await f.friday(['sign', '--channel', 'beta', '--key', f.bob.path])).code).toBe(0);
    const pub = await f.friday(['publish', '--channel', 'beta', '--json']);
    expect(pub.code, pub.stderr).toBe(0);
    expect((await f.live('beta')).signed).toMatchObject({ serial: 3, rollback: { from: '2026.48.0' } });
  });

  it('--dry-run writes nothing: rollback, rollout, renew, stage, sign, publish', async () => {
    const f = await twoReleasesLive();
    const before = await snapshot(f.ota);
    const key = ['--key', f.alice.path, '--dry-run'];
    const runs = [
      ['rollback', '--channel', 'beta', '--reason', 'dry', ...key],
      ['rollout', '--channel', 'beta', '--percent', '50', ...key],
      ['renew', '--channel', 'beta', '--force', ...key],
      ['stage', '--channel', 'beta', '--version', '2026.46.0', ...key],
    ];
    for (const args of runs) {
      const r = await f.friday([...args, '--json']);
      expect({ args, code: r.code }).toEqual({ args, code: 0 });
      expect(r.stderr).toContain('would write');
    }
    expect(await snapshot(f.ota)).toEqual(before);
    expect((await f.friday(['stage', '--channel', 'beta', '--version', '2026.46.0', '--key', f.alice.path])).code).toBe(0);
    const staged = await snapshot(f.ota);
    expect((await f.friday(['sign', '--channel', 'beta', '--key', f.bob.path, '--dry-run'])).code).toBe(0);
    expect((await f.friday(['publish', '--channel', 'beta', '--dry-run'])).code).toBe(0);
    expect(await snapshot(f.ota)).toEqual(staged);
  });

  it('nothing live is exit 1', async () => {
    const f = await makeFixture();
    const r = await f.friday(['rollback', '--channel', 'beta', '--reason', 'x', '--key', f.alice.path, '--json']);
    expect(r.code).toBe(1);
    expect(r.json.error.code).toBe('E_NOTHING');
  });
});
