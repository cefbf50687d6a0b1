/**
 * Test-data builders for channel tests: a ROM repository in a real git repo, Ed25519 key files
 * (0600), trust.json and cut releases written as docs/formats.md describes them, and a signer for
 * hand-made (forged, replayed, altered) manifests.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign as edSign, type KeyObject } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { expect } from 'vitest';
import { join } from 'node:path';
import { canonicalBytes } from '../../src/client/canonical.js';
import type { ManifestBody, SignedManifest } from '../../src/client/manifest.js';
import { gitRepo, initProject, runFriday, tmpDir, type RunResult } from '../helpers/index.js';

export interface TestKey {
  name: string;
  path: string;
  pubPath: string;
  keyid: string;
  publicRaw: Buffer;
  privateKey: KeyObject;
  sign(data: Uint8Array): Buffer;
}

function rawOf(pub: KeyObject): Buffer {
  return Buffer.from((pub.export({ format: 'jwk' }) as { x: string }).x, 'base64url');
}

export function keyFromPrivate(name: string, privateKey: KeyObject, path = '', pubPath = ''): TestKey {
  const publicRaw = rawOf(createPublicKey(privateKey));
  return {
    name,
    path,
    pubPath,
    keyid: createHash('sha256').update(publicRaw).digest('hex'),
    publicRaw,
    privateKey,
    sign: (d) => edSign(null, d, privateKey),
  };
}

/** A key pair as `keys generate` writes it: <dir>/<name>.key (0600) and <name>.pub. */
export async function makeKey(dir: string, name: string): Promise<TestKey> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const path = join(dir, `${name}.key`);
  const pubPath = join(dir, `${name}.pub`);
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), { mode: 0o600 });
  await fs.chmod(path, 0o600);
  await fs.writeFile(pubPath, publicKey.export({ format: 'pem', type: 'spki' }).toString());
  return keyFromPrivate(name, createPrivateKey(await fs.readFile(path, 'utf8')), path, pubPath);
}

export function trustDoc(product: string, keys: TestKey[], threshold = 1, channels: Record<string, number> = {}) {
  return {
    type: 'friday.trust/v1',
    product,
    keys: Object.fromEntries(keys.map((k) => [k.keyid, { type: 'ed25519', public: k.publicRaw.toString('base64'), name: k.name }])),
    threshold,
    channels: Object.fromEntries(Object.entries(channels).map(([c, t]) => [c, { threshold: t }])),
  };
}

/** A beta manifest body of aurora 2026.48.0 whose one artifact, for umi, is `image`; `over` on top. */
export function manifestBody(image: Uint8Array, over: Partial<ManifestBody> = {}): ManifestBody {
  return {
    type: 'friday.manifest/v1',
    product: 'aurora',
    channel: 'beta',
    serial: 3,
    issuedAt: '2026-11-27T17:00:00Z',
    expiresAt: '2026-12-11T17:00:00Z',
    release: { version: '2026.48.0', tag: 'v2026.48.0', commit: 'c'.repeat(40), builtAt: '2026-11-27T16:40:00Z' },
    rollout: { percent: 100, salt: 'fedcba9876543210fedcba9876543210' },
    artifacts: {
      umi: {
        file: 'aurora-umi-2026.48.0.zip',
        url: 'releases/2026.48.0/aurora-umi-2026.48.0.zip',
        size: image.length,
        sha256: createHash('sha256').update(image).digest('hex'),
      },
    },
    notes: { popcorn: null, changelog: null },
    rollback: null,
    blocked: [],
    ...over,
  };
}

export function signDoc(body: ManifestBody, keys: { keyid: string; sign(d: Uint8Array): Buffer }[]): SignedManifest {
  const data = canonicalBytes(body);
  return { signed: body, signatures: keys.map((k) => ({ keyid: k.keyid, sig: k.sign(data).toString('base64') })) };
}

/** A cut release: artifacts, build.json, changelog.json and CHANGELOG.md under <ota>/releases/<version>/. */
export async function writeRelease(
  ota: string,
  version: string,
  opts: {
    product?: string;
    devices?: string[];
    builtAt?: string;
    popcorn?: { id: number; title: string } | null;
    changelog?: boolean;
  } = {},
) {
  const product = opts.product ?? 'aurora';
  const dir = join(ota, 'releases', version);
  await fs.mkdir(dir, { recursive: true });
  const artifacts = [];
  for (const device of opts.devices ?? ['cepheus', 'umi']) {
    const file = `${product}-${device}-${version}.zip`;
    const data = Buffer.from(`image of ${product} ${version} for ${device}\n`.repeat(50));
    await fs.writeFile(join(dir, file), data);
    artifacts.push({ device, file, size: data.length, sha256: createHash('sha256').update(data).digest('hex') });
  }
  const build = {
    type: 'friday.build/v1',
    product,
    version,
    tag: `v${version}`,
    commit: 'a'.repeat(40),
    previousTag: null,
    builtAt: opts.builtAt ?? '2026-11-27T16:40:00Z',
    artifacts,
  };
  await fs.writeFile(join(dir, 'build.json'), JSON.stringify(build, null, 2) + '\n');
  if (opts.changelog !== false) {
    const popcorn = opts.popcorn === undefined ? { id: 123, title: 'Show the time a call was answered', score: 12 } : opts.popcorn;
    await fs.writeFile(
      join(dir, 'changelog.json'),
      JSON.stringify({ type: 'friday.changelog/v1', product, version, popcorn }, null, 2) + '\n',
    );
    await fs.writeFile(join(dir, 'CHANGELOG.md'), `# ${product} ${version}\n`);
  }
  return build;
}

