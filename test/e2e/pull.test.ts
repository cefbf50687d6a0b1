/** `friday pull` from an http(s) source (a local server on 127.0.0.1) and the update decision. */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOf } from '../../src/client/rollout.js';
import type { ManifestBody } from '../../src/client/manifest.js';
import { runFriday, tmpDir } from '../helpers/index.js';
import { makeKey, manifestBody, signDoc, trustDoc, type TestKey } from '../integration/channel-fixture.js';

const NOW = '2026-11-28T12:00:00Z';
const IMAGE = Buffer.from('umi image 2026.48.0\n'.repeat(5000));
const SALT = 'fedcba9876543210fedcba9876543210';

/** What the server answers for a path: a body, optionally without Content-Length (chunked). */
const routes = new Map<string, { status?: number; body: Buffer; chunked?: boolean }>();
let server: Server;
let base: string;
let key: TestKey;
let root: string;
let trustPath: string;

const body = (over: Partial<ManifestBody> = {}): ManifestBody => manifestBody(IMAGE, { rollout: { percent: 100, salt: SALT }, ...over });
const serveManifest = (b: ManifestBody, extra: { chunked?: boolean } = {}) =>
  routes.set('/ota/channels/beta/manifest.json', { body: Buffer.from(JSON.stringify(signDoc(b, [key]))), ...extra });

