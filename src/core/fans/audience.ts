/**
 * A closed beta's audience (docs/fans.md "The closed beta"): the registered devices of every fan
 * whose grade is `minGrade` or higher, each as its salted hash, sorted, without duplicates. Pure.
 */
import { audienceEntry } from '../../client/rollout.js';
import type { ManifestBody } from '../../client/manifest.js';
import type { FansConfig, GradesDoc } from './grades.js';
import { ownedDevices } from './grades.js';

export function audienceOf(
  minGrade: string,
  salt: string,
  i: { grades: GradesDoc; devices: Readonly<Record<string, readonly string[]>>; config: Pick<FansConfig, 'grades'> },
): NonNullable<ManifestBody['audience']> {
  const rank = (g: string | null) => (g === null ? -1 : i.config.grades.findIndex((x) => x.name === g));
  const floor = rank(minGrade);
  // An id two fans registered belongs to neither (the grades count it for neither too).
  const { owned } = ownedDevices(i.devices);
  const entries = new Set<string>();
  for (const [user, ids] of owned) {
    const fan = Object.hasOwn(i.grades.fans, user) ? i.grades.fans[user] : undefined;
    if (fan === undefined || rank(fan.grade) < floor || floor < 0) continue;
    for (const id of ids) entries.add(audienceEntry(salt, id));
  }
  return { minGrade, devices: [...entries].sort() };
}
