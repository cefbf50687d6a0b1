/** The channel workflow's decisions (src/core/channel.ts) and the build record check, on literals. */
import { describe, expect, it } from 'vitest';
import { buildRecordProblems } from '../../src/core/build-record.js';
import { afterVerdict, chooseRollback, expiredStaged, releaseStep, staleStaged } from '../../src/core/channel.js';
import type { ManifestBody } from '../../src/core/manifest.js';

const NOW = new Date('2026-11-27T17:00:00Z');
const body = (version: string, serial: number, over: Partial<ManifestBody> = {}): ManifestBody => ({
  type: 'friday.manifest/v1',
  product: 'aurora',
  channel: 'beta',
  serial,
  issuedAt: '2026-11-27T16:00:00Z',
  expiresAt: '2026-12-11T16:00:00Z',
  release: { version, tag: `v${version}`, commit: 'c'.repeat(40), builtAt: '2026-11-27T15:00:00Z' },
  rollout: { percent: 10, salt: `salt-${version}` },
  artifacts: { umi: { file: `a-${version}.zip`, url: `releases/${version}/a-${version}.zip`, size: 1, sha256: 'd'.repeat(64) } },
  notes: { popcorn: null, changelog: null },
  rollback: null,
  blocked: [],
  ...over,
});

describe('publish or stage', () => {
  it('publishes at the threshold and stages below it', () => {
    expect(releaseStep(2, 2)).toBe('publish');
    expect(releaseStep(3, 2)).toBe('publish');
    expect(releaseStep(1, 2)).toBe('stage');
    expect(releaseStep(0, 1)).toBe('stage');
  });
});

describe('staged-manifest checks', () => {
  it('a staged serial must follow the live one', () => {
    expect(staleStaged('publish', body('1.0', 3), 2)).toBeNull();
    expect(staleStaged('publish', body('1.0', 1), null)).toBeNull();
    const e = staleStaged('sign', body('1.0', 2), 2);
    expect(e).toMatchObject({ code: 'E_STALE', exit: 1 });
    expect(e?.message).toBe('sign beta: the staged manifest is stale (serial 2, the live serial is 2)');
    expect(e?.hint).toBe('stage it again: friday stage --channel beta --version 1.0');
    expect(staleStaged('publish', body('1.0', 2), null)?.message).toContain('the live serial is none');
  });

  it('an expired staged manifest is refused from its expiry on', () => {
    expect(expiredStaged('sign', body('1.0', 1), NOW)).toBeNull();
    expect(expiredStaged('publish', body('1.0', 1), new Date('2026-12-11T16:00:00Z'))).toMatchObject({ code: 'E_EXPIRED' });
  });
});

describe('the rollback target', () => {
  const h = [body('1.0', 1), body('2.0', 2), body('2.0', 3, { rollout: { percent: 50, salt: 'salt-2.0' } }), body('3.0', 4)];
  const live = h[3]!;

  it('is the newest earlier release that is not blocked, as it was last served (its salt kept)', () => {
    expect(chooseRollback({ live, history: h, from: null })).toEqual({
      kind: 'served',
      good: { release: h[2]!.release, artifacts: h[2]!.artifacts, notes: h[2]!.notes, salt: 'salt-2.0' },
    });
    const blocked = { ...live, blocked: ['2.0'] };
    expect(chooseRollback({ live: blocked, history: h, from: null })).toMatchObject({
      kind: 'served',
      good: { release: { version: '1.0' } },
    });
    expect(chooseRollback({ live: { ...live, blocked: ['1.0', '2.0'] }, history: h, from: null })).toEqual({ kind: 'none' });
  });

  it('--to: a release the channel carried, else one cut (on a channel not fed from another), never the bad or a blocked one', () => {
    expect(chooseRollback({ live, history: h, to: '1.0', from: null })).toMatchObject({
      kind: 'served',
      good: { release: { version: '1.0' } },
    });
    expect(chooseRollback({ live, history: h, to: '0.9', from: null })).toEqual({ kind: 'cut', version: '0.9' });
    expect(() => chooseRollback({ live, history: h, to: '0.9', from: 'alpha' })).toThrow(
      /never live on beta, which takes its releases from alpha/,
    );
    expect(() => chooseRollback({ live, history: h, to: '3.0', from: null })).toThrow(/that is the live release/);
    expect(() => chooseRollback({ live: { ...live, blocked: ['1.0'] }, history: h, to: '1.0', from: null })).toThrow(/blocked on beta/);
    expect(() => chooseRollback({ live, history: h, to: '../x', from: null })).toThrow(/not a version/);
  });
});

describe('what watch does after its verdict', () => {
  const live = body('2.0', 5);
  it('nothing when healthy, waits while unhealthy checks are fewer than needed, rolls back when the rule says so', () => {
    expect(afterVerdict({ rollBack: false, unhealthy: false, live, staged: null })).toEqual({ kind: 'none' });
    expect(afterVerdict({ rollBack: false, unhealthy: true, live, staged: null })).toEqual({ kind: 'wait' });
    expect(afterVerdict({ rollBack: true, unhealthy: true, live, staged: null })).toEqual({ kind: 'roll-back' });
  });

  it('does not stage the rollback again while one waits for a co-signature; a stale or other staged file is no reason to wait', () => {
    const waiting = body('1.0', 6, { rollback: { from: '2.0', reason: 'spike' } });
    expect(afterVerdict({ rollBack: true, unhealthy: true, live, staged: waiting })).toEqual({ kind: 'rollback-waiting', serial: 6 });
    expect(afterVerdict({ rollBack: true, unhealthy: true, live, staged: { ...waiting, serial: 5 } })).toEqual({ kind: 'roll-back' });
    expect(afterVerdict({ rollBack: true, unhealthy: true, live, staged: body('3.0', 6) })).toEqual({ kind: 'roll-back' });
  });
});

describe('the build record check', () => {
  const good = {
    type: 'friday.build/v1',
    product: 'aurora',
    version: '2026.48.0',
    tag: 'v2026.48.0',
    commit: 'c'.repeat(40),
    previousTag: null,
    builtAt: '2026-11-27T16:40:00Z',
    artifacts: [{ device: 'umi', file: 'a.zip', size: 3, sha256: 'd'.repeat(64) }],
  };
  const expect48 = { product: 'aurora', version: '2026.48.0' };

  it('accepts a record as cut writes it', () => {
    expect(buildRecordProblems(good, expect48)).toEqual([]);
  });

  it('names every problem with its field at once', () => {
    const bad = { ...good, product: 'other', tag: '', artifacts: [{ device: 'umi', file: '../x', size: -1, sha256: 'D'.repeat(64) }] };
    expect(buildRecordProblems(bad, expect48)).toEqual([
      'product: must be "aurora"',
      'tag: must be a non-empty string',
      'artifacts.0.file: must be a plain file name',
      'artifacts.0.size: must be a whole number',
      'artifacts.0.sha256: must be 64 lowercase hex digits',
    ]);
    expect(buildRecordProblems(null, expect48)).toContain('artifacts: must list one artifact per device');
    expect(buildRecordProblems({ ...good, version: '2026.47.0' }, expect48)).toEqual(['version: must be "2026.48.0"']);
  });
});
