// The cut on every core: `friday cut --skip-build` with 8 artifacts beside the shell doing the
// same per file on as many cores, `printf … | xargs -P<cores>` of `openssl dgst -sha256` + `cp`
// (docs/client.md "The cut: every core hashes", ≤ 1.0×), and the cut's peak RSS (≤ 150 MB).
// BENCH_HASH_MANY_MIB sets each artifact's size (256 by default), BENCH_HASH_MANY_COUNT how many (8).
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { alternate, cutMemoryRow, cutRepo, cutTimer, fmt, fridayPeakRss, row, timeOnce } from './lib.mjs';

const mib = Number(process.env.BENCH_HASH_MANY_MIB ?? 256);
const count = Number(process.env.BENCH_HASH_MANY_COUNT ?? 8);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const cores = Math.max(2, availableParallelism());
const devices = Array.from({ length: count }, (_, i) => `dev${i + 1}`);

const dir = cutRepo('friday-bench-hash-many-', devices, 'copies/');
try {
  const files = devices.map((d, k) => {
    mkdirSync(join(dir, 'out', d), { recursive: true });
    const file = join(dir, 'out', d, `aurora-${d}.zip`);
    const fd = openSync(file, 'w');
    const chunk = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE(((i + k) * 2654435761) >>> 0, i);
    for (let i = 0; i < mib; i++) {
      chunk.writeUInt32LE(i, 0); // no two MiB alike: nothing dedupes or compresses them away
      writeSync(fd, chunk);
    }
    closeSync(fd);
    return file;
  });
  const copies = join(dir, 'copies');

  const fridayRun = cutTimer(dir);
  const shellRun = () => {
    rmSync(copies, { recursive: true, force: true });
    mkdirSync(copies);
    const script = `printf '%s\\n' "$@" | xargs -P${cores} -I{} sh -c 'openssl dgst -sha256 "$1" >/dev/null && cp "$1" "${copies}/"' _ {}`;
    return timeOnce('sh', ['-c', script, 'sh', ...files]);
  };
  const t = alternate(
    [
      { name: 'friday', run: fridayRun },
      { name: 'shell', run: shellRun },
    ],
    runs,
    1,
  );
  rmSync(join(dir, 'ota'), { recursive: true, force: true });
  rmSync(copies, { recursive: true, force: true });
  const rss = fridayPeakRss(['cut', '--skip-build', '--version', '9.9.9', '-C', dir, '-q']);
  const ratio = t.friday / t.shell;
  const workload = `cut --skip-build, ${count} artifacts of ${mib} MiB, ${cores} cores`;
  console.log(
    `${workload}: friday ${fmt(t.friday, 0)} ms vs xargs -P${cores} openssl+cp ${fmt(t.shell, 0)} ms: ${fmt(ratio)}× (target ≤ 1.0×)`,
  );
  row({
    what: 'hashing on every core',
    workload,
    ours: `${fmt(t.friday, 0)} ms`,
    reference: `xargs -P${cores} of openssl dgst -sha256 + cp: ${fmt(t.shell, 0)} ms`,
    ratio: fmt(ratio),
    target: '≤ 1.0×',
    pass: ratio <= 1.0,
  });
  cutMemoryRow('hashing memory, every core', workload, rss);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
