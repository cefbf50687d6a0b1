/** What earlier releases mean for a changelog: the releases a channel's testers skipped, and earlier Popcorn winners. */
import { describe, expect, it } from 'vitest';
import { earlierWinners, releasesBetween, type ChannelLog, type EarlierRelease } from '../../src/core/earlier.js';

const release = (version: string, popcornId: number | null = null, markdown = true): EarlierRelease => ({
  version,
  changelog: { entries: [{ id: Number(version.split('.')[1]), title: `Change of ${version}`, type: 'feature' }], popcornId },
  markdown,
});
const RELEASES = [release('2026.45.0', 7), release('2026.46.0', 9), release('2026.47.0', 7), release('2026.47.1-rc.1', null, false)];
const publish = (at: string, version: string) => ({ at, action: 'publish', version });
const CHANNELS: ChannelLog[] = [
  {
    channel: 'beta',
    events: [
      publish('2026-11-13T17:00:00Z', '2026.46.0'),
      { at: '2026-11-20T17:00:00Z', action: 'stage', version: '2026.47.0' },
      publish('2026-11-20T18:00:00Z', '2026.47.0'),
      {
        at: '2026-11-21T09:00:00Z',
        action: 'rollback',
        version: '2026.46.0',
        detail: { from: '2026.47.0', to: '2026.46.0', reason: 'crashes' },
      },
      publish('2026-11-21T09:00:00Z', '2026.46.0'),
      publish('2026-11-28T09:00:00Z', '2026.48.0'), // after the cut: not counted
    ],
  },
  { channel: 'stable', events: [publish('2026-11-06T17:00:00Z', '2026.45.0')] },
  { channel: 'nightly', events: [{ at: '2026-11-20T17:00:00Z', action: 'stage', version: '2026.47.0' }] }, // never live: no testers
];
const CUT = Date.parse('2026-11-27T17:00:00Z');

describe('releasesBetween', () => {
  it("lists each release above a channel's live one, saying per channel why its testers lack it", () => {
    const between = releasesBetween({ version: '2026.48.0', cutTime: CUT, releases: RELEASES, channels: CHANNELS, skip: new Set() });
    expect(between.map((b) => [b.version, b.changelog, b.channels])).toEqual([
      ['2026.46.0', 'releases/2026.46.0/CHANGELOG.md', [{ channel: 'stable', status: 'never live' }]],
      [
        '2026.47.0',
        'releases/2026.47.0/CHANGELOG.md',
        [
          { channel: 'beta', status: 'rolled back' },
          { channel: 'stable', status: 'never live' },
        ],
      ],
      [
        '2026.47.1-rc.1',
        null,
        [
          { channel: 'beta', status: 'never live' },
          { channel: 'stable', status: 'never live' },
        ],
      ],
    ]);
    expect(between[1]!.entries).toEqual([{ id: 47, title: 'Change of 2026.47.0', type: 'feature' }]);
  });

  it('judges the channels as they stood at the cut, and leaves out what the range folds in', () => {
    const early = Date.parse('2026-11-20T20:00:00Z'); // 47 live on beta then
    const between = releasesBetween({
      version: '2026.48.0',
      cutTime: early,
      releases: RELEASES,
      channels: CHANNELS,
      skip: new Set(['2026.47.1-rc.1']),
    });
    expect(between.map((b) => [b.version, b.channels.map((c) => c.channel)])).toEqual([
      ['2026.46.0', ['stable']],
      ['2026.47.0', ['stable']],
    ]);
    expect(releasesBetween({ version: '2026.48.0', cutTime: CUT, releases: RELEASES, channels: [], skip: new Set() })).toEqual([]);
  });
});

describe('earlierWinners', () => {
  it('names each earlier winner once, with the release it first won in', () => {
    expect([...earlierWinners(RELEASES, '2026.47.0', new Set())]).toEqual([
      [7, '2026.45.0'],
      [9, '2026.46.0'],
    ]);
    expect([...earlierWinners(RELEASES, '2026.46.0', new Set())]).toEqual([[7, '2026.45.0']]);
    expect(earlierWinners(RELEASES, null, new Set(['2026.45.0', '2026.47.0'])).get(7)).toBeUndefined();
  });

  it('takes the winner of a release’s Tuesday ceremony over its changelog’s first nominee, once held by the cut time', () => {
    const held = [{ ...release('2026.45.0', 7), awards: { popcornId: 8, heldAt: '2026-11-10T17:00:00Z' } }, release('2026.46.0', 9)];
    expect([...earlierWinners(held, '2026.47.0', new Set(), Date.parse('2026-11-20T17:00:00Z'))]).toEqual([
      [8, '2026.45.0'],
      [9, '2026.46.0'],
    ]);
    // Printed as it stood before the ceremony: the nominee.
    expect(earlierWinners(held, '2026.47.0', new Set(), Date.parse('2026-11-09T17:00:00Z')).get(7)).toBe('2026.45.0');
    // A ceremony without a winner: no award that week.
    const none = [{ ...release('2026.45.0', 7), awards: { popcornId: null, heldAt: '2026-11-10T17:00:00Z' } }];
    expect(earlierWinners(none, '2026.47.0', new Set()).size).toBe(0);
  });
});
