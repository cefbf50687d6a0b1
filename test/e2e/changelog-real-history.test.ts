/**
 * The changelog on a history like a real project's: a repository whose commit messages are
 * copied from sharkdp/bat (test/corpus/real-history), with an annotated release tag and a later
 * lightweight one (as GitHub's release page makes), a real merge of a pull request, a revert of an
 * earlier release's commit and a commit reverted within the week, against a GitHub API on
 * 127.0.0.1 (fixtures/github/server.mjs). Then the same history as CI clones it: shallow.
 */
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, gitRepo, initProject, ROOT, runFriday, tmpDir, type TestRepo } from '../helpers/index.js';
// @ts-expect-error a plain ESM module shared with the benchmark
import { startGithub } from '../../fixtures/github/server.mjs';

type Gh = { url: string; log: { method: string; path: string; op?: string }[]; close(): Promise<void> };

const corpus = JSON.parse(readFileSync(join(ROOT, 'test/corpus/real-history/real_messages.json'), 'utf8')) as {
  messages: { sha: string; message: string }[];
  merges: { sha: string; message: string; branch: { message: string }[] }[];
  revert_pairs: { original: { sha: string; message: string }; revert: { message: string } }[];
};
const msg = (sha: string) => corpus.messages.find((m) => m.sha.startsWith(sha))!.message;
const pair = (subject: string) => corpus.revert_pairs.find((p) => p.original.message.startsWith(subject))!;
/** The real revert message, naming our copy of the commit instead of the original's hash. */
const revertOf = (subject: string, sha: string) => {
  const p = pair(subject);
  return p.revert.message.replace(p.original.sha, sha);
};

const NOW = '2026-11-27T17:00:00Z';
const REPO = 'sharkdp/bat';
const issue = (number: number, title: string, labels: string[], type: string | null, votes: number) => ({
  number,
  title,
  author: `fan${number % 7}`,
  labels,
  type,
  reactions: Array.from({ length: votes }, (_, i) => ({ user: `v${i}`, content: '+1', at: '2026-11-20T10:00:00Z' })),
});
const pull = (number: number, title: string, closes: number[], body = '') => ({ number, title, author: 'dev', pull: true, body, closes });
// What GitHub knows: the week's issues and pull requests. #904 and #955 are there too, so that
// crediting them would show; #1572, #1823 and #1897 are not (unknown references).
const ITEMS = new Map<number, unknown>(
  [
    pull(2443, 'Print non-printable characters using caret notation', [1437]),
    issue(1437, 'Show non-printable characters', ['enhancement'], null, 12),
    pull(2165, 'Skip syntax highlighting for long lines', [], 'Long lines stall the highlighter.\n\nFixes #2166'),
    issue(2166, 'bat hangs on minified JavaScript', [], 'Bug', 30),
    issue(616, 'Verilog syntax', [], 'Feature', 5),
    issue(2115, 'gruvbox theme: wrong colours', ['bug'], null, 2),
    issue(962, 'QML syntax', ['enhancement'], null, 7),
    issue(3634, 'bat.exe needs the vcruntime DLL', ['bug'], null, 3),
    pull(1937, "README: add 'Garbled output'", []),
    issue(234, 'Escape sequences garbled', ['bug'], null, 1),
    issue(403, 'ANSI output broken with less', ['bug'], null, 1),
    pull(3812, 'fix: avoid usize underflow in --list-languages at narrow terminal width', [3811]),
    issue(3811, '--list-languages panics at a narrow width', ['bug'], null, 4),
    pull(3804, 'print_snip: saturating_sub', []),
    issue(904, 'Mouse scrolling in tmux', ['enhancement'], null, 40),
    issue(955, 'Windows build', ['bug'], null, 40),
  ].map((it) => [it.number, it]),
);

let gh: Gh;
let origin: TestRepo;
const shas: Record<string, string> = {};

