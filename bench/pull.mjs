#!/usr/bin/env node
/**
 * docs/quality.md "pull": verify + decide on a manifest with 1,000 devices, ≤ 1.2× the wall time of
 * `friday --version`. Both are run alternately in this process, several times; the figure is the
 * ratio of the medians. Usage: node bench/pull.mjs [runs=21]
 *
 * docs/client.md: `pull --download` of a 1 GiB artifact from a local HTTP server (bench/http-serve.mjs,
 * 127.0.0.1), ≤ 1.0× `curl -o` + `openssl dgst -sha256` of the same file, peak RSS ≤ 100 MB; and
 * the same download broken five times at random points (the server drops the connection), which
 * must complete with at most 1.1× the artifact's bytes sent. BENCH_PULL_MIB sets the size (default
 * 1024), BENCH_RUNS the alternating runs of the download (default 5); BENCH_PULL_MIB=0 leaves the
 * download rows out.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { closeSync, mkdtempSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import canonicalize from 'canonicalize';
import { alternate, fmt, fridayPeakRss, row, timeOnce } from './lib.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin/friday.js');
const RUNS = Number(process.argv[2] ?? 21);
const DEVICES = 1000;
const DOWNLOAD_MIB = Number(process.env.BENCH_PULL_MIB ?? 1024);
const DOWNLOAD_RUNS = Number(process.env.BENCH_RUNS ?? 5);

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
  const text = manifestText(
    {
      serial: 42,
      rollout: { percent: 50, salt: '0123456789abcdef0123456789abcdef' },
      artifacts,
      notes: { popcorn: { id: 123, title: 'Show the time a call was answered' }, changelog: 'releases/2026.48.0/CHANGELOG.md' },
    },
    { keyid, privateKey },
  );
  mkdirSync(join(dir, 'ota/channels/beta'), { recursive: true });
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
  let ok = ratio <= 1.2;
  if (DOWNLOAD_MIB > 0) ok = (await downloadRows(dir, { keyid, privateKey })) && ok;
  process.exitCode = ok ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** A signed beta manifest of aurora 2026.48.0, laid out as friday publishes it (core/manifest.ts manifestText): `signed` canonical on one line. */
function manifestText({ serial, rollout, artifacts, notes }, { keyid, privateKey }) {
  const signed = {
    type: 'friday.manifest/v1',
    product: 'aurora',
    channel: 'beta',
    serial,
    issuedAt: '2026-11-27T17:00:00Z',
    expiresAt: '2026-12-11T17:00:00Z',
    release: { version: '2026.48.0', tag: 'v2026.48.0', commit: 'c'.repeat(40), builtAt: '2026-11-27T16:40:00Z' },
    rollout,
    artifacts,
    notes,
    rollback: null,
    blocked: [],
  };
  const sig = sign(null, Buffer.from(canonicalize(signed)), privateKey).toString('base64');
  return `{\n  "signed": ${canonicalize(signed)},\n  "signatures": [\n    ${JSON.stringify({ keyid, sig })}\n  ]\n}\n`;
}

