/**
 * The closed beta on the signing side (docs/fans.md): every manifest signed for a channel with an
 * `audience` carries the devices offered the build, recomputed from the current grades file.
 */
import type { ManifestBody } from '../client/index.js';
import { audienceOf } from '../core/fans/audience.js';
import { usageError } from '../errors.js';
import type { Channel } from './channel.js';
import { readFansFiles } from './fans.js';

/** `body` with the channel's audience (or without one, for a channel that has none). */
export async function withAudience(ch: Channel, body: ManifestBody): Promise<ManifestBody> {
  const { audience, ...rest } = body;
  void audience;
  const want = ch.policy.audience;
  if (!want) return rest;
  const { fans } = ch.project.config;
  const files = await readFansFiles(ch.project);
  if (files.grades === null)
    throw usageError(
      'E_FANS',
      `${fans.output}: no such file: channel ${ch.name} is a closed beta for grade ${want.minGrade} and up, and nobody is graded yet`,
      'run `friday fans` to write the grades file, or remove "audience" from the channel policy',
    );
  return {
    ...rest,
    audience: audienceOf(want.minGrade, body.rollout.salt, { grades: files.grades, devices: files.devices, config: fans }),
  };
}
