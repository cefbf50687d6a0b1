/**
 * `friday watch` through the CLI on a beta channel that carried two releases in turn: a healthy
 * feed, a thin one, a spike that rolls the channel back (signed, blocked), and --dry-run.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrust, verifyManifest } from '../../src/client/index.js';
import { makeFixture, snapshot, type Fixture } from '../integration/channel-fixture.js';
import { git } from '../helpers/index.js';
// @ts-expect-error: a plain ES module without types, shared with the demo and the benchmarks
import { feedText } from '../../fixtures/feeds/generate.mjs';

const OLD = '2026.47.0';
const NEW = '2026.48.0';
const WEEK_START = '2026-11-21T05:00:00Z'; // baselineHours (168) before NOW
const NEW_LIVE = '2026-11-27T17:00:00Z'; // hour 156 of the feed
const NOW = '2026-11-28T05:00:00Z';

/** beta carried OLD from Nov 20, then NEW from Friday 17:00. */
async function channel(): Promise<Fixture> {
  const f = await makeFixture({ releases: [OLD, NEW] });
  const a = await f.friday(['stage', '--channel', 'beta', '--version', OLD, '--key', f.alice.path, '--publish'], {
    FRIDAY_NOW: '2026-11-20T17:00:00Z',
  });
  expect(a.code, a.stderr).toBe(0);
  const b = await f.friday(['stage', '--channel', 'beta', '--version', NEW, '--key', f.alice.path, '--publish'], { FRIDAY_NOW: NEW_LIVE });
  expect(b.code, b.stderr).toBe(0);
  return f;
}

async function writeFeed(f: Fixture, opts: { devices: number; oldRate: number; newRate: number; seed?: number }): Promise<void> {
  const text = feedText({
    start: WEEK_START,
    hours: 168,
    devices: opts.devices,
    active: 0.5,
    seed: opts.seed ?? 3,
    versions: [
      { version: OLD, toHour: 156, crashRate: opts.oldRate },
      { version: NEW, fromHour: 156, crashRate: opts.newRate },
    ],
  });
  await fs.mkdir(join(f.dir, 'feedback'), { recursive: true });
  await fs.writeFile(join(f.dir, 'feedback', 'crashes.ndjson'), text);
}

const watch = (f: Fixture, extra: string[] = []) =>
  f.friday(['watch', '--channel', 'beta', '--key', f.alice.path, '--json', ...extra], { FRIDAY_NOW: NOW });

