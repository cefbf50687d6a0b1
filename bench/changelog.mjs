#!/usr/bin/env node
/**
 * Benchmark: `friday changelog` against `git-cliff` 2.14.2 on the same 20,000-commit repository
 * (docs/quality.md "changelog"). Both run side by side, alternating, several times; the figure is the
 * ratio of medians. friday also reads 5,000 issues with 250,000 votes; git-cliff reads commits only.
 *
 *   full history    friday changelog --from '' --to HEAD   vs  git-cliff            target ≤ 0.25×
 *   weekly range    friday changelog (last tag..HEAD)       vs  git-cliff --unreleased target ≤ 1.0×
 *
 * Usage: node bench/changelog.mjs [--runs N]. The repository and git-cliff live in .bench/.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureRepo, NOW } from './lib-changelog.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BENCH = join(ROOT, '.bench');
const TOOLS = join(BENCH, 'tools');
const CLIFF_VERSION = '2.14.2';

/** The git-cliff binary itself (not the npm wrapper, which would add a Node start-up to its time). */
function ensureCliff() {
  const platform = `${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  const bin = join(TOOLS, 'node_modules', `git-cliff-${platform}`, 'bin', process.platform === 'win32' ? 'git-cliff.exe' : 'git-cliff');
  if (!existsSync(bin)) {
    mkdirSync(TOOLS, { recursive: true });
    process.stderr.write(`installing git-cliff@${CLIFF_VERSION} into ${TOOLS}\n`);
    execFileSync(
      'npm',
      ['install', '--prefix', TOOLS, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', `git-cliff@${CLIFF_VERSION}`],
      { stdio: 'inherit' },
    );
  }
  const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
  if (!version.includes(CLIFF_VERSION)) throw new Error(`expected git-cliff ${CLIFF_VERSION}, found ${version}`);
  return bin;
}

function timeOnce(cmd, args, cwd, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Alternate the two commands `runs` times after one warm-up each; medians in ms. */
function sideBySide(a, b, runs) {
  timeOnce(...a);
  timeOnce(...b);
  const ta = [],
    tb = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      ta.push(timeOnce(...a));
      tb.push(timeOnce(...b));
    } else {
      tb.push(timeOnce(...b));
      ta.push(timeOnce(...a));
    }
  }
  return { a: median(ta), b: median(tb) };
}

export async function main(argv = process.argv.slice(2)) {
  const runsAt = argv.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(argv[runsAt + 1]) : 9;
  const bin = join(ROOT, 'bin', 'friday.js');
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('build first: npm run build');
  const repo = ensureRepo(join(BENCH, 'changelog-repo'), undefined, (l) => process.stderr.write(l + '\n'));
  const cliff = ensureCliff();
  const env = { ...process.env, CI: 'true', FRIDAY_NOW: NOW, NO_COLOR: '1' };
  for (const k of ['GITHUB_TOKEN', 'GITHUB_API_URL', 'FRIDAY_DEBUG']) delete env[k];

  const results = [];
  const cases = [
    ['full', ['changelog', '--from', '', '--to', 'HEAD'], [], 0.25],
    ['weekly', ['changelog'], ['--unreleased'], 1.0],
  ];
  for (const [name, fridayArgs, cliffArgs, target] of cases) {
    const { a, b } = sideBySide([process.execPath, [bin, ...fridayArgs], repo, env], [cliff, cliffArgs, repo, env], runs);
    const ratio = a / b;
    results.push({ name, friday: a, cliff: b, ratio, target });
    console.log(
      `changelog ${name}: friday ${a.toFixed(0)} ms, git-cliff ${b.toFixed(0)} ms, ratio ${ratio.toFixed(2)} (target ≤ ${target})`,
    );
    const workload =
      name === 'full' ? 'full history, 20 k commits, 5 k issues, 250 k votes' : 'weekly range (last tag..HEAD, 500 commits), same issues';
    console.log(
      `BENCH_ROW ${JSON.stringify({ what: 'changelog', workload, ours: `${a.toFixed(0)} ms`, reference: `git-cliff ${cliffArgs.join(' ')}: ${b.toFixed(0)} ms`.replace(' :', ':'), ratio: ratio.toFixed(2), target: `≤ ${target.toFixed(2)}×`, pass: ratio <= target })}`,
    );
  }
  return results;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`bench/changelog: ${err.stack ?? err}\n`);
    process.exitCode = 1;
  });
}
