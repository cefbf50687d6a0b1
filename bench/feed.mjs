// The crash-feed scan (docs/quality.md "crash feed", "crash feed memory"): `friday watch --dry-run` on a
// 2,000,000-event feed over 200,000 devices, timed beside `jq -c 'select(.kind=="crash")'` on the
// same file (alternating runs, median), and its peak RSS at 2 M and 10 M events (same devices).
//
//   node bench/feed.mjs [--runs N]     (or BENCH_RUNS=N; default 5)
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { feed, NOW, project } from './lib-feed.mjs';
import { alternate, BIN, fmt, fridayPeakRss, row, timeOnce } from './lib.mjs';

const args = process.argv.slice(2);
const RUNS = Number((args.includes('--runs') && args[args.indexOf('--runs') + 1]) || process.env.BENCH_RUNS || 5);

const feed2 = feed(2_000_000, 48, 0.2075);
const feed10 = feed(10_000_000, 52, 0.97);
const { dir, env } = project();
const watchArgs = (f) => ['-C', dir, 'watch', '--channel', 'beta', '--feed', f, '--dry-run', '--json', '--now', NOW];

const check = spawnSync(process.execPath, [BIN, ...watchArgs(feed2)], { env, encoding: 'utf8' });
if (check.status !== 0) throw new Error(`watch exited ${check.status}: ${check.stderr}`);
const report = JSON.parse(check.stdout);
console.log(
  `watch on 2 M events: ${report.verdict}; candidate ${report.candidate.devices} devices, ${report.candidate.units} units; baseline ${report.baseline.devices} devices, ${report.baseline.units} units; ${report.lines ?? '?'} lines`,
);

const hasJq = spawnSync('jq', ['--version']).status === 0;
// Every run is kept, to show the spread beside the median (the machine may be shared).
const seen = { friday: [], jq: [] };
const timed = (name, run) => ({
  name,
  run: () => {
    const ms = run();
    seen[name].push(ms);
    return ms;
  },
});
const contenders = [timed('friday', () => timeOnce(process.execPath, [BIN, ...watchArgs(feed2)], { env }))];
if (hasJq) contenders.push(timed('jq', () => timeOnce('sh', ['-c', `jq -c 'select(.kind=="crash")' '${feed2}' > /dev/null`])));
else console.log('jq is missing: the reference is not measured (apt-get install -y jq)');
const t = alternate(contenders, RUNS);
const spread = (name) => {
  const xs = seen[name].slice(-RUNS);
  return `${fmt(Math.min(...xs), 0)}–${fmt(Math.max(...xs), 0)}`;
};
const eventsPerSec = 2_000_000 / (t.friday / 1000);
console.log(
  `friday watch --dry-run: ${fmt(t.friday, 0)} ms (median of ${RUNS}, runs ${spread('friday')}), ${fmt(eventsPerSec / 1e6)} M events/s${hasJq ? `; jq: ${fmt(t.jq, 0)} ms (runs ${spread('jq')}); ratio ${fmt(t.friday / t.jq)}` : ''}`,
);
row({
  what: 'crash feed throughput',
  workload: '2 M events, 200 k devices, watch --dry-run',
  ours: `${fmt(eventsPerSec / 1e6)} M ev/s`,
  reference: '—',
  ratio: '—',
  target: '≥ 2 M events/s',
  pass: eventsPerSec >= 2e6,
});
if (hasJq)
  row({
    what: 'crash feed vs jq',
    workload: '2 M events, 200 k devices, watch --dry-run',
    ours: `${fmt(t.friday, 0)} ms`,
    reference: `${fmt(t.jq, 0)} ms jq`,
    ratio: fmt(t.friday / t.jq),
    target: '≤ 0.15×',
    pass: t.friday / t.jq <= 0.15,
  });

for (const [label, f] of [
  ['2 M', feed2],
  ['10 M', feed10],
]) {
  const mb = fridayPeakRss(watchArgs(f), { env });
  console.log(`peak RSS, ${label} events: ${fmt(mb, 0)} MB`);
  row({
    what: `crash feed memory, ${label} events`,
    workload: `${label} events, 200 k devices, watch --dry-run`,
    ours: `${fmt(mb, 0)} MB`,
    reference: '—',
    ratio: '—',
    target: '≤ 250 MB',
    pass: mb <= 250,
  });
}
rmSync(dir, { recursive: true, force: true });
