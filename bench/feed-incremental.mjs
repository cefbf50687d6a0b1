// `watch` on a growing feed (docs/quality.md "crash feed, incremental"; docs/formats.md "Incremental
// checks"): a 10,000,000-event feed over 200,000 devices checked once (a full scan, which saves
// the state under .git/friday/), then 100,000 events appended and checked again an hour later.
// The second check is timed against the first in the same round (alternating rounds, median):
// target at most 0.1×. Peak RSS of both stays within the crash feed's bound (250 MB). The
// incremental check's figures are compared with a full scan's at the same clock.
//
//   node bench/feed-incremental.mjs [--runs N]    (or BENCH_RUNS=N; default 3)
//   BENCH_INC_EVENTS=2000000 node bench/feed-incremental.mjs    (a smaller feed; default 10 M)
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { feedText } from '../fixtures/feeds/generate.mjs';
import { feed, NEW, NOW, OLD, project } from './lib-feed.mjs';
import { BIN, fmt, fridayPeakRss, median, row, timeOnce } from './lib.mjs';

const args = process.argv.slice(2);
const RUNS = Number((args.includes('--runs') && args[args.indexOf('--runs') + 1]) || process.env.BENCH_RUNS || 3);
const EVENTS = Number(process.env.BENCH_INC_EVENTS || 10_000_000);
const APPENDED = 100_000;
const label = `${EVENTS / 1e6} M`;

// The same cached feeds as bench/feed.mjs; another size gets its own.
const source =
  EVENTS === 10_000_000
    ? feed(EVENTS, 52, 0.97)
    : EVENTS === 2_000_000
      ? feed(EVENTS, 48, 0.2075)
      : feed(EVENTS, 52, (EVENTS / (200_000 * 52)) * 1.05);
const { dir, env } = project();
execFileSync('git', ['init', '-q', dir]);
// The generated fleet crashes at 1% an hour, a breach of the default 5% a day that would roll the
// channel back (and need a key) on some rounds: this bench times the scan, not the rollback.
const policy = join(dir, 'channels', 'beta.json');
const beta = JSON.parse(readFileSync(policy, 'utf8'));
beta.health.maxCrashRate = 0.9;
writeFileSync(policy, JSON.stringify(beta, null, 2));
const path = join(dir, 'crashes.ndjson');
copyFileSync(source, path);
const size = statSync(path).size;
const state = join(dir, '.git', 'friday', 'watch-beta.state');
// The hour after NOW: the new build on the first half of the devices, the old one on the rest.
const more = feedText({
  start: NOW,
  hours: 1,
  devices: 200_000,
  active: 0.6,
  seed: 77,
  maxEvents: APPENDED,
  versions: [
    { version: NEW, lastDevice: 100_000, crashRate: 0.01 },
    { version: OLD, crashRate: 0.01 },
  ],
});
const LATER = new Date(Date.parse(NOW) + 65 * 60_000).toISOString().replace('.000', '');
const watchArgs = (now, extra = []) => ['-C', dir, 'watch', '--channel', 'beta', '--feed', path, '--json', '--now', now, ...extra];

/** The feed as generated and no state: the next check is a full scan. */
const reset = () => {
  truncateSync(path, size);
  rmSync(join(dir, '.git', 'friday'), { recursive: true, force: true });
};

const full = [],
  inc = [];
for (let i = 0; i < RUNS + 1; i++) {
  reset();
  const a = timeOnce(process.execPath, [BIN, ...watchArgs(NOW)], { env });
  appendFileSync(path, more);
  const b = timeOnce(process.execPath, [BIN, ...watchArgs(LATER)], { env });
  if (i === 0) continue; // warm-up round
  full.push(a);
  inc.push(b);
}
const tFull = median(full),
  tInc = median(inc);
console.log(
  `full check of ${label} events: ${fmt(tFull, 0)} ms (runs ${full.map((x) => fmt(x, 0)).join(', ')}); state ${fmt(statSync(state).size / 1048576, 1)} MiB`,
);
console.log(
  `check after ${APPENDED / 1000} k appended: ${fmt(tInc, 0)} ms (runs ${inc.map((x) => fmt(x, 0)).join(', ')}); ratio ${fmt(tInc / tFull, 3)}`,
);

// The figures of the incremental check against a full scan's at the same clock.
reset();
spawnSync(process.execPath, [BIN, ...watchArgs(NOW)], { env });
appendFileSync(path, more);
const figures = (r) => {
  const j = JSON.parse(r.stdout);
  return JSON.stringify([j.candidate, j.baseline, j.evidence, j.ratio, j.verdict, j.recent, j.rejectedBy, j.lines]);
};
const incremental = spawnSync(process.execPath, [BIN, ...watchArgs(LATER)], { env, encoding: 'utf8' });
rmSync(join(dir, '.git', 'friday'), { recursive: true, force: true });
const scratch = spawnSync(process.execPath, [BIN, ...watchArgs(LATER, ['--dry-run'])], { env, encoding: 'utf8' });
const same = figures(incremental) === figures(scratch);
console.log(`incremental figures identical to a full scan's: ${same ? 'yes' : 'NO'}`);

reset();
const rssFull = fridayPeakRss(watchArgs(NOW), { env });
appendFileSync(path, more);
const rssInc = fridayPeakRss(watchArgs(LATER), { env });
console.log(`peak RSS: full check ${fmt(rssFull, 0)} MB, incremental ${fmt(rssInc, 0)} MB`);

row({
  what: 'crash feed, incremental',
  workload: `${label} events checked, ${APPENDED / 1000} k appended, checked again`,
  ours: `${fmt(tInc, 0)} ms`,
  reference: `${fmt(tFull, 0)} ms full check`,
  ratio: fmt(tInc / tFull, 3),
  target: '≤ 0.1×, same figures',
  pass: tInc / tFull <= 0.1 && same,
});
row({
  what: 'crash feed, incremental, memory',
  workload: `the same, full check and incremental check`,
  ours: `${fmt(Math.max(rssFull, rssInc), 0)} MB`,
  reference: '—',
  ratio: '—',
  target: '≤ 250 MB',
  pass: Math.max(rssFull, rssInc) <= 250,
});
if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
else console.log(dir);
