/** `friday demo`: the first thing a newcomer runs must really do a whole week. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrust, verifyManifest } from '../../src/client/index.js';
import { git, runFriday, tmpDir } from '../helpers/index.js';

describe('friday demo', () => {
  it('runs a week in a sandbox: cuts, Popcorn Award nominees, signed channels, a pull, promotion, a watch rollback and the Tuesday ceremony', async () => {
    const dir = join(tmpDir('friday-demo-test-'), 'week');
    const r = await runFriday(['demo', '--dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('✘');
    expect(r.stdout).toContain(`friday status -C ${join(dir, 'repo')}`);

    const repo = join(dir, 'repo');
    const tags = (await git(repo, ['tag', '--list'])).split('\n');
    expect(tags).toEqual(['v2026.47.0', 'v2026.48.0', 'v2026.49.0']);
    for (const v of ['2026.47.0', '2026.48.0', '2026.49.0']) {
      const build = JSON.parse(readFileSync(join(repo, 'ota/releases', v, 'build.json'), 'utf8'));
      expect(build).toMatchObject({ type: 'friday.build/v1', product: 'aurora', version: v, tag: `v${v}` });
      expect(build.artifacts.map((a: { device: string }) => a.device)).toEqual(['cepheus', 'umi']);
      expect(existsSync(join(repo, 'ota/releases', v, 'CHANGELOG.md'))).toBe(true);
    }
    const changelog = JSON.parse(readFileSync(join(repo, 'ota/releases/2026.48.0/changelog.json'), 'utf8'));
    expect(changelog.popcorn).toMatchObject({ id: 102 });

    const trust = parseTrust(JSON.parse(readFileSync(join(repo, 'ota/trust.json'), 'utf8')), 'trust.json');
    const read = (c: string) => JSON.parse(readFileSync(join(repo, 'ota/channels', c, 'manifest.json'), 'utf8'));
    const now = new Date('2026-12-05T12:30:00Z');
    const beta = verifyManifest(read('beta'), trust, { channel: 'beta', now }).manifest.signed;
    expect(beta.release.version).toBe('2026.48.0');
    expect(beta.rollback).toMatchObject({ from: '2026.49.0' });
    expect(beta.rollback!.reason).toMatch(/crash/);
    expect(beta.blocked).toEqual(['2026.49.0']);
    const stable = verifyManifest(read('stable'), trust, { channel: 'stable', now }).manifest.signed;
    expect(stable.release.version).toBe('2026.48.0');
    expect(stable.rollout.percent).toBe(50);
    expect(existsSync(join(dir, 'device/aurora-umi-2026.48.0.zip'))).toBe(true);

    // Tuesday: Friday's changelog ranked Night mode first by the votes that asked for it; the fans
    // who used the build liked the Dual-SIM picker best.
    const grades = JSON.parse(readFileSync(join(repo, 'fans/grades.json'), 'utf8'));
    expect(grades).toMatchObject({ type: 'friday.grades/v1', windowDays: 100 });
    expect(grades.fans.mifan_42.grade).toBe('tester');
    const awards = JSON.parse(readFileSync(join(repo, 'ota/releases/2026.48.0/awards.json'), 'utf8'));
    expect(awards).toMatchObject({ type: 'friday.awards/v1', version: '2026.48.0', channel: 'beta' });
    expect(awards.awards.map((a: { kind: string; winner: unknown }) => [a.kind, a.winner])).toEqual([
      ['popcorn', { id: 107, title: 'Dual-SIM picker remembers the last choice', author: 'u60' }],
      ['bug-hunter', { user: 'orange_tester' }],
      ['tester', { user: 'mifan_42' }],
    ]);
    expect(r.stderr).toContain(
      '✔ awards: Popcorn Award: #107 "Dual-SIM picker remembers the last choice"; Bug Hunter: @orange_tester; Tester of the Week: @mifan_42',
    );
  });
});
