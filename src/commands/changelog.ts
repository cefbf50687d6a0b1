/**
 * `friday changelog [--from] [--to] [--format md|json] [--out]` and `buildChangelog`, which `cut`
 * calls for the files of a release. Read (range, commits, issues, tiers) → decide (link, rank,
 * render: src/core/changelog.ts) → write (stdout or --out through the Store).
 */
import { promises as fs } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Context, Outcome } from '../context.js';
import { assemble, refsOf, renderMarkdown, type ChangelogJson, type LinkedCommit } from '../core/changelog.js';
import { compareVersions } from '../client/version.js';
import { formatTime, parseTime } from '../core/time.js';
import { releaseVersionOf } from '../core/version.js';
import { failure, usageError } from '../errors.js';
import { listTags, previousReleaseTag, releaseTags, resolveCommit, streamLog } from '../io/gitlog.js';
import type { IssueSet } from '../io/issues.js';
import { readIssueFile, readTiersFile } from '../io/issues/file.js';
import { fetchGithubIssues } from '../io/issues/github.js';
import { loadProject, type Project } from '../io/project.js';

export type { ChangelogJson, Entry } from '../core/changelog.js';

export interface ChangelogArgs {
  /** Git ref to start after (the previous release tag); null = from the first commit. */
  from: string | null;
  /** Git ref to end at, inclusive. */
  to: string;
  /** What `range.from` / `range.to` say (tags rather than shas). */
  label: { from: string | null; to: string };
  /** The release described; null for an unreleased range. */
  version: string | null;
  /** Votes later than this are ignored (formats.md "The cut time"). */
  cutTime: Date;
}

export async function buildChangelog(
  ctx: Context,
  project: Project,
  args: ChangelogArgs,
): Promise<{ json: ChangelogJson; markdown: string; warnings: string[] }> {
  const { config, root } = project;
  const warnings: string[] = [];
  const linked: LinkedCommit[] = [];
  // git streams the range while the issues file is read and parsed: the two overlap.
  const log = streamLog(root, args.from, args.to, (sha, message) => {
    const refs = refsOf(message);
    if (refs.length > 0) linked.push({ sha, refs });
  });
  const tiers = config.votes.tiers
    ? readTiersFile(resolve(root, config.votes.tiers), config.votes.tiers)
    : Promise.resolve(new Map<string, string>());
  const source = config.issues;
  let issues: Promise<IssueSet | null>;
  if (source === undefined) issues = Promise.resolve(null);
  else if (source.source === 'file') issues = readIssueFile(resolve(root, source.path), source.path);
  else {
    // Only the reactions of the issues this range references are fetched: requests stay bounded.
    issues = log.then(() =>
      fetchGithubIssues({
        repo: source.repo,
        tokenEnv: source.tokenEnv,
        labels: source.labels,
        env: ctx.env,
        wanted: new Set(linked.flatMap((c) => c.refs)),
        warn: (line) => warnings.push(line),
      }),
    );
  }
  const [commitCount, set, tierMap] = await Promise.all([log, issues, tiers]);

  const json = assemble({
    product: config.product,
    version: args.version,
    range: args.label,
    commitCount,
    linked,
    issues: set?.issues ?? null,
    ...(set?.notIssues ? { notIssues: set.notIssues } : {}),
    weighting: { weights: config.votes.weights, tiers: tierMap, cutTime: args.cutTime.getTime() },
  });
  if (json.unknownRefs.length > 0 && set) {
    const shown = json.unknownRefs
      .slice(0, 10)
      .map((n) => `#${n}`)
      .join(', ');
    const more = json.unknownRefs.length > 10 ? ` and ${json.unknownRefs.length - 10} more` : '';
    warnings.push(
      `${json.unknownRefs.length} issue reference${json.unknownRefs.length === 1 ? '' : 's'} not found in ${set.label}: ${shown}${more}`,
    );
  }
  return { json, markdown: renderMarkdown(json, formatTime(args.cutTime).slice(0, 10)), warnings };
}

export interface ChangelogOptions {
  from?: string;
  to?: string;
  format?: 'md' | 'json';
  out?: string;
}

