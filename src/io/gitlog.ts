/**
 * Fast history reading for the changelog: one `git log` child process whose output is streamed
 * and split by hand (no git library: a 20,000-commit range must cost little more than git's own
 * time), plus the release tags. Spawned directly so `friday changelog` loads nothing heavy.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { failure, usageError } from '../errors.js';
import { gitError, gitOut } from './git.js';
import { compareVersions } from '../client/version.js';
import { releaseVersionOf } from '../core/version.js';

export interface TagInfo {
  name: string;
  annotated: boolean;
  /** The commit the tag points at (peeled), or null when it points at something else. */
  commit: string | null;
}

/** Every tag, with the commit it points at. One process. */
export async function listTags(cwd: string): Promise<TagInfo[]> {
  const out = await gitOut(cwd, [
    'for-each-ref',
    '--format=%(refname:strip=2)%00%(objecttype)%00%(*objecttype)%00%(*objectname)%00%(objectname)',
    'refs/tags',
  ]);
  const tags: TagInfo[] = [];
  for (const line of out.split('\n')) {
    if (!line) continue;
    const [name = '', type, peeledType, peeled, object = ''] = line.split('\0');
    const annotated = type === 'tag';
    const commit = annotated ? (peeledType === 'commit' ? peeled! : null) : type === 'commit' ? object : null;
    tags.push({ name, annotated, commit });
  }
  return tags;
}

/**
 * Release tags: `<tagPrefix><semver>` tags on a commit (docs/formats.md), annotated or lightweight: a
 * release made on GitHub's release page is a lightweight tag, and git-cliff and semantic-release
 * read those as releases too. friday's own tags are annotated.
 */
export function releaseTags(tags: readonly TagInfo[], prefix: string): TagInfo[] {
  return tags.filter((t) => t.commit !== null && releaseVersionOf(t.name, prefix) !== null);
}

