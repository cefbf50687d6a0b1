/**
 * docs/quality.md "Security: what pull and verify refuse": one test per attack. Each serves a
 * manifest from a publish root on disk, runs `friday pull` as a device would, and asserts the
 * refusal's code, exit 1, and that nothing was written (no state file change, no download).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_FILE_NAME_BYTES, type ManifestBody } from '../../src/client/manifest.js';
import { startServer } from '../helpers/http-server.js';
import { runFriday, tmpDir } from '../helpers/index.js';
import { makeKey, manifestBody, signDoc, snapshot, trustDoc, type TestKey } from '../integration/channel-fixture.js';

const NOW = '2026-11-28T12:00:00Z';
const IMAGE = Buffer.from('the umi image, version 2026.48.0\n'.repeat(1000));

interface World {
  root: string;
  source: string;
  trust: string;
  state: string;
  download: string;
  alice: TestKey;
  bob: TestKey;
  mallory: TestKey;
  body(over?: Partial<ManifestBody>): ManifestBody;
  serve(doc: unknown, channel?: string): Promise<void>;
  pull(extra?: string[], channel?: string): Promise<{ code: number; json?: any; stderr: string }>;
  /** Everything a refusal must leave untouched: the state file and the download folder. */
  deviceFiles(): Promise<Map<string, string>>;
}

async function world(): Promise<World> {
  const root = tmpDir('friday-sec-');
  const source = join(root, 'ota');
  const [alice, bob, mallory] = [
    await makeKey(join(root, 'keys'), 'alice'),
    await makeKey(join(root, 'keys'), 'bob'),
    await makeKey(join(root, 'keys'), 'mallory'),
  ];
  const trust = join(root, 'trust.json');
  await fs.writeFile(trust, JSON.stringify(trustDoc('aurora', [alice, bob], 1, { stable: 2 })));
  await fs.mkdir(join(source, 'releases/2026.48.0'), { recursive: true });
  await fs.writeFile(join(source, 'releases/2026.48.0/aurora-umi-2026.48.0.zip'), IMAGE);
  const device = join(root, 'device');
  await fs.mkdir(join(device, 'updates'), { recursive: true });
  const state = join(device, 'state.json');
  // The device has accepted serial 7 of beta before.
  await fs.writeFile(state, JSON.stringify({ type: 'friday.state/v1', serials: { 'aurora/beta': 7 } }));
  const w: World = {
    root,
    source,
    trust,
    state,
    download: join(device, 'updates'),
    alice,
    bob,
    mallory,
    body: (over = {}) => manifestBody(IMAGE, { serial: 8, rollout: { percent: 100, salt: '0123456789abcdef0123456789abcdef' }, ...over }),
    async serve(doc, channel = 'beta') {
      await fs.mkdir(join(source, 'channels', channel), { recursive: true });
      await fs.writeFile(
        join(source, 'channels', channel, 'manifest.json'),
        typeof doc === 'string' || Buffer.isBuffer(doc) ? doc : JSON.stringify(doc, null, 2),
      );
    },
    pull: (extra = [], channel = 'beta') =>
      runFriday(
        [
          'pull',
          '--channel',
          channel,
          '--source',
          source,
          '--trust',
          trust,
          '--device',
          'umi',
          '--device-id',
          'device-1',
          '--current',
          '2026.47.0',
          '--state',
          state,
          '--download',
          w.download,
          '--json',
          ...extra,
        ],
        { env: { FRIDAY_NOW: NOW } },
      ),
    deviceFiles: () => snapshot(device),
  };
  return w;
}

async function refused(w: World, code: string, channel = 'beta') {
  const before = await w.deviceFiles();
  const r = await w.pull([], channel);
  expect(r.code, r.stderr).toBe(1);
  expect(r.json).toMatchObject({ ok: false, error: { code } });
  expect(await w.deviceFiles()).toEqual(before);
  expect(await fs.readdir(w.download)).toEqual([]);
  return r;
}

describe('pull accepts a good manifest (the control case)', () => {
  it('updates, downloads the checked artifact and records the serial', async () => {
    const w = await world();
    await w.serve(signDoc(w.body(), [w.alice]));
    const r = await w.pull();
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({
      decision: 'update',
      channel: 'beta',
      serial: 8,
      version: '2026.48.0',
      rollback: false,
      downloaded: join(w.download, 'aurora-umi-2026.48.0.zip'),
    });
    expect(await fs.readFile(join(w.download, 'aurora-umi-2026.48.0.zip'))).toEqual(IMAGE);
    expect(JSON.parse(await fs.readFile(w.state, 'utf8')).serials['aurora/beta']).toBe(8);
  });
});

