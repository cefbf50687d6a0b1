/**
 * Signed trust rotation (docs/security.md, docs/security.md): `keys rotate` writes the next signed trust
 * version beside the ones before it, both thresholds checked before anything is written; devices
 * and `verify --source` follow the chain from the file they shipped with, keep the newest they
 * accepted, and refuse what only a removed key signed; `renew` re-signs such a manifest at once.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmpDir } from '../helpers/index.js';
import { makeFixture, makeKey, signDoc, snapshot, type Fixture } from '../integration/channel-fixture.js';

const readJson = async (p: string) => JSON.parse(await fs.readFile(p, 'utf8'));

async function published(opts: Parameters<typeof makeFixture>[0] = {}): Promise<Fixture> {
  const f = await makeFixture(opts);
  const r = await f.friday(['stage', '--channel', 'beta', '--version', '2026.48.0', '--key', f.alice.path, '--publish']);
  expect(r.code, r.stderr).toBe(0);
  return f;
}

describe('keys rotate', () => {
  it('rotates away from a key: the chain is kept, devices follow it, the old key no longer counts, renew re-signs at once', async () => {
    const f = await published();
    const device = tmpDir('friday-device-');
    const shipped = join(device, 'trust.json');
    await fs.copyFile(f.trustPath, shipped);
    const v1 = await fs.readFile(f.trustPath);

    const r = await f.friday([
      'keys',
      'rotate',
      '--add',
      f.carol.pubPath,
      '--remove',
      'alice',
      '--key',
      f.alice.path,
      '--key',
      f.carol.path,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ version: 2, previous: 1 });
    expect(await fs.readFile(join(f.ota, 'trust', '1.json'))).toEqual(v1); // what devices shipped with, kept
    const v2 = await readJson(join(f.ota, 'trust', '2.json'));
    expect(await readJson(f.trustPath)).toEqual(v2);
    expect(v2.signed).toMatchObject({ type: 'friday.trust/v1', product: 'aurora', version: 2, threshold: 1 });
    expect(Object.keys(v2.signed.keys).sort()).toEqual([f.bob.keyid, f.carol.keyid].sort());
    expect(v2.signed.keys[f.carol.keyid].name).toBe('carol');

    const status = await f.friday(['status', '--json']);
    expect(status.json.trust).toMatchObject({ version: 2, threshold: 1 });
    expect((await f.friday(['status'])).stdout).toContain('trust version 2');

    // The live manifest is signed by alice only: a device that follows the chain refuses it.
    const manifest = join(f.ota, 'channels', 'beta', 'manifest.json');
    const state = join(device, 'state.json');
    const pull = (source: string) =>
      f.friday(['pull', '--channel', 'beta', '--source', source, '--trust', shipped, '--device', 'umi', '--state', state, '--json']);
    const offline = await f.friday(['verify', manifest, '--trust', shipped, '--json']);
    expect(offline.code, offline.stderr).toBe(0); // without the chain: version 1, where alice counts
    const followed = await f.friday(['verify', manifest, '--trust', shipped, '--source', f.ota, '--json']);
    expect(followed.code).toBe(1);
    expect(followed.json.error.code).toBe('E_SIGNATURE');
    const refused = await pull(f.ota);
    expect(refused.code).toBe(1);
    expect(refused.json.error.code).toBe('E_SIGNATURE');
    await expect(fs.stat(state)).rejects.toThrow(); // nothing written

    // renew re-signs a young manifest that the newest version's threshold no longer admits.
    const renewed = await f.friday(['renew', '--channel', 'beta', '--key', f.carol.path, '--json']);
    expect(renewed.code, renewed.stderr).toBe(0);
    expect(renewed.json).toMatchObject({ renewed: true });
    const ok = await pull(f.ota);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.json.trustVersion).toBe(2);
    expect((await readJson(state)).trust.aurora).toEqual(v2);
    expect((await f.friday(['verify', manifest, '--trust', shipped, '--source', f.ota])).code).toBe(0);

    // A mirror without the chain serving a manifest alice signed: the device keeps version 2.
    const mirror = join(device, 'mirror');
    await fs.mkdir(join(mirror, 'channels', 'beta'), { recursive: true });
    const live = await f.live('beta');
    const forged = signDoc({ ...live.signed, serial: live.signed.serial + 1 }, [f.alice]);
    await fs.writeFile(join(mirror, 'channels', 'beta', 'manifest.json'), JSON.stringify(forged));
    const fromMirror = await pull(mirror);
    expect(fromMirror.code).toBe(1);
    expect(fromMirror.json.error.code).toBe('E_SIGNATURE');

    // Once rotated, keys trust would fork the chain: refused, with the command to use.
    const trust = await f.friday(['keys', 'trust', f.alice.pubPath, '--json']);
    expect(trust.code).toBe(2);
    expect(trust.json.error.message).toContain('keys rotate');
    expect(await readJson(f.trustPath)).toEqual(v2);

    // A channel's threshold: version 3 (stable 2) must carry two signatures of its own keys.
    const v3 = await f.friday(['keys', 'rotate', '--threshold', '2', '--channel', 'stable', '--key', f.bob.path, '--key', f.carol.path]);
    expect(v3.code, v3.stderr).toBe(0);
    expect((await readJson(f.trustPath)).signed).toMatchObject({ version: 3, threshold: 1, channels: { stable: { threshold: 2 } } });
    // Version 3's highest threshold is 2: one key cannot rotate away from it.
    const alone = await f.friday(['keys', 'rotate', '--threshold', '1', '--channel', 'stable', '--key', f.bob.path, '--json']);
    expect(alone.code).toBe(2);
    expect(alone.json.error.message).toContain("1 of version 3's keys, 2 needed");
  });

  it('refuses, exit 2 and nothing written: short of either threshold, every key removed, an ambiguous name, a gap, another product', async () => {
    const f = await published({ channelThresholds: { stable: 2 } });
    const rotate = (args: string[]) => f.friday(['keys', 'rotate', ...args, '--json']);
    const before = await snapshot(f.ota);
    const refusals: [string[], string, string][] = [
      // Version 1's highest threshold is stable's 2: alice alone cannot rotate.
      [['--add', f.carol.pubPath, '--key', f.alice.path, '--key', f.carol.path], 'E_THRESHOLD', "1 of version 1's keys, 2 needed"],
      // Version 2 (bob alone, stable 2) cannot meet its own threshold.
      [['--remove', 'alice', '--key', f.alice.path, '--key', f.bob.path], 'E_USAGE', 'threshold 2 (channel stable)'],
      [['--remove', 'alice', '--remove', f.bob.keyid, '--key', f.alice.path, '--key', f.bob.path], 'E_USAGE', 'every key'],
      [['--remove', 'dave', '--key', f.alice.path, '--key', f.bob.path], 'E_USAGE', 'no key named "dave"'],
      [['--add', f.carol.pubPath, '--key', f.carol.path], 'E_THRESHOLD', "0 of version 1's keys"],
    ];
    for (const [args, code, message] of refusals) {
      const r = await rotate(args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.json.error.code).toBe(code);
      expect(r.json.error.message).toContain(message);
      expect(await snapshot(f.ota)).toEqual(before);
    }
    // Signed by both old keys, but the new version's threshold needs two of its own: carol's is missing.
    const own = await rotate([
      '--add',
      f.carol.pubPath,
      '--remove',
      'alice',
      '--remove',
      'bob',
      '--add',
      (await makeKey(tmpDir('friday-keys-'), 'dave')).pubPath,
      '--key',
      f.alice.path,
      '--key',
      f.bob.path,
      '--key',
      f.carol.path,
    ]);
    expect(own.code).toBe(2);
    expect(own.json.error.message).toContain('of its own keys, 2 needed');
    expect(await snapshot(f.ota)).toEqual(before);

    // A second "alice": removing by that name is ambiguous.
    const alice2 = await makeKey(tmpDir('friday-keys-'), 'alice');
    expect((await rotate(['--add', alice2.pubPath, '--key', f.alice.path, '--key', f.bob.path])).code).toBe(0);
    const twice = await rotate(['--remove', 'alice', '--key', f.alice.path, '--key', f.bob.path]);
    expect(twice.code).toBe(2);
    expect(twice.json.error.message).toContain('2 keys are named "alice"');
    const byId = await rotate(['--remove', f.alice.keyid, '--key', f.alice.path, '--key', f.bob.path, '--key', alice2.path]);
    expect(byId.code, byId.stderr).toBe(0);

    // A version gap in the chain on disk, and a trust file of another product.
    const v2 = join(f.ota, 'trust', '2.json');
    const saved = await fs.readFile(v2);
    await fs.rm(v2);
    const gap = await rotate(['--threshold', '1', '--key', f.bob.path, '--key', alice2.path]);
    expect(gap.code).toBe(2);
    expect(gap.json.error.message).toMatch(/trust\/2\.json: no such file.*gap/);
    await fs.writeFile(v2, saved);
    const other = await readJson(join(f.ota, 'trust', '1.json'));
    await fs.writeFile(join(f.ota, 'trust', '1.json'), JSON.stringify({ ...other, product: 'other' }));
    const product = await rotate(['--threshold', '1', '--key', f.bob.path, '--key', alice2.path]);
    expect(product.code).toBe(2);
    expect(product.json.error.code).toBe('E_TRUST');
    expect(product.json.error.message).toContain('product');
  });
});
