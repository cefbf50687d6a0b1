/** The embeddable client's pure checks, on literals: canonical form, trust parsing, verification order, decisions. */
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  bucketOf,
  canonicalString,
  ClientError,
  checkReplay,
  compareVersions,
  decide,
  inRollout,
  isPlainFileName,
  isSafeRelativeUrl,
  keyidOfRaw,
  locate,
  MAX_FILE_NAME_BYTES,
  parseManifest,
  parseManifestBytes,
  parseSource,
  printable,
  publicKeyFromRaw,
  weakKeyProblem,
  parseTrust,
  recordSerial,
  verifyManifest,
  type ManifestBody,
} from '../../src/client/index.js';

function key() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from((publicKey.export({ format: 'jwk' }) as { x: string }).x, 'base64url');
  return { keyid: keyidOfRaw(raw), raw, sign: (d: Buffer) => sign(null, d, privateKey).toString('base64') };
}
const alice = key(),
  bob = key(),
  mallory = key();
const trustValue = (threshold = 1, channels: Record<string, { threshold: number }> = {}) => ({
  type: 'friday.trust/v1',
  product: 'aurora',
  threshold,
  channels,
  keys: Object.fromEntries(
    [alice, bob].map((k, i) => [k.keyid, { type: 'ed25519', public: k.raw.toString('base64'), name: ['alice', 'bob'][i] }]),
  ),
});
const body = (over: Partial<ManifestBody> = {}): ManifestBody => ({
  type: 'friday.manifest/v1',
  product: 'aurora',
  channel: 'beta',
  serial: 5,
  issuedAt: '2026-11-27T17:00:00Z',
  expiresAt: '2026-12-11T17:00:00Z',
  release: { version: '2026.48.0', tag: 'v2026.48.0', commit: 'c'.repeat(40), builtAt: '2026-11-27T16:40:00Z' },
  rollout: { percent: 50, salt: 'a'.repeat(32) },
  artifacts: { umi: { file: 'a.zip', url: 'releases/2026.48.0/a.zip', size: 10, sha256: 'b'.repeat(64) } },
  notes: { popcorn: null, changelog: null },
  rollback: null,
  blocked: [],
  ...over,
});
const signWith = (b: ManifestBody, ...keys: ReturnType<typeof key>[]) => ({
  signed: b,
  signatures: keys.map((k) => ({ keyid: k.keyid, sig: k.sign(Buffer.from(canonicalString(b))) })),
});
const NOW = new Date('2026-11-28T00:00:00Z');
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ClientError) return err.code;
    throw err;
  }
  return 'ok';
};
const errorOf = (fn: () => unknown): ClientError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ClientError) return err;
    throw err;
  }
  throw new Error('no error');
};

describe('canonical form (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units, prints numbers as ECMAScript does, keeps non-ASCII literal', () => {
    expect(canonicalString({ b: 1, a: [true, null, 'x'], A: { z: 1e21, y: 0.1, x: -0 } })).toBe(
      '{"A":{"x":0,"y":0.1,"z":1e+21},"a":[true,null,"x"],"b":1}',
    );
    expect(canonicalString({ '\u20ac': 1, '\r': 2, '\ud83d\ude00': 3, ö: 4 })).toBe('{"\\r":2,"ö":4,"€":1,"😀":3}');
    expect(canonicalString({ s: 'é\u2028"\\\u0001' })).toBe('{"s":"é\u2028\\"\\\\\\u0001"}');
  });
});

describe('trust.json', () => {
  it('parses keys and thresholds', () => {
    const t = parseTrust(trustValue(1, { stable: { threshold: 2 } }));
    expect([...t.keys.keys()]).toEqual([alice.keyid, bob.keyid]);
    expect(t.channels).toEqual({ stable: { threshold: 2 } });
  });
  it('reports every problem, naming the file and the field', () => {
    const v = trustValue() as any;
    v.keys[alice.keyid].public = 'AAAA';
    v.keys['f'.repeat(64)] = { type: 'ed25519', public: bob.raw.toString('base64') };
    v.threshold = 0;
    try {
      parseTrust(v, 'ota/trust.json');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ClientError);
      const e = err as ClientError;
      expect(e.code).toBe('E_TRUST');
      expect(e.exit).toBe(2);
      expect(e.message).toMatch(/^ota\/trust\.json: 3 problems: /);
      expect(e.message).toContain(`keys.${alice.keyid}: public must be 32 bytes of base64`);
      expect(e.message).toContain(`keys.${'f'.repeat(64)}: the keyid is not the SHA-256 of its public key`);
      expect(e.message).toContain('threshold: must be a whole number');
    }
  });
});

