/**
 * The TUF view of a channel (docs/security.md "The TUF view of a channel"), fetched by tuf-js's own
 * Updater from a server on 127.0.0.1 serving the export and the publish root: refresh, download a
 * target, and a tampered target, an expired timestamp and a rotated root each handled as TUF says.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join, relative } from 'node:path';
import { Updater } from 'tuf-js';
import { afterEach, describe, expect, it } from 'vitest';
import { tmpDir } from '../helpers/index.js';
import { startServer, type TestServer } from '../helpers/http-server.js';
import { signTuf, tufKeyId, tufKeyOf, tufText } from '../../src/core/tuf.js';
import { keyFromPrivate, makeFixture, manifestBody, signDoc, snapshot, type Fixture } from '../integration/channel-fixture.js';

const readJson = async (p: string) => JSON.parse(await fs.readFile(p, 'utf8'));
/** tuf-js judges expiry by the real clock, so the channel is published at the real time. */
const NOW = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const UMI = 'releases/2026.48.0/aurora-umi-2026.48.0.zip';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

/** The publish root over HTTP, each file read when asked (so a later export is served as it is). */
async function serve(dir: string): Promise<TestServer & { route(): Promise<void> }> {
  const server = await startServer();
  servers.push(server);
  const route = async () => {
    for (const p of await walk(dir))
      server.handle(`/${relative(dir, p)}`, (_req, res) => {
        void fs.readFile(p).then(
          (b) => res.writeHead(200, { 'content-length': b.length }).end(b),
          () => res.writeHead(404).end(),
        );
      });
  };
  await route();
  return Object.assign(server, { route });
}

/** A TUF client that was given the export's root.json as it stood (a device image's copy). */
async function client(f: Fixture, server: { base: string }, channel = 'beta') {
  const dir = tmpDir('friday-tuf-client-');
  await fs.mkdir(join(dir, 'metadata'), { recursive: true });
  await fs.mkdir(join(dir, 'targets'), { recursive: true });
  await fs.copyFile(join(f.ota, 'tuf', channel, 'root.json'), join(dir, 'metadata', 'root.json'));
  const updater = () =>
    new Updater({
      metadataDir: join(dir, 'metadata'),
      metadataBaseUrl: `${server.base}/tuf/${channel}`,
      targetDir: join(dir, 'targets'),
      targetBaseUrl: `${server.base}/`,
      config: { fetchRetries: 0 },
    });
  return { dir, updater };
}

async function withTuf(f: Fixture, on = true): Promise<void> {
  const path = join(f.dir, 'friday.config.json');
  const config = await readJson(path);
  config.publish = { ...config.publish, tuf: on };
  await fs.writeFile(path, JSON.stringify(config, null, 2) + '\n');
}

/** Trust version 2: carol in, alice out, signed by both (keys rotate's own rule). */
async function rotateAwayFromAlice(f: Fixture): Promise<void> {
  const args = ['--add', f.carol.pubPath, '--remove', 'alice', '--key', f.alice.path, '--key', f.carol.path];
  const r = await f.friday(['keys', 'rotate', ...args]);
  expect(r.code, r.stderr).toBe(0);
}

/** A channel published and exported, and a TUF client that has refreshed from it once. */
async function exported(opts: { tuf?: boolean } = {}) {
  const f = await published();
  if (opts.tuf) await withTuf(f);
  expect((await f.friday(['export-tuf', '--channel', 'beta', '--key', f.alice.path])).code).toBe(0);
  const server = await serve(f.ota);
  const c = await client(f, server);
  await c.updater().refresh();
  return { f, server, c };
}

async function published(): Promise<Fixture> {
  const f = await makeFixture({ now: NOW });
  const r = await f.friday(['stage', '--channel', 'beta', '--version', '2026.48.0', '--key', f.alice.path, '--publish']);
  expect(r.code, r.stderr).toBe(0);
  return f;
}

