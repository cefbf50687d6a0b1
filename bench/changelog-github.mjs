#!/usr/bin/env node
/**
 * Benchmark: the weekly changelog (last tag..HEAD, 500 commits) with the GitHub source, over a
 * GitHub API on 127.0.0.1 holding 20,000 issues and pull requests (docs/quality.md "changelog, GitHub
 * source"), beside the same changelog from the file source holding the same facts. Targets: at
 * most 10 requests, at most 1.2× the file source's time. Both changelogs must be equal, or the
 * figures mean nothing. The server runs in this process, so friday runs as an asynchronous child.
 *
 * Usage: node bench/changelog-github.mjs [--runs N]. The repository lives in .bench/.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGithub } from '../fixtures/github/server.mjs';
import { median, row } from './lib.mjs';
import { ensureRepo, items, NOW, REPO } from './lib-github.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'friday.js');

function friday(args, env) {
  return new Promise((ok, fail) => {
    const t0 = process.hrtime.bigint();
    execFile(process.execPath, [BIN, ...args], { env, maxBuffer: 1 << 28 }, (err, stdout, stderr) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (err) fail(new Error(`friday ${args.join(' ')}: ${stderr || err.message}`));
      else ok({ ms, stdout });
    });
  });
}

export async function main(argv = process.argv.slice(2)) {
  const runsAt = argv.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(argv[runsAt + 1]) : 9;
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('build first: npm run build');
  const repo = ensureRepo(join(ROOT, '.bench', 'changelog-github-repo'), undefined, (l) => process.stderr.write(l + '\n'));
  const gh = await startGithub({ repo: REPO, items: items() });
  try {
    const env = { ...process.env, CI: 'true', FRIDAY_NOW: NOW, NO_COLOR: '1', GITHUB_API_URL: gh.url, GITHUB_TOKEN: 'bench-token' };
    delete env.FRIDAY_DEBUG;
    const file = ['-C', repo, 'changelog', '--format', 'json'];
    const github = ['-C', repo, '--config', join(repo, 'friday.github.json'), 'changelog', '--format', 'json'];

    const a = JSON.parse((await friday(file, env)).stdout);
    const before = gh.log.length;
    const b = JSON.parse((await friday(github, env)).stdout);
    const requests = gh.log.length - before;
    const same = (x) => JSON.stringify({ e: x.entries, p: x.popcorn, u: x.unknownRefs, c: x.commits });
    if (same(a) !== same(b)) throw new Error('the file and GitHub sources gave different changelogs: the comparison would mean nothing');
    console.log(`weekly range: ${a.commits} commits, ${a.entries.length} issues credited, ${requests} requests to GitHub`);

    const tf = [];
    const tg = [];
    await friday(file, env);
    await friday(github, env);
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? [file, github] : [github, file];
      for (const args of order) (args === file ? tf : tg).push((await friday(args, env)).ms);
    }
    const mf = median(tf);
    const mg = median(tg);
    const ratio = mg / mf;
    console.log(
      `changelog weekly, GitHub source: ${mg.toFixed(0)} ms, file source ${mf.toFixed(0)} ms, ratio ${ratio.toFixed(2)} (target ≤ 1.2)`,
    );
    const workload = 'weekly range (500 commits), GitHub API on 127.0.0.1 with 20 k issues and pull requests';
    row({
      what: 'changelog (GitHub source): requests',
      workload,
      ours: `${requests} requests`,
      reference: 'at most 10',
      ratio: (requests / 10).toFixed(2),
      target: '≤ 1.00×',
      pass: requests <= 10,
    });
    row({
      what: 'changelog (GitHub source): time',
      workload,
      ours: `${mg.toFixed(0)} ms`,
      reference: `file source: ${mf.toFixed(0)} ms`,
      ratio: ratio.toFixed(2),
      target: '≤ 1.20×',
      pass: ratio <= 1.2,
    });
    return { requests, github: mg, file: mf, ratio };
  } finally {
    await gh.close();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`bench/changelog-github: ${err.stack ?? err}\n`);
    process.exitCode = 1;
  });
}