describe('verifyManifest', () => {
  const trust = parseTrust(trustValue(1, { stable: { threshold: 2 } }));
  const check = (doc: unknown, channel = 'beta') => codeOf(() => verifyManifest(doc, trust, { channel, now: NOW }));

  it('accepts a good manifest and counts distinct trusted keys', () => {
    const v = verifyManifest(signWith(body(), alice, alice, mallory), trust, { channel: 'beta', now: NOW });
    expect(v.signatures).toEqual({ valid: [alice.keyid], threshold: 1, unknown: [mallory.keyid], bad: [] });
  });
  it('refuses in the documented order', () => {
    expect(check({ signed: body() })).toBe('E_FORMAT');
    expect(check({ signed: { ...body(), serial: -1 }, signatures: [] })).toBe('E_FORMAT');
    expect(check({ ...signWith(body(), alice), extra: 1 })).toBe('ok');
    expect(check(signWith(body(), mallory))).toBe('E_SIGNATURE');
    expect(check({ signed: body({ serial: 6 }), signatures: signWith(body(), alice).signatures })).toBe('E_SIGNATURE');
    // Wrong product *and* expired *and* unsigned: the signature check comes first.
    expect(check(signWith(body({ product: 'nebula', expiresAt: '2026-11-01T00:00:00Z' }), mallory))).toBe('E_SIGNATURE');
    expect(check(signWith(body({ product: 'nebula', expiresAt: '2026-11-01T00:00:00Z' }), alice))).toBe('E_PRODUCT');
    expect(check(signWith(body({ expiresAt: '2026-11-01T00:00:00Z' }), alice), 'stable')).toBe('E_CHANNEL');
    expect(check(signWith(body({ expiresAt: '2026-11-28T00:00:00Z' }), alice))).toBe('E_EXPIRED');
    expect(check(signWith(body({ artifacts: { umi: { file: '..', url: 'x', size: 1, sha256: 'b'.repeat(64) } } }), alice))).toBe('E_PATH');
    expect(check(signWith(body({ channel: 'stable' }), alice), 'stable')).toBe('E_SIGNATURE');
    expect(check(signWith(body({ channel: 'stable' }), alice, bob), 'stable')).toBe('ok');
  });
  it('checks the shape of every field', () => {
    expect(() => parseManifest({ signed: { ...body(), rollout: { percent: 10.123, salt: 'a'.repeat(32) } }, signatures: [] })).toThrow(
      /rollout.percent/,
    );
    expect(() => parseManifest({ signed: { ...body(), issuedAt: '2026-11-27 17:00' }, signatures: [] })).toThrow(/issuedAt/);
    expect(() =>
      parseManifest({
        signed: { ...body(), artifacts: { umi: { file: 'a', url: 'b', size: 1, sha256: 'B'.repeat(64) } } },
        signatures: [],
      }),
    ).toThrow(/sha256/);
    expect(() => parseManifest([1])).toThrow(/not a manifest/);
  });
});

describe('names', () => {
  it('allows plain file names and relative urls only', () => {
    for (const ok of ['aurora-umi-2026.48.0.zip', 'image.img', 'a b.zip']) expect(isPlainFileName(ok)).toBe(true);
    for (const bad of ['', '.', '..', '../x', 'a/b', 'a\\b', 'a\u0000b', 'x..zip', 'a\nb']) expect(isPlainFileName(bad)).toBe(false);
    expect(isSafeRelativeUrl('releases/2026.48.0/a.zip')).toBe(true);
    for (const bad of ['/etc/passwd', '../a', 'a/../../b', 'https://x/y', 'file:///etc', 'a//b', 'a/./b', 'a\\b', 'a?b', '%2e%2e/x', ''])
      expect(isSafeRelativeUrl(bad)).toBe(false);
  });
});

