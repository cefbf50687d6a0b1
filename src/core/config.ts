/**
 * The schemas of friday.config.json and channels/<name>.json (formats.md), with their defaults.
 * Pure: validation returns every problem at once, each with its path; the loader names the file.
 */
import { z } from 'zod';

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const nameField = (what: string) => z.string({ error: 'must be a string' }).regex(NAME, { error: `${what} must match [a-z0-9][a-z0-9-]{0,62}` });
const nonEmpty = z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' });
const positive = z.number({ error: 'must be a number' }).positive({ error: 'must be above 0' });
const nonNegative = z.number({ error: 'must be a number' }).min(0, { error: 'must be 0 or more' });
const probability = z.number({ error: 'must be a number' }).gt(0, { error: 'must be above 0' }).lt(1, { error: 'must be below 1' });

export const configSchema = z.strictObject({
  $schema: z.string().optional(),
  product: nameField('product'),
  devices: z
    .array(nameField('a device codename'), { error: 'must be a list of device codenames' })
    .min(1, { error: 'must list at least one device' })
    .refine((d) => new Set(d).size === d.length, { error: 'must not repeat a device' }),
  versioning: z
    .strictObject({
      scheme: z.enum(['calver-week', 'semver'], { error: 'must be "calver-week" or "semver"' }).default('calver-week'),
      tagPrefix: z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9._/-]*$/, { error: 'must be usable in a git tag name' }).default('v'),
    })
    .default({ scheme: 'calver-week', tagPrefix: 'v' }),
  build: z.strictObject({
    command: nonEmpty.optional(),
    artifacts: nonEmpty.refine((s) => s.includes('{device}'), { error: 'must contain the {device} placeholder' }),
    timeoutMinutes: positive.default(120),
  }),
  issues: z
    .discriminatedUnion(
      'source',
      [
        z.strictObject({ source: z.literal('file'), path: nonEmpty }),
        z.strictObject({
          source: z.literal('github'),
          repo: z.string({ error: 'must be a string' }).regex(/^[\w.-]+\/[\w.-]+$/, { error: 'must be "owner/name"' }),
          tokenEnv: nonEmpty.default('GITHUB_TOKEN'),
          labels: z.record(z.string(), z.array(z.string())).optional(),
        }),
      ],
      { error: 'source must be "file" or "github"' },
    )
    .optional(),
  votes: z
    .strictObject({
      weights: z.record(z.string(), z.number({ error: 'must be a number' }).finite()).default({}),
      tiers: nonEmpty.optional(),
    })
    .default({ weights: {} })
    .transform((v) => ({ ...v, weights: { default: 1, ...v.weights } })),
  publish: z.strictObject({ dir: nonEmpty.default('ota') }).default({ dir: 'ota' }),
  feedback: z.strictObject({ path: nonEmpty.default('feedback/crashes.ndjson') }).default({ path: 'feedback/crashes.ndjson' }),
});

export type Config = z.output<typeof configSchema>;

export const HEALTH_DEFAULTS = {
  windowHours: 24,
  baselineHours: 168,
  minDevices: 200,
  maxCrashRate: 0.05,
  maxIncrease: 1.5,
  tolerance: 1.0,
  alpha: 0.01,
  confidence: 0.999,
  consecutive: 1,
} as const;

export const policySchema = z.strictObject({
  $schema: z.string().optional(),
  name: nameField('name'),
  from: nameField('from').nullable().default(null),
  soakHours: nonNegative.default(0),
  rollout: z
    .array(
      z.number({ error: 'must be a number' }).gt(0, { error: 'must be above 0' }).max(100, { error: 'must be 100 or less' })
        .refine((p) => Math.round(p * 100) === p * 100, { error: 'must have at most two decimals' }),
      { error: 'must be a list of percentages' },
    )
    .min(1, { error: 'must list at least one stage' })
    .refine((r) => r.every((p, i) => i === 0 || p > r[i - 1]!), { error: 'must be ascending' })
    .refine((r) => r[r.length - 1] === 100, { error: 'must end at 100' })
    .default([100]),
  expiresDays: positive.default(14),
  health: z
    .strictObject({
      windowHours: positive.default(HEALTH_DEFAULTS.windowHours),
      baselineHours: positive.default(HEALTH_DEFAULTS.baselineHours),
      minDevices: z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(1, { error: 'must be 1 or more' }).default(HEALTH_DEFAULTS.minDevices),
      maxCrashRate: probability.default(HEALTH_DEFAULTS.maxCrashRate),
      maxIncrease: positive.default(HEALTH_DEFAULTS.maxIncrease),
      tolerance: positive.default(HEALTH_DEFAULTS.tolerance),
      alpha: probability.default(HEALTH_DEFAULTS.alpha),
      confidence: probability.default(HEALTH_DEFAULTS.confidence),
      consecutive: z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(1, { error: 'must be 1 or more' }).default(HEALTH_DEFAULTS.consecutive),
    })
    .default({ ...HEALTH_DEFAULTS }),
});

export type ChannelPolicy = z.output<typeof policySchema>;
export type HealthPolicy = ChannelPolicy['health'];

export type Validation<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** Each problem as `path: message` (`devices.1: a device codename must match …`). */
export function formatIssues(issues: readonly { path: readonly PropertyKey[]; message: string; code?: string; keys?: string[] }[]): string[] {
  return issues.map((i) => {
    const path = i.path.map(String).join('.');
    const message = i.code === 'unrecognized_keys' && i.keys ? `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => JSON.stringify(k)).join(', ')}` : i.message;
    return path ? `${path}: ${message}` : message;
  });
}

function validate<T>(schema: z.ZodType<T>, value: unknown): Validation<T> {
  const r = schema.safeParse(value);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, problems: formatIssues(r.error.issues as never) };
}

export const validateConfig = (value: unknown): Validation<Config> => validate(configSchema as unknown as z.ZodType<Config>, value);

/** A policy's `name` must be its file name, so `channels/beta.json` cannot describe `stable`. */
export function validatePolicy(value: unknown, fileName: string): Validation<ChannelPolicy> {
  const r = validate(policySchema as unknown as z.ZodType<ChannelPolicy>, value);
  if (r.ok && r.value.name !== fileName) return { ok: false, problems: [`name: must be "${fileName}", the file's name`] };
  return r;
}

/** Problems across policies: `from` must name another known channel, and no cycles. */
export function checkChannelGraph(channels: Record<string, ChannelPolicy>): string[] {
  const problems: string[] = [];
  for (const [name, p] of Object.entries(channels)) {
    if (p.from === null) continue;
    if (p.from === name) problems.push(`${name}: from: must name another channel`);
    else if (!channels[p.from]) problems.push(`${name}: from: unknown channel "${p.from}" (no channels/${p.from}.json)`);
  }
  return problems;
}