describe('export-tuf', () => {
  it('writes a TUF repository tuf-js refreshes and downloads from; versions count on across exports', async () => {
    const f = await published();
    const r = await f.friday(['export-tuf', '--channel', 'beta', '--key', f.alice.path, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ channel: 'beta', root: 1, targets: 1, snapshot: 1, timestamp: 1 });
    const out = join(f.ota, 'tuf', 'beta');
    expect((await fs.readdir(out)).sort()).toEqual(['1.root.json', 'root.json', 'snapshot.json', 'targets.json', 'timestamp.json']);
    const root = await readJson(join(out, 'root.json'));
    expect(await readJson(join(out, '1.root.json'))).toEqual(root);
    expect(root.signed).toMatchObject({ _type: 'root', version: 1, consistent_snapshot: false });
    // TUF's key format: hex public key, keyid the SHA-256 of the key's canonical form.
    const aliceHex = f.alice.publicRaw.toString('hex');
    const canonicalKey = `{"keytype":"ed25519","keyval":{"public":"${aliceHex}"},"scheme":"ed25519"}`;
    const aliceId = createHash('sha256').update(canonicalKey).digest('hex');
    expect(root.signed.keys[aliceId]).toEqual({ keytype: 'ed25519', scheme: 'ed25519', keyval: { public: aliceHex } });
    expect(root.signed.roles.timestamp).toEqual({ keyids: expect.arrayContaining([aliceId]), threshold: 1 });
    expect(root.signatures).toEqual([{ keyid: aliceId, sig: expect.stringMatching(/^[0-9a-f]{128}$/) }]);
    const live = await f.live('beta');
    const umi = live.signed.artifacts.umi!;
    const targets = await readJson(join(out, 'targets.json'));
    expect(targets.signed.expires).toBe(live.signed.expiresAt);
    expect(Object.keys(targets.signed.targets).sort()).toEqual(['releases/2026.48.0/aurora-cepheus-2026.48.0.zip', UMI]);
    expect(targets.signed.targets[UMI]).toEqual({
      length: umi.size,
      hashes: { sha256: umi.sha256 },
      custom: {
        device: 'umi',
        version: '2026.48.0',
        channel: 'beta',
        rollout: { percent: live.signed.rollout.percent, salt: live.signed.rollout.salt },
      },
    });

    const server = await serve(f.ota);
    const c = await client(f, server);
    const u = c.updater();
    await u.refresh();
    const info = await u.getTargetInfo(UMI);
    expect(info?.custom).toMatchObject({ device: 'umi', channel: 'beta' });
    const got = await u.downloadTarget(info!, join(c.dir, 'umi.zip'));
    expect(await fs.readFile(got)).toEqual(await fs.readFile(join(f.ota, ...UMI.split('/'))));

    // The next export counts every version on; the client takes it.
    const again = await f.friday(['export-tuf', '--channel', 'beta', '--key', f.bob.path, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json).toMatchObject({ root: 1, targets: 2, snapshot: 2, timestamp: 2 });
    const next = c.updater();
    await next.refresh();
    expect((await readJson(join(c.dir, 'metadata', 'timestamp.json'))).signed.version).toBe(2);
  });

  it('a run killed between two files of the export: the next export counts on and the client follows', async () => {
    const { f, c } = await exported();
    // Killed after targets.json (the first file written when the root is unchanged).
    const killed = await f.friday(['export-tuf', '--channel', 'beta', '--key', f.alice.path], { FRIDAY_TEST_KILL_AFTER: 'tuf:1' });
    expect(killed.code).not.toBe(0);
    const out = join(f.ota, 'tuf', 'beta');
    expect((await readJson(join(out, 'targets.json'))).signed.version).toBe(2);
    expect((await readJson(join(out, 'timestamp.json'))).signed.version).toBe(1);
    const again = await f.friday(['export-tuf', '--channel', 'beta', '--key', f.alice.path, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json).toMatchObject({ targets: 3, snapshot: 2, timestamp: 2 });
    const u = c.updater();
    await u.refresh();
    expect((await u.getTargetInfo(UMI))?.length).toBe((await f.live('beta')).signed.artifacts.umi!.size);
  });

  it('a tampered target is refused by the TUF client', async () => {
    const f = await published();
    expect((await f.friday(['export-tuf', '--channel', 'beta', '--key', f.alice.path])).code).toBe(0);
    const server = await serve(f.ota);
    const image = await fs.readFile(join(f.ota, ...UMI.split('/')));
    const tampered = Buffer.from(image);
    tampered[0] = tampered[0]! ^ 1;
    server.file(`/${UMI}`, tampered);
    const c = await client(f, server);
    const u = c.updater();
    await u.refresh();
    const info = await u.getTargetInfo(UMI);
    await expect(u.downloadTarget(info!, join(c.dir, 'umi.zip'))).rejects.toThrow(/hash|length/i);
    await expect(fs.stat(join(c.dir, 'umi.zip'))).rejects.toThrow();
  });

  it('an expired timestamp is refused by the TUF client', async () => {
    const f = await makeFixture({ now: NOW });
    // A live manifest that expired an hour ago (written by hand: friday would not publish it).
    const image = await fs.readFile(join(f.ota, ...UMI.split('/')));
    const past = (h: number) => new Date(Date.parse(NOW) - h * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const doc = signDoc(manifestBody(image, { serial: 1, issuedAt: past(24 * 14), expiresAt: past(1) }), [f.alice]);
    await fs.mkdir(join(f.ota, 'channels', 'beta'), { recursive: true });
    await fs.writeFile(join(f.ota, 'channels', 'beta', 'manifest.json'), JSON.stringify(doc));
    const r = await f.friday(['export-tuf', '--channel', 'beta', '--key', f.alice.path, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((await readJson(join(f.ota, 'tuf', 'beta', 'timestamp.json'))).signed.expires).toBe(past(1));
    const server = await serve(f.ota);
    const c = await client(f, server);
    await expect(c.updater().refresh()).rejects.toThrow(/expired/i);
  });

  it('a rotated root: keys rotate (publish.tuf) writes root 2, signed by both versions; the client follows it', async () => {
    const { f, server, c } = await exported({ tuf: true });

    await rotateAwayFromAlice(f);
    const out = join(f.ota, 'tuf', 'beta');
    const root2 = await readJson(join(out, '2.root.json'));
    expect(await readJson(join(out, 'root.json'))).toEqual(root2);
    expect(root2.signed.version).toBe(2);
    expect(root2.signatures).toHaveLength(2); // alice (version 1) and carol (version 2)
    await server.route();
    const u = c.updater();
    await u.refresh();
    expect((await readJson(join(c.dir, 'metadata', 'root.json'))).signed.version).toBe(2);
    expect(await u.getTargetInfo(UMI)).toBeDefined();

    // A root 3 that hands every role to dave, signed by dave alone: none of root 2's keys signed it.
    const dave = keyFromPrivate('dave', generateKeyPairSync('ed25519').privateKey);
    const daveId = tufKeyId(dave.publicRaw);
    const role = { keyids: [daveId], threshold: 1 };
    const signed = {
      ...root2.signed,
      version: 3,
      keys: { [daveId]: tufKeyOf(dave.publicRaw) },
      roles: { root: role, targets: role, snapshot: role, timestamp: role },
    };
    await fs.writeFile(join(out, '3.root.json'), tufText(signTuf(signed, [dave])));
    await server.route();
    await expect(c.updater().refresh()).rejects.toThrow();
  });

  it('without publish.tuf the next export adds the rotated root, signed by a key both versions hold', async () => {
    const { f, server, c } = await exported();
    await rotateAwayFromAlice(f);
    expect(await fs.readdir(join(f.ota, 'tuf', 'beta'))).not.toContain('2.root.json');
    // carol holds only version 2: root 2 also needs a key of version 1.
    const short = await f.friday(['export-tuf', '--channel', 'beta', '--key', f.carol.path, '--json']);
    expect(short.code).toBe(2);
    expect(short.json.error.code).toBe('E_THRESHOLD');
    const e = await f.friday(['export-tuf', '--channel', 'beta', '--key', f.bob.path, '--json']);
    expect(e.code, e.stderr).toBe(0);
    expect(e.json).toMatchObject({ root: 2, targets: 2 });
    await server.route();
    const u = c.updater();
    await u.refresh();
    expect((await readJson(join(c.dir, 'metadata', 'root.json'))).signed.version).toBe(2);
  });

  it('publish.tuf: the commands that sign a live manifest re-sign the export with the same keys', async () => {
    const f = await makeFixture({ now: NOW });
    await withTuf(f);
    const stage = await f.friday(['stage', '--channel', 'beta', '--version', '2026.48.0', '--key', f.alice.path, '--publish']);
    expect(stage.code, stage.stderr).toBe(0);
    const out = join(f.ota, 'tuf', 'beta');
    const targets = async () => (await readJson(join(out, 'targets.json'))).signed;
    expect((await targets()).version).toBe(1);
    const rollout = await f.friday(['rollout', '--channel', 'beta', '--percent', '50', '--key', f.alice.path]);
    expect(rollout.code, rollout.stderr).toBe(0);
    const t = await targets();
    expect(t.version).toBe(2);
    expect(t.targets[UMI].custom.rollout.percent).toBe(50);
    expect(t.expires).toBe((await f.live('beta')).signed.expiresAt);
    const server = await serve(f.ota);
    const c = await client(f, server);
    const u = c.updater();
    await u.refresh();
    expect((await u.getTargetInfo(UMI))?.custom).toMatchObject({ rollout: { percent: 50 } });
  });

  it('publish.tuf: stage signs the export of the staged manifest, and publish (no key) puts it in place', async () => {
    const f = await makeFixture({ now: NOW });
    await withTuf(f);
    const stage = await f.friday(['stage', '--channel', 'beta', '--version', '2026.48.0', '--key', f.alice.path]);
    expect(stage.code, stage.stderr).toBe(0);
    const out = join(f.ota, 'tuf', 'beta');
    await expect(fs.stat(join(out, 'timestamp.json'))).rejects.toThrow(); // nothing live yet, nothing served
    const publish = await f.friday(['publish', '--channel', 'beta']);
    expect(publish.code, publish.stderr).toBe(0);
    expect(publish.stderr).not.toContain('TUF');
    expect((await fs.readdir(out)).sort()).toEqual(['1.root.json', 'root.json', 'snapshot.json', 'targets.json', 'timestamp.json']);
    const server = await serve(f.ota);
    const c = await client(f, server);
    const u = c.updater();
    await u.refresh();
    expect((await u.getTargetInfo(UMI))?.custom).toMatchObject({ version: '2026.48.0', channel: 'beta' });

    // A co-signed channel: neither key alone can sign its export, so publish says what to run.
    const g = await makeFixture({ now: NOW, channelThresholds: { beta: 2 } });
    await withTuf(g);
    const s1 = await g.friday(['stage', '--channel', 'beta', '--version', '2026.48.0', '--key', g.alice.path]);
    expect(s1.code, s1.stderr).toBe(0);
    expect((await g.friday(['sign', '--channel', 'beta', '--key', g.bob.path])).code).toBe(0);
    const p2 = await g.friday(['publish', '--channel', 'beta']);
    expect(p2.code, p2.stderr).toBe(0);
    expect(p2.stderr).toContain('friday export-tuf --channel beta');
    const e = await g.friday(['export-tuf', '--channel', 'beta', '--key', g.alice.path, '--key', g.bob.path, '--json']);
    expect(e.code, e.stderr).toBe(0);
  });

  it('refuses, nothing written: an unknown channel, nothing live, keys not trusted, keys short of the threshold', async () => {
    const f = await makeFixture({ now: NOW, channelThresholds: { stable: 2 } });
    const before = await snapshot(f.ota);
    const cases: [string[], number, string][] = [
      [['--channel', 'nightly', '--key', f.alice.path], 2, 'E_USAGE'],
      [['--channel', 'beta', '--key', f.alice.path], 1, 'E_NOTHING'],
      [['--channel', 'beta', '--key', f.carol.path], 2, 'E_KEY'],
    ];
    for (const [args, exit, code] of cases) {
      const r = await f.friday(['export-tuf', ...args, '--json']);
      expect(r.code, r.stderr).toBe(exit);
      expect(r.json.error.code).toBe(code);
      expect(await snapshot(f.ota)).toEqual(before);
    }
    const image = await fs.readFile(join(f.ota, ...UMI.split('/')));
    const body = manifestBody(image, { channel: 'stable', serial: 1, issuedAt: NOW, expiresAt: '2099-01-01T00:00:00Z' });
    await fs.mkdir(join(f.ota, 'channels', 'stable'), { recursive: true });
    await fs.writeFile(join(f.ota, 'channels', 'stable', 'manifest.json'), JSON.stringify(signDoc(body, [f.alice, f.bob])));
    const short = await f.friday(['export-tuf', '--channel', 'stable', '--key', f.alice.path, '--json']);
    expect(short.code).toBe(2);
    expect(short.json.error.code).toBe('E_THRESHOLD');
    await expect(fs.stat(join(f.ota, 'tuf'))).rejects.toThrow();
    const withLive = await snapshot(f.ota);
    const out = tmpDir('friday-tuf-out-');
    const both = await f.friday(['export-tuf', '--channel', 'stable', '--key', f.alice.path, '--key', f.bob.path, '--out', out]);
    expect(both.code, both.stderr).toBe(0);
    expect((await readJson(join(out, 'root.json'))).signed.roles.root.threshold).toBe(2);
    expect(await snapshot(f.ota)).toEqual(withLive);

    // trust.json changed in place after an export (keys trust, before any rotation): TUF clients
    // never fetch root 1 again, so the export refuses until a rotation makes root 2.
    expect((await f.friday(['keys', 'trust', f.carol.pubPath])).code).toBe(0);
    const stale = await f.friday(['export-tuf', '--channel', 'stable', '--key', f.alice.path, '--key', f.bob.path, '--out', out, '--json']);
    expect(stale.code).toBe(2);
    expect(stale.json.error.code).toBe('E_TRUST');
    expect(stale.json.error.message).toContain('other keys or thresholds than trust version 1');
  });
});
