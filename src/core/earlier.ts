/**
 * What the earlier releases of the publish root mean for a release's changelog (docs/changelog.md
 * "What a tester reads"): the releases a tester may have skipped (cut but never live on their
 * channel, or rolled back), and the issues that already won the Popcorn Award. Pure: the caller
 * reads the release folders and the channels' audit logs.
 *
 * Everything is judged as the publish root stood at the cut time, from files that are only ever
 * appended to (events.ndjson) or written once (changelog.json), so printing the changelog of a
 * release again later gives the same answer.
 */
import { timeOf } from '../client/time.js';
import { compareVersions } from '../client/version.js';

/** An earlier release folder, as far as the changelog reads it. */
export interface EarlierRelease {
  version: string;
  /** Its changelog.json (the fields read), or null when missing or unreadable. */
  changelog: { entries: { id: number; title: string; type: string }[]; popcornId: number | null } | null;
  /** Whether its CHANGELOG.md exists. */
  markdown: boolean;
  /** Its Tuesday ceremony (awards.json): the Popcorn Award's winner (null: none) and when it was held. */
  awards?: { popcornId: number | null; heldAt: string };
}

/** A channel's audit lines (docs/formats.md "events.ndjson"), as far as the changelog reads them. */
export interface ChannelLog {
  channel: string;
  events: readonly { at: string; action: string; version: string | null; detail?: unknown }[];
}

/** Why a release between is new to a channel's testers. */
export type BetweenStatus = 'rolled back' | 'never live';

export interface BetweenRelease {
  version: string;
  /** Its CHANGELOG.md, relative to the publish root; null when there is none. */
  changelog: string | null;
  /** The channels whose testers have not had it, each with why. */
  channels: { channel: string; status: BetweenStatus }[];
  /** Its entries, from its changelog.json (empty when unreadable). */
  entries: { id: number; title: string; type: string }[];
}

interface ChannelAtCut {
  channel: string;
  live: string;
  rolledBack: Set<string>;
}

/** The release live on a channel at `cutTime` (its last publish line by then), and what it had rolled back. */
function channelAtCut(log: ChannelLog, cutTime: number): ChannelAtCut | null {
  let live: string | null = null;
  const rolledBack = new Set<string>();
  for (const e of log.events) {
    if (!(timeOf(e.at) <= cutTime)) continue;
    if (e.action === 'publish' && e.version !== null) live = e.version;
    const from = (e.detail as { from?: unknown } | null | undefined)?.from;
    if (e.action === 'rollback' && typeof from === 'string') rolledBack.add(from);
  }
  return live === null ? null : { channel: log.channel, live, rolledBack };
}

/**
 * The releases between each channel's live release (at the cut) and `version`: cut after what a
 * tester on that channel last received, so this release brings them too. A channel that carried
 * nothing yet has no testers to tell. `skip`: versions this changelog already covers (folded
 * prereleases).
 */
export function releasesBetween(i: {
  version: string;
  cutTime: number;
  releases: readonly EarlierRelease[];
  channels: readonly ChannelLog[];
  skip: ReadonlySet<string>;
}): BetweenRelease[] {
  const channels = i.channels.map((c) => channelAtCut(c, i.cutTime)).filter((c): c is ChannelAtCut => c !== null);
  const out: BetweenRelease[] = [];
  for (const r of [...i.releases].sort((a, b) => compareVersions(a.version, b.version))) {
    if (i.skip.has(r.version) || compareVersions(r.version, i.version) >= 0) continue;
    const missed = channels
      .filter((c) => compareVersions(r.version, c.live) > 0)
      .map((c) => ({ channel: c.channel, status: (c.rolledBack.has(r.version) ? 'rolled back' : 'never live') as BetweenStatus }));
    if (missed.length === 0) continue;
    out.push({
      version: r.version,
      changelog: r.markdown ? `releases/${r.version}/CHANGELOG.md` : null,
      channels: missed,
      entries: r.changelog?.entries ?? [],
    });
  }
  return out;
}

/** The issues that won the Popcorn Award before `version` (every release when null), each with the release. */
export function earlierWinners(
  releases: readonly EarlierRelease[],
  version: string | null,
  skip: ReadonlySet<string>,
  cutTime = Infinity,
): Map<number, string> {
  const won = new Map<number, string>();
  for (const r of [...releases].sort((a, b) => compareVersions(a.version, b.version))) {
    // The fans' ceremony decides the winner once it was held (by the cut time, so a changelog
    // printed again later reads the same); before it, the changelog's first nominee stands for it.
    const held = r.awards !== undefined && timeOf(r.awards.heldAt) <= cutTime;
    const id = held ? r.awards!.popcornId : (r.changelog?.popcornId ?? null);
    if (id === null || skip.has(r.version) || (version !== null && compareVersions(r.version, version) >= 0)) continue;
    if (!won.has(id)) won.set(id, r.version);
  }
  return won;
}