export interface Fixture {
  dir: string;
  ota: string;
  keysDir: string;
  alice: TestKey;
  bob: TestKey;
  carol: TestKey;
  trustPath: string;
  friday(args: string[], env?: Record<string, string>): Promise<RunResult>;
  live(channel: string): Promise<SignedManifest>;
  events(channel: string): Promise<Array<Record<string, any>>>;
}

/** A ROM repository with friday set up, keys alice/bob (trusted) and carol (not), and cut releases. */
export async function makeFixture(
  opts: { releases?: string[]; threshold?: number; channelThresholds?: Record<string, number>; now?: string; devices?: string[] } = {},
): Promise<Fixture> {
  const repo = await gitRepo();
  await initProject(repo, opts.devices ? { devices: opts.devices } : {});
  const dir = repo.dir;
  const ota = join(dir, 'ota');
  const keysDir = tmpDir('friday-keys-');
  const [alice, bob, carol] = [await makeKey(keysDir, 'alice'), await makeKey(keysDir, 'bob'), await makeKey(keysDir, 'carol')];
  const trustPath = join(ota, 'trust.json');
  await fs.mkdir(ota, { recursive: true });
  await fs.writeFile(
    trustPath,
    JSON.stringify(trustDoc('aurora', [alice, bob], opts.threshold ?? 1, opts.channelThresholds ?? {}), null, 2) + '\n',
  );
  for (const v of opts.releases ?? ['2026.47.0', '2026.48.0']) await writeRelease(ota, v, opts.devices ? { devices: opts.devices } : {});
  const now = opts.now ?? '2026-11-27T17:00:00Z';
  return {
    dir,
    ota,
    keysDir,
    alice,
    bob,
    carol,
    trustPath,
    friday: (args, env = {}) => runFriday(['-C', dir, ...args], { env: { FRIDAY_NOW: now, ...env } }),
    live: async (channel) => JSON.parse(await fs.readFile(join(ota, 'channels', channel, 'manifest.json'), 'utf8')),
    events: async (channel) =>
      (await fs.readFile(join(ota, 'channels', channel, 'events.ndjson'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
  };
}

/** Every file under `dir` with its bytes, to assert that nothing changed. */
export async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (d: string) => {
    for (const e of await fs.readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else
        out.set(
          p,
          createHash('sha256')
            .update(await fs.readFile(p))
            .digest('hex'),
        );
    }
  };
  await walk(dir);
  return out;
}

/**
 * A channel folder as a mirror may see it at any moment (docs/formats.md "Publishing"): the live
 * manifest verifies; history/ holds exactly serials 1..live (1..live-1 while a killed publish is
 * not yet completed, `complete: false`), each verifying and named by its serial; the live
 * manifest is its own history copy; staged.json, when there, parses; every audit line parses.
 */
export async function checkChannelFiles(ota: string, trustPath: string, channel: string, now: string, opts: { complete: boolean }) {
  const { parseTrust } = await import('../../src/client/trust.js');
  const { verifyManifest, parseManifest } = await import('../../src/client/index.js');
  const trust = parseTrust(JSON.parse(await fs.readFile(trustPath, 'utf8')));
  const dir = join(ota, 'channels', channel);
  const at = { channel, now: new Date(now) };
  const live = verifyManifest(JSON.parse(await fs.readFile(join(dir, 'manifest.json'), 'utf8')), trust, at).manifest;
  const names = (await fs.readdir(join(dir, 'history'))).filter((n) => n.endsWith('.json')).sort();
  const serials: number[] = [];
  for (const n of names) {
    const m = verifyManifest(JSON.parse(await fs.readFile(join(dir, 'history', n), 'utf8')), trust, at).manifest;
    expect(n).toBe(`${String(m.signed.serial).padStart(8, '0')}.json`);
    serials.push(m.signed.serial);
    if (m.signed.serial === live.signed.serial) expect(m).toEqual(live);
  }
  const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  if (opts.complete || serials.length === live.signed.serial) expect(serials).toEqual(upTo(live.signed.serial));
  else expect(serials).toEqual(upTo(live.signed.serial - 1));
  try {
    parseManifest(JSON.parse(await fs.readFile(join(dir, 'staged.json'), 'utf8')));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const lines = (await fs.readFile(join(dir, 'events.ndjson'), 'utf8')).split('\n');
  expect(lines.pop()).toBe(''); // ends with a newline: no torn line
  const events = lines.map((l) => JSON.parse(l) as { action: string; serial: number | null });
  if (opts.complete) {
    const logged = new Set(events.filter((e) => e.action === 'publish').map((e) => e.serial));
    for (const s of upTo(live.signed.serial)) expect(logged.has(s), `publish line for serial ${s}`).toBe(true);
  }
  return live;
}
