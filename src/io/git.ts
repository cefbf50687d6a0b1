/**
 * The one git module: simple-git with an explicit repository on every call. Only `cut` and the
 * commands that tag or read history import it.
 */
import { simpleGit, type SimpleGit } from 'simple-git';
import { failure } from '../errors.js';
import { releaseVersionOf } from '../core/version.js';

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
    const msg = (err as Error).message.trim().split('\n').filter(Boolean).pop() ?? String(err);
    throw failure('E_GIT', `${what}: ${msg}`);
  }
}

export async function headCommit(g: Git): Promise<string> {
  return gitCall('git rev-parse HEAD', async () => (await g.raw.revparse(['HEAD'])).trim()).catch(() => {
    throw failure('E_GIT', 'git: the repository has no commit yet', 'commit your sources first');
  });
}

export async function porcelainStatus(g: Git): Promise<string> {
  return gitCall('git status', () => g.raw.raw(['status', '--porcelain']));
}

/** Every tag name in the repository. */
export async function allTags(g: Git): Promise<string[]> {
  const out = await gitCall('git tag', () => g.raw.raw(['tag', '--list']));
  return out.split('\n').map((s) => s.trim()).filter(Boolean);
}

/** Annotated release tags (`<prefix><semver>`) pointing at a commit. */
export async function releaseTagsAt(g: Git, commit: string, prefix: string): Promise<string[]> {
  const out = await gitCall('git for-each-ref', () =>
    g.raw.raw(['for-each-ref', '--format=%(refname:short)%00%(objecttype)%00%(*objectname)', 'refs/tags']),
  );
  const tags: string[] = [];
  for (const line of out.split('\n')) {
    const [name, type, target] = line.split('\0');
    if (name && type === 'tag' && target === commit && releaseVersionOf(name, prefix)) tags.push(name);
  }
  return tags;
}

/**
 * The nearest annotated release tag reachable from `rev` by ancestry, excluding the tags on `rev`
 * itself (formats.md). `git describe` finds the nearest; non-release names are excluded and retried.
 */
export async function previousReleaseTag(g: Git, rev: string, prefix: string, exclude: readonly string[] = []): Promise<string | null> {
  const excluded = new Set(exclude);
  for (let i = 0; i < 50; i++) {
    const args = ['describe', '--abbrev=0', `--match=${prefix}*`, ...[...excluded].map((t) => `--exclude=${t}`), rev];
    let tag: string;
    try {
      tag = (await g.raw.raw(args)).trim();
    } catch {
      return null; // no tag reachable
    }
    if (releaseVersionOf(tag, prefix)) return tag;
    excluded.add(tag);
  }
  return null;
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

export async function deleteTag(g: Git, tag: string): Promise<void> {
  await g.raw.raw(['tag', '-d', tag]).catch(() => {});
}

export async function pushTag(g: Git, remote: string, tag: string): Promise<void> {
  await gitCall(`git push ${remote} ${tag}`, () => g.raw.raw(['push', remote, `refs/tags/${tag}`]));
}
