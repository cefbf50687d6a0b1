/** Rollouts that advance on their own (docs/formats.md "Channel policies", `advance`): the stage and the decision, pure. */
import { describe, expect, it } from 'vitest';
import type { ManifestBody } from '../../src/client/manifest.js';
import {
  decideAdvance,
  firstUnhealthyCheck,
  stageStart,
  stageStatus,
  type AdvanceEvent,
  type AdvanceFacts,
} from '../../src/core/advance.js';

const V = '2026.48.0';
const ev = (at: string, action: string, serial: number | null, detail: unknown = null, version: string | null = V): AdvanceEvent => ({
  at,
  action,
  serial,
  version,
  detail,
});
const live = (serial: number, percent: number, version = V) => ({
  serial,
  release: { version, tag: `v${version}`, commit: 'a'.repeat(40), builtAt: '2026-11-27T16:40:00Z' },
  rollout: { percent, salt: '0'.repeat(32) },
});

/** stable: 2026.47.0 at 100 %, then 2026.48.0 staged at 10 % (Dec 1), renewed, widened to 50 % (Dec 2), renewed. */
const LOG: AdvanceEvent[] = [
  ev('2026-11-20T10:00:00Z', 'stage', 1, { rollout: 100 }, '2026.47.0'),
  ev('2026-11-20T10:00:00Z', 'publish', 1, { rollout: 100 }, '2026.47.0'),
  ev('2026-12-01T10:00:00Z', 'stage', 2, { rollout: 10 }),
  ev('2026-12-01T10:00:00Z', 'publish', 2, { rollout: 10 }),
  ev('2026-12-01T12:00:00Z', 'watch', 2, { verdict: 'insufficient-data' }),
  ev('2026-12-01T20:00:00Z', 'renew', 3, {}),
  ev('2026-12-01T20:00:00Z', 'publish', 3, { rollout: 10, via: 'renew' }),
  ev('2026-12-02T11:00:00Z', 'rollout', 4, { from: 10, to: 50, by: 'watch' }),
  ev('2026-12-02T11:00:00Z', 'publish', 4, { rollout: 50, via: 'rollout' }),
  ev('2026-12-02T12:00:00Z', 'watch', 4, { verdict: 'healthy' }),
  ev('2026-12-02T20:00:00Z', 'renew', 5, {}),
  ev('2026-12-02T20:00:00Z', 'publish', 5, { rollout: 50, via: 'renew' }),
];

describe('the stage', () => {
  it('began at the publish that set the live percent; a renew does not restart it', () => {
    expect(stageStart(LOG.slice(0, 7), live(3, 10))).toBe('2026-12-01T10:00:00Z');
    expect(stageStart(LOG, live(5, 50))).toBe('2026-12-02T11:00:00Z');
  });

  it('a rollout by hand starts a new stage, even back to a percent seen before', () => {
    const log = [
      ...LOG,
      ev('2026-12-03T08:00:00Z', 'rollout', 6, { from: 50, to: 10 }),
      ev('2026-12-03T08:00:00Z', 'publish', 6, { rollout: 10, via: 'rollout' }),
    ];
    expect(stageStart(log, live(6, 10))).toBe('2026-12-03T08:00:00Z');
  });

  it('a staged manifest published later (a co-signed stage or rollout) starts its stage when it went live', () => {
    const log = [
      ...LOG,
      ev('2026-12-03T08:00:00Z', 'rollout', 6, { from: 50, to: 100, staged: true }),
      ev('2026-12-03T09:00:00Z', 'sign', 6, {}),
      ev('2026-12-03T09:30:00Z', 'publish', 6, { rollout: 100 }),
    ];
    expect(stageStart(log, live(6, 100))).toBe('2026-12-03T09:30:00Z');
  });

  it('a publish completed after a killed run keeps the stage when nothing changed, and starts one when the percent did', () => {
    const recovered = (serial: number) => ev('2026-12-03T08:00:00Z', 'publish', serial, { recovered: true });
    expect(stageStart([...LOG, recovered(6)], live(6, 50))).toBe('2026-12-02T11:00:00Z');
    expect(stageStart([...LOG, recovered(6)], live(6, 100))).toBe('2026-12-03T08:00:00Z');
  });

  it('a new release starts a new stage; no publish line of the live serial gives null', () => {
    const log = [...LOG, ev('2026-12-08T10:00:00Z', 'publish', 6, { rollout: 10, via: 'stage' }, '2026.49.0')];
    expect(stageStart(log, live(6, 10, '2026.49.0'))).toBe('2026-12-08T10:00:00Z');
    expect(stageStart(LOG, live(9, 50))).toBeNull();
    expect(stageStart([], live(1, 10))).toBeNull();
  });

  it('finds the first unhealthy check of the candidate since the stage began, fleet or model', () => {
    const log = [
      ev('2026-12-01T11:00:00Z', 'watch', 2, { verdict: 'unhealthy' }),
      ev('2026-12-01T12:00:00Z', 'watch', 2, { verdict: 'unhealthy' }, '2026.47.0'),
      ev('2026-12-01T13:00:00Z', 'watch', 2, { verdict: 'healthy', unhealthyModels: [] }),
      ev('2026-12-01T14:00:00Z', 'watch', 2, { verdict: 'healthy', unhealthyModels: ['umi'] }),
    ];
    expect(firstUnhealthyCheck(log, V, '2026-12-01T10:00:00Z')).toBe('2026-12-01T11:00:00Z');
    expect(firstUnhealthyCheck(log, V, '2026-12-01T11:00:01Z')).toBe('2026-12-01T14:00:00Z');
    expect(firstUnhealthyCheck(log.slice(0, 3), V, '2026-12-01T11:00:01Z')).toBeNull();
  });
});

