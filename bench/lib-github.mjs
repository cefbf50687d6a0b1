/**
 * The GitHub source benchmark's workload (docs/quality.md "changelog, GitHub source"): 20,000 issues and
 * pull requests as a GitHub project holds them (every fourth number an issue, the rest pull
 * requests that close one or two issues), and a 20,000-commit history whose commits, like a
 * squash-merging project's, mostly cite only their pull request (`feat(x): … (#1234)`), some an
 * issue (`Fixes #56`), a release tag every 500. The same facts are written twice: as an issues
 * file (issues with their votes, pull requests with `"pull": true` and `closes`) for the file
 * source, and as the items of the GitHub API on 127.0.0.1 (fixtures/github/server.mjs), the votes
 * as 👍/👎 reactions, so both sources must give the same changelog. Seeded: every run builds the
 * same repository.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prng } from '../fixtures/feeds/generate.mjs';

export const SHAPE = { commits: 20_000, tagEvery: 500, items: 20_000, users: 20_000 };
export const NOW = '2025-12-31T00:00:00Z';
export const REPO = 'aurora-org/aurora';
const START = Date.UTC(2025, 0, 6, 9);
const SCOPES = ['dialer', 'camera', 'wifi', 'bt', 'boot', 'kernel', 'launcher', 'settings', 'audio', 'gps'];
const TYPES = ['feat', 'fix', 'perf', 'refactor', 'docs', 'chore'];

const isIssue = (n) => n % 4 === 1;
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Every issue and pull request, by number. */
export function items(shape = SHAPE) {
  const r = prng(2048);
  const out = new Map();
  for (let n = 1; n <= shape.items; n++) {
    if (isIssue(n)) {
      const reactions = [];
      for (let k = 0, count = 10 + Math.floor(r() * 81); k < count; k++) {
        reactions.push({
          user: `u${1 + Math.floor(r() * shape.users)}`,
          content: r() < 0.08 ? '-1' : '+1',
          at: iso(START + Math.floor(r() * 360 * 86_400_000)),
        });
      }
      const labels = [['enhancement'], ['bug'], ['improvement'], []][Math.floor(r() * 4)];
      out.set(n, {
        number: n,
        title: `Issue ${n}: ${SCOPES[n % SCOPES.length]}`,
        author: `u${1 + ((n * 7919) % shape.users)}`,
        labels,
        type: null,
        reactions,
      });
    } else {
      // A pull request closes the issue just below it, now and then a second one.
      const first = n - ((n - 1) % 4);
      const closes = r() < 0.2 && first > 4 ? [first, first - 4] : [first];
      out.set(n, { number: n, title: `PR ${n}`, author: 'dev', pull: true, body: closes.map((c) => `Fixes #${c}`).join('\n'), closes });
    }
  }
  return out;
}

/** The issues file that says the same: issues with their votes, pull requests marked. */
function issuesFile(all) {
  const type = { enhancement: 'feature', bug: 'bug', improvement: 'improvement' };
  const lines = [];
  for (const it of all.values()) {
    if (it.pull) lines.push(JSON.stringify({ id: it.number, pull: true, closes: it.closes }));
    else {
      const votes = it.reactions.map((x) => ({ user: x.user, value: x.content === '+1' ? 1 : -1, at: x.at }));
      lines.push(JSON.stringify({ id: it.number, title: it.title, type: type[it.labels[0]] ?? 'other', author: it.author, votes }));
    }
  }
  return `[\n${lines.join(',\n')}\n]\n`;
}

function history(shape, all) {
  const r = prng(4096);
  const parts = [];
  const stamp = (i) => Math.floor((START + i * 600_000) / 1000);
  const pulls = [...all.values()].filter((it) => it.pull).map((it) => it.number);
  for (let i = 1; i <= shape.commits; i++) {
    const subject = `${TYPES[Math.floor(r() * TYPES.length)]}(${SCOPES[Math.floor(r() * SCOPES.length)]}): change ${i}`;
    const x = r();
    let message;
    if (x < 0.85) message = `${subject} (#${pulls[Math.floor(r() * pulls.length)]})\n`;
    else if (x < 0.95) message = `${subject}\n\nFixes #${1 + 4 * Math.floor(r() * (shape.items / 4))}\n`;
    else message = `${subject}\n`;
    const when = `${stamp(i)} +0000`;
    parts.push(
      `commit refs/heads/main\nmark :${i}\nauthor Dev <dev@aurora.example> ${when}\ncommitter Dev <dev@aurora.example> ${when}\n`,
      `data ${Buffer.byteLength(message)}\n${message}`,
      i > 1 ? `from :${i - 1}\n` : '',
      `M 100644 inline src/part-${i % 200}.txt\ndata ${String(i).length + 1}\n${i}\n\n`,
    );
    if (i % shape.tagEvery === 0 && i < shape.commits) {
      const name = `v2025.${i / shape.tagEvery}.0`;
      parts.push(
        `tag ${name}\nfrom :${i}\ntagger Release Bot <bot@aurora.example> ${stamp(i) + 60} +0000\ndata ${name.length + 1}\n${name}\n\n`,
      );
    }
  }
  return parts.join('');
}

/** Build the repository in `dir` (two configs: the file source, friday.github.json the GitHub one) unless it is there. */
export function ensureRepo(dir, shape = SHAPE, log = () => {}) {
  const done = join(dir, '.git', 'friday-bench-done');
  if (existsSync(done)) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const all = items(shape);
  log(`building ${shape.commits} commits citing ${shape.items} issues and pull requests in ${dir}`);
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: dir });
  execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, input: history(shape, all), maxBuffer: 1 << 30 });
  execFileSync('git', ['reset', '-q', '--hard', 'main'], { cwd: dir });
  writeFileSync(join(dir, 'issues.json'), issuesFile(all));
  const base = { product: 'aurora', devices: ['umi'], votes: { weights: { default: 1 } } };
  writeFileSync(
    join(dir, 'friday.config.json'),
    JSON.stringify({ ...base, issues: { source: 'file', path: 'issues.json', repo: REPO } }, null, 2),
  );
  writeFileSync(join(dir, 'friday.github.json'), JSON.stringify({ ...base, issues: { source: 'github', repo: REPO } }, null, 2));
  writeFileSync(done, new Date().toISOString());
  return dir;
}
