// Shared helpers for the benchmarks: side-by-side timing (alternating runs, median) and peak RSS.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = join(ROOT, 'bin/friday.js');

export function timeOnce(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Run each contender in turn, `runs` rounds, alternating so machine noise hits all alike.
 * contenders: [{ name, run: () => ms }]. Returns { name: medianMs }.
 */
export function alternate(contenders, runs = 7, warmup = 1) {
  for (let i = 0; i < warmup; i++) for (const c of contenders) c.run();
  const times = Object.fromEntries(contenders.map((c) => [c.name, []]));
  for (let i = 0; i < runs; i++) for (const c of contenders) times[c.name].push(c.run());
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

/** Peak RSS in MB of `friday <args>`, measured inside the process that runs it. */
export function fridayPeakRss(args, opts = {}) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bench/rss-wrap.mjs'), ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
    ...opts,
  });
  const m = /PEAK_RSS_KB (\d+)/.exec(r.stderr ?? '');
  if (!m) throw new Error(`no RSS reading: ${r.stderr}`);
  return Number(m[1]) / 1024;
}

/** One table row, printed the same way by every benchmark and collected by bench/run.mjs. */
export function row(r) {
  console.log(`BENCH_ROW ${JSON.stringify(r)}`);
  return r;
}

export const fmt = (x, d = 2) => (typeof x === 'number' ? x.toFixed(d) : String(x));

/**
 * A committed git repository for `cut --skip-build`: `devices`, artifacts under out/{device}/,
 * and `ignore` (the reference's own output) in .gitignore beside out/ and ota/.
 */
export function cutRepo(prefix, devices, ignore) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const git = (...a) => execFileSync('git', a, { cwd: dir, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  writeFileSync(
    join(dir, 'friday.config.json'),
    JSON.stringify({ product: 'aurora', devices, build: { command: 'true', artifacts: 'out/{device}/*.zip' } }),
  );
  writeFileSync(join(dir, '.gitignore'), `out/\nota/\n${ignore}\n`);
  git('add', '-A');
  git('-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-qm', 'init');
  return dir;
}

/** Times one `cut --skip-build` of a new version in `dir` per call; its release and tag are removed after. */
export function cutTimer(dir) {
  let n = 0;
  return () => {
    n += 1;
    rmSync(join(dir, 'ota'), { recursive: true, force: true });
    const ms = timeOnce(process.execPath, [BIN, 'cut', '--skip-build', '--version', `0.0.${n}`, '-C', dir, '-q']);
    execFileSync('git', ['tag', '-d', `v0.0.${n}`], { cwd: dir, stdio: 'ignore' });
    return ms;
  };
}

/** The cut's memory row (docs/quality.md: peak RSS ≤ 150 MB), printed and returned. */
export function cutMemoryRow(what, workload, rss) {
  console.log(`${workload}: peak RSS ${fmt(rss, 1)} MB (target ≤ 150 MB)`);
  return row({ what, workload, ours: `${fmt(rss, 1)} MB peak RSS`, reference: '—', ratio: '—', target: '≤ 150 MB', pass: rss <= 150 });
}