beforeAll(async () => {
  root = tmpDir('friday-http-');
  key = await makeKey(join(root, 'keys'), 'alice');
  trustPath = join(root, 'trust.json');
  await fs.writeFile(trustPath, JSON.stringify(trustDoc('aurora', [key])));
  server = createServer((req, res) => {
    const r = routes.get(req.url ?? '');
    if (!r) {
      res.writeHead(404).end('not found');
      return;
    }
    if (r.chunked) {
      res.writeHead(r.status ?? 200, { 'content-type': 'application/octet-stream' });
      // Written in pieces with no Content-Length: the client must count, not trust a header.
      for (let i = 0; i < r.body.length; i += 65536) res.write(r.body.subarray(i, i + 65536));
      res.end();
    } else res.writeHead(r.status ?? 200, { 'content-length': r.body.length }).end(r.body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ota`;
});
afterAll(async () => {
  await new Promise((ok) => server.close(ok));
  await fs.rm(root, { recursive: true, force: true });
});

function pull(args: string[], state: string) {
  return runFriday(
    ['pull', '--channel', 'beta', '--source', base, '--trust', trustPath, '--device', 'umi', '--state', state, '--json', ...args],
    { env: { FRIDAY_NOW: NOW } },
  );
}

describe('pull over http', () => {
  it('fetches, verifies, downloads and records the serial', async () => {
    routes.clear();
    serveManifest(body());
    routes.set('/ota/releases/2026.48.0/aurora-umi-2026.48.0.zip', { body: IMAGE, chunked: true });
    const dir = tmpDir();
    const r = await pull(['--download', join(dir, 'dl'), '--current', '2026.47.0'], join(dir, 'state.json'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toEqual({
      decision: 'update',
      channel: 'beta',
      serial: 3,
      version: '2026.48.0',
      rollback: false,
      artifact: {
        file: 'aurora-umi-2026.48.0.zip',
        url: 'releases/2026.48.0/aurora-umi-2026.48.0.zip',
        size: IMAGE.length,
        sha256: createHash('sha256').update(IMAGE).digest('hex'),
      },
      downloaded: join(dir, 'dl', 'aurora-umi-2026.48.0.zip'),
      attempts: 1,
      resumedFrom: 0,
      trustVersion: 1,
    });
    expect(await fs.readFile(join(dir, 'dl', 'aurora-umi-2026.48.0.zip'))).toEqual(IMAGE);
    expect(await fs.readdir(join(dir, 'dl'))).toEqual(['aurora-umi-2026.48.0.zip']); // no .part, record or lock left
    expect(JSON.parse(await fs.readFile(join(dir, 'state.json'), 'utf8'))).toEqual({
      type: 'friday.state/v1',
      serials: { 'aurora/beta': 3 },
    });
  });

  it('refuses a 404, a chunked manifest over 1 MiB, and an artifact streamed past its size', async () => {
    routes.clear();
    const dir = tmpDir();
    const missing = await pull([], join(dir, 'state.json'));
    expect(missing.code).toBe(1);
    expect(missing.json.error).toMatchObject({ code: 'E_FETCH' });
    expect(missing.json.error.message).toContain('HTTP 404');

    routes.set('/ota/channels/beta/manifest.json', { body: Buffer.alloc(3 * 1024 * 1024, 0x20), chunked: true });
    const big = await pull([], join(dir, 'state.json'));
    expect(big.json.error.code).toBe('E_FETCH');

    serveManifest(body());
    routes.set('/ota/releases/2026.48.0/aurora-umi-2026.48.0.zip', { body: Buffer.concat([IMAGE, Buffer.alloc(1 << 20)]), chunked: true });
    const endless = await pull(['--download', join(dir, 'dl')], join(dir, 'state.json'));
    expect(endless.code).toBe(1);
    expect(endless.json.error.code).toBe('E_SIZE');
    await expect(fs.readdir(join(dir, 'dl'))).rejects.toThrow(); // the folder it created is gone too
    await expect(fs.access(join(dir, 'state.json'))).rejects.toThrow();
  });

  it('places devices in the rollout by their bucket, and says up-to-date', async () => {
    routes.clear();
    serveManifest(body({ rollout: { percent: 25.5, salt: SALT } }));
    const dir = tmpDir();
    const ids = Array.from({ length: 8 }, (_, i) => `device-${i}`);
    const got = await Promise.all(ids.map((id) => pull(['--device-id', id, '--current', '2026.47.0'], join(dir, `${id}.json`))));
    for (const [i, r] of got.entries()) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.json.decision).toBe(bucketOf(SALT, ids[i]!) < 2550 ? 'update' : 'not-in-rollout');
    }
    expect(new Set(got.map((r) => r.json.decision)).size).toBe(2); // this salt puts some in, some out
    const same = await pull(['--device-id', 'device-0', '--current', '2026.48.0'], join(dir, 'x.json'));
    expect(same.json.decision).toBe('up-to-date');
    const newer = await pull(['--current', '2026.49.0'], join(dir, 'x.json'));
    expect(newer.json.decision).toBe('up-to-date');
  });

  it('without --device-id: not in a partial rollout (with a hint), in at 100 % or for a rollback', async () => {
    routes.clear();
    serveManifest(body({ rollout: { percent: 25.5, salt: SALT } }));
    routes.set('/ota/releases/2026.48.0/aurora-umi-2026.48.0.zip', { body: IMAGE });
    const dir = tmpDir();
    const r = await pull(['--current', '2026.47.0', '--download', join(dir, 'dl')], join(dir, 'state.json'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ decision: 'not-in-rollout', version: '2026.48.0', downloaded: null });
    expect(r.stderr).toContain('--device-id');
    const text = await runFriday(
      [
        'pull',
        '--channel',
        'beta',
        '--source',
        base,
        '--trust',
        trustPath,
        '--device',
        'umi',
        '--state',
        join(dir, 'state.json'),
        '--current',
        '2026.47.0',
      ],
      { env: { FRIDAY_NOW: NOW } },
    );
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('beta: serial 3: not in rollout');
    expect(text.stdout).toContain('pass --device-id <id>');
    await expect(fs.access(join(dir, 'dl'))).rejects.toThrow();

    serveManifest(
      body({
        serial: 4,
        release: { ...body().release, version: '2026.47.0' },
        rollback: { from: '2026.48.0', reason: 'spike' },
        rollout: { percent: 25.5, salt: SALT },
      }),
    );
    const rb = await pull(['--current', '2026.48.0'], join(dir, 'state.json'));
    expect(rb.json).toMatchObject({ decision: 'update', version: '2026.47.0', rollback: true });
    serveManifest(body({ serial: 5 }));
    const full = await pull(['--current', '2026.47.0'], join(dir, 'state.json'));
    expect(full.json).toMatchObject({ decision: 'update', version: '2026.48.0' });
  });

  it('--dry-run checks everything and writes nothing', async () => {
    routes.clear();
    serveManifest(body());
    routes.set('/ota/releases/2026.48.0/aurora-umi-2026.48.0.zip', { body: IMAGE });
    const dir = tmpDir();
    const r = await pull(['--download', join(dir, 'dl'), '--dry-run'], join(dir, 'state.json'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ decision: 'update', downloaded: null });
    expect(await fs.readdir(dir)).toEqual([]);
  });
});