beforeAll(async () => {
  gh = await startGithub({ repo: REPO, items: ITEMS });
  origin = await gitRepo(tmpDir('friday-bat-'));
  await initProject(origin, { product: 'bat', config: { issues: { source: 'github', repo: REPO, tokenEnv: 'FRIDAY_GH' } } });
  // v1.0.0, annotated: a few weeks of history, with the commit a later revert takes back.
  for (const sha of ['5ea762a46c', 'c4031ad65c', '47abb192bc', 'a2676ccc55']) await origin.commit(msg(sha));
  shas.mouse = await origin.commit(pair('Only enable --mouse').original.message);
  await origin.tag('v1.0.0');
  // v1.1.0, lightweight: made on GitHub's release page.
  for (const sha of ['acde83af31', 'ff71e32c0f', '2beec1f3ea', '00bfbbf884', 'ab4c120ea5']) await origin.commit(msg(sha));
  await origin.git(['tag', 'v1.1.0']);
  // This week.
  shas.caret = await origin.commit(msg('8f99a78cf1')); // (#2443): a squash merge whose PR closes #1437
  shas.longLines = await origin.commit(msg('b5294f1cb2')); // (#2165): the PR's body says Fixes #2166
  shas.verilog = await origin.commit(msg('2dc2a3712a')); // closes #616
  shas.console = await origin.commit(pair('Use console 0.11.1').original.message); // see #955 …
  shas.consoleRevert = await origin.commit(revertOf('Use console 0.11.1', shas.console)); // … reverted the same week
  for (const sha of ['77cfca1aff', '74ec390770', 'ea7fafca1e', 'eff57943c9', '59d4cfb75c', 'd9f163f466'])
    shas[sha] = await origin.commit(msg(sha));
  shas.mouseRevert = await origin.commit(revertOf('Only enable --mouse', shas.mouse)); // reverts v1.0.0's commit
  // A real pull request merge: its branch, then `Merge pull request #3812 from …`.
  const merge = corpus.merges.find((m) => m.sha.startsWith('b7ae4585'))!;
  await origin.git(['checkout', '-q', '-b', 'fix/list-languages']);
  for (const b of merge.branch.slice(0, 2)) await origin.commit(b.message);
  shas.changelogEntry = await origin.head();
  await origin.git(['checkout', '-q', 'main']);
  await origin.commit(msg('1063264d88'));
  await origin.git(['merge', '-q', '--no-ff', '-m', merge.message.trimEnd(), 'fix/list-languages'], {
    GIT_AUTHOR_DATE: '2026-11-26T12:00:00Z',
    GIT_COMMITTER_DATE: '2026-11-26T12:00:00Z',
  });
  shas.merge = await origin.head();
});
afterAll(async () => {
  await gh?.close();
  if (origin) await fs.rm(origin.dir, { recursive: true, force: true }); // made before any test: not cleaned by tmpDir
});

const env = () => ({ GITHUB_API_URL: gh.url, FRIDAY_GH: 'tok-bat' });
const changelog = (dir: string, ...args: string[]) => runFriday(['changelog', '-C', dir, '--json', '--now', NOW, ...args], { env: env() });

describe('friday changelog on a real history', () => {
  it('starts at the lightweight release, credits issues through their pull requests, settles the reverts', async () => {
    gh.log.length = 0;
    const r = await changelog(origin.dir);
    expect(r.code, r.stderr).toBe(0);
    const cl = r.json;
    // The last release is the lightweight v1.1.0, not the annotated v1.0.0 further back.
    expect(cl.range).toEqual({ from: 'v1.1.0', to: 'HEAD' });
    expect(cl.commits).toBe(16); // 13 on main, 2 on the branch, the merge
    const entries = Object.fromEntries(cl.entries.map((e: any) => [e.id, { type: e.type, commits: e.commits, pulls: e.pulls }]));
    expect(entries).toEqual({
      1437: { type: 'feature', commits: [shas.caret], pulls: [2443] }, // GitHub's closing reference
      2166: { type: 'bug', commits: [shas.longLines], pulls: [2165] }, // the body's Fixes, no closing reference
      616: { type: 'feature', commits: [shas.verilog] }, // typed by its issue type
      2115: { type: 'bug', commits: [shas['77cfca1aff']] }, // the repository's own issue URL
      962: { type: 'feature', commits: [shas['74ec390770']] }, // sharkdp/bat#962
      3634: { type: 'bug', commits: [shas['ea7fafca1e']] }, // not sharkdp/fd#1891
      234: { type: 'bug', commits: [shas['59d4cfb75c']] },
      403: { type: 'bug', commits: [shas['59d4cfb75c']] },
      3811: { type: 'bug', commits: [shas.merge, shas.changelogEntry], pulls: [3812] }, // the merge and the branch's own mention
    });
    // #955 and its revert cancel out; #904's revert is listed, and #904 is not credited as shipped.
    expect(cl.reverts).toEqual([
      {
        sha: shas.mouseRevert,
        reverts: [shas.mouse],
        subject: 'Revert "Only enable --mouse when running from tmux, see #904"',
        refs: [904],
      },
    ]);
    expect(cl.unknownRefs).toEqual([1572, 1823, 1897]);
    expect(cl.popcorn).toMatchObject({ id: 1437 });
    // Only what the range needs was asked for: the referenced numbers in one query, and #2166.
    expect(gh.log.map((l) => l.op)).toEqual(['FridayItems', 'FridayItems']);
    const md = await runFriday(['changelog', '-C', origin.dir, '--now', NOW], { env: env() });
    expect(md.stdout).toContain('- **Show non-printable characters** (#1437 via #2443) — score 12, 12 voters');
    expect(md.stdout).toContain(
      `## ↩️ Reverted\n\n- Revert "Only enable --mouse when running from tmux, see #904" (${shas.mouseRevert!.slice(0, 7)} reverts ${shas.mouse!.slice(0, 7)})`,
    );
  });
});

