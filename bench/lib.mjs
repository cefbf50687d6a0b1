// Shared helpers for the benchmarks: side-by-side timing (alternating runs, median) and peak RSS.
import { spawnSync } from 'node:child_process';
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