/** The commit a ref names, or null when it names none. */
export async function resolveCommit(cwd: string, ref: string): Promise<string | null> {
  if (ref.startsWith('-')) return null;
  try {
    return (await gitOut(cwd, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`])).trim() || null;
  } catch {
    return null;
  }
}

export interface PreviousOptions {
  /** Pass over prerelease tags: the range of a final release starts at the previous final one. */
  finalOnly?: boolean;
  /** Told of a tag that looks like a release (a digit after the prefix) but is no semantic version. */
  passedOver?: (tag: string) => void;
}

/**
 * The nearest release tag reachable from `rev` by ancestry, leaving out `exclude` (the tags on
 * `rev` itself): docs/formats.md "The previous release tag". `git describe --tags` finds the nearest
 * tag matching the prefix, annotated or lightweight; a match that is not a release tag (or a
 * prerelease, with `finalOnly`) is excluded and the search repeated. `tags`, when the caller has
 * already listed them, saves a git call (and the whole search when no release tag is left to find).
 */
export async function previousReleaseTag(
  cwd: string,
  rev: string,
  prefix: string,
  exclude: readonly string[] = [],
  tags?: readonly TagInfo[],
  opts: PreviousOptions = {},
): Promise<string | null> {
  const excluded = new Set(exclude);
  const wanted = (name: string) => {
    const v = releaseVersionOf(name, prefix);
    return v !== null && !(opts.finalOnly && isPrerelease(v));
  };
  if (tags && !releaseTags(tags, prefix).some((t) => !excluded.has(t.name) && wanted(t.name))) return null;
  for (let i = 0; i < 50; i++) {
    const args = [
      'describe',
      '--tags',
      '--abbrev=0',
      `--match=${prefix}*`,
      ...[...excluded].map((t) => `--exclude=${t}`),
      '--end-of-options',
      rev,
    ];
    let tag: string;
    try {
      tag = (await gitOut(cwd, args)).trim();
    } catch {
      return null; // no tag reachable
    }
    if (wanted(tag)) return highestOnSameCommit(tags ?? (await listTags(cwd)), tag, prefix, excluded, wanted);
    if (releaseVersionOf(tag, prefix) === null && /^\d/.test(tag.slice(prefix.length))) opts.passedOver?.(tag);
    excluded.add(tag);
  }
  return null;
}

/** A semantic version with a prerelease part (`2026.48.0-rc.1`; build metadata is not one). */
export const isPrerelease = (version: string) => version.split('+')[0]!.includes('-');

/**
 * `git describe` breaks a tie between tags on one commit by tag date, and git's dates decide
 * nothing here (docs/formats.md): of the release tags on that commit, the highest version wins.
 */
function highestOnSameCommit(
  every: readonly TagInfo[],
  tag: string,
  prefix: string,
  excluded: ReadonlySet<string>,
  wanted: (name: string) => boolean,
): string {
  const tags = releaseTags(every, prefix);
  const commit = tags.find((t) => t.name === tag)?.commit;
  let best = tag;
  for (const t of tags) {
    if (
      t.commit === commit &&
      !excluded.has(t.name) &&
      wanted(t.name) &&
      compareVersions(releaseVersionOf(t.name, prefix)!, releaseVersionOf(best, prefix)!) > 0
    )
      best = t.name;
  }
  return best;
}

/**
 * Facts about the repository's history, in one process: the boundary commits of a shallow clone
 * (git's `shallow` file; empty for a complete clone) and the git directory shared by worktrees.
 */
export async function historyFacts(cwd: string): Promise<{ shallow: Set<string>; commonDir: string }> {
  // The common case, a repository whose .git folder is right here, needs no git process.
  const dotGit = join(cwd, '.git');
  if ((await fs.stat(dotGit).catch(() => null))?.isDirectory() && !process.env.GIT_DIR) {
    const text = await fs.readFile(join(dotGit, 'shallow'), 'utf8').catch(() => '');
    return { shallow: new Set(text.split('\n').filter(Boolean)), commonDir: dotGit };
  }
  const out = await gitOut(cwd, ['rev-parse', '--is-shallow-repository', '--git-path', 'shallow', '--git-common-dir']);
  const [isShallow, path = '', common = '.git'] = out.split('\n');
  const commonDir = resolve(cwd, common);
  if (isShallow !== 'true') return { shallow: new Set(), commonDir };
  const text = await fs.readFile(resolve(cwd, path), 'utf8').catch(() => '');
  return { shallow: new Set(text.split('\n').filter(Boolean)), commonDir };
}

/**
 * Whether the history below a shallow clone's boundary commit `sha` matters to a range starting
 * after `from`: it does unless every parent git cut away is `from` or one of its ancestors.
 */
export async function cutsRange(cwd: string, sha: string, from: string | null): Promise<boolean> {
  if (from === null) return true;
  const raw = await gitOut(cwd, ['cat-file', 'commit', sha]);
  const parents = [...raw.slice(0, raw.indexOf('\n\n')).matchAll(/^parent ([0-9a-f]+)$/gm)].map((m) => m[1]!);
  for (const p of parents) {
    try {
      await gitOut(cwd, ['merge-base', '--is-ancestor', p, from]);
    } catch {
      return true; // not an ancestor, or not here at all
    }
  }
  return false;
}

/**
 * Make a shallow clone whole: `git fetch --unshallow --tags <remote>`, as semantic-release does
 * in CI. Returns false (and fetches nothing) when the clone is complete already.
 */
export async function unshallow(cwd: string, remote: string): Promise<boolean> {
  if (remote === '' || remote.startsWith('-')) throw usageError('E_USAGE', `--unshallow ${remote}: not a remote name`);
  if ((await historyFacts(cwd)).shallow.size === 0) return false;
  await gitOut(cwd, ['fetch', '--quiet', '--unshallow', '--tags', remote]);
  return true;
}

/**
 * Stream the commits of `from..to` (from = null: everything reachable from `to`), calling
 * `onCommit(sha, message)` for each in git log order. Returns the number of commits. Records are
 * NUL-separated (`-z`; a commit message cannot hold a NUL) and the hash ends at the first 0x1F.
 */
export function streamLog(cwd: string, from: string | null, to: string, onCommit: (sha: string, message: string) => void): Promise<number> {
  for (const ref of [from, to]) {
    if (ref !== null && (ref === '' || ref.startsWith('-'))) return Promise.reject(usageError('E_USAGE', `${ref}: not a git revision`));
  }
  const range = from === null ? to : `${from}..${to}`;
  return new Promise((resolve, reject) => {
    const child = spawn(
      'git',
      ['-c', 'log.showSignature=false', 'log', '--no-color', '-z', '--format=%H%x1f%B', '--end-of-options', range, '--'],
      {
        cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let count = 0;
    let rest = '';
    let stderr = '';
    let failed: Error | null = null;
    const take = (record: string) => {
      const cut = record.indexOf('\x1f');
      if (cut < 0) return;
      count++;
      onCommit(record.slice(0, cut), record.slice(cut + 1));
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (failed) return;
      try {
        let start = 0;
        let nul = chunk.indexOf('\0');
        if (nul >= 0) {
          take(rest + chunk.slice(0, nul));
          rest = '';
          start = nul + 1;
          while ((nul = chunk.indexOf('\0', start)) >= 0) {
            take(chunk.slice(start, nul));
            start = nul + 1;
          }
        }
        rest += chunk.slice(start);
      } catch (err) {
        failed = err as Error;
        child.kill();
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) =>
      reject(failure('E_GIT', `git log: cannot run git (${err.message})`, 'install git and make sure it is on PATH')),
    );
    child.on('close', (code) => {
      if (failed) return reject(failed);
      if (code !== 0) return void logError(cwd, from, to, stderr).then(reject, reject);
      if (rest) take(rest);
      resolve(count);
    });
  });
}

/** A failed `git log`: name the revision the user got wrong (exit 2) rather than git's words. */
async function logError(cwd: string, from: string | null, to: string, stderr: string): Promise<Error> {
  if (/does not have any commits yet|bad default revision 'HEAD'/.test(stderr) || (await resolveCommit(cwd, 'HEAD')) === null) {
    return failure('E_GIT', 'git log: the repository has no commit yet', 'commit your sources first');
  }
  for (const [flag, ref] of [
    ['--from', from],
    ['--to', to],
  ] as const) {
    if (ref !== null && (await resolveCommit(cwd, ref)) === null) {
      return usageError(
        'E_USAGE',
        `${flag} ${ref}: not a commit in this repository`,
        'give a tag, branch or commit (see `git tag --list`)',
      );
    }
  }
  return gitError(`git log ${from === null ? to : `${from}..${to}`}`, stderr);
}