describe('the decision', () => {
  const facts = (over: Partial<AdvanceFacts> = {}): AdvanceFacts => ({
    policy: { afterHours: 24, minDevices: 200, maxHours: 96 },
    stages: [10, 50, 100],
    live: { rollout: { percent: 10, salt: '0'.repeat(32) }, rollback: null },
    since: '2026-12-01T10:00:00Z',
    now: new Date('2026-12-02T10:00:00Z'),
    devices: 200,
    verdict: 'healthy',
    unhealthyModels: [],
    unhealthyAt: null,
    ...over,
  });
  const at = (h: number) => new Date(Date.parse('2026-12-01T10:00:00Z') + h * 3_600_000);

  it('advances to the next stage at afterHours exactly, with minDevices exactly, and says why', () => {
    const d = decideAdvance(facts());
    expect(d).toMatchObject({ kind: 'advance', from: 10, to: 50, stage: { percent: 10, hours: 24, devices: 200, next: 50 } });
    if (d.kind === 'advance')
      expect(d.reason).toMatch(/^healthy at 10% for 24\.0 h .*200 devices .*no unhealthy check since 2026-12-01T10:00:00Z$/);
    expect(decideAdvance(facts({ live: { rollout: { percent: 50, salt: '' }, rollback: null } }))).toMatchObject({ to: 100 });
    // A percent set by hand between stages goes on to the next stage above it.
    expect(decideAdvance(facts({ live: { rollout: { percent: 30, salt: '' }, rollback: null } }))).toMatchObject({ from: 30, to: 50 });
  });

  it('holds when any condition fails, saying which', () => {
    const hold = (over: Partial<AdvanceFacts>) => decideAdvance(facts(over));
    expect(hold({ now: at(23.9) })).toMatchObject({ kind: 'hold', stuck: false, why: expect.stringMatching(/23\.9 h of the 24 h/) });
    expect(hold({ devices: 199 })).toMatchObject({ kind: 'hold', why: expect.stringMatching(/^too few devices: 199 of the 200/) });
    expect(hold({ verdict: 'insufficient-data' })).toMatchObject({ kind: 'hold', why: expect.stringMatching(/^too few devices/) });
    expect(hold({ verdict: 'unhealthy' })).toMatchObject({ kind: 'hold', why: 'an unhealthy check: this one' });
    expect(hold({ unhealthyModels: ['umi'] })).toMatchObject({ kind: 'hold', why: 'an unhealthy check: this one (umi)' });
    expect(hold({ unhealthyAt: '2026-12-01T15:00:00Z' })).toMatchObject({
      kind: 'hold',
      why: 'an unhealthy check at 2026-12-01T15:00:00Z, since the stage began',
    });
  });

  it('is stuck once the stage is older than maxHours without advancing', () => {
    expect(decideAdvance(facts({ now: at(96), devices: 10 }))).toMatchObject({ kind: 'hold', stuck: false });
    expect(decideAdvance(facts({ now: at(96.1), devices: 10 }))).toMatchObject({
      kind: 'hold',
      stuck: true,
      why: expect.stringMatching(/^too few devices/),
    });
    expect(decideAdvance(facts({ now: at(200), unhealthyAt: '2026-12-01T15:00:00Z' }))).toMatchObject({ stuck: true });
  });

  it('decides nothing by hand (advance null), at 100 %, or on a rollback', () => {
    expect(decideAdvance(facts({ policy: null }))).toEqual({ kind: 'off' });
    expect(decideAdvance(facts({ live: { rollout: { percent: 100, salt: '' }, rollback: null } }))).toEqual({ kind: 'off' });
    expect(decideAdvance(facts({ live: { rollout: { percent: 10, salt: '' }, rollback: { from: '2026.49.0', reason: 'x' } } }))).toEqual({
      kind: 'off',
    });
  });
});

