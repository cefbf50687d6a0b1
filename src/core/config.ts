/**
 * The schemas of friday.config.json and channels/<name>.json (docs/formats.md), with their defaults.
 * Pure: validation returns every problem at once, each with its path; the loader names the file.
 */
import * as z from 'zod/mini';

// A CLI validates a few small files once per run: compiling a fast path per schema (zod's JIT, a
// `new Function` each) costs more than it saves.
z.config({ jitless: true });

// zod/mini (bundled into the CLI, tree-shaken): the same validator as classic zod at a fraction of
// its load time, which every command that reads the config pays (docs/quality.md start-up targets).
const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const str = () => z.string({ error: 'must be a string' });
const num = () => z.number({ error: 'must be a number' });
const nameField = (what: string) => str().check(z.regex(NAME, { error: `${what} must match [a-z0-9][a-z0-9-]{0,62}` }));
const nonEmpty = () => str().check(z.minLength(1, { error: 'must not be empty' }));
const positive = () => num().check(z.gt(0, { error: 'must be above 0' }));
const nonNegative = () => num().check(z.gte(0, { error: 'must be 0 or more' }));
const probability = () => num().check(z.gt(0, { error: 'must be above 0' }), z.lt(1, { error: 'must be below 1' }));
const repoName = () => str().check(z.regex(/^[\w.-]+\/[\w.-]+$/, { error: 'must be "owner/name"' }));
const count = (min: number) => z.int({ error: 'must be a whole number' }).check(z.gte(min, { error: `must be ${min} or more` }));

/** The fans' side (docs/fans.md): how participation is graded and the Tuesday ceremony. */
export const AWARD_KINDS = ['popcorn', 'bug-hunter', 'tester'] as const;
export type AwardKind = (typeof AWARD_KINDS)[number];
export const FANS_DEFAULTS = {
  windowDays: 100,
  points: { report: 2, confirmed: 10, votingWeek: 1, testedWeek: 5 },
  grades: [
    { name: 'tester', points: 10 },
    { name: 'lead', points: 60 },
  ],
  devices: 'fans/devices.json',
  output: 'fans/grades.json',
  ceremony: { afterHours: 96, testersOnly: false },
  awards: [
    { kind: 'popcorn' as AwardKind, name: 'Popcorn Award' },
    { kind: 'bug-hunter' as AwardKind, name: 'Bug Hunter' },
    { kind: 'tester' as AwardKind, name: 'Tester of the Week' },
  ],
};
const fansSchema = z.strictObject({
  windowDays: z._default(count(1), FANS_DEFAULTS.windowDays),
  points: z._default(
    z.strictObject({
      report: z._default(nonNegative(), FANS_DEFAULTS.points.report),
      confirmed: z._default(nonNegative(), FANS_DEFAULTS.points.confirmed),
      votingWeek: z._default(nonNegative(), FANS_DEFAULTS.points.votingWeek),
      testedWeek: z._default(nonNegative(), FANS_DEFAULTS.points.testedWeek),
    }),
    { ...FANS_DEFAULTS.points },
  ),
  grades: z._default(
    z
      .array(z.strictObject({ name: nameField('a grade name'), points: nonNegative() }), { error: 'must be a list of { name, points }' })
      .check(
        z.refine((g: { points: number }[]) => g.every((x, i) => i === 0 || x.points > g[i - 1]!.points), {
          error: 'points must be strictly ascending, lowest grade first',
        }),
        z.refine((g: { name: string }[]) => new Set(g.map((x) => x.name)).size === g.length, { error: 'must not repeat a grade name' }),
      ),
    FANS_DEFAULTS.grades.map((g) => ({ ...g })),
  ),
  devices: z._default(nonEmpty(), FANS_DEFAULTS.devices),
  output: z._default(nonEmpty(), FANS_DEFAULTS.output),
  ceremony: z._default(
    z.strictObject({
      afterHours: z._default(nonNegative(), FANS_DEFAULTS.ceremony.afterHours),
      testersOnly: z._default(z.boolean({ error: 'must be true or false' }), FANS_DEFAULTS.ceremony.testersOnly),
    }),
    { ...FANS_DEFAULTS.ceremony },
  ),
  awards: z._default(
    z.array(
      z.strictObject({
        kind: z.enum(AWARD_KINDS, { error: `must be one of ${AWARD_KINDS.map((k) => `"${k}"`).join(', ')}` }),
        name: nonEmpty(),
      }),
      { error: 'must be a list of { kind, name }' },
    ),
    FANS_DEFAULTS.awards.map((a) => ({ ...a })),
  ),
});

