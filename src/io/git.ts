/**
 * The one git module for the commands that tag: each call is one `git` child process with the
 * repository as its working directory. Spawned directly rather than through a git library: a cut
 * is a handful of tiny git calls, and a library's load time and per-call scheduling cost more
 * than git itself (about 100 ms of a cut).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { failure, isFridayError, type FridayError } from '../errors.js';

export interface Git {
  /** Where friday runs (-C): the working directory of the reading calls. */
  cwd: string;
  root: string;
  /** The commit HEAD names, or null in a repository without commits. */
  head: string | null;
}

/** git ran and failed: its stderr, exit code and whatever it printed before. */
class GitFailed extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stdout: string,
  ) {
    super(message);
  }
}

/** Run git in `cwd` and return its stdout; git's own failure rejects as GitFailed. */
function runGit(cwd: string, args: readonly string[], env?: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args as string[],
      { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: env && { ...process.env, ...env } },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        // ENOENT from the spawn: no git on PATH (or no such working directory, reported as git's failure).
        if (err.code === 'ENOENT' && existsSync(cwd))
          return reject(failure('E_GIT', 'git: cannot run git', 'install git and make sure it is on PATH'));
        reject(new GitFailed(stderr || err.message, typeof err.code === 'number' ? err.code : null, stdout));
      },
    );
  });
}

/** git's own verdict is its `fatal:`/`error:` line (the last line is often only advice), as E_GIT. */
export function gitError(what: string, output: string): FridayError {
  const lines = output
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const why = (lines.find((l) => /^(fatal|error):/.test(l)) ?? lines[lines.length - 1] ?? 'failed').replace(/^(fatal|error):\s*/, '');
  if (/not a git repository/i.test(why))
    return failure('E_GIT', `${what}: not a git repository`, 'run friday inside the ROM repository, or pass -C <repo>');
  return failure('E_GIT', `${what}: ${why}`);
}

/** Run git and return its stdout; a failure becomes an E_GIT error naming the command. */
export function gitOut(cwd: string, args: readonly string[]): Promise<string> {
  return gitCall(`git ${args[0]}`, () => runGit(cwd, args));
}

async function gitCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isFridayError(err)) throw err;
    throw gitError(what, err instanceof Error ? err.message : String(err));
  }
}

/** The repository around `cwd` and its HEAD commit, in one git call. */
export async function openRepo(cwd: string): Promise<Git> {
  let out: string;
  try {
    out = await runGit(cwd, ['rev-parse', '--show-toplevel', '--verify', '--quiet', 'HEAD^{commit}']);
  } catch (err) {
    // Exit 1 with the top level printed: a repository, but HEAD names no commit yet.
    if (isFridayError(err)) throw err;
    if (err instanceof GitFailed && err.exitCode === 1 && err.stdout.trim()) return { cwd, root: err.stdout.trim(), head: null };
    throw failure('E_GIT', `${cwd}: not a git repository`, 'run friday inside the ROM repository, or pass -C <repo>');
  }
  const [root = '', head = ''] = out.trim().split('\n');
  return { cwd, root, head: head || null };
}

/** The absolute git directory of the repository around `cwd`; null outside one, or without git. */
export async function gitDir(cwd: string): Promise<string | null> {
  try {
    return (await runGit(cwd, ['rev-parse', '--absolute-git-dir'])).trim() || null;
  } catch {
    return null;
  }
}

export async function headCommit(g: Git): Promise<string> {
  if (g.head === null) throw failure('E_GIT', 'git: the repository has no commit yet', 'commit your sources first');
  return g.head;
}

/** Working-tree changes (`git status --porcelain`, untracked files included), minus `exclude` (a folder in the repo). */
export async function dirtyPaths(g: Git, exclude: string | null): Promise<string[]> {
  const args = ['status', '--porcelain', '--untracked-files=normal'];
  if (exclude) args.push('--', '.', `:(exclude)${exclude}`);
  const out = await gitCall('git status', () => runGit(g.cwd, args));
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => l.slice(3));
}

/** Full messages of the commits in `from..to` (from = null: everything reachable from `to`). */
export async function commitMessages(g: Git, from: string | null, to: string): Promise<string[]> {
  const range = from ? `${from}..${to}` : to;
  const out = await gitCall(`git log ${range}`, () => runGit(g.cwd, ['log', '--format=%B%x00', range]));
  return out
    .split('\0')
    .map((s) => s.replace(/^\n+/, ''))
    .filter((s) => s.trim() !== '');
}

/** `git config user.name` in `cwd`, or null (not a repository, or no name configured). */
export async function gitUserName(cwd: string): Promise<string | null> {
  try {
    const name = (await runGit(cwd, ['config', 'user.name'])).trim();
    return name || null;
  } catch {
    return null;
  }
}

/**
 * The tag gets a pinned tagger date (the cut time), given through git's environment. The message
 * is written to a file before git starts: given on stdin, a cut killed mid-write would leave git
 * reading a short message and making a tag without its artifact hashes. The file goes in
 * `scratchDir` (the releases folder, under the cut's lock) as `.tag-<tag>.tmp-<pid>`, a name the
 * next cut sweeps, so a killed cut leaves nothing behind in the system's temp folder.
 */
export async function createAnnotatedTag(
  g: Git,
  tag: string,
  message: string,
  env: Record<string, string>,
  scratchDir: string,
): Promise<void> {
  const file = join(scratchDir, `.tag-${tag.replace(/[^\w.-]/g, '_')}.tmp-${process.pid}`);
  try {
    await writeFile(file, message);
    await gitCall(`git tag ${tag}`, () => runGit(g.root, ['tag', '-a', tag, '-F', file, '--cleanup=verbatim', 'HEAD'], env));
  } finally {
    await rm(file, { force: true });
  }
}

/** The message of an annotated tag (its body after the header), or null when there is no such tag. */
export async function tagMessage(g: Git, tag: string): Promise<string | null> {
  try {
    const raw = await runGit(g.root, ['cat-file', 'tag', `refs/tags/${tag}`]);
    return raw.slice(raw.indexOf('\n\n') + 2);
  } catch {
    return null;
  }
}

/**
 * Push one tag. The one network call of a cut, so it goes through simple-git, whose load time is
 * nothing beside a push and which turns a remote's refusal into one readable line.
 */
export async function pushTag(g: Git, remote: string, tag: string): Promise<void> {
  const { simpleGit } = await import('simple-git');
  await gitCall(`git push ${remote} ${tag}`, () => simpleGit({ baseDir: g.root }).push(remote, `refs/tags/${tag}`));
}
