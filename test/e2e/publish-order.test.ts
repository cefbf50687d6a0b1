/**
 * The publish order (docs/formats.md "Publishing"): each command that publishes is stopped
 * (SIGKILL, through the FRIDAY_TEST_KILL_AFTER checkpoint of src/io/store.ts) right after each
 * step of the sequence — live file, history copy, staged.json removed, each audit line — and after
 * each stop a mirror would see a live manifest that verifies and a history of serials 1..live (or
 * 1..live-1 until the next command completes it), never a signed manifest that did not go live.
 * The next command then succeeds and leaves the channel complete.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module without types, shared with the demo and the benchmarks
import { feedText } from '../../fixtures/feeds/generate.mjs';
import { runAndKill } from '../helpers/index.js';
import { checkChannelFiles, makeFixture, type Fixture } from '../integration/channel-fixture.js';

const OLD = '2026.47.0';
const NEW = '2026.48.0';
const NOW = '2026-11-28T05:00:00Z';

/** beta carried OLD, then NEW (serials 1 and 2), and a crash feed where NEW spikes. */
async function twoReleases(): Promise<Fixture> {
  const f = await makeFixture({ releases: [OLD, NEW] });
  for (const [v, at] of [
    [OLD, '2026-11-20T17:00:00Z'],
    [NEW, '2026-11-27T17:00:00Z'],
  ] as const) {
    const r = await f.friday(['stage', '--channel', 'beta', '--version', v, '--key', f.alice.path, '--publish'], { FRIDAY_NOW: at });
    expect(r.code, r.stderr).toBe(0);
  }
  const feed = feedText({
    start: '2026-11-21T05:00:00Z',
    hours: 168,
    devices: 400,
    active: 0.5,
    seed: 3,
    versions: [
      { version: OLD, toHour: 156, crashRate: 0.01 },
      { version: NEW, fromHour: 156, crashRate: 0.12 },
    ],
  });
  await fs.mkdir(join(f.dir, 'feedback'), { recursive: true });
  await fs.writeFile(join(f.dir, 'feedback', 'crashes.ndjson'), feed);
  return f;
}

interface Case {
  name: string;
  /** Steps of the publish sequence this command passes, in order. */
  steps: string[];
  /** What stands on the channel before the command. */
  setup(f: Fixture): Promise<void>;
  args(f: Fixture): string[];
}

const key = (f: Fixture) => ['--key', f.alice.path];
const cases: Case[] = [
  {
    name: 'publish',
    steps: ['live', 'history', 'staged', 'event:1'],
    setup: async (f) => {
      expect((await f.friday(['stage', '--channel', 'beta', '--version', OLD, ...key(f)], { FRIDAY_NOW: NOW })).code).toBe(0);
    },
    args: () => ['publish', '--channel', 'beta'],
  },
  {
    name: 'rollout',
    steps: ['live', 'history', 'event:1', 'event:2'],
    setup: async () => {},
    args: (f) => ['rollout', '--channel', 'beta', '--percent', '50', ...key(f)],
  },
  {
    name: 'rollback',
    steps: ['live', 'history', 'event:1', 'event:2'],
    setup: async () => {},
    args: (f) => ['rollback', '--channel', 'beta', '--reason', 'order test', ...key(f)],
  },
  {
    name: 'renew',
    steps: ['live', 'history', 'event:1', 'event:2'],
    setup: async () => {},
    args: (f) => ['renew', '--channel', 'beta', '--force', ...key(f)],
  },
  {
    name: "watch's automatic rollback",
    steps: ['live', 'history', 'event:1', 'event:2'],
    setup: async () => {},
    args: (f) => ['watch', '--channel', 'beta', ...key(f)],
  },
];

describe('the publish order', () => {
  for (const c of cases) {
    it(`${c.name}: stopped after each step, the channel is whole and the next command completes it`, async () => {
      const f = await twoReleases();
      await c.setup(f);
      const beta = join(f.ota, 'channels/beta');
      const saved = `${beta}.saved`;
      await fs.cp(beta, saved, { recursive: true });
      for (const step of c.steps) {
        await fs.rm(beta, { recursive: true, force: true });
        await fs.cp(saved, beta, { recursive: true });
        const before = (await checkChannelFiles(f.ota, f.trustPath, 'beta', NOW, { complete: true })).signed.serial;
        const killed = await runAndKill(f.dir, c.args(f), null, { FRIDAY_NOW: NOW, FRIDAY_TEST_KILL_AFTER: step });
        expect(killed.signal, `${c.name} after ${step}: ${killed.stderr}`).toBe('SIGKILL');
        const live = await checkChannelFiles(f.ota, f.trustPath, 'beta', NOW, { complete: false });
        expect(live.signed.serial, `${c.name} after ${step}`).toBe(before + 1);
        // The manifest's .minisig went into place before it, over its bytes (publish has no key:
        // it is the one `stage` made beside staged.json).
        const liveBytes = await fs.readFile(join(beta, 'manifest.json'));
        const sig = await fs.readFile(join(beta, 'manifest.json.minisig'), 'utf8');
        expect(sig, `${c.name} after ${step}`).toContain(`sha256=${createHash('sha256').update(liveBytes).digest('hex')}`);

        // The killed run's lock would go stale after 5 s; drop it rather than wait.
        for (const lock of ['.friday.lock', '.watch.lock']) await fs.rm(join(beta, lock), { recursive: true, force: true });
        // The next command under the lock completes the publish, then does its own work.
        const next = await f.friday(['renew', '--channel', 'beta', '--force', ...key(f)], { FRIDAY_NOW: NOW });
        expect(next.code, `${c.name} after ${step}: ${next.stderr}`).toBe(0);
        const done = await checkChannelFiles(f.ota, f.trustPath, 'beta', NOW, { complete: true });
        expect(done.signed.serial).toBe(before + 2);
        await expect(fs.access(join(f.ota, 'channels/beta/staged.json'))).rejects.toThrow();
        await expect(fs.access(join(f.ota, 'channels/beta/staged.json.minisig'))).rejects.toThrow();
      }
    }, 60_000);
  }
});