describe('names from a manifest (security review)', () => {
  it('refuses C1 control characters and lone surrogates in a file name, as C0 ones', () => {
    for (const bad of ['a\u0085b.zip', 'a\u009b31m.zip', 'a\u0080.zip', 'a\u009f', 'a\ud800.zip', 'a\x7f.zip'])
      expect(isPlainFileName(bad), JSON.stringify(bad)).toBe(false);
    expect(isPlainFileName('aurora-ümi-🍿.zip')).toBe(true);
  });

  it('limits a name so that every file the download derives from it fits in 255 bytes', () => {
    expect(MAX_FILE_NAME_BYTES).toBe(223);
    expect(isPlainFileName('a'.repeat(MAX_FILE_NAME_BYTES))).toBe(true);
    expect(isPlainFileName('a'.repeat(MAX_FILE_NAME_BYTES + 1))).toBe(false);
    expect(isPlainFileName('a'.repeat(250))).toBe(false);
    // Bytes, not characters: 112 two-byte letters are 224 bytes.
    expect(isPlainFileName('é'.repeat(111))).toBe(true);
    expect(isPlainFileName('é'.repeat(112))).toBe(false);
  });

  it('refuses a url with whitespace or a control character anywhere (the URL parser would drop it)', () => {
    for (const bad of [
      ' /x',
      ' https:127.0.0.1:9/x',
      'releases/a b.zip',
      'releases/a\tb.zip',
      '\nreleases/a.zip',
      'a.zip ',
      'a\u00a0.zip',
      'a\u0085.zip',
      'a\u2028.zip',
    ])
      expect(isSafeRelativeUrl(bad), JSON.stringify(bad)).toBe(false);
  });

  it('checks where a url resolves, as it will be fetched, even past the name check', () => {
    const http = parseSource('http://127.0.0.1:8080/ota');
    expect(locate(http, 'releases/a.zip')).toBe('http://127.0.0.1:8080/ota/releases/a.zip');
    for (const rel of [' /x', ' https:127.0.0.1:9/x', '/x', '//evil.example/x', 'a?b'])
      expect(
        codeOf(() => locate(http, rel)),
        rel,
      ).toBe('E_PATH');
    const dir = parseSource('/srv/ota');
    expect(locate(dir, 'releases/a.zip')).toBe('/srv/ota/releases/a.zip');
    expect(codeOf(() => locate(dir, '../etc/passwd'))).toBe('E_PATH');
  });
});

