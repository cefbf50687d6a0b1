// The fans' tested weeks (docs/cli.md `fans`): `friday fans --dry-run` on the 2,000,000-event feed
// of the crash-feed benchmark with 1,000 fans registering 2 devices each, timed beside
// `jq -c 'select(.kind=="crash")'` on the same file (alternating runs, median). The device-hours
// query reads the feed beside the watch scan, so this is the cost a weekly grading adds.
//
//   node bench/fans.mjs [--runs N]     (or BENCH_RUNS=N; default 5)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { feed, NOW } from './lib-feed.mjs';
import { alternate, BIN, fmt, row, timeOnce } from './lib.mjs';

const args = process.argv.slice(2);
const RUNS = Number((args.includes('--runs') && args[args.indexOf('--runs') + 1]) || process.env.BENCH_RUNS || 5);

const feed2 = feed(2_000_000, 48, 0.2075);
const dir = mkdtempSync(join(tmpdir(), 'friday-bench-fans-'));
writeFileSync(join(dir, 'friday.config.json'), JSON.stringify({ product: 'aurora', devices: ['umi'] }));
mkdirSync(join(dir, 'fans'));
const devices = {};
for (let u = 0; u < 1000; u++) devices[`fan${u}`] = [`d-${String(u * 7 + 1).padStart(6, '0')}`, `d-${String(u * 13 + 5).padStart(6, '0')}`];
writeFileSync(join(dir, 'fans', 'devices.json'), JSON.stringify(devices));
const fansArgs = ['-C', dir, 'fans', '--feed', feed2, '--dry-run', '--json', '--now', NOW];

const check = spawnSync(process.execPath, [BIN, ...fansArgs], { encoding: 'utf8' });
if (check.status !== 0) throw new Error(`fans exited ${check.status}: ${check.stderr}`);
const tested = Object.values(JSON.parse(check.stdout).fans).filter((f) => f.activity.testedWeek > 0).length;
console.log(`fans on 2 M events: 1000 fans, ${tested} with a tested week`);

const hasJq = spawnSync('jq', ['--version']).status === 0;
const contenders = [{ name: 'friday', run: () => timeOnce(process.execPath, [BIN, ...fansArgs]) }];
if (hasJq) contenders.push({ name: 'jq', run: () => timeOnce('sh', ['-c', `jq -c 'select(.kind=="crash")' '${feed2}' > /dev/null`]) });
else console.log('jq is missing: the reference is not measured (apt-get install -y jq)');
const t = alternate(contenders, RUNS);
console.log(
  `friday fans --dry-run: ${fmt(t.friday, 0)} ms (median of ${RUNS})${hasJq ? `; jq: ${fmt(t.jq, 0)} ms; ratio ${fmt(t.friday / t.jq)}` : ''}`,
);
if (hasJq)
  row({
    what: 'fans: tested weeks vs jq',
    workload: '2 M events, 1,000 fans × 2 devices, fans --dry-run',
    ours: `${fmt(t.friday, 0)} ms`,
    reference: `${fmt(t.jq, 0)} ms jq`,
    ratio: fmt(t.friday / t.jq),
    target: '≤ 0.25×',
    pass: t.friday / t.jq <= 0.25,
  });
