/**
 * A beta channel of four device models for the per-model tests (test/e2e/fleet.test.ts, the
 * crash-safety test): OLD live from Nov 18 (stable took it), NEW from Nov 26 17:00, and a week's
 * feed in which every event names its model and channel.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { makeFixture, type Fixture } from '../integration/channel-fixture.js';
// @ts-expect-error: a plain ES module without types, shared with the demo and the benchmarks
import { feedText } from '../../fixtures/feeds/generate.mjs';

export const OLD = '2026.47.0';
export const NEW = '2026.48.0';
const WEEK_START = '2026-11-21T05:00:00Z'; // baselineHours (168) before NOW
const NEW_LIVE = '2026-11-26T17:00:00Z'; // hour 132 of the feed
export const NOW = '2026-11-28T05:00:00Z';
/** Four models over 2,000 devices: lmi and sagit are 5 % of the fleet each. */
const MODELS: [string, number, number][] = [
  ['cepheus', 0, 1100],
  ['umi', 1100, 1800],
  ['lmi', 1800, 1900],
  ['sagit', 1900, 2000],
];
export const DEVICES = MODELS.map((m) => m[0]);
const BASE_RATE = 0.002;

/** beta carried OLD from Nov 18 (stable took it), then NEW from Nov 26 17:00. */
export async function channel(): Promise<Fixture> {
  const f = await makeFixture({ releases: [OLD, NEW], devices: DEVICES });
  const run = async (args: string[], now: string) => {
    const r = await f.friday([...args, '--key', f.alice.path], { FRIDAY_NOW: now });
    expect(r.code, r.stderr).toBe(0);
  };
  await run(['stage', '--channel', 'beta', '--version', OLD, '--publish'], '2026-11-18T12:00:00Z');
  await run(['stage', '--channel', 'stable', '--version', OLD, '--rollout', '100', '--publish'], '2026-11-26T12:00:00Z');
  await run(['stage', '--channel', 'beta', '--version', NEW, '--publish'], NEW_LIVE);
  return f;
}

/** A week of the fleet, each event naming its model; `spike` multiplies NEW's crash rate on those models. */
export async function writeFeed(f: Fixture, spike: Record<string, number>): Promise<void> {
  const text = feedText({
    start: WEEK_START,
    hours: 168,
    devices: 2000,
    active: 0.5,
    seed: 11,
    versions: MODELS.flatMap(([model, firstDevice, lastDevice]) => [
      { version: OLD, toHour: 132, firstDevice, lastDevice, crashRate: BASE_RATE },
      { version: NEW, fromHour: 132, firstDevice, lastDevice, crashRate: BASE_RATE * (spike[model] ?? 1) },
    ]),
  }) as string;
  const tagged = text.replace(/"device":"d-(\d+)"/g, (all, n: string) => {
    const model = MODELS.find(([, a, b]) => Number(n) - 1 >= a && Number(n) - 1 < b)![0];
    return `${all},"model":"${model}","channel":"beta"`;
  });
  await fs.mkdir(join(f.dir, 'feedback'), { recursive: true });
  await fs.writeFile(join(f.dir, 'feedback', 'crashes.ndjson'), tagged);
}