export const configSchema = z.strictObject({
  $schema: z.optional(z.string()),
  product: nameField('product'),
  devices: z.array(nameField('a device codename'), { error: 'must be a list of device codenames' }).check(
    z.minLength(1, { error: 'must list at least one device' }),
    z.refine((d: string[]) => new Set(d).size === d.length, { error: 'must not repeat a device' }),
  ),
  versioning: z._default(
    z.strictObject({
      scheme: z._default(z.enum(['calver-week', 'semver'], { error: 'must be "calver-week" or "semver"' }), 'calver-week'),
      tagPrefix: z._default(str().check(z.regex(/^[A-Za-z0-9._/-]*$/, { error: 'must be usable in a git tag name' })), 'v'),
    }),
    { scheme: 'calver-week' as const, tagPrefix: 'v' },
  ),
  // Optional: only `cut` builds and collects artifacts, and it asks for the section itself.
  build: z.optional(
    z.strictObject({
      command: z.optional(nonEmpty()),
      artifacts: nonEmpty().check(z.refine((s: string) => s.includes('{device}'), { error: 'must contain the {device} placeholder' })),
      timeoutMinutes: z._default(positive(), 120),
    }),
  ),
  issues: z.optional(
    z.discriminatedUnion(
      'source',
      [
        // `repo`: the GitHub repository whose `owner/name#12` and issue URLs are this project's.
        z.strictObject({ source: z.literal('file'), path: nonEmpty(), repo: z.optional(repoName()) }),
        z.strictObject({
          source: z.literal('github'),
          repo: repoName(),
          tokenEnv: z._default(nonEmpty(), 'GITHUB_TOKEN'),
          labels: z.optional(z.record(z.string(), z.array(z.string()))),
        }),
      ],
      { error: 'source must be "file" or "github"' },
    ),
  ),
  votes: z.pipe(
    z._default(
      z.strictObject({
        weights: z._default(
          z.record(z.string(), num().check(z.refine((n: number) => Number.isFinite(n), { error: 'must be a finite number' }))),
          {},
        ),
        tiers: z.optional(nonEmpty()),
      }),
      { weights: {} },
    ),
    z.transform((v: { weights: Record<string, number>; tiers?: string | undefined }) => ({ ...v, weights: { default: 1, ...v.weights } })),
  ),
  changelog: z._default(z.strictObject({ foldPrereleases: z._default(z.boolean({ error: 'must be true or false' }), false) }), {
    foldPrereleases: false,
  }),
  publish: z._default(
    z.strictObject({
      dir: z._default(nonEmpty(), 'ota'),
      actor: z.optional(nonEmpty()),
      // docs/security.md "The TUF view of a channel": every signing command keeps tuf/<c>/ signed too.
      tuf: z._default(z.boolean({ error: 'must be true or false' }), false),
    }),
    { dir: 'ota', tuf: false },
  ),
  feedback: z._default(z.strictObject({ path: z._default(nonEmpty(), 'feedback/crashes.ndjson') }), { path: 'feedback/crashes.ndjson' }),
  fans: z._default(fansSchema, () => fansSchema.parse({})),
});

export type Config = z.output<typeof configSchema>;

/**
 * What `friday init` writes until the user says: a build that fails at once, saying what to
 * edit, and a device name no phone has; `cut` refuses both before it starts.
 */
