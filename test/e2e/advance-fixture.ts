/**
 * A stable channel for the advance tests (docs/formats.md "Channel policies", `advance`): the
 * shipped stable policy, a release at its first stage, and feeds generated over simulated days.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { makeFixture, type Fixture } from '../integration/channel-fixture.js';
// @ts-expect-error: a plain ES module without types, shared with the demo and the benchmarks
import { feedText } from '../../fixtures/feeds/generate.mjs';

export const OLD = '2026.47.0';
export const NEW = '2026.48.0';
const FEED_START = '2026-11-27T05:00:00Z'; // 12 hours before NEW goes live on stable
export const GO_LIVE = '2026-11-27T17:00:00Z';
const H = 3_600_000;
/** `hours` after NEW went live on stable at 10 %. */
export const at = (hours: number) => new Date(Date.parse(GO_LIVE) + hours * H).toISOString().replace('.000Z', 'Z');

/**
 * stable fed from beta after its week of soak: OLD live on stable from Nov 13 when `baseline`,
 * then NEW at the policy's first stage (10 %) at GO_LIVE.
 */
export async function stable(opts: { baseline: boolean }): Promise<Fixture> {
  const f = await makeFixture({ releases: [OLD, NEW] });
  const key = ['--key', f.alice.path];
  const run = async (now: string, args: string[]) => {
    const r = await f.friday([...args, ...key, '--now', now]);
    expect(r.code, r.stderr).toBe(0);
  };
  await run('2026-11-06T17:00:00Z', ['stage', '--channel', 'beta', '--version', OLD, '--publish']);
  if (opts.baseline) await run('2026-11-13T17:00:00Z', ['stage', '--channel', 'stable', '--version', OLD, '--publish']);
  await run('2026-11-20T17:00:00Z', ['stage', '--channel', 'beta', '--version', NEW, '--publish']);
  await run(GO_LIVE, ['stage', '--channel', 'stable', '--version', NEW, '--publish']);
  expect((await f.live('stable')).signed.rollout.percent).toBe(10);
  return f;
}

/** One version spec of the feed generator: NEW on the first `devices` of the fleet, from `from` to `to` hours after go-live. */
export const onNew = (devices: number, from: number, to: number, crashRate = 0.002) => ({
  version: NEW,
  fromHour: 12 + from,
  toHour: 12 + to,
  lastDevice: devices,
  crashRate,
});

export async function writeFeed(f: Fixture, o: { fleet: number; hours: number; versions: object[] }): Promise<void> {
  const text = feedText({
    start: FEED_START,
    hours: 12 + o.hours,
    devices: o.fleet,
    active: 0.3,
    seed: 11,
    versions: [...o.versions, { version: OLD, crashRate: 0.002 }],
  });
  await fs.mkdir(join(f.dir, 'feedback'), { recursive: true });
  await fs.writeFile(join(f.dir, 'feedback', 'crashes.ndjson'), text);
}

export const watch = (f: Fixture, hours: number, extra: string[] = []) =>
  f.friday(['watch', '--channel', 'stable', '--key', f.alice.path, '--json', '--now', at(hours), ...extra]);