export async function run(ctx: Context, opts: ChangelogOptions): Promise<Outcome> {
  const format = opts.format ?? 'md';
  if (format !== 'md' && format !== 'json') throw usageError('E_USAGE', `--format ${String(format)}: must be md or json`);
  const project = await loadProject(ctx);
  const args = await resolveRange(ctx, project, opts);
  const cl = await buildChangelog(ctx, project, args);
  for (const w of cl.warnings) ctx.warn(w);
  const content = format === 'json' ? JSON.stringify(cl.json, null, 2) + '\n' : cl.markdown;
  if (opts.out === undefined) return { result: cl.json, text: content };

  const { createStore } = await import('../io/store.js');
  const path = resolve(ctx.cwd, opts.out);
  await createStore(ctx).writeUserFile(path, content, `--out ${opts.out}`);
  const r = relative(ctx.cwd, path);
  const n = cl.json.entries.length;
  const verb = ctx.dryRun ? 'would write' : 'wrote';
  return {
    result: cl.json,
    text: `${verb} ${r && !r.startsWith('..') ? r : path}: ${n} ${n === 1 ? 'issue' : 'issues'} from ${cl.json.commits} commits`,
  };
}

/**
 * The default range (cli.md): from the previous release tag to HEAD, or to HEAD's own release
 * tag when it carries one. `--from ''` starts at the first commit. The cut time is the release's
 * `builtAt` when `--to` is a release tag that was cut here, else the clock.
 */
export async function resolveRange(ctx: Context, project: Project, opts: ChangelogOptions): Promise<ChangelogArgs> {
  const root = project.root;
  const prefix = project.config.versioning.tagPrefix;
  const toRef = opts.to ?? 'HEAD';
  const wantPrevious = opts.from === undefined;
  // Three independent questions to git at once; describe is asked again only when its answer
  // is a tag on the end commit itself.
  const [toCommit, tags, nearest] = await Promise.all([
    resolveCommit(root, toRef),
    listTags(root),
    wantPrevious ? previousReleaseTag(root, toRef, prefix) : Promise.resolve(null),
  ]);
  if (toCommit === null) {
    if (opts.to === undefined) throw failure('E_GIT', 'changelog: the repository has no commit yet', 'commit your sources first');
    throw usageError('E_USAGE', `--to ${toRef}: not a commit in this repository`, 'give a tag, branch or commit (see `git tag --list`)');
  }
  const release = releaseTags(tags, prefix);
  const onEnd = release.filter((t) => t.commit === toCommit).map((t) => t.name);

  let to = toRef;
  let toLabel = toRef;
  if (opts.to === undefined && onEnd.length > 0) {
    to = toLabel = onEnd.reduce((a, b) => (compareVersions(releaseVersionOf(b, prefix)!, releaseVersionOf(a, prefix)!) > 0 ? b : a));
  }
  const version = release.some((t) => t.name === to) ? releaseVersionOf(to, prefix) : null;

  let from: string | null;
  if (!wantPrevious) from = opts.from === '' ? null : opts.from!;
  else if (nearest !== null && onEnd.includes(nearest)) from = await previousReleaseTag(root, toCommit, prefix, onEnd);
  else from = nearest;

  return { from, to, label: { from, to: toLabel }, version, cutTime: version === null ? ctx.now : await cutTimeOf(ctx, project, version) };
}

/** The `builtAt` of a release cut in this publish root, else the clock (formats.md). */
async function cutTimeOf(ctx: Context, project: Project, version: string): Promise<Date> {
  const path = join(project.publishDir, 'releases', version, 'build.json');
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch {
    return ctx.now;
  }
  let builtAt: unknown;
  try {
    builtAt = (JSON.parse(text) as { builtAt?: unknown }).builtAt;
  } catch {
    builtAt = undefined;
  }
  const t = typeof builtAt === 'string' ? parseTime(builtAt) : null;
  if (t === null)
    throw usageError(
      'E_INPUT',
      `${relative(ctx.cwd, path)}: builtAt: must be an ISO 8601 time`,
      'restore the build record from your publish storage',
    );
  return t;
}
