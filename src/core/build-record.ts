/**
 * The build record, `<publish>/releases/<version>/build.json` (docs/formats.md "build.json"):
 * what `cut` hashed and tagged, and what every manifest signs. One type, one check; the one
 * reader is `readBuildRecord` in src/io/releases.ts.
 */
import { isPlainFileName } from '../client/manifest.js';
import { timeOf } from '../client/time.js';

export const BUILD_TYPE = 'friday.build/v1';

export interface BuildArtifact {
  device: string;
  file: string;
  size: number;
  sha256: string;
}

export interface BuildRecord {
  type: typeof BUILD_TYPE;
  product: string;
  version: string;
  tag: string;
  commit: string;
  previousTag: string | null;
  builtAt: string;
  artifacts: BuildArtifact[];
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Every problem of a parsed build.json at once, as `field: why`; none means it is a BuildRecord. */
export function buildRecordProblems(value: unknown, expect: { product: string; version: string }): string[] {
  const v = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  const problems: string[] = [];
  if (v.type !== BUILD_TYPE) problems.push(`type: must be "${BUILD_TYPE}"`);
  if (v.product !== expect.product) problems.push(`product: must be "${expect.product}"`);
  if (v.version !== expect.version) problems.push(`version: must be "${expect.version}"`);
  for (const f of ['tag', 'commit']) if (typeof v[f] !== 'string' || !v[f]) problems.push(`${f}: must be a non-empty string`);
  if (typeof v.builtAt !== 'string' || !Number.isFinite(timeOf(v.builtAt))) problems.push('builtAt: must be an ISO 8601 time in UTC');
  if (v.previousTag !== undefined && v.previousTag !== null && typeof v.previousTag !== 'string')
    problems.push('previousTag: must be a tag name or null');
  const arts = Array.isArray(v.artifacts) ? (v.artifacts as Record<string, unknown>[]) : null;
  if (!arts || arts.length === 0) problems.push('artifacts: must list one artifact per device');
  arts?.forEach((a, i) => {
    if (typeof a?.device !== 'string' || !a.device) problems.push(`artifacts.${i}.device: must be a device codename`);
    if (typeof a?.file !== 'string' || !isPlainFileName(a.file)) problems.push(`artifacts.${i}.file: must be a plain file name`);
    if (typeof a?.size !== 'number' || !Number.isSafeInteger(a.size) || a.size < 0)
      problems.push(`artifacts.${i}.size: must be a whole number`);
    if (typeof a?.sha256 !== 'string' || !HEX64.test(a.sha256)) problems.push(`artifacts.${i}.sha256: must be 64 lowercase hex digits`);
  });
  return problems;
}
