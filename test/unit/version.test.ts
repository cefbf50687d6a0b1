import compare from 'semver/functions/compare.js';
import { describe, expect, it } from 'vitest';
import { compareVersions } from '../../src/client/version.js';
import { bumpOf, bumpOfAll, nextCalver, nextSemver, releaseVersionOf } from '../../src/core/version.js';
import { prng } from '../helpers/index.js';

const friday = new Date('2026-11-27T17:00:00Z');

describe('calver-week', () => {
  it('starts a week at N = 0', () => {
    expect(nextCalver(friday, ['v2026.47.0', 'v2026.47.1'], 'v')).toBe('2026.48.0');
  });
  it('takes 1 + the highest N of the week, ignoring other prefixes and malformed tags', () => {
    expect(nextCalver(friday, ['v2026.48.0', 'v2026.48.2', 'v2026.48.x', 'w2026.48.9', 'v2026.48.03'], 'v')).toBe('2026.48.3');
  });
  it('uses the ISO week-numbering year at the turn of the year', () => {
    expect(nextCalver(new Date('2027-01-01T17:00:00Z'), ['v2026.53.0'], 'v')).toBe('2026.53.1');
    expect(nextCalver(new Date('2025-12-29T17:00:00Z'), [], 'rel-')).toBe('2026.1.0');
  });
});

describe('semver from Conventional Commits', () => {
  it('classifies single messages', () => {
    expect(bumpOf('fix: crash on boot')).toBe('patch');
    expect(bumpOf('feat(camera): night mode')).toBe('minor');
    expect(bumpOf('feat!: drop the old bootloader')).toBe('major');
    expect(bumpOf('refactor(core)!: new partition layout')).toBe('major');
    expect(bumpOf('chore: deps\n\nBREAKING CHANGE: needs a wipe')).toBe('major');
    expect(bumpOf('docs: readme')).toBe('patch');
    expect(bumpOf('Merge branch main')).toBe('patch');
  });
  it('takes the largest bump of the range', () => {
    expect(bumpOfAll(['fix: a', 'feat: b', 'docs: c'])).toBe('minor');
    expect(bumpOfAll([])).toBe('patch');
  });
  it('starts at 1.0.0 and bumps from the previous release', () => {
    expect(nextSemver(null, ['feat!: x'])).toBe('1.0.0');
    expect(nextSemver('1.4.2', ['fix: a'])).toBe('1.4.3');
    expect(nextSemver('1.4.2', ['feat: a'])).toBe('1.5.0');
    expect(nextSemver('1.4.2', ['fix: a', 'feat!: b'])).toBe('2.0.0');
    expect(nextSemver('1.4.2', ['fix: a'], 'major')).toBe('2.0.0');
  });
  it('recognises release tags only with the prefix and a valid version', () => {
    expect(releaseVersionOf('v1.2.3', 'v')).toBe('1.2.3');
    expect(releaseVersionOf('v1.2', 'v')).toBeNull();
    expect(releaseVersionOf('vendor-1', 'v')).toBeNull();
    expect(releaseVersionOf('1.2.3', 'v')).toBeNull();
  });
});

describe('compareVersions (the one version order: src/client/version.ts)', () => {
  it('orders the precedence example of semver.org', () => {
    const order = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
    ];
    expect([...order].reverse().sort(compareVersions)).toEqual(order);
    expect(compareVersions('1.0.0+build.5', '1.0.0+build.7')).toBe(0);
  });

  it('orders numbers past 2^53 by their digits, where the copy in the changelog command called them equal', () => {
    // Both read as the double 1e20: `changelog` picked either tag when both were on one commit.
    expect(Number('99999999999999999999')).toBe(Number('100000000000000000000'));
    expect(compareVersions('1.0.0-99999999999999999999', '1.0.0-100000000000000000000')).toBe(-1);
    expect(compareVersions('2026.48.100000000000000000000', '2026.48.99999999999999999999')).toBe(1);
    expect(compareVersions('2026.48.9007199254740993', '2026.48.9007199254740992')).toBe(1);
    expect(compareVersions('2026.48.9007199254740993', '2026.48.9007199254740993')).toBe(0);
  });

  it('agrees with the semver package on valid versions (property)', () => {
    const r = prng(48);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
    const nums = ['0', '1', '2', '9', '10', '11', '48', '2026'];
    const ids = [...nums, 'alpha', 'beta', 'rc', 'a1', '1a', 'x-y', '-', 'A', 'Z'];
    const version = () =>
      `${pick(nums)}.${pick(nums)}.${pick(nums)}` +
      (r() < 0.6 ? `-${Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(ids)).join('.')}` : '') +
      (r() < 0.2 ? '+b.1' : '');
    for (let i = 0; i < 5000; i++) {
      const a = version(),
        b = version();
      expect([a, b, compareVersions(a, b)]).toEqual([a, b, compare(a, b)]);
    }
  });
});