describe('a shallow clone, as CI checks out', () => {
  const clone = async (...args: string[]) => {
    const dir = join(tmpDir('friday-shallow-'), 'bat');
    await git(ROOT, ['clone', '-q', ...args, `file://${origin.dir}`, dir]);
    await git(dir, ['config', 'user.name', 'CI']);
    await git(dir, ['config', 'user.email', 'ci@example.org']);
    return dir;
  };

  it('is refused when the range runs past its last commit, and reads whole with --unshallow', async () => {
    const full = await changelog(origin.dir);
    const dir = await clone('--depth', '3');
    const refused = await changelog(dir);
    expect(refused.code).toBe(1);
    expect(refused.json.error.code).toBe('E_SHALLOW');
    expect(refused.stderr).toContain('friday: changelog: this clone is shallow and the history of HEAD runs past its last commit');
    expect(refused.stderr).toContain('git fetch --unshallow --tags origin');

    const whole = await changelog(dir, '--unshallow');
    expect(whole.code, whole.stderr).toBe(0);
    expect(whole.stderr).toContain('fetched the whole history and the tags from origin (the clone was shallow)');
    expect(whole.json).toEqual(full.json);
    expect(await git(dir, ['rev-parse', '--is-shallow-repository'])).toBe('false');
  });

  it('cuts from a clone deep enough for the range and pushes; a shallower one is refused before the build, or deepened', async () => {
    const shallow = await clone('--depth', '2');
    const refused = await runFriday(['cut', '-C', shallow, '--json', '--now', NOW], { env: env() });
    expect(refused.code).toBe(1);
    expect(refused.json.error.code).toBe('E_SHALLOW');
    expect(existsSync(join(shallow, 'out'))).toBe(false); // nothing built
    expect(existsSync(join(shallow, 'ota/releases'))).toBe(false);
    expect(await git(shallow, ['tag', '--list'])).toBe('');
    const deepened = await runFriday(['cut', '-C', shallow, '--json', '--now', NOW, '--unshallow'], { env: env() });
    expect(deepened.code, deepened.stderr).toBe(0);
    expect(deepened.json).toMatchObject({ version: '2026.48.0', previousTag: 'v1.1.0' });

    // Deep enough: its last commit lies below v1.1.0, whose lightweight tag came with the clone.
    const deep = await clone('--depth', '20');
    expect(await git(deep, ['rev-parse', '--is-shallow-repository'])).toBe('true');
    const cut = await runFriday(['cut', '-C', deep, '--json', '--now', NOW, '--push'], { env: env() });
    expect(cut.code, cut.stderr).toBe(0);
    expect(cut.json).toMatchObject({ version: '2026.48.0', previousTag: 'v1.1.0' });
    expect(await origin.git(['rev-parse', 'v2026.48.0^{commit}'])).toBe(shas.merge);
    const written = JSON.parse(readFileSync(join(deep, 'ota/releases/2026.48.0/changelog.json'), 'utf8'));
    expect(written.entries.map((e: { id: number }) => e.id).sort((a: number, b: number) => a - b)).toEqual([
      234, 403, 616, 962, 1437, 2115, 2166, 3634, 3811,
    ]);
  });
});
