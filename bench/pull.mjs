#!/usr/bin/env node
/**
 * quality.md "pull": verify + decide on a manifest with 1,000 devices, ≤ 1.2× the wall time of
 * `friday --version`. Both are run alternately in this process, several times; the figure is the
 * ratio of the medians. Usage: node bench/pull.mjs [runs=21]
 */
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import canonicalize from 'canonicalize';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin/friday.js');
const RUNS = Number(process.argv[2] ?? 21);
const DEVICES = 1000;

const dir = mkdtempSync(join(tmpdir(), 'friday-bench-pull-'));
try {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url');
  const keyid = createHash('sha256').update(raw).digest('hex');
  writeFileSync(
    join(dir, 'trust.json'),
    JSON.stringify({
      type: 'friday.trust/v1',
      product: 'aurora',
      keys: { [keyid]: { type: 'ed25519', public: raw.toString('base64'), name: 'bench' } },
      threshold: 1,
    }),
  );
  const artifacts = {};
  for (let i = 0; i < DEVICES; i++) {
    const d = `device${String(i).padStart(4, '0')}`;
    artifacts[d] = {
      file: `aurora-${d}-2026.48.0.zip`,
      url: `releases/2026.48.0/aurora-${d}-2026.48.0.zip`,
      size: 1_500_000_000 + i,
      sha256: createHash('sha256').update(d).digest('hex'),
    };
  }
  const signed = {
    type: 'friday.manifest/v1',
    product: 'aurora',
    channel: 'beta',
    serial: 42,
    issuedAt: '2026-11-27T17:00:00Z',
    expiresAt: '2026-12-11T17:00:00Z',
    release: { version: '2026.48.0', tag: 'v2026.48.0', commit: 'c'.repeat(40), builtAt: '2026-11-27T16:40:00Z' },
    rollout: { percent: 50, salt: '0123456789abcdef0123456789abcdef' },
    artifacts,
    notes: { popcorn: { id: 123, title: 'Show the time a call was answered' }, changelog: 'releases/2026.48.0/CHANGELOG.md' },
    rollback: null,
    blocked: [],
  };
  const sig = sign(null, Buffer.from(canonicalize(signed)), privateKey).toString('base64');
  mkdirSync(join(dir, 'ota/channels/beta'), { recursive: true });
  // Laid out as friday publishes it (core/manifest.ts manifestText): `signed` canonical on one line.
  const text = `{\n  "signed": ${canonicalize(signed)},\n  "signatures": [\n    ${JSON.stringify({ keyid, sig })}\n  ]\n}\n`;
  writeFileSync(join(dir, 'ota/channels/beta/manifest.json'), text);

  const env = { ...process.env, FRIDAY_NOW: '2026-11-28T12:00:00Z', CI: 'true' };
  const pullArgs = [
    BIN,
    'pull',
    '--channel',
    'beta',
    '--source',
    join(dir, 'ota'),
    '--trust',
    join(dir, 'trust.json'),
    '--device',
    'device0500',
    '--device-id',
    'bench-1',
    '--current',
    '2026.47.0',
    '--state',
    join(dir, 'state.json'),
    '--json',
  ];
  const versionArgs = [BIN, '--version'];
  const time = (args) => {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 0) throw new Error(`${args.slice(1).join(' ')} exited ${r.status}: ${r.stderr}`);
    return { ms, out: r.stdout };
  };
  const first = JSON.parse(time(pullArgs).out);
  time(versionArgs);
  const pull = [],
    version = [];
  for (let i = 0; i < RUNS; i++) {
    // Alternate, and alternate which goes first, so drift on a shared machine hits both alike.
    if (i % 2) {
      version.push(time(versionArgs).ms);
      pull.push(time(pullArgs).ms);
    } else {
      pull.push(time(pullArgs).ms);
      version.push(time(versionArgs).ms);
    }
  }
  const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
  const mp = median(pull),
    mv = median(version);
  const ratio = mp / mv;
  console.log(
    `pull bench: manifest of ${DEVICES} devices (${(text.length / 1024).toFixed(0)} KiB), decision ${first.decision}, ${RUNS} alternating runs`,
  );
  console.log(`  friday pull       median ${mp.toFixed(1)} ms`);
  console.log(`  friday --version  median ${mv.toFixed(1)} ms  (reference)`);
  console.log(`  ratio ${ratio.toFixed(3)}  target ≤ 1.2  ${ratio <= 1.2 ? 'PASS' : 'FAIL'}`);
  console.log(
    `BENCH_ROW ${JSON.stringify({ what: 'pull', workload: `manifest with ${DEVICES} devices, verify + decide`, ours: `${mp.toFixed(1)} ms`, reference: `friday --version: ${mv.toFixed(1)} ms`, ratio: ratio.toFixed(2), target: '≤ 1.2×', pass: ratio <= 1.2 })}`,
  );
  process.exitCode = ratio <= 1.2 ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
