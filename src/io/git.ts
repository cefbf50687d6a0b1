/**
 * The one git module: simple-git with an explicit repository on every call. Only `cut` and the
 * commands that tag or read history import it.
 */
import { simpleGit, type SimpleGit } from 'simple-git';
import { failure } from '../errors.js';

export interface Git {
  raw: SimpleGit;
  root: string;
}

export async function openRepo(cwd: string): Promise<Git> {
  const g = simpleGit({ baseDir: cwd, trimmed: false });
  let root: string;
  try {
    root = (await g.revparse(['--show-toplevel'])).trim();
  } catch {
    throw failure('E_GIT', `${cwd}: not a git repository`, 'run friday inside the ROM repository, or pass -C <repo>');
  }
  return { raw: g, root };
}

async function gitCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    // git's own verdict is the `fatal:`/`error:` line; the last line is often only advice.
    const lines = (err as Error).message.trim().split('\n').map((l) => l.trim()).filter(Boolean);
    const msg = (lines.find((l) => /^(fatal|error):/.test(l)) ?? lines[lines.length - 1] ?? String(err)).replace(/^(fatal|error):\s*/, '');
    throw failure('E_GIT', `${what}: ${msg}`);
  }
}

export async function headCommit(g: Git): Promise<string> {
  return gitCall('git rev-parse HEAD', async () => (await g.raw.revparse(['HEAD'])).trim()).catch(() => {
    throw failure('E_GIT', 'git: the repository has no commit yet', 'commit your sources first');
  });
}

/** Working-tree changes (`git status --porcelain`, untracked files included), minus `exclude` (a folder in the repo). */
export async function dirtyPaths(g: Git, exclude: string | null): Promise<string[]> {
  const args = ['status', '--porcelain', '--untracked-files=normal'];
  if (exclude) args.push('--', '.', `:(exclude)${exclude}`);
  const out = await gitCall('git status', () => g.raw.raw(args));
  return out.split('\n').filter(Boolean).map((l) => l.slice(3));
}

/** Full messages of the commits in `from..to` (from = null: everything reachable from `to`). */
export async function commitMessages(g: Git, from: string | null, to: string): Promise<string[]> {
  const range = from ? `${from}..${to}` : to;
  const out = await gitCall(`git log ${range}`, () => g.raw.raw(['log', '--format=%B%x00', range]));
  return out.split('\0').map((s) => s.replace(/^\n+/, '')).filter((s) => s.trim() !== '');
}

export async function gitUserName(g: Git): Promise<string | null> {
  try {
    const name = (await g.raw.raw(['config', 'user.name'])).trim();
    return name || null;
  } catch {
    return null;
  }
}

/** The tag gets a pinned tagger date (the cut time); simple-git guards the environment, so git runs directly. */
export async function createAnnotatedTag(g: Git, tag: string, message: string, env: Record<string, string>): Promise<void> {
  const { execFile } = await import('node:child_process');
  await gitCall(`git tag ${tag}`, () =>
    new Promise<void>((resolve, reject) => {
      execFile('git', ['tag', '-a', tag, '-F', '-', 'HEAD'], { cwd: g.root, env: { ...process.env, ...env } }, (err, _out, stderr) =>
        err ? reject(new Error(stderr || err.message)) : resolve(),
      ).stdin!.end(message);
    }),
  );
}

export async function pushTag(g: Git, remote: string, tag: string): Promise<void> {
  await gitCall(`git push ${remote} ${tag}`, () => g.raw.raw(['push', remote, `refs/tags/${tag}`]));
}
