// `friday verify --source` following a chain of 10 trust versions (2..11, from the shipped
// version 1) beside the same verify given the newest version directly, with no chain to follow
// (docs/quality.md ≤ 1.3×). Each version rotates to a fresh key, signed by the old and the new.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import canonicalize from 'canonicalize';
import { alternate, BIN, fmt, row, timeOnce } from './lib.mjs';

const VERSIONS = 10;
const key = (name) => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url');
  return { name, raw, keyid: createHash('sha256').update(raw).digest('hex'), sign: (d) => sign(null, d, privateKey) };
};
const bytes = (v) => Buffer.from(canonicalize(v), 'utf8');
const body = (keys, version) => ({
  type: 'friday.trust/v1',
  product: 'aurora',
  ...(version > 1 ? { version } : {}),
  keys: Object.fromEntries(keys.map((k) => [k.keyid, { type: 'ed25519', public: k.raw.toString('base64'), name: k.name }])),
  threshold: 1,
});
const signed = (b, signers) => ({
  signed: b,
  signatures: signers.map((k) => ({ keyid: k.keyid, sig: k.sign(bytes(b)).toString('base64') })),
});

const dir = mkdtempSync(join(tmpdir(), 'friday-bench-chain-'));
try {
  const chain = join(dir, 'chain');
  const bare = join(dir, 'bare');
  mkdirSync(join(chain, 'trust'), { recursive: true });
  mkdirSync(bare);
  let cur = key('k1');
  writeFileSync(join(dir, 'shipped.json'), JSON.stringify(body([cur], 1)));
  let newest;
  for (let v = 2; v <= VERSIONS + 1; v++) {
    const next = key(`k${v}`);
    newest = signed(body([next], v), [cur, next]);
    writeFileSync(join(chain, 'trust', `${v}.json`), JSON.stringify(newest));
    cur = next;
  }
  writeFileSync(join(dir, 'newest.json'), JSON.stringify(newest));
  const now = new Date('2026-11-28T12:00:00Z');
  const m = {
    type: 'friday.manifest/v1',
    product: 'aurora',
    channel: 'beta',
    serial: 3,
    issuedAt: '2026-11-27T17:00:00Z',
    expiresAt: '2026-12-11T17:00:00Z',
    release: { version: '2026.48.0', tag: 'v2026.48.0', commit: 'c'.repeat(40), builtAt: '2026-11-27T16:40:00Z' },
    rollout: { percent: 100, salt: 'fedcba9876543210fedcba9876543210' },
    artifacts: { umi: { file: 'a.zip', url: 'releases/2026.48.0/a.zip', size: 1, sha256: 'a'.repeat(64) } },
    notes: { popcorn: null, changelog: null },
    rollback: null,
    blocked: [],
  };
  const manifest = join(dir, 'manifest.json');
  writeFileSync(manifest, JSON.stringify(signed(m, [cur])));
  const env = { ...process.env, FRIDAY_NOW: now.toISOString() };
  const args = (trust, source) => [BIN, 'verify', manifest, '--trust', trust, '--source', source];
  const t = alternate(
    [
      { name: 'no chain', run: () => timeOnce(process.execPath, args(join(dir, 'newest.json'), bare), { env }) },
      { name: 'chain', run: () => timeOnce(process.execPath, args(join(dir, 'shipped.json'), chain), { env }) },
    ],
    Number(process.env.BENCH_RUNS ?? 15),
    2,
  );
  const ratio = t.chain / t['no chain'];
  console.log(
    `verify following ${VERSIONS} trust versions: ${fmt(t.chain, 1)} ms vs ${fmt(t['no chain'], 1)} ms with none: ${fmt(ratio)}× (target ≤ 1.3×)`,
  );
  row({
    what: 'trust chain',
    workload: `verify --source, ${VERSIONS} trust versions`,
    ours: `${fmt(t.chain, 1)} ms`,
    reference: `the same verify, no chain: ${fmt(t['no chain'], 1)} ms`,
    ratio: fmt(ratio),
    target: '≤ 1.3×',
    pass: ratio <= 1.3,
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