export const PLACEHOLDER_BUILD = `echo "friday: set build.command in friday.config.json to your ROM's build (e.g. make otapackage)" >&2; exit 1`;
export const PLACEHOLDER_DEVICE = 'set-devices-in-friday-config';

/** `build.artifacts` with its placeholders checked: `{device}` (required) and `{version}`, nothing else. */
export function artifactPattern(raw: string, version: string): { ok: true; pattern: string } | { ok: false; why: string; hint: string } {
  const unknown = [...raw.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]).filter((n) => n !== 'device' && n !== 'version');
  if (unknown.length)
    return {
      ok: false,
      why: `unknown placeholder {${unknown[0]}}`,
      hint: 'build.artifacts knows {device} (required) and {version}, e.g. "out/{device}/aurora-{device}-{version}.zip"',
    };
  return { ok: true, pattern: raw.replaceAll('{version}', version) };
}

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
  models: true,
} as const;

const percent = () =>
  num().check(
    z.gt(0, { error: 'must be above 0' }),
    z.lte(100, { error: 'must be 100 or less' }),
    z.refine((p: number) => Math.round(p * 100) === p * 100, { error: 'must have at most two decimals' }),
  );

export const policySchema = z.strictObject({
  $schema: z.optional(z.string()),
  name: nameField('name'),
  from: z._default(z.nullable(nameField('from')), null),
  soakHours: z._default(nonNegative(), 0),
  rollout: z._default(
    z.array(percent(), { error: 'must be a list of percentages' }).check(
      z.minLength(1, { error: 'must list at least one stage' }),
      z.refine((r: number[]) => r.every((p, i) => i === 0 || p > r[i - 1]!), { error: 'must be ascending' }),
      z.refine((r: number[]) => r[r.length - 1] === 100, { error: 'must end at 100' }),
    ),
    [100],
  ),
  expiresDays: z._default(positive(), 14),
  // The closed beta (docs/fans.md): only devices of fans of this grade and up are offered the build.
  audience: z.optional(z.strictObject({ minGrade: nameField('minGrade') })),
  health: z._default(
    z.strictObject({
      windowHours: z._default(positive(), HEALTH_DEFAULTS.windowHours),
      baselineHours: z._default(positive(), HEALTH_DEFAULTS.baselineHours),
      minDevices: z._default(count(1), HEALTH_DEFAULTS.minDevices),
      maxCrashRate: z._default(probability(), HEALTH_DEFAULTS.maxCrashRate),
      maxIncrease: z._default(positive(), HEALTH_DEFAULTS.maxIncrease),
      tolerance: z._default(positive(), HEALTH_DEFAULTS.tolerance),
      alpha: z._default(probability(), HEALTH_DEFAULTS.alpha),
      confidence: z._default(probability(), HEALTH_DEFAULTS.confidence),
      consecutive: z._default(count(1), HEALTH_DEFAULTS.consecutive),
      models: z._default(z.boolean({ error: 'must be true or false' }), HEALTH_DEFAULTS.models),
    }),
    { ...HEALTH_DEFAULTS },
  ),
  // Rollouts that widen themselves while healthy (docs/formats.md "Channel policies", `advance`).
  advance: z._default(
    z.nullable(
      z
        .strictObject(
          { afterHours: positive(), minDevices: count(1), maxHours: positive() },
          { error: 'must be null or { "afterHours", "minDevices", "maxHours" }' },
        )
        .check(
          z.refine((a: { afterHours: number; maxHours: number }) => a.maxHours >= a.afterHours, {
            error: 'must be afterHours or more',
            path: ['maxHours'],
          }),
        ),
    ),
    null,
  ),
});

export type ChannelPolicy = z.output<typeof policySchema>;
export type HealthPolicy = ChannelPolicy['health'];
export type AdvancePolicy = NonNullable<ChannelPolicy['advance']>;