describe('arbitrary software (forged manifest)', () => {
  it('refuses a manifest signed by an unknown key', async () => {
    const w = await world();
    await w.serve(signDoc(w.body(), [w.mallory]));
    await refused(w, 'E_SIGNATURE');
  });
  it('refuses a manifest altered after signing (a bad signature by a known key does not count)', async () => {
    const w = await world();
    const doc = signDoc(w.body(), [w.alice]);
    doc.signed.artifacts.umi!.sha256 = 'f'.repeat(64);
    await w.serve(doc);
    await refused(w, 'E_SIGNATURE');
  });
  it('refuses an unsigned manifest and a signature that is not base64 of 64 bytes', async () => {
    const w = await world();
    await w.serve({ signed: w.body(), signatures: [] });
    await refused(w, 'E_SIGNATURE');
    await w.serve({ signed: w.body(), signatures: [{ keyid: w.alice.keyid, sig: 'not base64!' }] });
    await refused(w, 'E_SIGNATURE');
  });
  it('refuses what is not a manifest', async () => {
    const w = await world();
    await w.serve('<html>captive portal</html>');
    await refused(w, 'E_FORMAT');
    await w.serve(signDoc({ ...w.body(), type: 'friday.build/v1' } as never, [w.alice]));
    await refused(w, 'E_FORMAT');
  });
});

describe('rollback attack (replay of an older manifest)', () => {
  it('refuses a serial below the highest accepted, whatever the source', async () => {
    const w = await world();
    await w.serve(
      signDoc(
        w.body({
          serial: 6,
          release: { version: '2026.49.0', tag: 'v2026.49.0', commit: 'c'.repeat(40), builtAt: '2026-11-27T16:40:00Z' },
        }),
        [w.alice],
      ),
    );
    const r = await refused(w, 'E_REPLAY');
    expect(r.json.error.message).toContain('serial 6 is below 7');
  });
});

describe('indefinite freeze (stale manifest replayed forever)', () => {
  it('refuses an expired manifest', async () => {
    const w = await world();
    await w.serve(signDoc(w.body({ issuedAt: '2026-11-01T00:00:00Z', expiresAt: '2026-11-15T00:00:00Z' }), [w.alice]));
    await refused(w, 'E_EXPIRED');
  });
});

describe('mix-and-match', () => {
  it('refuses a beta manifest served as stable', async () => {
    const w = await world();
    // Two trusted signatures, so stable's threshold is met and only the channel gives it away.
    await w.serve(signDoc(w.body(), [w.alice, w.bob]), 'stable');
    await refused(w, 'E_CHANNEL', 'stable');
  });
  it("refuses another product's manifest signed by a trusted key", async () => {
    const w = await world();
    await w.serve(signDoc(w.body({ product: 'nebula' }), [w.alice]));
    await refused(w, 'E_PRODUCT');
  });
});

describe('wrong software', () => {
  it("refuses when the device is not in the manifest's artifacts", async () => {
    const w = await world();
    const body = w.body();
    body.artifacts = { cepheus: { ...body.artifacts.umi!, file: 'aurora-cepheus-2026.48.0.zip' } };
    await w.serve(signDoc(body, [w.alice]));
    await refused(w, 'E_DEVICE');
  });
  it('refuses an unsafe file name or url', async () => {
    const w = await world();
    for (const bad of [
      { file: '../../.bashrc' },
      { file: 'a/b.zip' },
      { file: 'a\\b.zip' },
      { url: '../../etc/passwd' },
      { url: 'https://evil.example/x.zip' },
      { url: '/etc/passwd' },
    ]) {
      const body = w.body();
      body.artifacts.umi = { ...body.artifacts.umi!, ...bad };
      await w.serve(signDoc(body, [w.alice]));
      await refused(w, 'E_PATH');
    }
  });
});

