// The release page (docs/quality.md "Release page"): regenerating every page of a publish root
// with 100 releases on 3 channels and a year of watch checks (52,000 audit lines per channel),
// on top of the command. Reference: `friday status` on the same tree (a command that reads the
// same project, trust and manifests and writes nothing); target: `friday site` at most 0.5 s more.
// Two rows: as after each command (one more watch check appended before every run, as `watch`
// does, so the run reads on from what the last one kept), and the first run of a repository
// (nothing kept yet in <git-dir>/friday: every log read, every page written).
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alternate, BIN, fmt, row, timeOnce } from './lib.mjs';

const CHECKS = Number(process.env.BENCH_SITE_CHECKS ?? 52_000);
const dir = mkdtempSync(join(tmpdir(), 'friday-bench-site-'));
try {
  const demo = spawnSync(process.execPath, [BIN, 'demo', '--dir', join(dir, 'week'), '-q'], { encoding: 'utf8' });
  if (demo.status !== 0) throw new Error(`friday demo failed: ${demo.stderr}`);
  const repo = join(dir, 'week/repo');
  const ota = join(repo, 'ota');
  // A third channel, carrying what beta carries.
  copyFileSync(join(repo, 'channels/beta.json'), join(repo, 'channels/nightly.json'));
  writeFileSync(
    join(repo, 'channels/nightly.json'),
    readFileSync(join(repo, 'channels/nightly.json'), 'utf8').replace('"beta"', '"nightly"'),
  );
  cpSync(join(ota, 'channels/beta'), join(ota, 'channels/nightly'), { recursive: true });

  // 100 releases: a year of weekly cuts, each with its build record and changelog.
  const build = JSON.parse(readFileSync(join(ota, 'releases/2026.48.0/build.json'), 'utf8'));
  const changelog = readFileSync(join(ota, 'releases/2026.48.0/changelog.json'), 'utf8');
  const versions = [];
  for (let i = 0; i < 100; i++) versions.push(i < 52 ? `2025.${i + 1}.0` : `2026.${i - 51}.0`);
  const start = Date.parse('2025-01-03T17:00:00Z');
  const week = 7 * 86_400_000;
  for (const [i, v] of versions.entries()) {
    const d = join(ota, 'releases', v);
    mkdirSync(d, { recursive: true });
    const at = new Date(start + i * week).toISOString().replace(/\.\d{3}Z$/, 'Z');
    writeFileSync(join(d, 'build.json'), JSON.stringify({ ...build, version: v, tag: `v${v}`, builtAt: at }));
    writeFileSync(join(d, 'changelog.json'), changelog.replaceAll('2026.48.0', v));
  }
  // Per channel: each release published weekly, and a watch check every ~10 minutes of the year.
  const watch = JSON.parse(
    readFileSync(join(ota, 'channels/beta/events.ndjson'), 'utf8')
      .split('\n')
      .find((l) => l.includes('"watch"')),
  );
  for (const ch of ['beta', 'stable', 'nightly']) {
    const lines = [];
    let serial = 0;
    const step = (versions.length * week) / CHECKS;
    let next = 0;
    for (let k = 0; k < CHECKS; k++) {
      const t = start + 3_600_000 + k * step;
      const i = Math.min(versions.length - 1, Math.floor((t - start) / week));
      while (next <= i) {
        const at = new Date(start + next * week + 1_800_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
        lines.push(
          JSON.stringify({ at, action: 'publish', serial: ++serial, version: versions[next], actor: 'ci', detail: { rollout: 100 } }),
        );
        next++;
      }
      const at = new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const units = 100 + (k % 500) * 10;
      lines.push(
        JSON.stringify({
          ...watch,
          at,
          serial,
          version: versions[i],
          detail: {
            ...watch.detail,
            verdict: 'healthy',
            candidate: { ...watch.detail.candidate, version: versions[i], units, crashUnits: units >> 6 },
          },
        }),
      );
    }
    writeFileSync(join(ota, 'channels', ch, 'events.ndjson'), lines.join('\n') + '\n');
  }

  if (process.env.BENCH_SITE_KEEP) {
    console.log(repo);
    process.exit(0);
  }
  const node = process.execPath;
  const args = (cmd) => [BIN, cmd, '-C', repo, '--now', '2026-12-05T12:30:00Z', '-q'];
  const first = timeOnce(node, args('site'));
  // One more check of the live release on beta, as a `watch` run appends it, before each timed run.
  const beta = join(ota, 'channels/beta/events.ndjson');
  const lastLine = readFileSync(beta, 'utf8').trimEnd().split('\n').at(-1);
  const last = JSON.parse(lastLine);
  let t = Date.parse(last.at);
  const check = () => {
    t += 600_000;
    const at = new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const c = last.detail.candidate;
    appendFileSync(beta, JSON.stringify({ ...last, at, detail: { ...last.detail, candidate: { ...c, units: (c.units += 10) } } }) + '\n');
  };
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  const t2 = alternate(
    [
      { name: 'status', run: () => timeOnce(node, args('status')) },
      {
        name: 'site',
        run: () => {
          check();
          return timeOnce(node, args('site'));
        },
      },
    ],
    runs,
    1,
  );
  const extra = t2.site - t2.status;
  console.log(
    `friday site: ${fmt(first, 0)} ms the first time, ${fmt(t2.site, 0)} ms after each new check; friday status ${fmt(t2.status, 0)} ms`,
  );
  row({
    what: 'release page, after each command',
    workload: `100 releases × 3 channels, ${CHECKS} watch lines each, one more appended: friday site`,
    ours: `${fmt(t2.site, 0)} ms`,
    reference: `friday status: ${fmt(t2.status, 0)} ms`,
    ratio: `+${fmt(extra / 1000)} s`,
    target: '≤ +0.5 s',
    pass: extra <= 500,
  });
  row({
    what: 'release page, first run',
    workload: `the same, nothing kept yet: every log read, all 101 pages written`,
    ours: `${fmt(first, 0)} ms`,
    reference: `friday status: ${fmt(t2.status, 0)} ms`,
    ratio: `+${fmt((first - t2.status) / 1000)} s`,
    target: '≤ +0.5 s',
    pass: first - t2.status <= 500,
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
