import { describe, expect, it } from 'vitest';
import { bumpOf, bumpOfAll, nextCalver, nextSemver, releaseVersionOf } from '../../src/core/version.js';

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
