// `npm run bench [-- name...]`: every benchmark of docs/quality.md, each beside its reference command,
// then one table of all rows with the ratio. Benchmarks print rows as `BENCH_ROW {json}` lines.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib.mjs';

const ALL = [
  'startup',
  'hash',
  'hash-many',
  'pull',
  'changelog',
  'changelog-github',
  'feed',
  'feed-incremental',
  'fans',
  'health-sim',
  'health-sim-models',
  'advance-sim',
  'trust-chain',
  'minisign',
  'site',
];
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : ALL;
const rows = [];
for (const name of chosen) {
  const file = join(ROOT, 'bench', `${name}.mjs`);
  if (!existsSync(file)) {
    console.log(`\n## ${name}: no such benchmark`);
    continue;
  }
  console.log(`\n## ${name}`);
  const r = spawnSync(process.execPath, [file], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 256 * 1024 * 1024,
  });
  for (const line of (r.stdout ?? '').split('\n')) {
    if (line.startsWith('BENCH_ROW ')) rows.push({ bench: name, ...JSON.parse(line.slice('BENCH_ROW '.length)) });
    else if (line.trim()) console.log(line);
  }
  if (r.status !== 0) console.log(`(${name} exited ${r.status})`);
}
console.log('\n| what | workload | friday | reference | ratio | target | met |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows)
  console.log(`| ${r.what} | ${r.workload} | ${r.ours} | ${r.reference} | ${r.ratio} | ${r.target} | ${r.pass ? 'yes' : 'no'} |`);
