/**
 * Which releases a manifest blocks, fleet-wide and per device model (docs/site.md "Blocked"). The
 * one place that reads a manifest's blocks: `blocked` (every model) and, in `friday.manifest/v2`,
 * `deviceBlocked` (one model only) with what that model is offered instead (`deviceReleases`,
 * docs/manifest.md). Read loosely: the page never fails on a field it does not know.
 */
import type { ManifestBody } from '../../client/manifest.js';
import { arr, obj, str } from './model.js';

export interface Blocks {
  fleet: string[];
  /** Device codename → versions blocked on that model only. */
  byDevice: Record<string, string[]>;
  /** Device codename → the release that model is offered instead of the channel's (a partial rollback). */
  offered: Record<string, string>;
}

export function blocksOf(manifest: ManifestBody | null): Blocks {
  if (!manifest) return { fleet: [], byDevice: {}, offered: {} };
  const fleet = arr(manifest.blocked).flatMap((v) => str(v) ?? []);
  const byDevice: Record<string, string[]> = {};
  for (const [device, list] of Object.entries(obj(manifest.deviceBlocked))) {
    const versions = arr(list).flatMap((v) => str(v) ?? []);
    if (versions.length) byDevice[device] = versions;
  }
  const offered: Record<string, string> = {};
  for (const [device, entry] of Object.entries(obj(manifest.deviceReleases))) {
    const version = str(obj(obj(entry).release).version);
    if (version) offered[device] = version;
  }
  return { fleet, byDevice, offered };
}
