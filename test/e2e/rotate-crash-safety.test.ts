/**
 * docs/quality.md "Crash safety" for `keys rotate`: SIGKILLed right after each step of its sequence
 * (trust/1.json, trust/<N+1>.json; FRIDAY_TEST_KILL_AFTER) and at random moments, it leaves the
 * old chain or the new one: trust.json parses, a device that shipped with version 1 follows the
 * chain in the publish folder to version N or N+1, `status` reads it, and the next rotation succeeds.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { followTrustChain } from '../../src/client/chain.js';
import { parseTrust } from '../../src/client/trust.js';
import { prng, runAndKill } from '../helpers/index.js';
import { makeFixture, type Fixture } from '../integration/channel-fixture.js';

const NOW = '2026-11-27T17:00:00Z';
const KILLS = 20;

/** The newest version a device shipped with `shipped` reaches in the publish folder, after checking trust.json and status agree. */
async function chainVersion(f: Fixture, shipped: string): Promise<number> {
  const top = parseTrust(JSON.parse(await fs.readFile(f.trustPath, 'utf8')));
  const newest = await followTrustChain(parseTrust(JSON.parse(shipped)), { kind: 'dir', root: f.ota });
  expect(newest.version - top.version).toBeGreaterThanOrEqual(0);
  expect(newest.version - top.version).toBeLessThanOrEqual(1);
  const status = await f.friday(['status', '--json']);
  expect(status.code, status.stderr).toBe(0);
  expect(status.json.trust.version).toBe(newest.version);
  return newest.version;
}

describe('keys rotate crash safety', () => {
  it('killed after each step, and at random points, leaves the old chain or the new; the next run succeeds', async () => {
    const f = await makeFixture();
    const shipped = await fs.readFile(f.trustPath, 'utf8');
    const rotate = (threshold: number) => ['keys', 'rotate', '--threshold', String(threshold), '--key', f.alice.path, '--key', f.bob.path];
    const run = (args: string[], killAfterMs: number | null, env: Record<string, string> = {}) =>
      runAndKill(f.dir, args, killAfterMs, { FRIDAY_NOW: NOW, ...env });
    const dropLock = () => fs.rm(`${f.trustPath}.lock`, { recursive: true, force: true });

    for (const step of ['trust-first', 'trust-version']) {
      const before = await chainVersion(f, shipped);
      const r = await run(rotate(2), null, { FRIDAY_TEST_KILL_AFTER: step });
      if (step === 'trust-first' || before === 1) expect(r.signal).toBe('SIGKILL');
      const after = await chainVersion(f, shipped);
      expect(after).toBe(step === 'trust-version' ? before + 1 : before);
      await dropLock();
    }
    const t0 = await run(rotate(1), null);
    expect(t0.code, t0.stderr).toBe(0);

    const rnd = prng(Number(process.env.FRIDAY_CRASH_SEED ?? 20261130));
    let delay = t0.ms * 0.8;
    let killed = 0;
    for (let i = 0; i < KILLS; i++) {
      const before = await chainVersion(f, shipped);
      const r = await run(rotate(1 + Math.floor(rnd() * 2)), Math.max(5, Math.round(delay * (0.85 + rnd() * 0.3))));
      const after = await chainVersion(f, shipped);
      if (r.signal === 'SIGKILL') killed++;
      else expect(r.code, r.stderr).toBe(0);
      expect([before, before + 1]).toContain(after);
      delay *= r.signal !== 'SIGKILL' ? 0.85 : after !== before ? 0.95 : 1.1;
      await dropLock();
    }
    expect(killed).toBeGreaterThan(0);
    const before = await chainVersion(f, shipped);
    const last = await run(rotate(1), null);
    expect(last.code, last.stderr).toBe(0);
    expect(await chainVersion(f, shipped)).toBe(before + 1);
    expect((await fs.readdir(join(f.ota, 'trust'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  }, 90_000);

  it('a rotation after one killed between its version file and trust.json moves trust.json up first: it never lags by two', async () => {
    const f = await makeFixture();
    const shipped = await fs.readFile(f.trustPath, 'utf8');
    const rotate = ['keys', 'rotate', '--threshold', '1', '--key', f.alice.path, '--key', f.bob.path];
    const killAfterVersion = () => runAndKill(f.dir, rotate, null, { FRIDAY_NOW: NOW, FRIDAY_TEST_KILL_AFTER: 'trust-version' });
    expect((await killAfterVersion()).signal).toBe('SIGKILL');
    await fs.rm(`${f.trustPath}.lock`, { recursive: true, force: true });
    expect(await chainVersion(f, shipped)).toBe(2);
    expect(parseTrust(JSON.parse(await fs.readFile(f.trustPath, 'utf8'))).version).toBe(1);
    expect((await killAfterVersion()).signal).toBe('SIGKILL');
    await fs.rm(`${f.trustPath}.lock`, { recursive: true, force: true });
    expect(await chainVersion(f, shipped)).toBe(3);
    expect(parseTrust(JSON.parse(await fs.readFile(f.trustPath, 'utf8'))).version).toBe(2);
  });
});
