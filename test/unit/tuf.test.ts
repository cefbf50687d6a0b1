/**
 * TUF metadata as core/tuf.ts writes it (docs/security.md "The TUF view of a channel"), read back
 * by @tufjs/models, the reference TUF models: its own canonical JSON must verify every signature,
 * whatever bytes a file name holds (OLPC escapes only `"` and `\`, unlike the manifests' RFC 8785).
 */
import { generateKeyPairSync } from 'node:crypto';
import { Metadata, MetadataKind, type Root } from '@tufjs/models';
import { describe, expect, it } from 'vitest';
import type { Trust } from '../../src/client/trust.js';
import { olpcCanonical, rootFor, signTuf, snapshotFor, targetsFor, timestampFor, tufKeyId, tufText } from '../../src/core/tuf.js';
import { keyFromPrivate, manifestBody } from '../integration/channel-fixture.js';

const key = (name: string) => keyFromPrivate(name, generateKeyPairSync('ed25519').privateKey);
const trustOf = (keys: ReturnType<typeof key>[], threshold: number, channels: Record<string, { threshold: number }> = {}): Trust => ({
  version: 1,
  product: 'aurora',
  threshold,
  channels,
  keys: new Map(keys.map((k) => [k.keyid, { keyid: k.keyid, publicRaw: k.publicRaw, key: null as never }])),
  document: {},
  signatures: [],
});

describe('TUF metadata', () => {
  it('OLPC canonical JSON: sorted keys, only " and \\ escaped, no fractions', () => {
    expect(olpcCanonical({ b: 1, a: ['x"\\\n\u0001é', true, null] })).toBe('{"a":["x\\"\\\\\n\u0001é",true,null],"b":1}');
    expect(() => olpcCanonical({ p: 12.5 })).toThrow(/12.5/);
  });

  it('root, targets, snapshot and timestamp verify with @tufjs/models; a fractional rollout is a string', () => {
    const [alice, bob] = [key('alice'), key('bob')];
    const trust = trustOf([alice, bob], 1, { beta: { threshold: 2 } });
    const rootSigned = rootFor(trust, 'beta', new Date('2026-11-27T17:00:00Z'));
    expect(rootSigned.expires).toBe('2027-11-27T17:00:00Z');
    expect(rootSigned.roles.targets.threshold).toBe(2);
    const root = Metadata.fromJSON(MetadataKind.Root, JSON.parse(tufText(signTuf(rootSigned, [bob, alice]))));
    root.verifyDelegate('root', root);
    expect(Object.keys(root.signatures).sort()).toEqual([tufKeyId(alice.publicRaw), tufKeyId(bob.publicRaw)].sort());

    const odd = 'aurora-umi "night\\ly"\u0007-ü.zip';
    const body = manifestBody(Buffer.from('image'), { rollout: { percent: 12.5, salt: 'ab'.repeat(16) } });
    body.artifacts.umi!.file = odd;
    body.artifacts.umi!.url = `releases/2026.48.0/${odd}`;
    const targets = targetsFor(body, 7);
    expect(targets.targets[`releases/2026.48.0/${odd}`]!.custom.rollout).toEqual({ percent: '12.5', salt: 'ab'.repeat(16) });
    const snapshot = snapshotFor(targets, 3);
    const snapshotText = tufText(signTuf(snapshot, [alice, bob]));
    const timestamp = timestampFor(snapshot, Buffer.from(snapshotText), 9);
    for (const [kind, signed] of [
      [MetadataKind.Targets, targets],
      [MetadataKind.Snapshot, snapshot],
      [MetadataKind.Timestamp, timestamp],
    ] as const) {
      const md = Metadata.fromJSON(kind as MetadataKind.Targets, JSON.parse(tufText(signTuf(signed, [alice, bob]))));
      (root as Metadata<Root>).verifyDelegate(kind, md);
    }
    // One key short of the channel's threshold of 2: refused.
    const one = Metadata.fromJSON(MetadataKind.Targets, JSON.parse(tufText(signTuf(targets, [alice]))));
    expect(() => root.verifyDelegate(MetadataKind.Targets, one)).toThrow();
    // A signature over other bytes: refused.
    const forged = JSON.parse(tufText(signTuf(targets, [alice, bob])));
    forged.signed.targets[`releases/2026.48.0/${odd}`].length += 1;
    expect(() => root.verifyDelegate(MetadataKind.Targets, Metadata.fromJSON(MetadataKind.Targets, forged))).toThrow();
  });
});
