/**
 * docs/quality.md "Crash safety" for `cut`: SIGKILLed at random moments, many times. After every kill
 * the repository and the publish root are as before or as after: every release tag has its
 * complete release folder, every release folder is complete (build.json parses and its hashes
 * match the files, both changelog files parse), a half-copied release only ever exists under a
 * hidden temporary name; and the next run succeeds and leaves no temporary folder behind.
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitRepo, initProject, prng, runAndKill as runIn, type TestRepo } from '../helpers/index.js';

const NOW = '2026-11-27T17:00:00Z';
const KILLS = 16;
const runAndKill = (dir: string, args: string[], killAfterMs: number | null) => runIn(dir, args, killAfterMs, { FRIDAY_NOW: NOW });

const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

/** Every tag has a complete release; every visible release folder is complete. Returns the state. */
async function checkReleases(repo: TestRepo): Promise<{ tags: string[]; folders: string[]; hidden: string[] }> {
  const tags = (await repo.git(['tag', '--list'])).split('\n').filter(Boolean).sort();
  const releases = join(repo.dir, 'ota/releases');
  const entries = existsSync(releases) ? await fs.readdir(releases) : [];
  const folders = entries.filter((n) => !n.startsWith('.')).sort();
  const hidden = entries.filter((n) => n.startsWith('.') && !n.endsWith('.lock'));
  for (const tag of tags) expect(folders, `tag ${tag} without its release folder`).toContain(tag.slice(1));
  for (const version of folders) {
    const dir = join(releases, version);
    const record = JSON.parse(await fs.readFile(join(dir, 'build.json'), 'utf8'));
    expect(record.version).toBe(version);
    expect(record.artifacts).toHaveLength(2);
    for (const a of record.artifacts) {
      expect(a.size).toBe((await fs.stat(join(dir, a.file))).size);
      expect(a.sha256).toBe(sha256(join(dir, a.file)));
    }
    expect(() => JSON.parse(readFileSync(join(dir, 'changelog.json'), 'utf8'))).not.toThrow();
    expect(readFileSync(join(dir, 'CHANGELOG.md'), 'utf8')).toContain(version);
    if (tags.includes(`v${version}`)) {
      const tagged = await repo.git(['cat-file', '-p', `v${version}`]);
      for (const a of record.artifacts) expect(tagged).toContain(`${a.sha256}  ${a.file}`);
    }
  }
  return { tags, folders, hidden };
}

describe('cut crash safety', () => {
  it(`${KILLS} SIGKILLs at random points leave tags and release folders whole, and the next cut succeeds`, async () => {
    const repo = await gitRepo();
    await initProject(repo);
    // Artifacts large enough that a kill can land in the copy, the tag or anything between.
    for (const device of ['cepheus', 'umi']) {
      await fs.mkdir(join(repo.dir, 'out', device), { recursive: true });
      const image = Buffer.alloc(12 << 20);
      for (let i = 0; i < image.length; i += 4096) image.writeUInt32LE(i ^ device.length, i);
      await fs.writeFile(join(repo.dir, 'out', device, `aurora-${device}.zip`), image);
    }
    const args = ['cut', '--skip-build', '--force'];
    const t0 = await runAndKill(repo.dir, args, null);
    expect(t0.code).toBe(0);

    const seed = Number(process.env.FRIDAY_CRASH_SEED ?? 20261127);
    const rnd = prng(seed);
    let delay = t0.ms * 0.8;
    let killed = 0;
    for (let i = 0; i < KILLS; i++) {
      const before = await checkReleases(repo);
      const r = await runAndKill(repo.dir, args, Math.max(5, Math.round(delay * (0.85 + rnd() * 0.3))));
      const after = await checkReleases(repo);
      const moved = after.tags.length !== before.tags.length || after.folders.length !== before.folders.length;
      if (r.signal === 'SIGKILL') killed++;
      else expect(r.code, `cut exited ${r.code} (seed ${seed}): ${r.stderr}`).toBe(0);
      delay *= r.signal !== 'SIGKILL' ? 0.85 : moved ? 0.95 : 1.1;
      await fs.rm(join(repo.dir, 'ota/releases.lock'), { recursive: true, force: true });
    }
    expect(killed, `seed ${seed}`).toBeGreaterThan(0);

    const before = await checkReleases(repo);
    const next = await runAndKill(repo.dir, args, null);
    expect(next.code, next.stderr).toBe(0);
    const after = await checkReleases(repo);
    expect(after.tags.length).toBe(before.tags.length + 1);
    // Every release folder is tagged once a cut has finished: an untagged one (killed between
    // the rename and the tag) is taken over by the next cut of the same version.
    expect(after.folders.map((v) => `v${v}`)).toEqual(after.tags);
    expect(after.hidden).toEqual([]);
  }, 120_000);
});
