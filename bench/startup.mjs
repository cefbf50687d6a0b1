// Start-up: `friday --version`, `--help` and `status` on a small repo vs `node -e 0` (docs/quality.md ≤ 1.5×).
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alternate, BIN, fmt, ROOT, row, timeOnce } from './lib.mjs';

const dir = mkdtempSync(join(tmpdir(), 'friday-bench-startup-'));
try {
  writeFileSync(
    join(dir, 'friday.config.json'),
    JSON.stringify({ product: 'aurora', devices: ['umi'], build: { command: 'true', artifacts: 'out/{device}/*.zip' } }),
  );
  mkdirSync(join(dir, 'channels'));
  for (const c of ['beta', 'stable']) copyFileSync(join(ROOT, 'channels', `${c}.json`), join(dir, 'channels', `${c}.json`));
  const node = process.execPath;
  const runs = Number(process.env.BENCH_RUNS ?? 15);
  const t = alternate(
    [
      { name: 'node -e 0', run: () => timeOnce(node, ['-e', '0']) },
      { name: 'friday --version', run: () => timeOnce(node, [BIN, '--version']) },
      { name: 'friday --help', run: () => timeOnce(node, [BIN, '--help']) },
      { name: 'friday status', run: () => timeOnce(node, [BIN, 'status', '-C', dir], { allowFail: true }) },
    ],
    runs,
    2,
  );
  const ref = t['node -e 0'];
  for (const name of ['friday --version', 'friday --help', 'friday status']) {
    const ratio = t[name] / ref;
    console.log(`${name.padEnd(18)} ${fmt(t[name], 1)} ms vs node -e 0 ${fmt(ref, 1)} ms: ${fmt(ratio)}× (target ≤ 1.5×)`);
    row({
      what: 'start-up',
      workload: name,
      ours: `${fmt(t[name], 1)} ms`,
      reference: `node -e 0: ${fmt(ref, 1)} ms`,
      ratio: fmt(ratio),
      target: '≤ 1.5×',
      pass: ratio <= 1.5,
    });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