/** The file server, in its own process; resolves with its base URL once it listens. */
function serve(root, args = []) {
  const child = spawn(process.execPath, [join(ROOT, 'bench/http-serve.mjs'), root, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((ok, fail) => {
    child.stdout.setEncoding('utf8').once('data', (line) => {
      const m = /PORT (\d+)/.exec(line);
      if (m) ok({ base: `http://127.0.0.1:${m[1]}`, stop: () => child.kill() });
      else fail(new Error(`http-serve: ${line}`));
    });
    child.on('error', fail);
  });
}

async function downloadRows(dir, key) {
  const size = DOWNLOAD_MIB * 1024 * 1024;
  const ota = join(dir, 'dl-ota');
  const file = `aurora-umi-${DOWNLOAD_MIB}m.zip`;
  const url = `releases/2026.48.0/${file}`;
  mkdirSync(join(ota, 'releases/2026.48.0'), { recursive: true });
  mkdirSync(join(ota, 'channels/beta'), { recursive: true });
  // Varied bytes (a file of zeros could be compressed or deduplicated somewhere on the way).
  const hash = createHash('sha256');
  const fd = openSync(join(ota, url), 'w');
  const chunk = Buffer.alloc(16 * 1024 * 1024);
  for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((i * 2654435761) >>> 0, i);
  for (let left = size, n = 0; left > 0; n++) {
    chunk.writeUInt32LE(n, 0);
    const part = chunk.subarray(0, Math.min(chunk.length, left));
    writeSync(fd, part);
    hash.update(part);
    left -= part.length;
  }
  closeSync(fd);
  const artifacts = { umi: { file, url, size, sha256: hash.digest('hex') } };
  const notes = { popcorn: null, changelog: null };
  const rollout = { percent: 100, salt: '0123456789abcdef0123456789abcdef' };
  writeFileSync(join(ota, 'channels/beta/manifest.json'), manifestText({ serial: 1, rollout, artifacts, notes }, key));

  const env = { ...process.env, FRIDAY_NOW: '2026-11-28T12:00:00Z', CI: 'true' };
  const dest = join(dir, 'dl-dest');
  const pullArgs = (base) => [
    'pull',
    '--channel',
    'beta',
    '--source',
    `${base}`,
    '--trust',
    join(dir, 'trust.json'),
    '--device',
    'umi',
    '--state',
    join(dir, 'dl-state.json'),
    '--download',
    dest,
    '-q',
  ];
  const fresh = () => {
    rmSync(dest, { recursive: true, force: true });
    rmSync(join(dir, 'dl-state.json'), { force: true });
  };
  let ok = true;
  const server = await serve(ota);
  try {
    const curled = join(dir, 'curl.zip');
    const t = alternate(
      [
        {
          name: 'friday',
          run: () => {
            fresh();
            return timeOnce(process.execPath, [BIN, ...pullArgs(server.base)], { env });
          },
        },
        {
          name: 'curl',
          run: () => {
            rmSync(curled, { force: true });
            return timeOnce('sh', ['-c', `curl -sf -o "${curled}" "${server.base}/${url}" && openssl dgst -sha256 "${curled}" >/dev/null`]);
          },
        },
      ],
      DOWNLOAD_RUNS,
      1,
    );
    rmSync(curled, { force: true });
    fresh();
    const rss = fridayPeakRss(pullArgs(server.base), { env });
    fresh();
    const ratio = t.friday / t.curl;
    const pass = ratio <= 1.0 && rss <= 100;
    ok = ok && pass;
    console.log(
      `pull --download ${DOWNLOAD_MIB} MiB: friday ${fmt(t.friday, 0)} ms vs curl -o + openssl dgst ${fmt(t.curl, 0)} ms: ${fmt(ratio)}× (target ≤ 1.0×); peak RSS ${fmt(rss, 1)} MB (target ≤ 100 MB)`,
    );
    row({
      what: 'pull --download',
      workload: `${DOWNLOAD_MIB} MiB artifact from a local HTTP server`,
      ours: `${fmt(t.friday, 0)} ms, peak RSS ${fmt(rss, 1)} MB`,
      reference: `curl -o + openssl dgst -sha256: ${fmt(t.curl, 0)} ms`,
      ratio: fmt(ratio),
      target: '≤ 1.0×, ≤ 100 MB',
      pass,
    });
  } finally {
    server.stop();
  }

  // Five drops at random points, each in its own request; every retry resumes where the last one
  // ended. The figure is what the server sent over the artifact's size.
  const cuts = Array.from({ length: 5 }, () => 1 + Math.floor(Math.random() * (size - 1))).sort((a, b) => a - b);
  const dropping = await serve(ota, ['--cuts', cuts.join(',')]);
  try {
    fresh();
    const r = spawnSync(process.execPath, [BIN, ...pullArgs(dropping.base).filter((a) => a !== '-q'), '--json'], {
      env,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`pull with drops exited ${r.status}: ${r.stderr}`);
    const result = JSON.parse(r.stdout);
    const stats = JSON.parse(execFileSync('curl', ['-sf', `${dropping.base}/__stats`], { encoding: 'utf8' }));
    const bytes = stats.sent[`/${url}`];
    const ratio = bytes / size;
    const pass = ratio <= 1.1 && result.attempts === 6;
    ok = ok && pass;
    console.log(
      `pull --download ${DOWNLOAD_MIB} MiB broken at ${cuts.map((c) => (c / 1048576).toFixed(1)).join(', ')} MiB: ${result.attempts} requests, ${bytes} bytes sent for ${size}: ${fmt(ratio, 3)}× (target ≤ 1.1×)`,
    );
    row({
      what: 'pull --download, interrupted',
      workload: `${DOWNLOAD_MIB} MiB, the connection dropped 5 times at random points`,
      ours: `${fmt(bytes / 1048576, 1)} MiB sent in ${result.attempts} requests`,
      reference: `the artifact: ${fmt(size / 1048576, 1)} MiB`,
      ratio: fmt(ratio, 3),
      target: '≤ 1.1×',
      pass,
    });
  } finally {
    dropping.stop();
    fresh();
  }
  return ok;
}
