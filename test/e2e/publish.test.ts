/** stage → sign → publish → rollout → promote → renew → status, through the CLI on a real repository. */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalBytes } from '../../src/client/canonical.js';
import { parseTrust } from '../../src/client/trust.js';
import { verifyManifest } from '../../src/client/verify.js';
import { makeFixture, snapshot } from '../integration/channel-fixture.js';

describe('stage and publish', () => {
  it('stages, publishes and records a verifiable manifest with history and audit lines', async () => {
    const f = await makeFixture();
    const staged = await f.friday(['stage', '--channel', 'beta', '--key', f.alice.path, '--json']);
    expect(staged.code, staged.stderr).toBe(0);
    expect(staged.json).toMatchObject({
      channel: 'beta',
      version: '2026.48.0',
      serial: 1,
      rollout: 100,
      signatures: 1,
      threshold: 1,
      published: false,
    });
    await expect(fs.access(join(f.ota, 'channels/beta/manifest.json'))).rejects.toThrow();

    const pub = await f.friday(['publish', '--channel', 'beta', '--json']);
    expect(pub.code, pub.stderr).toBe(0);
    expect(pub.json).toMatchObject({ channel: 'beta', serial: 1, version: '2026.48.0' });
    const live = await f.live('beta');
    expect(live.signed).toMatchObject({
      type: 'friday.manifest/v2',
      product: 'aurora',
      channel: 'beta',
      serial: 1,
      issuedAt: '2026-11-27T17:00:00Z',
      expiresAt: '2026-12-11T17:00:00Z',
      release: { version: '2026.48.0', tag: 'v2026.48.0', commit: 'a'.repeat(40), builtAt: '2026-11-27T16:40:00Z' },
      rollout: { percent: 100 },
      rollback: null,
      blocked: [],
      deviceReleases: {},
      deviceBlocked: {},
      notes: { popcorn: { id: 123, title: 'Show the time a call was answered' }, changelog: 'releases/2026.48.0/CHANGELOG.md' },
    });
    expect(live.signed.rollout.salt).toMatch(/^[0-9a-f]{32}$/);
    expect(live.signed.artifacts.umi).toMatchObject({
      file: 'aurora-umi-2026.48.0.zip',
      url: 'releases/2026.48.0/aurora-umi-2026.48.0.zip',
    });
    const trust = parseTrust(JSON.parse(await fs.readFile(f.trustPath, 'utf8')));
    expect(verifyManifest(live, trust, { channel: 'beta', now: new Date('2026-11-28T00:00:00Z') }).signatures.valid).toEqual([
      f.alice.keyid,
    ]);
    expect(JSON.parse(await fs.readFile(join(f.ota, 'channels/beta/history/00000001.json'), 'utf8'))).toEqual(live);
    await expect(fs.access(join(f.ota, 'channels/beta/staged.json'))).rejects.toThrow();
    const ev = await f.events('beta');
    expect(ev.map((e) => [e.action, e.serial, e.version, e.actor])).toEqual([
      ['stage', 1, '2026.48.0', 'Release Bot'],
      ['publish', 1, '2026.48.0', 'Release Bot'],
    ]);
    expect(ev[1]!.at).toBe('2026-11-27T17:00:00Z');
  });

  it('a clock earlier than the live manifest is allowed, with a warning naming both times', async () => {
    const f = await makeFixture();
    expect((await f.friday(['stage', '--channel', 'beta', '--key', f.alice.path, '--publish'])).code).toBe(0);
    const quiet = await f.friday(['rollout', '--channel', 'beta', '--percent', '50', '--key', f.alice.path]);
    expect(quiet.stderr).not.toContain('earlier than');
    const behind = await f.friday([
      'rollout',
      '--channel',
      'beta',
      '--percent',
      '60',
      '--key',
      f.alice.path,
      '--now',
      '2026-11-01T00:00:00Z',
    ]);
    expect(behind.code, behind.stderr).toBe(0);
    expect(behind.stderr).toContain("the clock (2026-11-01T00:00:00Z) is earlier than the live manifest's issuedAt (2026-11-27T17:00:00Z");
    expect((await f.live('beta')).signed).toMatchObject({ serial: 3, issuedAt: '2026-11-01T00:00:00Z' });
  });

  it('needs the threshold: stage says sign is needed, publish refuses, sign completes it', async () => {
    const f = await makeFixture({ channelThresholds: { beta: 2 } });
    const staged = await f.friday(['stage', '--channel', 'beta', '--key', f.alice.path]);
    expect(staged.code, staged.stderr).toBe(0);
    expect(staged.stdout).toContain('friday sign --channel beta');
    const refused = await f.friday(['publish', '--channel', 'beta', '--json']);
    expect(refused.code).toBe(1);
    expect(refused.json.error.code).toBe('E_THRESHOLD');
    // A key trust.json does not list signs for nothing: refused before anything is written.
    const before = await snapshot(join(f.ota, 'channels'));
    const untrusted = await f.friday(['sign', '--channel', 'beta', '--key', f.carol.path, '--json']);
    expect(untrusted.code).toBe(2);
    expect(untrusted.json.error.code).toBe('E_KEY');
    expect(untrusted.json.error.message).toMatch(
      /^sign beta: no key given is trusted \(\w{12}… is not in trust\.json, which lists alice, bob\)$/,
    );
    expect(await snapshot(join(f.ota, 'channels'))).toEqual(before);
    const signed = await f.friday(['sign', '--channel', 'beta', '--key', f.bob.path, '--json']);
    expect(signed.json).toMatchObject({ serial: 1, signatures: 2, threshold: 2, ready: true });
    const pub = await f.friday(['publish', '--channel', 'beta']);
    expect(pub.code, pub.stderr).toBe(0);
    expect((await f.live('beta')).signatures).toHaveLength(2);
    expect((await f.events('beta')).map((e) => e.action)).toEqual(['stage', 'sign', 'publish']);
  });

  it('a re-run stage of the release already live, or already staged, does nothing; --force stages it again', async () => {
    const f = await makeFixture({ channelThresholds: { beta: 2 } });
    const key = ['--key', f.alice.path];
    expect((await f.friday(['stage', '--channel', 'beta', ...key])).code).toBe(0);
    const before = await snapshot(join(f.ota, 'channels'));
    const again = await f.friday(['stage', '--channel', 'beta', ...key]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(
      'beta: 2026.48.0 is already staged as serial 1 with 1 of 2 signatures; nothing to do\nco-sign it: friday sign --channel beta --key <file>, then publish it: friday publish --channel beta\n',
    );
    expect(again.stderr).not.toContain('checking'); // nothing hashed again
    expect(await snapshot(join(f.ota, 'channels'))).toEqual(before);

    expect((await f.friday(['sign', '--channel', 'beta', '--key', f.bob.path])).code).toBe(0);
    expect((await f.friday(['publish', '--channel', 'beta'])).code).toBe(0);
    const live = await f.friday(['stage', '--channel', 'beta', ...key, '--json']);
    expect(live.code).toBe(0);
    expect(live.json).toMatchObject({ version: '2026.48.0', serial: 1, unchanged: 'live', published: false });
    const forced = await f.friday(['stage', '--channel', 'beta', ...key, '--force', '--json']);
    expect(forced.json).toMatchObject({ version: '2026.48.0', serial: 2 });
    expect(forced.json.unchanged).toBeUndefined();
  });

  it('refuses a stale staged manifest and a release whose files changed after the cut', async () => {
    const f = await makeFixture();
    expect((await f.friday(['stage', '--channel', 'beta', '--key', f.alice.path])).code).toBe(0);
    // Another publish moves the live serial on: the staged serial 1 is now stale.
    expect((await f.friday(['stage', '--channel', 'beta', '--version', '2026.47.0', '--key', f.alice.path, '--publish'])).code).toBe(0);
    expect((await f.friday(['rollout', '--channel', 'beta', '--percent', '50', '--key', f.alice.path])).code).toBe(0);
    // (A staged.json identical to the live manifest is what a publish killed before removing it
    // leaves; the next command completes that publish. Serial 1 under a live serial 2 is stale.)
    await fs.writeFile(
      join(f.ota, 'channels/beta/staged.json'),
      JSON.stringify(JSON.parse(await fs.readFile(join(f.ota, 'channels/beta/history/00000001.json'), 'utf8'))),
    );
    const stale = await f.friday(['publish', '--channel', 'beta', '--json']);
    expect(stale.code).toBe(1);
    expect(stale.json.error.code).toBe('E_STALE');

    await fs.appendFile(join(f.ota, 'releases/2026.48.0/aurora-umi-2026.48.0.zip'), 'tampered');
    const before = await snapshot(join(f.ota, 'channels'));
    const r = await f.friday(['stage', '--channel', 'beta', '--version', '2026.48.0', '--key', f.alice.path, '--json']);
    expect(r.code).toBe(1);
    expect(r.json.error.code).toBe('E_SIZE');
    expect(await snapshot(join(f.ota, 'channels'))).toEqual(before);
  });

  it('an unknown --version is bad input (exit 2); a missing build record is a failure (exit 1)', async () => {
    const f = await makeFixture();
    const none = await f.friday(['stage', '--channel', 'beta', '--version', '9.9.9', '--key', f.alice.path, '--json']);
    expect(none.code).toBe(2);
    await fs.rm(join(f.ota, 'releases/2026.48.0/build.json'));
    const missing = await f.friday(['stage', '--channel', 'beta', '--version', '2026.48.0', '--key', f.alice.path, '--json']);
    expect(missing.code).toBe(1);
    expect(missing.json.error.code).toBe('E_RELEASE');
  });

  it('--dry-run writes nothing', async () => {
    const f = await makeFixture();
    const before = await snapshot(f.ota);
    const r = await f.friday(['stage', '--channel', 'beta', '--key', f.alice.path, '--publish', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('would write');
    expect(await snapshot(f.ota)).toEqual(before);
  });
});

describe('rollout, promote, renew, status', () => {
  it('widens a rollout stage by stage, keeping the salt, one serial each', async () => {
    const f = await makeFixture();
    expect((await f.friday(['stage', '--channel', 'beta', '--version', '2026.47.0', '--key', f.alice.path, '--publish'])).code).toBe(0);
    // stable takes releases from beta after a soak of 168 h.
    const early = await f.friday(['promote', '--from', 'beta', '--to', 'stable', '--key', f.alice.path, '--json'], {
      FRIDAY_NOW: '2026-11-30T17:00:00Z',
    });
    expect(early.code).toBe(1);
    expect(early.json.error.code).toBe('E_SOAK');
    expect(early.json.error.message).toContain('72.0 h of the 168 h soak');
    const later = { FRIDAY_NOW: '2026-12-04T17:00:00Z' };
    const prom = await f.friday(['promote', '--from', 'beta', '--to', 'stable', '--key', f.alice.path, '--publish', '--json'], later);
    expect(prom.code, prom.stderr).toBe(0);
    expect(prom.json).toMatchObject({ channel: 'stable', version: '2026.47.0', serial: 1, rollout: 10, published: true });
    const salt = (await f.live('stable')).signed.rollout.salt;

    const next = await f.friday(['rollout', '--channel', 'stable', '--next', '--key', f.alice.path, '--json'], later);
    expect(next.json).toMatchObject({ serial: 2, rollout: 50, from: 10, published: true });
    const pct = await f.friday(['rollout', '--channel', 'stable', '--percent', '75.5', '--key', f.alice.path, '--json'], later);
    expect(pct.json).toMatchObject({ serial: 3, rollout: 75.5 });
    const last = await f.friday(['rollout', '--channel', 'stable', '--next', '--key', f.alice.path, '--json'], later);
    expect(last.json).toMatchObject({ serial: 4, rollout: 100 });
    const done = await f.friday(['rollout', '--channel', 'stable', '--next', '--key', f.alice.path, '--json'], later);
    expect(done.code).toBe(0);
    expect(done.json).toMatchObject({ changed: false, serial: 4 });
    const live = await f.live('stable');
    expect(live.signed.rollout).toEqual({ percent: 100, salt });
    expect((await f.events('stable')).map((e) => e.action)).toEqual([
      'stage',
      'publish',
      'rollout',
      'publish',
      'rollout',
      'publish',
      'rollout',
      'publish',
    ]);
    const bad = await f.friday(['rollout', '--channel', 'stable', '--percent', '101', '--key', f.alice.path]);
    expect(bad.code).toBe(2);
  });

  it('below the threshold a rollout fails (exit 1, E_THRESHOLD) and waits in staged.json for a co-signature', async () => {
    const f = await makeFixture({ channelThresholds: { beta: 2 } });
    expect(
      (await f.friday(['stage', '--channel', 'beta', '--rollout', '10', '--key', f.alice.path, '--key', f.bob.path, '--publish'])).code,
    ).toBe(0);
    const r = await f.friday(['rollout', '--channel', 'beta', '--percent', '50', '--key', f.alice.path, '--json']);
    expect(r.code).toBe(1);
    expect(r.json).toEqual({
      ok: false,
      error: { code: 'E_THRESHOLD', message: 'rollout: beta 10% → 50% is staged as serial 2, not live: 1 of the 2 signatures needed' },
    });
    expect(r.stderr).toContain('friday: rollout: beta 10% → 50% is staged as serial 2, not live');
    expect(r.stderr).toContain('friday sign --channel beta --key <file>, then friday publish --channel beta');
    expect((await f.live('beta')).signed.rollout.percent).toBe(10);
    expect((await f.friday(['sign', '--channel', 'beta', '--key', f.bob.path])).code).toBe(0);
    expect((await f.friday(['publish', '--channel', 'beta'])).code).toBe(0);
    expect((await f.live('beta')).signed).toMatchObject({ serial: 2, rollout: { percent: 50 } });
  });

  it('without a key, says which key is missing and how to provide it (exit 2, nothing written)', async () => {
    const f = await makeFixture({ channelThresholds: { stable: 2 } });
    expect((await f.friday(['stage', '--channel', 'beta', '--key', f.alice.path, '--publish'])).code).toBe(0);
    const before = await snapshot(f.ota);
    const r = await f.friday(['rollout', '--channel', 'beta', '--percent', '50']);
    expect(r.code).toBe(2);
    const [line, hint, rest] = r.stderr.split('\n');
    expect(line).toBe(
      'friday: rollout beta: no signing key: no --key <file> given and FRIDAY_SIGNING_KEY is not set (beta needs 1 of the trusted keys alice, bob)',
    );
    expect(hint).toContain('--key <file>');
    expect(hint).toContain('FRIDAY_SIGNING_KEY');
    expect(hint).toContain('friday keys generate <name>');
    expect(rest).toBe('');
    const empty = await f.friday(['stage', '--channel', 'stable', '--json'], { FRIDAY_SIGNING_KEY: ' ' });
    expect(empty.code).toBe(2);
    expect(empty.json.error).toEqual({
      code: 'E_KEY',
      message:
        'stage stable: no signing key: no --key <file> given and FRIDAY_SIGNING_KEY is empty (stable needs 2 of the trusted keys alice, bob)',
    });
    expect(await snapshot(f.ota)).toEqual(before);
  });

  it('renews only when less than a third of the validity is left, unless --force', async () => {
    const f = await makeFixture();
    expect((await f.friday(['stage', '--channel', 'beta', '--key', f.alice.path, '--publish'])).code).toBe(0);
    // 14 days of validity: due after 9⅓ days.
    const early = await f.friday(['renew', '--channel', 'beta', '--json'], { FRIDAY_NOW: '2026-12-06T17:00:00Z' });
    expect(early.code, early.stderr).toBe(0);
    expect(early.json).toMatchObject({ renewed: false, serial: 1 });
    const due = await f.friday(['renew', '--channel', 'beta', '--key', f.alice.path, '--json'], { FRIDAY_NOW: '2026-12-07T17:00:00Z' });
    expect(due.json).toMatchObject({ renewed: true, serial: 2, expiresAt: '2026-12-21T17:00:00Z' });
    const forced = await f.friday(['renew', '--channel', 'beta', '--key', f.alice.path, '--force', '--json'], {
      FRIDAY_NOW: '2026-12-07T18:00:00Z',
    });
    expect(forced.json).toMatchObject({ renewed: true, serial: 3 });
    const live = await f.live('beta');
    expect(live.signed.release.version).toBe('2026.48.0');
    expect(live.signed.issuedAt).toBe('2026-12-07T18:00:00Z');
  });

  it('status shows each channel and warns under 3 days to expiry', async () => {
    const f = await makeFixture();
    expect((await f.friday(['stage', '--channel', 'beta', '--key', f.alice.path, '--publish'])).code).toBe(0);
    await fs.appendFile(
      join(f.ota, 'channels/beta/events.ndjson'),
      JSON.stringify({
        at: '2026-11-28T00:00:00Z',
        action: 'watch',
        serial: 1,
        version: '2026.48.0',
        actor: 'x',
        detail: { verdict: 'healthy' },
      }) + '\n',
    );
    const r = await f.friday(['status', '--json'], { FRIDAY_NOW: '2026-12-10T17:00:00Z' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.releases.map((x: any) => x.version)).toEqual(['2026.48.0', '2026.47.0']);
    const beta = r.json.channels.find((c: any) => c.name === 'beta');
    expect(beta).toMatchObject({
      live: { version: '2026.48.0', serial: 1, rollout: 100, expiresInHours: 24 },
      staged: null,
      blocked: [],
      lastWatch: { verdict: 'healthy' },
    });
    expect(beta.warnings[0]).toContain('expires in 24.0 h');
    expect(r.stderr).toContain('expires in 24.0 h');
    const stable = r.json.channels.find((c: any) => c.name === 'stable');
    expect(stable.live).toBeNull();
    const text = await f.friday(['status', '--channel', 'beta'], { FRIDAY_NOW: '2026-12-10T17:00:00Z' });
    expect(text.stdout).toMatch(/live\s+2026\.48\.0\s+serial 1\s+rollout 100%/);
    expect(text.stdout).toContain('healthy');
  });
});

describe('the signed bytes', () => {
  it('are the JCS form of `signed`', async () => {
    const f = await makeFixture();
    expect((await f.friday(['stage', '--channel', 'beta', '--key', f.alice.path, '--publish'])).code).toBe(0);
    const live = await f.live('beta');
    const text = canonicalBytes(live.signed).toString('utf8');
    expect(text.startsWith('{"artifacts":{"cepheus":{"file":')).toBe(true);
    expect(text).not.toMatch(/\s"|":\s/);
  });
});

describe('promote: the gates and --force', () => {
  const T0 = { FRIDAY_NOW: '2026-11-20T17:00:00Z' };
  const T1 = { FRIDAY_NOW: '2026-11-27T18:00:00Z' }; // 169 h after T0
  const T2 = { FRIDAY_NOW: '2026-12-04T19:00:00Z' }; // 169 h after T1

  it('--force overrides a block on the target channel only, never the soak or a block on `from`', async () => {
    const f = await makeFixture({ releases: ['2026.46.0', '2026.47.0'] });
    const ok = async (args: string[], env: Record<string, string>) => {
      const r = await f.friday([...args, '--key', f.alice.path], env);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    };
    await ok(['stage', '--channel', 'beta', '--version', '2026.46.0', '--publish'], T0);
    await ok(['promote', '--from', 'beta', '--to', 'stable', '--publish'], T1);
    await ok(['stage', '--channel', 'beta', '--version', '2026.47.0', '--publish'], T1);
    await ok(['promote', '--from', 'beta', '--to', 'stable', '--publish'], T2);
    await ok(['rollback', '--channel', 'stable', '--reason', 'bootloop on umi'], T2);

    // 2026.47.0 soaked on beta but is blocked on stable: refused, and --force is what overrides that.
    const blocked = await f.friday(['promote', '--from', 'beta', '--to', 'stable', '--key', f.alice.path, '--json'], T2);
    expect(blocked.code).toBe(1);
    expect(blocked.json.error.code).toBe('E_BLOCKED');
    const forced = await f.friday(['promote', '--from', 'beta', '--to', 'stable', '--key', f.alice.path, '--force', '--json'], T2);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.json).toMatchObject({ channel: 'stable', version: '2026.47.0', from: 'beta', published: false });

    // Rolled back on beta too: --force must not carry a release blocked on `from` onto stable.
    await ok(['rollback', '--channel', 'beta', '--reason', 'bootloop on umi'], T2);
    const before = await snapshot(join(f.ota, 'channels/stable'));
    const fromBlocked = await f.friday(
      ['stage', '--channel', 'stable', '--version', '2026.47.0', '--key', f.alice.path, '--force', '--json'],
      T2,
    );
    expect(fromBlocked.code).toBe(1);
    expect(fromBlocked.json.error).toMatchObject({
      code: 'E_SOAK',
      message: 'stage stable: 2026.47.0 is blocked on beta (it was rolled back there)',
    });
    expect(fromBlocked.stderr).toContain('--force overrides only a block on stable itself, never the soak on beta');
    // 2026.46.0 went live on beta again just now: its soak starts over, and --force does not skip it.
    const unsoaked = await f.friday(['promote', '--from', 'beta', '--to', 'stable', '--key', f.alice.path, '--force', '--json'], T2);
    expect(unsoaked.code).toBe(1);
    expect(unsoaked.json.error.code).toBe('E_SOAK');
    expect(unsoaked.json.error.message).toContain('0.0 h of the 168 h soak');
    expect(await snapshot(join(f.ota, 'channels/stable'))).toEqual(before);
  });

  it('an unknown channel is named by the flag that gave it', async () => {
    const f = await makeFixture();
    const to = await f.friday(['promote', '--from', 'beta', '--to', 'nope', '--key', f.alice.path, '--json']);
    expect(to.code).toBe(2);
    expect(to.json.error.message).toBe('--to nope: unknown channel (no channels/nope.json)');
    const from = await f.friday(['promote', '--from', 'nope', '--to', 'stable', '--key', f.alice.path]);
    expect(from.code).toBe(2);
    expect(from.stderr).toContain('friday: --from nope: unknown channel');
    expect(from.stderr).not.toContain('--channel');
  });
});

describe('a staged release waiting for publish', () => {
  it('survives rollout, renew and rollback, and is then refused as stale rather than lost', async () => {
    const f = await makeFixture({ releases: ['2026.46.0', '2026.47.0', '2026.48.0'] });
    for (const v of ['2026.46.0', '2026.47.0'])
      expect((await f.friday(['stage', '--channel', 'beta', '--version', v, '--key', f.alice.path, '--publish'])).code).toBe(0);
    expect((await f.friday(['stage', '--channel', 'beta', '--version', '2026.48.0', '--key', f.alice.path])).code).toBe(0);
    const stagedFile = join(f.ota, 'channels/beta/staged.json');
    const staged = await fs.readFile(stagedFile, 'utf8');
    const runs = [
      ['rollout', '--channel', 'beta', '--percent', '50'],
      ['renew', '--channel', 'beta', '--force'],
      ['rollback', '--channel', 'beta', '--reason', 'bootloop on umi'],
    ];
    for (const [i, args] of runs.entries()) {
      const r = await f.friday([...args, '--key', f.alice.path]);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(0);
      expect((await f.live('beta')).signed.serial).toBe(3 + i);
      expect(await fs.readFile(stagedFile, 'utf8')).toBe(staged);
      const pub = await f.friday(['publish', '--channel', 'beta', '--json']);
      expect(pub.code).toBe(1);
      expect(pub.json.error.code).toBe('E_STALE');
      expect(pub.json.error.message).toContain(`serial 3, the live serial is ${3 + i}`);
    }
    expect((await f.live('beta')).signed.release.version).toBe('2026.46.0');
  });
});

describe('a live manifest the threshold has outgrown', () => {
  it('keys trust --threshold and status say devices refuse it and how to re-sign it; following the hint fixes it', async () => {
    const f = await makeFixture();
    expect((await f.friday(['stage', '--channel', 'beta', '--key', f.alice.path, '--publish'])).code).toBe(0);
    const raised = await f.friday(['keys', 'trust', f.bob.pubPath, '--threshold', '2']);
    expect(raised.code, raised.stderr).toBe(0);
    expect(raised.stderr).toContain(
      'friday: warning: beta: the live manifest has 1 of the 2 trusted signatures now needed: devices with this trust.json refuse it; re-sign it with 2 trusted keys: friday renew --channel beta --force --key <file> --key <file>',
    );
    const s = await f.friday(['status']);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stderr).toContain(
      'friday: warning: beta: the live manifest has 1 of the 2 trusted signatures the threshold now needs: devices refuse it; re-sign it with 2 trusted keys: friday renew --channel beta --force --key <file> --key <file>',
    );
    const renewed = await f.friday(['renew', '--channel', 'beta', '--force', '--key', f.alice.path, '--key', f.bob.path]);
    expect(renewed.code, renewed.stderr).toBe(0);
    expect((await f.friday(['status'])).stderr).not.toContain('devices refuse it');
  });
});

describe('who the audit log names', () => {
  it('is FRIDAY_ACTOR, else publish.actor, else the git user name: the log is served with the publish root', async () => {
    const f = await makeFixture();
    const key = ['--key', f.alice.path];
    expect((await f.friday(['stage', '--channel', 'beta', ...key, '--publish'])).code).toBe(0);
    const config = JSON.parse(await fs.readFile(join(f.dir, 'friday.config.json'), 'utf8'));
    config.publish = { ...config.publish, actor: 'aurora-release-team' };
    await fs.writeFile(join(f.dir, 'friday.config.json'), JSON.stringify(config));
    expect((await f.friday(['rollout', '--channel', 'beta', '--percent', '50', ...key])).code).toBe(0);
    expect((await f.friday(['renew', '--channel', 'beta', '--force', ...key], { FRIDAY_ACTOR: 'friday-ci' })).code).toBe(0);
    expect((await f.events('beta')).map((e) => [e.action, e.actor])).toEqual([
      ['stage', 'Release Bot'],
      ['publish', 'Release Bot'],
      ['rollout', 'aurora-release-team'],
      ['publish', 'aurora-release-team'],
      ['renew', 'friday-ci'],
      ['publish', 'friday-ci'],
    ]);
  });
});