describe('weak keys (security review)', () => {
  // The 8 points of small order in their canonical encodings, then non-canonical ones (y ≥ p, or
  // the x sign bit set where x = 0): every one verifies a forged signature or names such a point.
  const WEAK = [
    '0100000000000000000000000000000000000000000000000000000000000000',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    '0000000000000000000000000000000000000000000000000000000000000000',
    '0000000000000000000000000000000000000000000000000000000000000080',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
    '0100000000000000000000000000000000000000000000000000000000000080',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    'efffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  ];

  it('the identity key verifies a forged signature over any message (why it must be refused)', () => {
    const identity = publicKeyFromRaw(Buffer.from(WEAK[0]!, 'hex'));
    const forged = Buffer.concat([Buffer.from(WEAK[0]!, 'hex'), Buffer.alloc(32)]); // R = identity, S = 0
    expect(verify(null, Buffer.from('any manifest at all'), identity, forged)).toBe(true);
  });

  it('parseTrust refuses every small-order and non-canonical encoding (E_TRUST, exit 2), naming the key', () => {
    for (const hex of WEAK) {
      const raw = Buffer.from(hex, 'hex');
      const keyid = keyidOfRaw(raw);
      const value = { ...trustValue(), keys: { [keyid]: { type: 'ed25519', public: raw.toString('base64') } } };
      const err = errorOf(() => parseTrust(value));
      expect(err.code, hex).toBe('E_TRUST');
      expect(err.exit).toBe(2);
      expect(err.message).toContain(`keys.${keyid}: public is a weak Ed25519 key`);
      expect(weakKeyProblem(raw), hex).not.toBeNull();
    }
    expect(weakKeyProblem(alice.raw)).toBeNull();
  });
});

describe('printable (security review)', () => {
  it('shows control, C1 and invisible format characters as escapes, and leaves text alone', () => {
    expect(printable('\x1b]0;owned\x07\x1b[31mred\r\n')).toBe('\\x1b]0;owned\\x07\\x1b[31mred\\x0d\\x0a');
    expect(printable('a\u009b31mb\u0085')).toBe('a\\x9b31mb\\x85');
    expect(printable('gpj.\u202eexe\u200b')).toBe('gpj.\\u202eexe\\u200b');
    expect(printable('lone \ud800 surrogate')).toBe('lone \\ud800 surrogate');
    expect(printable('Café “Popcorn” 🍿 2026.48.0')).toBe('Café “Popcorn” 🍿 2026.48.0');
  });

  it('every client error message is printable, whatever it quotes', () => {
    const err = errorOf(() => parseManifestBytes(Buffer.from('\x1b[2J\x07\u009b not json'), 'm.json'));
    expect(err.code).toBe('E_FORMAT');
    // eslint-disable-next-line no-control-regex
    expect(err.message).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
    expect(err.message).toContain('\\x1b');
  });
});

describe('decisions', () => {
  it('compares versions in semver order', () => {
    expect(compareVersions('2026.48.0', '2026.9.3')).toBe(1);
    expect(compareVersions('2026.48.0', '2026.48.0')).toBe(0);
    expect(compareVersions('1.0.0-rc.1', '1.0.0')).toBe(-1);
    expect(compareVersions('1.0.0-rc.10', '1.0.0-rc.9')).toBe(1);
    expect(compareVersions('1.10.0', '1.9.9')).toBe(1);
  });
  it('update, up-to-date, not-in-rollout, and the rollback exception', () => {
    const b = body();
    const full = body({ rollout: { percent: 100, salt: 'a'.repeat(32) } });
    expect(decide(full, { device: 'umi' }).decision).toBe('update');
    expect(decide(full, { device: 'umi', current: '2026.47.0' }).decision).toBe('update');
    expect(decide(b, { device: 'umi', current: '2026.48.0' }).decision).toBe('up-to-date');
    expect(decide(b, { device: 'umi', current: '2026.49.0' }).decision).toBe('up-to-date');
    const rb = body({ release: { ...b.release, version: '2026.47.0' }, rollback: { from: '2026.48.0', reason: 'spike' } });
    expect(decide(rb, { device: 'umi', current: '2026.48.0' }).decision).toBe('update');
    expect(decide(rb, { device: 'umi', current: '2026.49.0' }).decision).toBe('up-to-date');
    const ids = Array.from({ length: 40 }, (_, i) => `d${i}`);
    const half = ids.map((id) => decide(b, { device: 'umi', deviceId: id, current: '2026.47.0' }).decision);
    expect(half).toEqual(ids.map((id) => (bucketOf(b.rollout.salt, id) < 5000 ? 'update' : 'not-in-rollout')));
    expect(codeOf(() => decide(b, { device: 'cepheus' }))).toBe('E_DEVICE');
    expect(codeOf(() => decide(b, { device: 'toString' }))).toBe('E_DEVICE');
  });
  it('without a device id, only a 100 % rollout or a rollback is an update', () => {
    const half = body();
    expect(decide(half, { device: 'umi' }).decision).toBe('not-in-rollout');
    expect(decide(half, { device: 'umi', current: '2026.47.0' }).decision).toBe('not-in-rollout');
    expect(decide(half, { device: 'umi', current: '2026.48.0' }).decision).toBe('up-to-date');
    expect(decide(body({ rollout: { percent: 99.99, salt: 'a'.repeat(32) } }), { device: 'umi' }).decision).toBe('not-in-rollout');
    expect(decide(body({ rollout: { percent: 100, salt: 'a'.repeat(32) } }), { device: 'umi', current: '2026.47.0' }).decision).toBe(
      'update',
    );
    // A rollback takes everyone off the bad release, whatever its rollout says.
    const rb = body({
      release: { ...half.release, version: '2026.47.0' },
      rollback: { from: '2026.48.0', reason: 'spike' },
      rollout: { percent: 10, salt: 'a'.repeat(32) },
    });
    expect(decide(rb, { device: 'umi', current: '2026.48.0' }).decision).toBe('update');
    expect(decide(rb, { device: 'umi' }).decision).toBe('update');
  });
  it('rollout edges: 0 % admits nobody, 100 % everybody', () => {
    for (let i = 0; i < 200; i++) {
      expect(inRollout(0, 'a'.repeat(32), `x${i}`)).toBe(false);
      expect(inRollout(100, 'a'.repeat(32), `x${i}`)).toBe(true);
    }
  });
  it('replay: below the highest accepted is refused, equal is fine, the highest is kept', () => {
    expect(codeOf(() => checkReplay(body({ serial: 4 }), 5))).toBe('E_REPLAY');
    expect(codeOf(() => checkReplay(body({ serial: 5 }), 5))).toBe('ok');
    expect(codeOf(() => checkReplay(body({ serial: 1 }), undefined))).toBe('ok');
    const s = recordSerial({ serials: { 'aurora/beta': 9 } }, 'aurora/beta', 7);
    expect(s.serials['aurora/beta']).toBe(9);
    expect(recordSerial(s, 'aurora/beta', 10).serials['aurora/beta']).toBe(10);
  });
});