export type Validation<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** Each problem as `path: message` (`devices.1: a device codename must match …`). */
export function formatIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string; code?: string; keys?: string[] }[],
): string[] {
  return issues.map((i) => {
    const path = i.path.map(String).join('.');
    const message =
      i.code === 'unrecognized_keys' && i.keys
        ? `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => JSON.stringify(k)).join(', ')}`
        : i.message;
    return path ? `${path}: ${message}` : message;
  });
}

function validate<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: unknown[] } } },
  value: unknown,
): Validation<T> {
  const r = schema.safeParse(value);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, problems: formatIssues(r.error.issues as never) };
}

/**
 * The config, and what its sections say of each other: with `fans.grades` written out, every tier
 * `votes.weights` weighs (but `default`) must be a grade (docs/fans.md "Details").
 */
export function validateConfig(value: unknown): Validation<Config> {
  const r = validate<Config>(configSchema as never, value);
  if (!r.ok) return r;
  const raw = (value as { fans?: { grades?: unknown } }).fans;
  if (raw?.grades === undefined) return r;
  const grades = new Set(r.value.fans.grades.map((g) => g.name));
  const unknown = Object.keys(r.value.votes.weights).filter((k) => k !== 'default' && !grades.has(k));
  if (unknown.length === 0) return r;
  return {
    ok: false,
    problems: unknown.map((k) => `votes.weights.${k}: unknown grade "${k}" (fans.grades has ${[...grades].join(', ') || 'none'})`),
  };
}

/** Problems of the policies against the config: an audience's `minGrade` must be a grade. */
export function checkAudiences(config: Config, channels: Record<string, ChannelPolicy>): string[] {
  const grades = config.fans.grades.map((g) => g.name);
  const problems: string[] = [];
  for (const [name, p] of Object.entries(channels)) {
    if (p.audience && !grades.includes(p.audience.minGrade))
      problems.push(`${name}: audience.minGrade: unknown grade "${p.audience.minGrade}" (fans.grades has ${grades.join(', ') || 'none'})`);
  }
  return problems;
}

/** A policy's `name` must be its file name, so `channels/beta.json` cannot describe `stable`. */
export function validatePolicy(value: unknown, fileName: string): Validation<ChannelPolicy> {
  const r = validate<ChannelPolicy>(policySchema as never, value);
  if (r.ok && r.value.name !== fileName) return { ok: false, problems: [`name: must be "${fileName}", the file's name`] };
  return r;
}

/**
 * Problems across policies: `from` must name another channel that has a policy file, and the
 * `from` links must not loop. `files` is every policy file's channel name, valid or not, so a
 * policy that names a broken one gets no false "unknown channel" on top of the real problem.
 */
export function checkChannelGraph(channels: Record<string, ChannelPolicy>, files: readonly string[]): string[] {
  const problems: string[] = [];
  const known = new Set(files);
  for (const [name, p] of Object.entries(channels)) {
    if (p.from === null) continue;
    if (p.from === name) problems.push(`${name}: from: must name another channel`);
    else if (!known.has(p.from)) problems.push(`${name}: from: unknown channel "${p.from}" (no channels/${p.from}.json)`);
  }
  // A loop (beta ← stable ← beta) means no channel in it could ever be staged: each would wait
  // for a release to be live on the other first. Reported once, at its first name in order.
  const reported = new Set<string>();
  for (const start of Object.keys(channels).sort()) {
    const path: string[] = [];
    let at: string | null = start;
    while (at !== null && channels[at] && !path.includes(at) && !reported.has(at)) {
      path.push(at);
      at = channels[at]!.from;
    }
    if (at === null || !path.includes(at) || at === path[path.length - 1]) continue; // no loop, or a self-reference (above)
    const loop = path.slice(path.indexOf(at));
    for (const n of loop) reported.add(n);
    problems.push(`${loop[0]}: from: the channels loop (${[...loop, loop[0]].join(' ← ')})`);
  }
  return problems;
}