describe('endless data', () => {
  it('refuses a manifest over 1 MiB without reading it', async () => {
    const w = await world();
    const body = w.body();
    body.notes = { popcorn: { id: 1, title: 'x'.repeat(1024 * 1024) }, changelog: null };
    await w.serve(signDoc(body, [w.alice]));
    const r = await refused(w, 'E_FETCH');
    expect(r.json.error.message).toContain('over 1048576 bytes');
  });
  it('refuses an artifact larger than its signed size', async () => {
    const w = await world();
    await fs.writeFile(join(w.source, 'releases/2026.48.0/aurora-umi-2026.48.0.zip'), Buffer.concat([IMAGE, Buffer.from('more')]));
    await w.serve(signDoc(w.body(), [w.alice]));
    await refused(w, 'E_SIZE');
  });
});

describe('tampered artifact', () => {
  it('refuses a truncated artifact', async () => {
    const w = await world();
    await fs.writeFile(join(w.source, 'releases/2026.48.0/aurora-umi-2026.48.0.zip'), IMAGE.subarray(0, IMAGE.length - 10));
    await w.serve(signDoc(w.body(), [w.alice]));
    await refused(w, 'E_SIZE');
  });
  it('refuses an altered artifact of the right size', async () => {
    const w = await world();
    const evil = Buffer.from(IMAGE);
    evil[100] = evil[100]! ^ 1;
    await fs.writeFile(join(w.source, 'releases/2026.48.0/aurora-umi-2026.48.0.zip'), evil);
    await w.serve(signDoc(w.body(), [w.alice]));
    await refused(w, 'E_HASH');
  });
});

describe('key compromise of one key (thresholds per channel)', () => {
  it('stable needs two distinct trusted keys: one key, even signing twice, is refused', async () => {
    const w = await world();
    const body = w.body({ channel: 'stable' });
    await w.serve(signDoc(body, [w.alice]), 'stable');
    await refused(w, 'E_SIGNATURE', 'stable');
    const twice = signDoc(body, [w.alice, w.alice]);
    await w.serve(twice, 'stable');
    await refused(w, 'E_SIGNATURE', 'stable');
    await w.serve(signDoc(body, [w.alice, w.mallory]), 'stable');
    await refused(w, 'E_SIGNATURE', 'stable');
    await w.serve(signDoc(body, [w.mallory, w.alice, w.bob]), 'stable');
    const ok = await w.pull([], 'stable');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.json.decision).toBe('update');
  });
});

describe('the caller’s own input', () => {
  it('a broken trust file is exit 2 naming the file and field; a broken state file is exit 2 too', async () => {
    const w = await world();
    await w.serve(signDoc(w.body(), [w.alice]));
    const t = JSON.parse(await fs.readFile(w.trust, 'utf8'));
    t.keys[w.alice.keyid].public = 'AAAA';
    await fs.writeFile(w.trust, JSON.stringify(t));
    const before = await w.deviceFiles();
    const r = await w.pull();
    expect(r.code).toBe(2);
    expect(r.json.error.code).toBe('E_TRUST');
    expect(r.json.error.message).toContain(`keys.${w.alice.keyid}: public must be 32 bytes of base64`);
    expect(await w.deviceFiles()).toEqual(before);

    const w2 = await world();
    await w2.serve(signDoc(w2.body(), [w2.alice]));
    await fs.writeFile(w2.state, '{ broken');
    const s = await w2.pull();
    expect(s.code).toBe(2);
    expect(s.json.error.code).toBe('E_STATE');
  });
});

