/**
 * Which releases `friday prune` may remove (docs/cli.md `prune`), pure: the publish root keeps
 * the newest `keep` releases and every release a device may still be sent to or sent back to.
 */
import { compareVersions, timeOf, type ManifestBody } from '../client/index.js';
import { rollbackTarget } from './manifest.js';

/** What one channel holds: its live and staged manifests and its history. */
export interface ChannelHolding {
  name: string;
  live: ManifestBody | null;
  staged: ManifestBody | null;
  history: ManifestBody[];
}

export interface PrunePlan {
  /** Newest first. */
  remove: string[];
  keep: { version: string; why: string }[];
}

export function planPrune(releases: readonly string[], keep: number, channels: readonly ChannelHolding[], now: Date): PrunePlan {
  const why = new Map<string, string>();
  const hold = (version: string, reason: string) => {
    if (!why.has(version)) why.set(version, reason);
  };
  const sorted = [...releases].sort((a, b) => compareVersions(b, a));
  sorted.slice(0, keep).forEach((v, i) => hold(v, `one of the newest ${keep} (${i + 1})`));
  for (const c of channels) {
    if (c.live) hold(c.live.release.version, `live on ${c.name}`);
    if (c.staged) hold(c.staged.release.version, `staged on ${c.name}`);
    // A manifest not yet expired can still be served by a mirror or a cache: its files must stay.
    for (const m of c.history)
      if (timeOf(m.expiresAt) > now.getTime()) hold(m.release.version, `in ${c.name}'s history until ${m.expiresAt}`);
    // What a rollback of the live release would go back to, at once and without a re-hash.
    const target = c.live && rollbackTarget(c.history, c.live.release.version, [...c.live.blocked, c.live.release.version]);
    if (target) hold(target.release.version, `what ${c.name} rolls back to`);
  }
  return {
    remove: sorted.filter((v) => !why.has(v)),
    keep: sorted.filter((v) => why.has(v)).map((version) => ({ version, why: why.get(version)! })),
  };
}
