/** Reading history for the changelog, against real git repositories. */
import { describe, expect, it } from 'vitest';
import { releaseVersionOf as versionOfTag } from '../../src/core/version.js';
import { listTags, previousReleaseTag, releaseTags, resolveCommit, streamLog } from '../../src/io/gitlog.js';
import { gitRepo } from '../helpers/index.js';

async function collect(dir: string, from: string | null, to: string) {
  const commits: { sha: string; message: string }[] = [];
  const count = await streamLog(dir, from, to, (sha, message) => commits.push({ sha, message }));
  return { count, commits };
}

describe('streamLog', () => {
  it('streams every commit of a range with its whole message, newest first', async () => {
    const repo = await gitRepo();
    const a = await repo.commit('feat: one\n\nbody line\n\nFixes #1');
    await repo.tag('v1.0.0');
    const b = await repo.commit('fix: two (#2)');
    // A message far larger than a pipe chunk, with multi-byte characters that a chunk boundary may split.
    const big = `docs: ${Array(6_000).fill('déjà vu 🍿').join(' ')}\n\nCloses #3`;
    const c = await repo.commit(big);

    const all = await collect(repo.dir, null, 'HEAD');
    expect(all.count).toBe(3);
    expect(all.commits.map((x) => x.sha)).toEqual([c, b, a]);
    expect(all.commits[2]!.message).toBe('feat: one\n\nbody line\n\nFixes #1\n');
    expect(all.commits[0]!.message).toBe(big + '\n');

    const range = await collect(repo.dir, 'v1.0.0', 'HEAD');
    expect(range.commits.map((x) => x.sha)).toEqual([c, b]);
    expect((await collect(repo.dir, 'HEAD', 'HEAD')).count).toBe(0);
  });

  it('names the flag of a ref that is not a commit (exit 2)', async () => {
    const repo = await gitRepo();
    await repo.commit('one');
    await expect(collect(repo.dir, 'nope', 'HEAD')).rejects.toMatchObject({
      code: 'E_USAGE',
      exit: 2,
      message: '--from nope: not a commit in this repository',
    });
    await expect(collect(repo.dir, null, '--output=/tmp/x')).rejects.toMatchObject({ exit: 2 });
  });

  it('says when the repository has no commit yet', async () => {
    const repo = await gitRepo();
    await expect(collect(repo.dir, null, 'HEAD')).rejects.toMatchObject({
      code: 'E_GIT',
      message: expect.stringContaining('no commit yet'),
    });
  });
});

describe('release tags', () => {
  it('are <prefix><semver> tags, annotated or lightweight; the previous one skips tags on the end commit', async () => {
    const repo = await gitRepo();
    const first = await repo.commit('one');
    await repo.tag('v2026.47.0');
    await repo.git(['tag', 'v2026.47.1']); // lightweight: a release too, and the higher on this commit
    const second = await repo.commit('two');
    await repo.tag('v-next', 'annotated but not a version');
    await repo.git(['tag', 'v2026.48']); // lightweight, named like a release, no semantic version
    await repo.tag('v2026.48.0');

    const tags = await listTags(repo.dir);
    expect(tags.find((t) => t.name === 'v2026.47.1')).toMatchObject({ annotated: false, commit: first });
    expect(releaseTags(tags, 'v').map((t) => [t.name, t.commit])).toEqual([
      ['v2026.47.0', first],
      ['v2026.47.1', first],
      ['v2026.48.0', second],
    ]);
    const passed: string[] = [];
    expect(await previousReleaseTag(repo.dir, 'HEAD', 'v')).toBe('v2026.48.0');
    expect(await previousReleaseTag(repo.dir, 'HEAD', 'v', ['v2026.48.0'], undefined, { passedOver: (t) => passed.push(t) })).toBe(
      'v2026.47.1',
    );
    expect(passed).toEqual(['v2026.48']); // said aloud; `v-next` does not look like a release
    expect(await previousReleaseTag(repo.dir, first, 'v', ['v2026.47.0', 'v2026.47.1'])).toBeNull();
    expect(await resolveCommit(repo.dir, 'v2026.48.0')).toBe(second);
    expect(await resolveCommit(repo.dir, 'nope')).toBeNull();
  });

  it('versionOfTag reads semantic versions only', () => {
    expect(versionOfTag('v2026.48.0', 'v')).toBe('2026.48.0');
    expect(versionOfTag('v1.2.3-rc.1+build.5', 'v')).toBe('1.2.3-rc.1+build.5');
    expect(versionOfTag('v2026.48', 'v')).toBeNull();
    expect(versionOfTag('release-1.0.0', 'v')).toBeNull();
    expect(versionOfTag('v01.2.3', 'v')).toBeNull();
  });
});
