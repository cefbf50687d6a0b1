/** The channel rules of src/core/manifest.ts, on literals. */
import { describe, expect, it } from 'vitest';
import {
  addSignatures,
  baselineVersion,
  chooseSalt,
  nextSerial,
  nextStage,
  parsePercent,
  reissueBody,
  releaseHistory,
  renewDue,
  rollbackBody,
  rollbackTarget,
  soakCheck,
  stageBody,
  wentLive,
  type EventLike,
  type ManifestBody,
} from '../../src/core/manifest.js';
import type { BuildRecord } from '../../src/core/build-record.js';

const build = (version: string): BuildRecord => ({
  type: 'friday.build/v1',
  product: 'aurora',
  version,
  tag: `v${version}`,
  commit: 'c'.repeat(40),
  previousTag: null,
  builtAt: '2026-11-27T16:40:00Z',
  artifacts: [{ device: 'umi', file: `aurora-umi-${version}.zip`, size: 3, sha256: 'd'.repeat(64) }],
});
const notes = { popcorn: null, changelog: null };
const NOW = new Date('2026-11-27T17:00:00Z');
const stage = (live: ManifestBody | null, version: string, percent = 10) =>
  stageBody({
    product: 'aurora',
    channel: 'stable',
    live,
    build: build(version),
    notes,
    percent,
    freshSalt: 'f'.repeat(32),
    now: NOW,
    expiresDays: 30,
  });
const ev = (at: string, action: string, version: string | null, serial: number | null = null): EventLike => ({
  at,
  action,
  version,
  serial,
});

describe('building manifests', () => {
  it('stages the next serial with expiry from the policy and relative artifact urls', () => {
    const b = stage(null, '2026.48.0');
    expect(b).toMatchObject({
      serial: 1,
      issuedAt: '2026-11-27T17:00:00Z',
      expiresAt: '2026-12-27T17:00:00Z',
      rollout: { percent: 10, salt: 'f'.repeat(32) },
      rollback: null,
      blocked: [],
    });
    expect(b.artifacts.umi).toEqual({
      file: 'aurora-umi-2026.48.0.zip',
      url: 'releases/2026.48.0/aurora-umi-2026.48.0.zip',
      size: 3,
      sha256: 'd'.repeat(64),
    });
    expect(nextSerial(b)).toBe(2);
  });
  it('keeps the salt while the same release widens, takes a fresh one for a new release, and carries blocked', () => {
    const live = { ...stage(null, '2026.48.0'), rollout: { percent: 10, salt: '1'.repeat(32) }, blocked: ['2026.46.0'] };
    expect(chooseSalt(live, '2026.48.0', 'f'.repeat(32))).toBe('1'.repeat(32));
    expect(stage(live, '2026.48.0').rollout.salt).toBe('1'.repeat(32));
    expect(stage(live, '2026.49.0').rollout.salt).toBe('f'.repeat(32));
    expect(stage(live, '2026.49.0').blocked).toEqual(['2026.46.0']);
    const wider = reissueBody(live, new Date('2026-11-28T00:00:00Z'), 30, { percent: 50 });
    expect(wider).toMatchObject({
      serial: 2,
      rollout: { percent: 50, salt: '1'.repeat(32) },
      issuedAt: '2026-11-28T00:00:00Z',
      release: live.release,
    });
  });
  it('a rollback carries the good release at 100 %, names the bad one and blocks it once', () => {
    const good = stage(null, '2026.47.0');
    const live = { ...stage(good, '2026.48.0'), blocked: ['2026.46.0'] };
    const rb = rollbackBody(live, { ...good, salt: good.rollout.salt }, 'crash spike', NOW, 30, 'e'.repeat(32));
    expect(rb).toMatchObject({
      serial: 3,
      release: { version: '2026.47.0' },
      rollout: { percent: 100, salt: 'f'.repeat(32) },
      rollback: { from: '2026.48.0', reason: 'crash spike' },
      blocked: ['2026.46.0', '2026.48.0'],
    });
  });
  it('the rollback target is the newest earlier release neither bad nor blocked', () => {
    const h = [
      stage(null, '2026.45.0'),
      { ...stage(null, '2026.46.0'), serial: 2 },
      { ...stage(null, '2026.47.0'), serial: 3 },
      { ...stage(null, '2026.47.0'), serial: 4 },
      { ...stage(null, '2026.48.0'), serial: 5 },
    ];
    expect(rollbackTarget(h, '2026.48.0', ['2026.48.0'])?.serial).toBe(4);
    expect(rollbackTarget(h, '2026.48.0', ['2026.48.0', '2026.47.0'])?.release.version).toBe('2026.46.0');
    expect(rollbackTarget(h.slice(4), '2026.48.0', ['2026.48.0'])).toBeNull();
  });
  it('adds signatures, replacing a key that signs again', () => {
    const b = stage(null, '2026.48.0');
    const s1 = { keyid: 'k1', sign: () => Buffer.from([1]) },
      s2 = { keyid: 'k2', sign: () => Buffer.from([2]) };
    const one = addSignatures({ signed: b, signatures: [] }, [s1]);
    const two = addSignatures(addSignatures(one, [s2]), [{ keyid: 'k1', sign: () => Buffer.from([3]) }]);
    expect(two.signatures).toEqual([
      { keyid: 'k2', sig: 'Ag==' },
      { keyid: 'k1', sig: 'Aw==' },
    ]);
  });
});

describe('rollout stages', () => {
  it('parses percentages and finds the next stage', () => {
    expect(parsePercent('12.5')).toBe(12.5);
    expect(parsePercent('50%')).toBe(50);
    for (const bad of ['101', '-1', '1.234', 'abc', '', '1e2']) expect(parsePercent(bad)).toBeNull();
    expect(nextStage([10, 50, 100], 10)).toBe(50);
    expect(nextStage([10, 50, 100], 25)).toBe(50);
    expect(nextStage([10, 50, 100], 100)).toBeNull();
  });
});

