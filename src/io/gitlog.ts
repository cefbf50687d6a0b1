/**
 * Fast history reading for the changelog: one `git log` child process whose output is streamed
 * and split by hand (no git library: a 20,000-commit range must cost little more than git's own
 * time), plus the release tags. Spawned directly so `friday changelog` loads nothing heavy.
 */
import { spawn } from 'node:child_process';
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

/** Release tags: annotated `<tagPrefix><semver>` tags on a commit (formats.md). */
export function releaseTags(tags: readonly TagInfo[], prefix: string): TagInfo[] {
  return tags.filter((t) => t.annotated && t.commit !== null && releaseVersionOf(t.name, prefix) !== null);
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

/**
 * The nearest release tag reachable from `rev` by ancestry, leaving out `exclude` (the tags on
 * `rev` itself): formats.md "The previous release tag". `git describe` finds the nearest annotated
 * tag matching the prefix; a match that is not a release tag is excluded and the search repeated.
 * `tags`, when the caller has already listed them, saves a git call (and the whole search when no
 * release tag is left to find).
 */
export async function previousReleaseTag(
  cwd: string,
  rev: string,
  prefix: string,
  exclude: readonly string[] = [],
  tags?: readonly TagInfo[],
): Promise<string | null> {
  const excluded = new Set(exclude);
  if (tags && !releaseTags(tags, prefix).some((t) => !excluded.has(t.name))) return null;
  for (let i = 0; i < 50; i++) {
    const args = ['describe', '--abbrev=0', `--match=${prefix}*`, ...[...excluded].map((t) => `--exclude=${t}`), '--end-of-options', rev];
    let tag: string;
    try {
      tag = (await gitOut(cwd, args)).trim();
    } catch {
      return null; // no tag reachable
    }
    if (releaseVersionOf(tag, prefix) !== null) return highestOnSameCommit(tags ?? (await listTags(cwd)), tag, prefix, excluded);
    excluded.add(tag);
  }
  return null;
}

/**
 * `git describe` breaks a tie between tags on one commit by tag date, and git's dates decide
 * nothing here (formats.md): of the release tags on that commit, the highest version wins.
 */
function highestOnSameCommit(every: readonly TagInfo[], tag: string, prefix: string, excluded: ReadonlySet<string>): string {
  const tags = releaseTags(every, prefix);
  const commit = tags.find((t) => t.name === tag)?.commit;
  let best = tag;
  for (const t of tags) {
    if (
      t.commit === commit &&
      !excluded.has(t.name) &&
      compareVersions(releaseVersionOf(t.name, prefix)!, releaseVersionOf(best, prefix)!) > 0
    )
      best = t.name;
  }
  return best;
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
