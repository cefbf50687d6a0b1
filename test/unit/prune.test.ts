/** Which releases `prune` may remove (src/core/prune.ts), on literals. */
import { describe, expect, it } from 'vitest';
import type { ManifestBody } from '../../src/client/index.js';
import { planPrune, type ChannelHolding } from '../../src/core/prune.js';

const NOW = new Date('2026-12-20T12:00:00Z');
const m = (version: string, serial: number, expiresAt = '2026-12-01T00:00:00Z', blocked: string[] = []) =>
  ({ release: { version }, serial, expiresAt, blocked }) as unknown as ManifestBody;
const releases = ['2026.44.0', '2026.45.0', '2026.46.0', '2026.47.0', '2026.48.0', '2026.49.0', '2026.50.0', '2026.51.0'];

describe('planPrune', () => {
  it('keeps the newest n and removes the older ones no channel needs, newest first', () => {
    expect(planPrune(releases, 3, [], NOW)).toEqual({
      remove: ['2026.48.0', '2026.47.0', '2026.46.0', '2026.45.0', '2026.44.0'],
      keep: [
        { version: '2026.51.0', why: 'one of the newest 3 (1)' },
        { version: '2026.50.0', why: 'one of the newest 3 (2)' },
        { version: '2026.49.0', why: 'one of the newest 3 (3)' },
      ],
    });
  });

  it('never removes a release live or staged, in a history entry not yet expired, or what a rollback goes back to', () => {
    const stable: ChannelHolding = {
      name: 'stable',
      live: m('2026.47.0', 9),
      staged: m('2026.48.0', 10),
      history: [
        m('2026.44.0', 5),
        m('2026.45.0', 7, '2026-12-25T00:00:00Z'),
        m('2026.46.0', 8, '2026-12-01T00:00:00Z', ['2026.45.5']),
        m('2026.47.0', 9),
      ],
    };
    const plan = planPrune(releases, 1, [stable], NOW);
    expect(plan.remove).toEqual(['2026.50.0', '2026.49.0', '2026.44.0']);
    expect(Object.fromEntries(plan.keep.map((k) => [k.version, k.why]))).toEqual({
      '2026.51.0': 'one of the newest 1 (1)',
      '2026.48.0': 'staged on stable',
      '2026.47.0': 'live on stable',
      '2026.46.0': 'what stable rolls back to',
      '2026.45.0': "in stable's history until 2026-12-25T00:00:00Z",
    });
  });

  it('does not protect a blocked release as a rollback target', () => {
    const beta: ChannelHolding = {
      name: 'beta',
      live: m('2026.47.0', 3, '2026-12-01T00:00:00Z', ['2026.46.0']),
      staged: null,
      history: [m('2026.46.0', 1), m('2026.45.0', 2), m('2026.47.0', 3)],
    };
    expect(planPrune(releases, 1, [beta], NOW).keep.map((k) => k.version)).toEqual(['2026.51.0', '2026.47.0', '2026.45.0']);
  });
});