describe('renew', () => {
  it('is due when less than a third of the validity is left', () => {
    const b = { issuedAt: '2026-11-01T00:00:00Z', expiresAt: '2026-12-01T00:00:00Z' };
    expect(renewDue(b, new Date('2026-11-20T23:00:00Z'))).toBe(false);
    expect(renewDue(b, new Date('2026-11-21T00:00:01Z'))).toBe(true);
    expect(renewDue(b, new Date('2026-12-05T00:00:00Z'))).toBe(true);
  });
});

describe('went live, history, baseline, soak', () => {
  const events = [
    ev('2026-11-01T00:00:00Z', 'stage', '2026.44.0', 1),
    ev('2026-11-01T00:00:00Z', 'publish', '2026.44.0', 1),
    ev('2026-11-08T00:00:00Z', 'publish', '2026.45.0', 2),
    ev('2026-11-09T00:00:00Z', 'rollout', '2026.45.0', 3),
    ev('2026-11-09T00:00:00Z', 'publish', '2026.45.0', 3),
    ev('2026-11-10T00:00:00Z', 'watch', '2026.45.0'),
    ev('2026-11-15T00:00:00Z', 'publish', '2026.46.0', 4),
    ev('2026-11-16T00:00:00Z', 'rollback', '2026.45.0', 5),
    ev('2026-11-16T00:00:00Z', 'publish', '2026.45.0', 5),
    ev('2026-11-22T00:00:00Z', 'publish', '2026.47.0', 6),
    ev('2026-11-23T00:00:00Z', 'renew', '2026.47.0', 7),
    ev('2026-11-23T00:00:00Z', 'publish', '2026.47.0', 7),
  ];
  it('a rollout or renew does not restart the go-live time; going live again does', () => {
    expect(releaseHistory(events).map((p) => [p.version, p.from, p.to])).toEqual([
      ['2026.44.0', '2026-11-01T00:00:00Z', '2026-11-08T00:00:00Z'],
      ['2026.45.0', '2026-11-08T00:00:00Z', '2026-11-15T00:00:00Z'],
      ['2026.46.0', '2026-11-15T00:00:00Z', '2026-11-16T00:00:00Z'],
      ['2026.45.0', '2026-11-16T00:00:00Z', '2026-11-22T00:00:00Z'],
      ['2026.47.0', '2026-11-22T00:00:00Z', null],
    ]);
    expect(wentLive(events, '2026.47.0')).toBe('2026-11-22T00:00:00Z');
    expect(wentLive(events, '2026.45.0')).toBe('2026-11-16T00:00:00Z');
    expect(wentLive(events, '2026.99.0')).toBeNull();
  });
  it('the baseline is the newest earlier release that is not blocked and not the candidate', () => {
    expect(baselineVersion(events, '2026.47.0', ['2026.46.0'])).toBe('2026.45.0');
    expect(baselineVersion(events, '2026.47.0', ['2026.45.0'])).toBe('2026.46.0');
    expect(baselineVersion(events, '2026.47.0', ['2026.45.0', '2026.46.0'])).toBe('2026.44.0');
    expect(baselineVersion(events.slice(0, 2), '2026.44.0', [])).toBeNull();
  });
  it('soak: hours live on `from` in the latest live period, never when blocked there', () => {
    const now = new Date('2026-11-29T00:00:00Z');
    expect(soakCheck(events, [], 'beta', '2026.47.0', 168, now)).toEqual({ ok: true, hours: 168 });
    const early = soakCheck(events, [], 'beta', '2026.47.0', 168, new Date('2026-11-28T00:00:00Z'));
    expect(early.ok).toBe(false);
    expect(early).toEqual({
      ok: false,
      why:
        '2026.47.0 has been live on beta since 2026-11-22T00:00:00Z, 144.0 h of the 168 h soak (the soak counts from when it last ' +
        'went live on beta, for as long as it stays live there without interruption and is not blocked); it may move on at 2026-11-29T00:00:00Z',
      allowedAt: '2026-11-29T00:00:00Z',
    });
    // Replaced on beta after a day: no time to come back at, it must go live there again.
    expect(soakCheck(events, [], 'beta', '2026.46.0', 168, now)).toEqual({
      ok: false,
      why:
        '2026.46.0 was live on beta only from 2026-11-15T00:00:00Z to 2026-11-16T00:00:00Z, 24.0 h of the 168 h soak; the soak counts ' +
        'from when it last went live on beta, for as long as it stays live there without interruption and is not blocked, so it must go ' +
        'live on beta again and stay 168 h',
      allowedAt: null,
    });
    expect(soakCheck(events, ['2026.47.0'], 'beta', '2026.47.0', 0, now)).toEqual({
      ok: false,
      why: '2026.47.0 is blocked on beta (it was rolled back there)',
      allowedAt: null,
    });
    expect(soakCheck(events, [], 'beta', '2026.99.0', 0, now)).toEqual({
      ok: false,
      why: '2026.99.0 has never been live on beta',
      allowedAt: null,
    });
    // A soak of a fraction of a second more than whole seconds: the time given is one at which it has passed.
    const odd = soakCheck(events, [], 'beta', '2026.47.0', 168.0001, new Date('2026-11-28T00:00:00Z'));
    expect(odd).toMatchObject({ ok: false, allowedAt: '2026-11-29T00:00:01Z' });
    expect(soakCheck(events, [], 'beta', '2026.47.0', 168.0001, new Date('2026-11-29T00:00:01Z')).ok).toBe(true);
  });
});
