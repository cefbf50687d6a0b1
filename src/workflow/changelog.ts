/**
 * A release's changelog (docs/changelog.md): the range of commits, the issues they reference and
 * the fans' votes on them, ranked and rendered. `friday changelog` prints or writes it; `cut`
 * writes it into the release folder. Read (range, commits, issues, tiers) → decide (link, rank,
 * render: src/core/changelog.ts).
 */
import { resolve } from 'node:path';
import { timeOf } from '../client/time.js';
import { compareVersions } from '../client/version.js';
import { assemble, refsOf, renderMarkdown, type ChangelogJson, type LinkedCommit } from '../core/changelog.js';
import { formatTime } from '../core/time.js';
import { releaseVersionOf } from '../core/version.js';
import type { Context } from '../context.js';
import { failure, usageError } from '../errors.js';
import { listTags, previousReleaseTag, releaseTags, resolveCommit, streamLog } from '../io/gitlog.js';
import type { IssueSet } from '../io/issues.js';
import { readIssueFile, readTiersFile } from '../io/issues/file.js';
import { fetchGithubIssues } from '../io/issues/github.js';
import type { Project } from '../io/project.js';
import { readBuildRecord } from '../io/releases.js';

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

/** Which commits `friday changelog` describes (its flags). */
export interface ChangelogRange {
  from?: string;
  to?: string;
}

/**
 * The default range (cli.md): from the previous release tag to HEAD, or to HEAD's own release
 * tag when it carries one. `--from ''` starts at the first commit. The cut time is the release's
 * `builtAt` when `--to` is a release tag that was cut here, else the clock.
 */
export async function resolveRange(ctx: Context, project: Project, opts: ChangelogRange): Promise<ChangelogArgs> {
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

/** The `builtAt` of a release cut in this publish root, else the clock (docs/formats.md "The cut time"). */
async function cutTimeOf(ctx: Context, project: Project, version: string): Promise<Date> {
  const record = await readBuildRecord({ publishDir: project.publishDir, root: project.root, product: project.config.product }, version, {
    missingOk: true,
  });
  return record ? new Date(timeOf(record.builtAt)) : ctx.now;
}
