/**
 * The changelog benchmark's workload (docs/quality.md "changelog"): a 20,000-commit repository made
 * with `git fast-import` (Conventional Commit messages, `Fixes #N` footers, an annotated release
 * tag every 500 commits, 500 untagged commits on top), and an issues file of 5,000 issues holding
 * 250,000 individual votes, plus a tiers file. Seeded, so every run builds the same repository.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SHAPE = { commits: 20_000, tagEvery: 500, issues: 5_000, votes: 250_000, users: 20_000 };
export const NOW = '2025-12-31T00:00:00Z';

/** mulberry32: a small seeded generator, so the workload is the same on every machine. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPES = [
  ['feat', 25],
  ['fix', 30],
  ['perf', 10],
  ['refactor', 10],
  ['docs', 10],
  ['chore', 10],
  ['test', 5],
];
const SCOPES = ['dialer', 'camera', 'wifi', 'bt', 'boot', 'kernel', 'launcher', 'settings', 'audio', 'gps'];
const WORDS = [
  'handle',
  'faster',
  'crash',
  'resume',
  'sleep',
  'display',
  'modem',
  'battery',
  'sensor',
  'thermal',
  'cache',
  'driver',
  'retry',
  'vendor',
  'blob',
];
const START = Date.UTC(2025, 0, 6, 9); // commit times: from Monday 2025-01-06, ten minutes apart

function pickType(r) {
  let x = r() * 100;
  for (const [t, w] of TYPES) if ((x -= w) < 0) return t;
  return 'chore';
}

/** The fast-import stream of the whole history. */
function history(shape) {
  const r = rng(48);
  const parts = [];
  const stamp = (i) => Math.floor((START + i * 600_000) / 1000);
  for (let i = 1; i <= shape.commits; i++) {
    const type = pickType(r);
    const scope = SCOPES[Math.floor(r() * SCOPES.length)];
    const words = Array.from({ length: 3 + Math.floor(r() * 4) }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' ');
    let subject = `${type}(${scope}): ${words} ${i}`;
    if (r() < 0.1) subject += ` (#${1 + Math.floor(r() * shape.issues)})`;
    let message = subject + '\n';
    if (r() < 0.5) message += `\nThe ${scope} ${WORDS[Math.floor(r() * WORDS.length)]} path needed care on some devices.\n`;
    if (r() < 0.6) {
      const id = r() < 0.01 ? shape.issues + 1 + Math.floor(r() * 100) : 1 + Math.floor(r() * shape.issues);
      message += `\nFixes #${id}\n`;
    }
    const content = `change ${i}\n`;
    const when = `${stamp(i)} +0000`;
    parts.push(
      `commit refs/heads/main\nmark :${i}\nauthor Dev ${i % 50} <dev${i % 50}@aurora.example> ${when}\ncommitter Dev ${i % 50} <dev${i % 50}@aurora.example> ${when}\n`,
      `data ${Buffer.byteLength(message)}\n${message}`,
      i > 1 ? `from :${i - 1}\n` : '',
      `M 100644 inline src/part-${i % 200}.txt\ndata ${Buffer.byteLength(content)}\n${content}\n`,
    );
    if (i % shape.tagEvery === 0 && i < shape.commits) {
      const name = `v2025.${i / shape.tagEvery}.0`;
      const msg = `${name}\n`;
      parts.push(
        `tag ${name}\nfrom :${i}\ntagger Release Bot <bot@aurora.example> ${stamp(i) + 60} +0000\ndata ${Buffer.byteLength(msg)}\n${msg}\n`,
      );
    }
  }
  return parts.join('');
}

/** 5,000 issues with 250,000 votes in all (some users vote twice, some against, some late). */
function issuesFile(shape) {
  const r = rng(1123);
  const counts = Array.from({ length: shape.issues }, () => 10 + Math.floor(r() * 81));
  const total = counts.reduce((a, b) => a + b, 0);
  counts[counts.length - 1] += shape.votes - total;
  const types = ['feature', 'bug', 'improvement', 'chore'];
  const lines = [];
  for (let i = 0; i < shape.issues; i++) {
    const votes = [];
    for (let k = 0; k < counts[i]; k++) {
      const v = { user: `u${1 + Math.floor(r() * shape.users)}` };
      if (r() < 0.1) v.tier = r() < 0.5 ? 'tester' : 'lead';
      if (r() < 0.08) v.value = -1;
      if (r() < 0.85) v.at = new Date(START + Math.floor(r() * 360 * 86_400_000)).toISOString().replace(/\.\d{3}Z$/, 'Z');
      votes.push(v);
    }
    const issue = {
      id: i + 1,
      title: `Issue ${i + 1}: ${WORDS[i % WORDS.length]} on ${SCOPES[i % SCOPES.length]}`,
      type: types[i % 4],
      author: `u${1 + ((i * 7919) % shape.users)}`,
      votes,
    };
    lines.push(JSON.stringify(issue));
  }
  return `[\n${lines.join(',\n')}\n]\n`;
}

function tiersFile(shape) {
  const tiers = {};
  for (let u = 1; u <= shape.users; u += 7) tiers[`u${u}`] = u % 2 ? 'tester' : 'fan';
  return JSON.stringify(tiers) + '\n';
}

const CONFIG = {
  product: 'aurora',
  devices: ['cepheus', 'umi'],
  build: { command: 'true', artifacts: 'out/{device}/*.zip' },
  issues: { source: 'file', path: 'issues.json' },
  votes: { weights: { default: 1, tester: 2, lead: 3 }, tiers: 'tiers.json' },
};

/** Build the repository in `dir` unless a finished one is there already. Returns `dir`. */
export function ensureRepo(dir, shape = SHAPE, log = () => {}) {
  const done = join(dir, '.git', 'friday-bench-done');
  if (existsSync(done)) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const git = (args, input) =>
    execFileSync('git', args, { cwd: dir, input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'inherit'], maxBuffer: 1 << 30 });
  log(`building ${shape.commits} commits with git fast-import in ${dir}`);
  git(['init', '-q', '-b', 'main']);
  git(['fast-import', '--quiet'], history(shape));
  git(['reset', '-q', '--hard', 'main']);
  log(`writing ${shape.issues} issues with ${shape.votes} votes`);
  writeFileSync(join(dir, 'issues.json'), issuesFile(shape));
  writeFileSync(join(dir, 'tiers.json'), tiersFile(shape));
  writeFileSync(join(dir, 'friday.config.json'), JSON.stringify(CONFIG, null, 2) + '\n');
  writeFileSync(done, new Date().toISOString());
  return dir;
}