describe('security review', () => {
  const IDENTITY = Buffer.from('01' + '00'.repeat(31), 'hex');

  it('a small-order key in trust.json is refused (E_TRUST, exit 2), though it would verify a forged manifest', async () => {
    const w = await world();
    const keyid = createHash('sha256').update(IDENTITY).digest('hex');
    const t = JSON.parse(await fs.readFile(w.trust, 'utf8'));
    t.keys[keyid] = { type: 'ed25519', public: IDENTITY.toString('base64'), name: 'neutral' };
    await fs.writeFile(w.trust, JSON.stringify(t));
    // R = the identity point, S = 0: valid under the identity key for every message.
    const sig = Buffer.concat([IDENTITY, Buffer.alloc(32)]).toString('base64');
    await w.serve({ signed: w.body({ serial: 9, release: { ...w.body().release, version: '6.6.6' } }), signatures: [{ keyid, sig }] });
    const before = await w.deviceFiles();
    const r = await w.pull();
    expect(r.code).toBe(2);
    expect(r.json.error.code).toBe('E_TRUST');
    expect(r.json.error.message).toContain(`keys.${keyid}: public is a weak Ed25519 key`);
    expect(await w.deviceFiles()).toEqual(before);
  });

  it('`friday keys trust` refuses a small-order public key file, and a trust.json that holds one (exit 2)', async () => {
    const dir = tmpDir();
    await runFriday(['init', '--product', 'aurora', '--devices', 'umi', '-C', dir]);
    const der = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), IDENTITY]);
    const pem = `-----BEGIN PUBLIC KEY-----\n${der.toString('base64')}\n-----END PUBLIC KEY-----\n`;
    await fs.writeFile(join(dir, 'neutral.pub'), pem);
    const r = await runFriday(['keys', 'trust', join(dir, 'neutral.pub'), '-C', dir, '--json']);
    expect(r.code).toBe(2);
    expect(r.json.error.code).toBe('E_KEY');
    expect(r.json.error.message).toContain('weak Ed25519 public key');
    await expect(fs.access(join(dir, 'ota/trust.json'))).rejects.toThrow();

    const alice = await makeKey(join(dir, 'keys'), 'alice');
    const keyid = createHash('sha256').update(IDENTITY).digest('hex');
    const planted = {
      type: 'friday.trust/v1',
      product: 'aurora',
      threshold: 1,
      keys: { [keyid]: { type: 'ed25519', public: IDENTITY.toString('base64'), name: 'n' } },
    };
    await fs.mkdir(join(dir, 'ota'), { recursive: true });
    await fs.writeFile(join(dir, 'ota/trust.json'), JSON.stringify(planted));
    const again = await runFriday(['keys', 'trust', alice.pubPath, '-C', dir, '--json']);
    expect(again.code).toBe(2);
    expect(again.json.error).toMatchObject({ code: 'E_TRUST' });
    expect(again.json.error.message).toContain(`keys.${keyid}: public is a weak Ed25519 key`);
    expect(JSON.parse(await fs.readFile(join(dir, 'ota/trust.json'), 'utf8'))).toEqual(planted);
  });

  it('a url that starts with a space (or holds any whitespace or control character) is refused, not fetched elsewhere', async () => {
    const w = await world();
    for (const url of [
      ' /etc/passwd',
      ' https:127.0.0.1:9/x.zip',
      'releases/2026.48.0/a\tb.zip',
      '\nreleases/x.zip',
      'releases/\u0085x.zip',
    ]) {
      const body = w.body();
      body.artifacts.umi = { ...body.artifacts.umi!, url };
      await w.serve(signDoc(body, [w.alice]));
      const r = await refused(w, 'E_PATH');
      expect(r.json.error.message).toContain('artifacts.umi.url');
    }
  });

  it('two pulls at once on one state file: the slower never writes a lower serial over the one just recorded', async () => {
    const server = await startServer();
    try {
      const w = await world();
      await fs.rm(w.state);
      server.file('/fast/channels/beta/manifest.json', Buffer.from(JSON.stringify(signDoc(w.body({ serial: 2 }), [w.alice]))));
      // The slow mirror holds its (older, valid) manifest back until the fast pull has finished.
      let release!: () => void;
      const held = new Promise<void>((ok) => (release = ok));
      let asked!: () => void;
      const slowAsked = new Promise<void>((ok) => (asked = ok));
      const older = Buffer.from(JSON.stringify(signDoc(w.body({ serial: 1 }), [w.alice])));
      server.handle('/slow/channels/beta/manifest.json', (_req, res) => {
        asked();
        void held.then(() => res.writeHead(200, { 'content-length': older.length }).end(older));
      });
      const pull = (source: string) =>
        runFriday(['pull', '--channel', 'beta', '--source', source, '--trust', w.trust, '--device', 'umi', '--state', w.state, '--json'], {
          env: { FRIDAY_NOW: NOW },
        });
      const slow = pull(`${server.base}/slow`);
      await slowAsked;
      const fast = await pull(`${server.base}/fast`);
      expect(fast.code, fast.stderr).toBe(0);
      expect(JSON.parse(await fs.readFile(w.state, 'utf8')).serials['aurora/beta']).toBe(2);
      release();
      const late = await slow;
      expect(late.code).toBe(1);
      expect(late.json.error.code).toBe('E_REPLAY');
      expect(late.json.error.message).toContain('serial 1 is below 2');
      expect(JSON.parse(await fs.readFile(w.state, 'utf8')).serials['aurora/beta']).toBe(2);
      expect(await fs.readdir(join(w.root, 'device'))).toEqual(['state.json', 'updates']); // the lock is gone
    } finally {
      await server.close();
    }
  });

  it('a state file that is a dangling symbolic link is an error (E_STATE), not a fresh start', async () => {
    const w = await world();
    await w.serve(signDoc(w.body(), [w.alice]));
    await fs.rm(w.state);
    await fs.symlink(join(w.root, 'unmounted/state.json'), w.state);
    const r = await w.pull();
    expect(r.code).toBe(2);
    expect(r.json.error.code).toBe('E_STATE');
    expect(r.json.error.message).toContain('symbolic link to a missing file');
    expect(await fs.readlink(w.state)).toBe(join(w.root, 'unmounted/state.json'));
    expect(await fs.readdir(w.download)).toEqual([]);
  });

  it('control characters a server sends never reach the terminal raw', async () => {
    const w = await world();
    await w.serve(Buffer.from('\x1b]0;owned\x07\x1b[2J\x1b[31m\u009b31m not json at all'));
    const r = await refused(w, 'E_FORMAT');
    // eslint-disable-next-line no-control-regex
    expect(r.stderr).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f\u0080-\u009f]/);
    expect(r.stderr).toContain('\\x1b');
    expect(JSON.stringify(r.json)).not.toMatch(/\\u001b|\\u0007|\u009b/);
  });

  it('a file name with a C1 control character is refused', async () => {
    const w = await world();
    for (const file of ['aurora-umi\u009b31m.zip', 'aurora\u0085umi.zip']) {
      const body = w.body();
      body.artifacts.umi = { ...body.artifacts.umi!, file };
      await w.serve(signDoc(body, [w.alice]));
      await refused(w, 'E_PATH');
    }
  });

  it('a manifest.json that is a FIFO nobody writes to is refused at once, not waited on', async () => {
    const w = await world();
    await fs.mkdir(join(w.source, 'channels/beta'), { recursive: true });
    execFileSync('mkfifo', [join(w.source, 'channels/beta/manifest.json')]);
    const r = await refused(w, 'E_FETCH');
    expect(r.json.error.message).toContain('not a regular file (a FIFO)');
  });

  it('a 250-byte file name is refused before anything is written; the longest allowed one downloads, and resumes', async () => {
    const w = await world();
    const fresh = join(w.root, 'device/new/updates');
    const body = w.body();
    body.artifacts.umi = { ...body.artifacts.umi!, file: 'a'.repeat(246) + '.zip' };
    await w.serve(signDoc(body, [w.alice]));
    const r = await w.pull(['--download', fresh]);
    expect(r.json.error.code).toBe('E_PATH');
    await expect(fs.access(join(w.root, 'device/new'))).rejects.toThrow();

    // The longest name, with a .part and record of its own to resume from.
    const longest = 'b'.repeat(MAX_FILE_NAME_BYTES - 4) + '.zip';
    body.artifacts.umi = { ...body.artifacts.umi!, file: longest };
    await w.serve(signDoc(body, [w.alice]));
    await fs.writeFile(join(w.download, `${longest}.part`), IMAGE.subarray(0, 1000));
    const a = body.artifacts.umi;
    const record = { type: 'friday.download/v1', url: a.url, size: a.size, sha256: a.sha256, from: null, etag: null, lastModified: null };
    await fs.writeFile(join(w.download, `${longest}.part.json`), JSON.stringify({ ...record, offset: 1000 }));
    const ok = await w.pull();
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.json).toMatchObject({ downloaded: join(w.download, longest), resumedFrom: 1000 });
    expect(await fs.readdir(w.download)).toEqual([longest]);
  });

  it('a download folder the pull created is removed when it fails before writing anything', async () => {
    const w = await world();
    await w.serve(signDoc(w.body(), [w.alice]));
    await fs.rm(join(w.source, 'releases'), { recursive: true });
    const r = await w.pull(['--download', join(w.root, 'device/a/b/c')]);
    expect(r.code).toBe(1);
    expect(r.json.error.code).toBe('E_FETCH');
    expect(r.json.error.message).toContain('no such file');
    expect(await fs.readdir(join(w.root, 'device'))).toEqual(['state.json', 'updates']);
  });
});
