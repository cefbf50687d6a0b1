/**
 * The client follows the trust chain (docs/security.md "Signed trust rotation") from a folder or a server
 * on 127.0.0.1: each version must be signed by the one before it and by its own keys, carry the
 * next number and the same product; anything else is E_TRUST, and a pull refused so writes nothing.
 */
import { promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalBytes } from '../../src/client/canonical.js';
import { followTrustChain } from '../../src/client/chain.js';
import { pull } from '../../src/client/pull.js';
import { parseSource } from '../../src/client/source.js';
import { parseTrust } from '../../src/client/trust.js';
import { tmpDir } from '../helpers/index.js';
import { makeKey, manifestBody, signDoc, trustDoc, type TestKey } from './channel-fixture.js';

const NOW = new Date('2026-11-28T12:00:00Z');
const IMAGE = Buffer.from('umi image\n'.repeat(100));

function version(n: number, keys: TestKey[], signers: TestKey[], over: Record<string, unknown> = {}) {
  const signed = { ...trustDoc('aurora', keys), version: n, ...over };
  const data = canonicalBytes(signed);
  return { signed, signatures: signers.map((k) => ({ keyid: k.keyid, sig: k.sign(data).toString('base64') })) };
}

let alice: TestKey, bob: TestKey, carol: TestKey;
let server: Server;
let base: string;
let keysDir: string;
const routes = new Map<string, Buffer>();

beforeAll(async () => {
  const dir = (keysDir = tmpDir('friday-keys-')); // outside a test: removed in afterAll
  [alice, bob, carol] = [await makeKey(dir, 'alice'), await makeKey(dir, 'bob'), await makeKey(dir, 'carol')];
  server = createServer((req, res) => {
    const body = routes.get(req.url ?? '');
    if (body) res.writeHead(200, { 'content-length': body.length }).end(body);
    else res.writeHead(404).end('not found');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ota`;
});
afterAll(async () => {
  await new Promise((ok) => server.close(ok));
  await fs.rm(keysDir, { recursive: true, force: true });
});

/** A publish folder with the given trust versions (trust/<n>.json) and a live beta manifest signed by `signers`. */
async function folder(versions: Record<number, unknown>, signers: TestKey[]): Promise<string> {
  const root = tmpDir('friday-chain-');
  await fs.mkdir(join(root, 'trust'));
  await fs.mkdir(join(root, 'channels', 'beta'), { recursive: true });
  for (const [n, doc] of Object.entries(versions)) await fs.writeFile(join(root, 'trust', `${n}.json`), JSON.stringify(doc));
  await fs.writeFile(join(root, 'channels', 'beta', 'manifest.json'), JSON.stringify(signDoc(manifestBody(IMAGE), signers)));
  return root;
}

describe('the client follows the trust chain', () => {
  it('from a folder and over HTTP, to the newest version; a missing next version ends it', async () => {
    const shipped = parseTrust(trustDoc('aurora', [alice]));
    const v2 = version(2, [alice, bob], [alice, bob]);
    const v3 = version(3, [bob, carol], [alice, bob, carol]);
    const root = await folder({ 2: v2, 3: v3 }, [carol]);
    const newest = await followTrustChain(shipped, parseSource(root));
    expect(newest.version).toBe(3);
    expect([...newest.keys.keys()].sort()).toEqual([bob.keyid, carol.keyid].sort());

    routes.clear();
    routes.set('/ota/trust/2.json', Buffer.from(JSON.stringify(v2)));
    expect((await followTrustChain(shipped, parseSource(base))).version).toBe(2);
    routes.set('/ota/trust/3.json', Buffer.from(JSON.stringify(v3)));
    expect((await followTrustChain(shipped, parseSource(base))).version).toBe(3);
  });

  it('refuses a link signed only by the new keys, a skipped, repeated or lower version, another product (E_TRUST)', async () => {
    const shipped = parseTrust(trustDoc('aurora', [alice]));
    const v2 = version(2, [alice, bob], [alice, bob]);
    const cases: [Record<number, unknown>, RegExp][] = [
      [{ 2: version(2, [bob], [bob]) }, /trust\/2\.json: signed by 0 of version 1's keys, 1 needed/],
      [{ 2: version(2, [alice, bob], [alice], { threshold: 2 }) }, /signed by 1 of its own keys, 2 needed/],
      [{ 2: version(3, [alice], [alice]) }, /version 3 cannot follow version 1/],
      [{ 2: v2, 3: v2 }, /trust\/3\.json: version 2 cannot follow version 2/],
      [{ 2: trustDoc('aurora', [alice]) }, /version 1 cannot follow version 1/],
      [{ 2: version(2, [alice], [alice], { product: 'other' }) }, /product "other" is not version 1's "aurora"/],
    ];
    for (const [versions, message] of cases) {
      const root = await folder(versions, [alice]);
      const err = await followTrustChain(shipped, parseSource(root)).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'E_TRUST', exit: 1 });
      expect((err as Error).message).toMatch(message);

      // A pull that meets it refuses, and the device's state is not written.
      const state = join(root, 'state.json');
      const refused = await pull({ channel: 'beta', source: root, trust: shipped, device: 'umi', statePath: state, now: NOW }).catch(
        (e: unknown) => e,
      );
      expect(refused).toMatchObject({ code: 'E_TRUST' });
      await expect(fs.stat(state)).rejects.toThrow();
    }
  });

  it('keeps the newest accepted version in the state: a mirror without the chain cannot take the device back', async () => {
    const shipped = parseTrust(trustDoc('aurora', [alice]));
    const v2 = version(2, [bob], [alice, bob]);
    const withChain = await folder({ 2: v2 }, [bob]);
    const state = join(withChain, 'state.json');
    const opts = { channel: 'beta', trust: shipped, device: 'umi', statePath: state, now: NOW };
    const first = await pull({ ...opts, source: withChain });
    expect(first.trustVersion).toBe(2);
    expect(JSON.parse(await fs.readFile(state, 'utf8')).trust).toEqual({ aurora: v2 });

    // The mirror has no trust/ and serves a manifest signed by alice, removed in version 2.
    const mirror = await folder({}, [alice]);
    const err = await pull({ ...opts, source: mirror }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_SIGNATURE' });
    // Without the state's memory, the shipped file alone would have let it in.
    expect((await pull({ ...opts, source: mirror, statePath: join(mirror, 'fresh.json') })).trustVersion).toBe(1);
  });
});