describe('watch', () => {
  it('a healthy build on enough devices: exit 0, the check recorded, nothing rolled back', async () => {
    const f = await channel();
    await writeFeed(f, { devices: 400, oldRate: 0.01, newRate: 0.01 });
    const r = await watch(f);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ channel: 'beta', verdict: 'healthy', rule: null, rolledBack: false, rejected: 0 });
    expect(r.json.candidate).toMatchObject({ version: NEW });
    expect(r.json.candidate.devices).toBeGreaterThanOrEqual(200);
    expect(r.json.baseline.version).toBe(OLD);
    expect(r.json.evidence).toBeLessThan(100);
    for (const k of ['devices', 'crashed', 'units', 'crashUnits', 'sessions', 'crashes', 'signatures'])
      expect(r.json.candidate).toHaveProperty(k);
    const last = (await f.events('beta')).at(-1)!;
    expect(last).toMatchObject({ action: 'watch', version: NEW, at: NOW, detail: { verdict: 'healthy', rule: null } });
    expect((await f.live('beta')).signed.release.version).toBe(NEW);
  });

  it('a thin feed is insufficient data, not a verdict on the build', async () => {
    const f = await channel();
    await writeFeed(f, { devices: 60, oldRate: 0.01, newRate: 0.01 });
    const r = await watch(f);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ verdict: 'insufficient-data', rolledBack: false });
    expect(r.json.reason).toMatch(/200 needed/);
  });

  it('a spike rolls beta back: exit 3, signed rollback manifest with the reason, new build blocked, and it does not retrigger', async () => {
    const f = await channel();
    await writeFeed(f, { devices: 400, oldRate: 0.01, newRate: 0.12 });
    const r = await watch(f);
    expect(r.code, r.stderr).toBe(3);
    expect(r.json).toMatchObject({ verdict: 'unhealthy', rule: 'spike', rolledBack: true });
    expect(r.json.evidence).toBeGreaterThanOrEqual(100);
    expect(r.json.ratio).toBeGreaterThan(1.5);
    const live = await f.live('beta');
    expect(live.signed).toMatchObject({ release: { version: OLD }, rollback: { from: NEW }, blocked: [NEW] });
    expect(live.signed.rollback?.reason).toMatch(
      /^watch: spike rule: crash units \d+\/\d+ vs \d+\/\d+ on 2026\.47\.0, [\d.]+× the baseline, evidence [\de.]+ ≥ 100$/,
    );
    const trust = parseTrust(JSON.parse(await fs.readFile(f.trustPath, 'utf8')));
    expect(() => verifyManifest(live, trust, { channel: 'beta', now: new Date(NOW) })).not.toThrow();
    expect((await f.events('beta')).slice(-3).map((e) => e.action)).toEqual(['watch', 'rollback', 'publish']);

    // The next check judges the release now live; the blocked build's crashes are not its own.
    const again = await f.friday(['watch', '--channel', 'beta', '--key', f.alice.path, '--json'], { FRIDAY_NOW: '2026-11-28T05:10:00Z' });
    expect(again.code, again.stderr).toBe(0);
    expect(again.json.candidate.version).toBe(OLD);
    expect(again.json.rolledBack).toBe(false);
    expect((await f.live('beta')).signed.release.version).toBe(OLD);
  });

  it('--dry-run says it would roll back and exits 3, writing nothing', async () => {
    const f = await channel();
    await writeFeed(f, { devices: 400, oldRate: 0.01, newRate: 0.12 });
    const before = await snapshot(f.ota);
    const r = await watch(f, ['--dry-run']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.json).toMatchObject({ verdict: 'unhealthy', rule: 'spike', rolledBack: false });
    expect(await snapshot(f.ota)).toEqual(before);
    const text = await f.friday(['watch', '--channel', 'beta', '--dry-run'], { FRIDAY_NOW: NOW });
    expect(text.code).toBe(3);
    expect(text.stdout).toMatch(/would roll beta back from 2026\.48\.0 to 2026\.47\.0/);
    expect(text.stdout).toMatch(/UNHEALTHY \(spike rule\)/);
  });

  it('with no baseline the absolute rule still fires; with nothing to roll back to it says so and exits 1', async () => {
    const f = await makeFixture({ releases: [NEW] });
    expect(
      (await f.friday(['stage', '--channel', 'beta', '--version', NEW, '--key', f.alice.path, '--publish'], { FRIDAY_NOW: NEW_LIVE })).code,
    ).toBe(0);
    await writeFeed(f, { devices: 300, oldRate: 0.01, newRate: 0.12 });
    const r = await watch(f);
    expect(r.code, r.stderr).toBe(1);
    expect(r.json).toMatchObject({ verdict: 'unhealthy', rule: 'absolute', baseline: null, ratio: null, rolledBack: false });
    // Nothing to roll back to is a failure said as one: an error object in --json, a `friday:` line on stderr in every mode.
    expect(r.json.error).toEqual({
      code: 'E_NOTHING',
      message: `watch beta: ${NEW} is unhealthy but there is nothing to roll back to (no earlier release of beta that is not blocked)`,
    });
    expect(r.stderr).toContain(`friday: watch beta: ${NEW} is unhealthy but there is nothing to roll back to`);
    const text = await f.friday(['watch', '--channel', 'beta', '--key', f.alice.path], { FRIDAY_NOW: NOW });
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('UNHEALTHY (absolute rule)');
    expect(text.stderr.split('\n').filter((l) => l.startsWith('friday: watch beta:'))).toHaveLength(1);
    expect(text.stderr).toMatch(/\n {2}stage a fixed release \(friday stage --channel beta --version <v> --publish\)/);
    const dry = await f.friday(['watch', '--channel', 'beta', '--key', f.alice.path, '--dry-run'], { FRIDAY_NOW: NOW });
    expect(dry.code).toBe(1);
    expect(dry.stderr).toContain('is unhealthy but there is nothing to roll back to');
    expect((await f.live('beta')).signed.release.version).toBe(NEW);
  });

  it('below the channel threshold it stages the rollback once, asks for a co-signature and exits 1', async () => {
    const f = await channel();
    const trust = JSON.parse(await fs.readFile(f.trustPath, 'utf8'));
    trust.channels = { beta: { threshold: 2 } };
    await fs.writeFile(f.trustPath, JSON.stringify(trust));
    await writeFeed(f, { devices: 400, oldRate: 0.01, newRate: 0.12 });
    const r = await watch(f);
    expect(r.code, r.stderr).toBe(1);
    expect(r.json).toMatchObject({ verdict: 'unhealthy', rolledBack: false, rollback: { from: NEW, to: OLD, published: false } });
    const staged = JSON.parse(await fs.readFile(join(f.ota, 'channels', 'beta', 'staged.json'), 'utf8'));
    expect(staged.signed.rollback.from).toBe(NEW);
    const text = await f.friday(['watch', '--channel', 'beta', '--key', f.alice.path], { FRIDAY_NOW: '2026-11-28T05:10:00Z' });
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(
      /friday: watch beta: .* its rollback is staged as serial \d+, waiting for a co-signature\n {2}co-sign it: friday sign --channel beta/,
    );
    expect(JSON.parse(await fs.readFile(join(f.ota, 'channels', 'beta', 'staged.json'), 'utf8'))).toEqual(staged);
    expect((await f.live('beta')).signed.release.version).toBe(NEW);
  });

  it('renews the live manifest when a third of its validity is left, then judges', async () => {
    const f = await channel();
    await writeFeed(f, { devices: 400, oldRate: 0.01, newRate: 0.01 });
    const before = await f.live('beta');
    const later = '2026-12-07T05:00:00Z'; // beta manifests last 14 days: under a third left
    // A dry run says it would renew, never that it renewed.
    const dry = await f.friday(['watch', '--channel', 'beta', '--key', f.alice.path, '--json', '--dry-run'], { FRIDAY_NOW: later });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json.renewed).toBe(false);
    expect(dry.stderr).toContain('beta: would renew the manifest (dry run: nothing written)');
    expect(dry.stderr).not.toMatch(/\brenewed\b/);
    expect((await f.live('beta')).signed.serial).toBe(before.signed.serial);
    const r = await f.friday(['watch', '--channel', 'beta', '--key', f.alice.path, '--json'], { FRIDAY_NOW: later });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.renewed).toBe(true);
    const after = await f.live('beta');
    expect(after.signed.serial).toBe(before.signed.serial + 1);
    expect(after.signed.release.version).toBe(NEW);
    expect((await f.events('beta')).slice(-3).map((e) => e.action)).toEqual(['renew', 'publish', 'watch']);
  });

  it('keeps what it counted under .git/friday, the tree clean; the next check reads the appended lines and gives the figures of a full scan', async () => {
    const f = await channel();
    await writeFeed(f, { devices: 300, oldRate: 0.01, newRate: 0.01 });
    const feed = join(f.dir, 'feedback', 'crashes.ndjson');
    const first = await watch(f);
    expect(first.code, first.stderr).toBe(0);
    expect(await git(f.dir, ['status', '--porcelain'])).toBe('');
    const state = join(f.dir, '.git', 'friday', 'watch-beta.state');
    await fs.access(state);
    // An hour on: an hour of the new build appended, the baseline's first hour dropped.
    const more = feedText({ start: NOW, hours: 1, devices: 300, active: 0.6, seed: 9, versions: [{ version: NEW, crashRate: 0.01 }] });
    await fs.appendFile(feed, more);
    const later = { FRIDAY_NOW: '2026-11-28T06:04:00Z' };
    const args = ['watch', '--channel', 'beta', '--key', f.alice.path, '--json'];
    const next = await f.friday(args, later);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).not.toMatch(/full scan/);
    expect(await git(f.dir, ['status', '--porcelain'])).toBe('');
    await fs.rm(join(f.dir, '.git', 'friday'), { recursive: true });
    const full = await f.friday([...args, '--dry-run'], later);
    const figures = (j: Record<string, unknown>) => [
      j.candidate,
      j.baseline,
      j.evidence,
      j.ratio,
      j.verdict,
      j.recent,
      j.rejectedBy,
      j.lines,
    ];
    expect(figures(next.json)).toEqual(figures(full.json));
    expect(next.json.candidate.units).toBeGreaterThan(first.json.candidate.units);
    // A truncated feed is read whole again, said in one line.
    await f.friday(args, later);
    await fs.writeFile(feed, more);
    const cut = await f.friday(args, later);
    expect(cut.code, cut.stderr).toBe(0);
    expect(cut.stderr.split('\n').filter((l) => /full scan/.test(l))).toEqual([
      expect.stringMatching(/^watch beta: full scan of feedback\/crashes\.ndjson: the feed is shorter than .* \(truncated\)$/),
    ]);
  });
});