describe('what status shows', () => {
  const policy = { advance: { afterHours: 24, minDevices: 200, maxHours: 96 }, rollout: [10, 50, 100] };
  const body = (serial: number, percent: number): ManifestBody => ({
    ...live(serial, percent),
    type: 'friday.manifest/v1' as ManifestBody['type'],
    product: 'aurora',
    channel: 'stable',
    issuedAt: '2026-12-02T20:00:00Z',
    expiresAt: '2027-01-01T20:00:00Z',
    artifacts: {},
    notes: { popcorn: null, changelog: null },
    rollback: null,
    blocked: [],
  });
  const check = (at: string, verdict: string, stageDevices: number) => ev(at, 'watch', 5, { verdict, candidate: { stageDevices } });
  const now = new Date('2026-12-07T00:00:00Z'); // 109 h after the stage at 50 % began

  it('the stage, stuck past maxHours with why, and the widening by watch that set it', () => {
    const s = stageStatus({ events: [...LOG, check('2026-12-06T00:00:00Z', 'healthy', 150)], live: body(5, 50), policy, now });
    expect(s.lastAdvance).toEqual({ at: '2026-12-02T11:00:00Z', serial: 4, from: 10, to: 50, by: 'watch', reason: undefined });
    expect(s.stage).toEqual({
      percent: 50,
      since: '2026-12-02T11:00:00Z',
      hours: 109,
      next: 100,
      stuck: true,
      why: 'too few devices: 150 of the 200 needed had reported since the stage began at the last check (2026-12-06T00:00:00Z)',
    });
    const why = (events: AdvanceEvent[]) => stageStatus({ events: [...LOG, ...events], live: body(5, 50), policy, now }).stage?.why;
    expect(why([])).toBe('the last check (2026-12-02T12:00:00Z) did not widen it: see friday watch --channel stable');
    const noCheck = LOG.filter((e) => e.action !== 'watch');
    expect(stageStatus({ events: noCheck, live: body(5, 50), policy, now }).stage?.why).toBe('no watch check since the stage began');
    expect(why([check('2026-12-03T00:00:00Z', 'unhealthy', 900), check('2026-12-06T00:00:00Z', 'healthy', 900)])).toBe(
      'an unhealthy check at 2026-12-03T00:00:00Z, since the stage began',
    );
    expect(stageStatus({ events: LOG, live: body(5, 50), policy, now: new Date('2026-12-03T11:00:00Z') }).stage).toMatchObject({
      hours: 24,
      stuck: false,
      why: null,
    });
  });

  it('no stage at 100 %, on a rollback, or when the policy widens by hand', () => {
    expect(stageStatus({ events: LOG, live: body(5, 100), policy, now }).stage).toBeNull();
    expect(stageStatus({ events: LOG, live: body(5, 50), policy: { ...policy, advance: null }, now }).stage).toBeNull();
    expect(stageStatus({ events: LOG, live: { ...body(5, 50), rollback: { from: 'x', reason: 'y' } }, policy, now }).stage).toBeNull();
  });
});
