// Hashing: `friday cut --skip-build` with one big artifact (copy into the release folder + SHA-256)
// vs the shell doing the same, `openssl dgst -sha256 F && cp F DEST` (docs/quality.md ≤ 1.0×, stretch 0.8×),
// and peak RSS at 1 GiB and 4 GiB (≤ 150 MB, the same for both). BENCH_HASH_GIB=1,4 to choose sizes;
// sizes above 1 GiB are timed in at most 3 rounds.
import { rmSync, mkdirSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { alternate, cutMemoryRow, cutRepo, cutTimer, fmt, fridayPeakRss, row, timeOnce } from './lib.mjs';

const sizes = (process.env.BENCH_HASH_GIB ?? '1,4').split(',').map(Number);
const runs = Number(process.env.BENCH_RUNS ?? 5);

function makeRepo(gib) {
  const dir = cutRepo('friday-bench-hash-', ['umi'], 'copy.zip');
  mkdirSync(join(dir, 'out/umi'), { recursive: true });
  const file = join(dir, 'out/umi/aurora-umi.zip');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(16 * 1024 * 1024);
  for (let i = 0; i < chunk.length; i += 8) chunk.writeUInt32LE((i * 2654435761) >>> 0, i);
  for (let i = 0; i < gib * 64; i++) writeSync(fd, chunk);
  closeSync(fd);
  return { dir, file };
}

for (const gib of sizes) {
  const { dir, file } = makeRepo(gib);
  try {
    const dest = join(dir, 'copy.zip');
    const fridayRun = cutTimer(dir);
    const shellRun = () => {
      rmSync(dest, { force: true });
      return timeOnce('sh', ['-c', `openssl dgst -sha256 "${file}" >/dev/null && cp "${file}" "${dest}"`]);
    };
    // Big sizes are timed too, in fewer rounds (each takes seconds and writes GiBs).
    const rounds = gib <= 1 ? runs : Math.min(runs, 3);
    const t = alternate(
      [
        { name: 'friday', run: fridayRun },
        { name: 'shell', run: shellRun },
      ],
      rounds,
      1,
    );
    rmSync(join(dir, 'ota'), { recursive: true, force: true });
    rmSync(dest, { force: true });
    const rss = fridayPeakRss(['cut', '--skip-build', '--version', '9.9.9', '-C', dir, '-q']);
    const ratio = t.friday / t.shell;
    console.log(
      `cut --skip-build ${gib} GiB: friday ${fmt(t.friday, 0)} ms vs openssl+cp ${fmt(t.shell, 0)} ms: ${fmt(ratio)}×${gib <= 1 ? ' (target ≤ 1.0×, stretch 0.8×)' : ' (for information: the target is set at 1 GiB)'}`,
    );
    if (gib <= 1)
      row({
        what: 'hashing',
        workload: `cut --skip-build, ${gib} GiB artifact`,
        ours: `${fmt(t.friday, 0)} ms`,
        reference: `openssl dgst -sha256 && cp: ${fmt(t.shell, 0)} ms`,
        ratio: fmt(ratio),
        target: '≤ 1.0×',
        pass: ratio <= 1.0,
      });
    cutMemoryRow('hashing memory', `cut --skip-build, ${gib} GiB artifact`, rss);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
