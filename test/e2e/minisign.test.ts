/**
 * minisign signatures beside every artifact and manifest a channel signs (docs/formats.md
 * "minisign signatures"), checked with Debian's `minisign` program itself (`.ci/run` installs
 * it): the key `keys generate` prints and `trust.json` keeps verifies them, a tampered file is refused.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { minisignPublicKey } from '../../src/core/minisign.js';
import { makeFixture } from '../integration/channel-fixture.js';

const minisign = (args: string[]) => spawnSync('minisign', args, { encoding: 'utf8' });

describe('minisign signatures', () => {
  it('stage --publish writes them; minisign verifies artifact and manifest with the RW… key; a tampered file fails', async () => {
    expect(minisign(['-v']).status, 'the minisign program is needed: apt-get install -y minisign').toBe(0);
    const f = await makeFixture();
    const gen = await f.friday(['keys', 'generate', 'dave', '--out', f.keysDir]);
    expect(gen.code, gen.stderr).toBe(0);
    const rw = /minisign public key: (RW[A-Za-z0-9+/=]+)/.exec(gen.stdout)?.[1];
    expect(rw).toBeDefined();
    expect((await f.friday(['keys', 'trust', join(f.keysDir, 'dave.pub'), f.alice.pubPath])).code).toBe(0);
    const trust = JSON.parse(await fs.readFile(f.trustPath, 'utf8'));
    const dave = Object.entries(trust.keys).find(([, k]) => (k as { name: string }).name === 'dave')!;
    expect((dave[1] as { minisign: string }).minisign).toBe(rw);

    const daveKey = join(f.keysDir, 'dave.key');
    const r = await f.friday([
      'stage',
      '--channel',
      'beta',
      '--version',
      '2026.48.0',
      '--key',
      daveKey,
      '--key',
      f.alice.path,
      '--publish',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const live = await f.live('beta');
    const art = Object.values(live.signed.artifacts)[0]!;
    const artifact = join(f.ota, ...art.url.split('/'));
    const manifest = join(f.ota, 'channels', 'beta', 'manifest.json');

    // The first signing key in keyid order signs <file>.minisig, the other <file>.<16 hex>.minisig.
    const [first, second] = [dave[0], f.alice.keyid].sort();
    const rwOf = (keyid: string) => (trust.keys[keyid] as { minisign: string }).minisign;
    for (const file of [artifact, manifest]) {
      const ok = minisign(['-Vm', file, '-P', rwOf(first!)]);
      expect(ok.status, ok.stderr + ok.stdout).toBe(0);
      expect(ok.stdout).toContain('sha256=');
      const other = minisign(['-Vm', file, '-x', `${file}.${second!.slice(0, 16)}.minisig`, '-P', rwOf(second!)]);
      expect(other.status, other.stderr + other.stdout).toBe(0);
    }
    expect(minisign(['-Vm', artifact, '-P', rwOf(first!)]).stdout).toContain(`sha256=${art.sha256}`);

    // A tampered copy is refused.
    const tampered = join(f.dir, 'tampered.zip');
    await fs.copyFile(artifact, tampered);
    await fs.appendFile(tampered, 'x');
    await fs.copyFile(`${artifact}.minisig`, `${tampered}.minisig`);
    expect(minisign(['-Vm', tampered, '-P', rwOf(first!)]).status).not.toBe(0);

    // A rollout re-signs the new manifest; the artifact, signed by a current key already, is left as it is.
    const before = await fs.readFile(`${artifact}.minisig`, 'utf8');
    expect((await f.friday(['rollout', '--channel', 'beta', '--percent', '50', '--key', daveKey])).code).toBe(0);
    expect(await fs.readFile(`${artifact}.minisig`, 'utf8')).toBe(before);
    // Only dave signed this time: alice's signature of the old manifest is gone, not left to fail.
    const names = await fs.readdir(join(f.ota, 'channels', 'beta'));
    expect(names.filter((n) => n.endsWith('.minisig'))).toEqual(['manifest.json.minisig']);
    expect(minisign(['-Vm', manifest, '-P', rw!]).status).toBe(0);

    // After a rotation removes the key that signed <file>.minisig, the next signing command re-signs it.
    const keep = first === dave[0] ? f.alice : { keyid: dave[0], path: daveKey };
    const removed = first === dave[0] ? 'dave' : 'alice';
    const rot = await f.friday(['keys', 'rotate', '--remove', removed, '--key', daveKey, '--key', f.alice.path]);
    expect(rot.code, rot.stderr).toBe(0);
    expect(minisign(['-Vm', artifact, '-P', rwOf(keep.keyid)]).status).not.toBe(0);
    const renewed = await f.friday(['renew', '--channel', 'beta', '--force', '--key', keep.path]);
    expect(renewed.code, renewed.stderr).toBe(0);
    for (const file of [artifact, manifest]) expect(minisign(['-Vm', file, '-P', rwOf(keep.keyid)]).status).toBe(0);
  });

  it("stage and sign write the staged manifest's .minisig over the bytes that go live; publish, with no key, puts it in place", async () => {
    const f = await makeFixture({ channelThresholds: { beta: 2 } });
    const dir = join(f.ota, 'channels', 'beta');
    const rw = (k: { keyid: string; publicRaw: Buffer }) => minisignPublicKey(k.keyid, k.publicRaw);
    const sigs = async () => (await fs.readdir(dir)).filter((n) => n.endsWith('.minisig')).sort();
    const staged = await f.friday(['stage', '--channel', 'beta', '--version', '2026.48.0', '--key', f.alice.path]);
    expect(staged.code, staged.stderr).toBe(0);
    expect(await sigs()).toEqual(['staged.json.minisig']);
    expect(minisign(['-Vm', join(dir, 'staged.json'), '-P', rw(f.alice)]).status).toBe(0);
    // The artifacts are signed at stage time too: publish has no key to do it.
    const art = join(f.ota, 'releases', '2026.48.0', 'aurora-umi-2026.48.0.zip');
    expect(minisign(['-Vm', art, '-P', rw(f.alice)]).status).toBe(0);

    // bob's co-signature changes the bytes: alice's signature of the old ones goes, bob's is made.
    const signed = await f.friday(['sign', '--channel', 'beta', '--key', f.bob.path]);
    expect(signed.code, signed.stderr).toBe(0);
    expect(await sigs()).toEqual(['staged.json.minisig']);
    expect(minisign(['-Vm', join(dir, 'staged.json'), '-P', rw(f.alice)]).status).not.toBe(0);
    expect(minisign(['-Vm', join(dir, 'staged.json'), '-P', rw(f.bob)]).status).toBe(0);

    const published = await f.friday(['publish', '--channel', 'beta']);
    expect(published.code, published.stderr).toBe(0);
    expect(await sigs()).toEqual(['manifest.json.minisig']);
    const ok = minisign(['-Vm', join(dir, 'manifest.json'), '-P', rw(f.bob)]);
    expect(ok.status, ok.stderr + ok.stdout).toBe(0);
    expect(ok.stdout).toContain('file=manifest.json');

    // A staged.json changed by hand after it was signed: its .minisig is not carried over.
    await f.friday(['stage', '--channel', 'beta', '--version', '2026.47.0', '--key', f.alice.path, '--key', f.bob.path]);
    const doc = JSON.parse(await fs.readFile(join(dir, 'staged.json'), 'utf8'));
    doc.signatures.reverse();
    await fs.writeFile(join(dir, 'staged.json'), JSON.stringify(doc, null, 2) + '\n');
    const again = await f.friday(['publish', '--channel', 'beta']);
    expect(again.code, again.stderr).toBe(0);
    expect(await sigs()).toEqual([]);
  });

  it('a build.json that carries blake2b512 stages as any other: each .minisig is over the file on disk', async () => {
    const f = await makeFixture();
    const dir = join(f.ota, 'releases', '2026.48.0');
    const build = JSON.parse(await fs.readFile(join(dir, 'build.json'), 'utf8'));
    const [umi, cepheus] = ['umi', 'cepheus'].map((d) => build.artifacts.find((a: { device: string }) => a.device === d));
    // As unreleased builds recorded it, here wrong on purpose: the prehash of other bytes, and not hex at all.
    umi.blake2b512 = createHash('blake2b512').update('other bytes').digest('hex');
    cepheus.blake2b512 = 42;
    await fs.writeFile(join(dir, 'build.json'), JSON.stringify(build, null, 2) + '\n');
    const r = await f.friday(['stage', '--channel', 'beta', '--version', '2026.48.0', '--key', f.alice.path, '--publish']);
    expect(r.code, r.stderr).toBe(0);
    const rw = minisignPublicKey(f.alice.keyid, f.alice.publicRaw);
    for (const a of [umi, cepheus]) {
      const ok = minisign(['-Vm', join(dir, a.file), '-P', rw]);
      expect(ok.status, ok.stderr + ok.stdout).toBe(0);
    }
  });
});
