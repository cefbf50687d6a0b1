/**
 * Which releases a manifest blocks, fleet-wide and per device model (docs/site.md "Blocked"). The
 * one place that reads a manifest's blocks: `friday.manifest/v1` has only the fleet-wide
 * `blocked` list; a later manifest format with per-device blocks extends this function alone.
 */
import type { ManifestBody } from '../../client/manifest.js';
import { arr, obj, str } from './model.js';

export interface Blocks {
  fleet: string[];
  /** Device codename → versions blocked on that model only. */
  byDevice: Record<string, string[]>;
}

export function blocksOf(manifest: ManifestBody | null): Blocks {
  if (!manifest) return { fleet: [], byDevice: {} };
  const fleet = arr(manifest.blocked).flatMap((v) => str(v) ?? []);
  const byDevice: Record<string, string[]> = {};
  // Per-device entries, when a manifest carries them: `devices.<codename>.blocked` (read loosely).
  for (const [device, d] of Object.entries(obj((manifest as unknown as Record<string, unknown>).devices))) {
    const list = arr(obj(d).blocked).flatMap((v) => str(v) ?? []);
    if (list.length) byDevice[device] = list;
  }
  return { fleet, byDevice };
}
