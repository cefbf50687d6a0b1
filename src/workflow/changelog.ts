/**
 * A release's changelog (docs/changelog.md): the range of commits, the issues they reference and
 * the fans' votes on them, ranked and rendered. `friday changelog` prints or writes it; `cut`
 * writes it into the release folder. Read (range, commits, issues, tiers, earlier releases) →
 * decide (reverts: src/core/reverts.ts; link, rank: src/core/changelog.ts; what earlier releases
 * mean: src/core/earlier.ts) → render (src/core/changelog-md.ts).
 */
import { join, resolve } from 'node:path';
import { timeOf } from '../client/time.js';
import { compareVersions } from '../client/version.js';
import { assemble, type ChangelogJson } from '../core/changelog.js';
import { KNOWN_TYPES, renderMarkdown } from '../core/changelog-md.js';
import { earlierWinners, releasesBetween } from '../core/earlier.js';
import { closingRefsOf, refsOf, revertedBy, type RefScope } from '../core/refs.js';
import { settleReverts, type RangeCommit } from '../core/reverts.js';
import { formatTime } from '../core/time.js';
import { releaseVersionOf } from '../core/version.js';
import type { Context } from '../context.js';
import { failure, usageError } from '../errors.js';
import {
  cutsRange,
  historyFacts,
  isPrerelease,
  listTags,
  previousReleaseTag,
  releaseTags,
  resolveCommit,
  streamLog,
  unshallow,
  type TagInfo,
} from '../io/gitlog.js';
import type { Issue } from '../core/votes/validate.js';
import type { IssueSet } from '../io/issues.js';
import { readIssueFile, readTiersFile } from '../io/issues/file.js';
import { readGradesFile } from '../io/fans.js';
import { readAllIssues } from '../io/issues/file.js';
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
  /** Votes later than this are ignored (docs/formats.md "The cut time"). */
  cutTime: Date;
  /** The range of a final release was widened past its prereleases (`changelog.foldPrereleases`). */
  folded?: boolean;
}

const NONE: readonly string[] = [];

/** Which references count as this repository's (core/refs.ts): the configured repository, on github.com or the server the environment names. */
function refScope(project: Project, env: NodeJS.ProcessEnv): RefScope {
  const hosts = new Set(['github.com']);
  for (const url of [env.GITHUB_SERVER_URL, env.GITHUB_API_URL]) {
    try {
      if (url) hosts.add(new URL(url).host.toLowerCase());
    } catch {
      // not a URL: the API client says so where it matters
    }
  }
  return { repo: project.config.issues?.repo ?? null, hosts: [...hosts] };
}

export async function buildChangelog(
  ctx: Context,
  project: Project,
  args: ChangelogArgs,
): Promise<{ json: ChangelogJson; markdown: string; warnings: string[] }> {
  const { config, root } = project;
  const warnings: string[] = [];
  const scope = refScope(project, ctx.env);
  const commits: RangeCommit[] = [];
  const shas: string[] = [];
  const facts = historyFacts(root);
  const source = config.issues;
  const github = source?.source === 'github' ? openGithubSource(ctx, source, scope, facts, warnings) : null;
  // git streams the range while the issues file, the tiers and the earlier releases are read,
  // and GitHub is asked for the numbers already seen: a revert later in the log may cancel some,
  // which are then read for nothing, but never credited.
  const log = streamLog(root, args.from, args.to, (sha, message) => {
    shas.push(sha);
    const refs = refsOf(message, scope);
    const reverts = revertedBy(message);
    if (reverts.length > 0)
      commits.push({ sha, refs, reverts, closes: closingRefsOf(message, scope), subject: message.split('\n', 1)[0]! });
    else if (refs.length > 0) commits.push({ sha, refs, reverts: NONE });
    if (refs.length > 0) github?.want(refs);
  });
  const tiers = config.votes.tiers
    ? readTiersFile(resolve(root, config.votes.tiers), config.votes.tiers, (line) => warnings.push(line))
    : Promise.resolve(new Map<string, string>());
  const earlier = import('../io/earlier.js').then((m) => m.readEarlier(project.publishDir));
  const tags = args.folded ? listTags(root) : Promise.resolve([] as TagInfo[]);
  // The reporters are thanked with their grade, as the grades file stands (docs/fans.md).
  const grades = readGradesFile(resolve(root, config.fans.output), config.fans.output);
  const fileIssues: Promise<IssueSet | null> =
    source?.source === 'file' ? readIssueFile(resolve(root, source.path), source.path) : Promise.resolve(null);
  for (const p of [facts, tiers, earlier, tags, fileIssues, grades]) p.catch(() => {}); // awaited below, after the log
  const commitCount = await log;
  await assertWholeHistory(root, args, shas, (await facts).shallow);

  const inRange = rangeLookup(shas);
  const settled = settleReverts(commits, inRange);
  const issues: Promise<IssueSet | null> = github ? github.done() : fileIssues;
  const prereleases = args.folded && args.version !== null ? foldedIn(await tags, project, args.version, inRange) : [];
  const [set, tierMap, past] = await Promise.all([issues, tiers, earlier]);
  const skip = new Set(prereleases);
  const cutTime = args.cutTime.getTime();

  const json = assemble({
    product: config.product,
    version: args.version,
    range: args.label,
    commitCount,
    linked: settled.linked,
    reverts: settled.reverts,
    issues: set?.issues ?? null,
    weighting: { weights: config.votes.weights, tiers: tierMap, cutTime },
    earlierPopcorn: earlierWinners(past.releases, args.version, skip, cutTime),
    between:
      args.version === null
        ? []
        : releasesBetween({ version: args.version, cutTime, releases: past.releases, channels: past.channels, skip }),
    prereleases,
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
  // A type friday does not know is listed under Other: said, naming the issue, so a typo in the
  // issues file (or a label mapping) does not hide a feature from the Popcorn Award.
  // One line per unknown type, not per issue: a tracker whose every chore is typed "chore" must
  // not bury the changelog under a screen of warnings.
  const unknown = new Map<string, typeof json.entries>();
  for (const e of json.entries) if (!KNOWN_TYPES.has(e.type)) unknown.set(e.type, [...(unknown.get(e.type) ?? []), e]);
  const known = [...KNOWN_TYPES].join(', ');
  for (const [type, es] of unknown) {
    const [e] = es;
    if (es.length === 1 && e)
      warnings.push(
        `issue #${e.id} (${JSON.stringify(e.title)}): type ${JSON.stringify(type)} is not one friday knows (${known}): listed under Other`,
      );
    else {
      const shown =
        es
          .slice(0, 10)
          .map((x) => `#${x.id}`)
          .join(', ') + (es.length > 10 ? ` and ${es.length - 10} more` : '');
      warnings.push(`${es.length} issues (${shown}): type ${JSON.stringify(type)} is not one friday knows (${known}): listed under Other`);
    }
  }
  const gradeOf = new Map<string, string>();
  for (const [user, fan] of Object.entries((await grades)?.fans ?? {})) if (fan.grade !== null) gradeOf.set(user, fan.grade);
  return { json, markdown: renderMarkdown(json, formatTime(args.cutTime).slice(0, 10), gradeOf), warnings };
}

/**
 * The GitHub source, taking numbers while git streams; its REST answers' cache lives in the git
 * directory. The module loads only for a project that reads GitHub.
 */
function openGithubSource(
  ctx: Context,
  source: Extract<NonNullable<Project['config']['issues']>, { source: 'github' }>,
  scope: RefScope,
  facts: Promise<{ commonDir: string }>,
  warnings: string[],
): { want(refs: readonly number[]): void; done(): Promise<IssueSet>; wantAll(): Promise<void> } {
  const early: number[] = [];
  const reader = Promise.all([import('../io/issues/github.js'), facts]).then(([{ openGithub }, { commonDir }]) => {
    const r = openGithub({
      repo: source.repo,
      tokenEnv: source.tokenEnv,
      labels: source.labels,
      env: ctx.env,
      scope,
      warn: (line) => warnings.push(line),
      cacheFile: ctx.dryRun ? null : join(commonDir, 'friday', 'github', `${source.repo.replace('/', '--')}.json`),
      now: ctx.now.getTime(),
    });
    r.want(early);
    return r;
  });
  reader.catch(() => {}); // reported by `done`
  let ready: Awaited<typeof reader> | null = null;
  void reader.then((r) => (ready = r));
  return {
    want: (refs) => (ready ? ready.want(refs) : void early.push(...refs)),
    done: () => reader.then((r) => r.done()),
    wantAll: () => reader.then((r) => r.wantAll()),
  };
}

/** A range commit's full hash from a full or abbreviated one, or null (reverts name either). */
function rangeLookup(shas: readonly string[]): (sha: string) => string | null {
  let all: Set<string> | null = null;
  return (sha) => {
    all ??= new Set(shas);
    if (all.has(sha)) return sha;
    if (sha.length >= 40) return null;
    const found = shas.filter((s) => s.startsWith(sha));
    return found.length === 1 ? found[0]! : null; // an ambiguous abbreviation names no one commit
  };
}

/** The prerelease versions whose tags lie inside a folded range, below the release. */
function foldedIn(tags: readonly TagInfo[], project: Project, version: string, inRange: (sha: string) => string | null): string[] {
  const prefix = project.config.versioning.tagPrefix;
  return releaseTags(tags, prefix)
    .map((t) => ({ v: releaseVersionOf(t.name, prefix)!, commit: t.commit! }))
    .filter((t) => isPrerelease(t.v) && compareVersions(t.v, version) < 0 && inRange(t.commit) !== null)
    .map((t) => t.v)
    .sort(compareVersions);
}

/**
 * A shallow clone whose boundary lies inside the range would give a changelog of only its
 * shallow part: refused (exit 1), naming the way to the whole history, as semantic-release
 * fetches it in CI.
 */
async function assertWholeHistory(root: string, args: ChangelogArgs, shas: readonly string[], shallow: ReadonlySet<string>): Promise<void> {
  if (shallow.size === 0) return;
  for (const sha of shas) {
    if (shallow.has(sha) && (await cutsRange(root, sha, args.from))) throw shallowError(args.label, sha);
  }
}

function shallowError(label: { from: string | null; to: string }, sha: string) {
  const range = label.from === null ? `the history of ${label.to}` : `${label.from}..${label.to}`;
  return failure(
    'E_SHALLOW',
    `changelog: this clone is shallow and ${range} runs past its last commit (${sha.slice(0, 12)}): the changelog would miss the older commits`,
    'fetch the whole history and the tags (git fetch --unshallow --tags origin, or --deepen=<n>), or pass --unshallow; in GitHub Actions, check out with fetch-depth: 0',
  );
}

/** Before a cut builds anything: refuse a shallow clone that cuts the release's range short. */
export async function checkWholeHistory(root: string, args: ChangelogArgs): Promise<void> {
  const { shallow } = await historyFacts(root);
  if (shallow.size === 0) return;
  const shas: string[] = [];
  await streamLog(root, args.from, args.to, (sha) => void shas.push(sha));
  await assertWholeHistory(root, args, shas, shallow);
}

/** `--unshallow [remote]`: make a shallow clone whole before anything reads the history. */
export async function fetchWholeHistory(ctx: Context, project: Project, remote: string): Promise<void> {
  if (ctx.dryRun) {
    ctx.info(`would fetch the whole history from ${remote} if this clone is shallow`);
    return;
  }
  if (await unshallow(project.root, remote)) ctx.info(`fetched the whole history and the tags from ${remote} (the clone was shallow)`);
}

/** Which commits `friday changelog` describes (its flags). */
export interface ChangelogRange {
  from?: string;
  to?: string;
}

/**
 * The default range (docs/cli.md): from the previous release tag to HEAD, or to HEAD's own release
 * tag when it carries one. `--from ''` starts at the first commit. The cut time is the release's
 * `builtAt` when `--to` is a release tag that was cut here, else the clock.
 */
export async function resolveRange(ctx: Context, project: Project, opts: ChangelogRange): Promise<ChangelogArgs> {
  const root = project.root;
  const prefix = project.config.versioning.tagPrefix;
  const toRef = opts.to ?? 'HEAD';
  const wantPrevious = opts.from === undefined;
  const passedOver = (tag: string) => ctx.warn(`tag ${tag} looks like a release but is no semantic version: passed over`);
  // Three independent questions to git at once; describe is asked again only when its answer
  // is a tag on the end commit itself.
  const [toCommit, tags, nearest] = await Promise.all([
    resolveCommit(root, toRef),
    listTags(root),
    wantPrevious ? previousReleaseTag(root, toRef, prefix, [], undefined, { passedOver }) : Promise.resolve(null),
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
  let folded = false;
  if (!wantPrevious) from = opts.from === '' ? null : opts.from!;
  else {
    from = nearest !== null && onEnd.includes(nearest) ? await previousReleaseTag(root, toCommit, prefix, onEnd, tags) : nearest;
    if (foldsPast(project, version, from)) {
      from = await previousReleaseTag(root, toCommit, prefix, onEnd, tags, { finalOnly: true });
      folded = true;
    }
  }
  const cutTime = version === null ? ctx.now : await cutTimeOf(ctx, project, version);
  return { from, to, label: { from, to: toLabel }, version, cutTime, folded };
}

/** Whether a final release's range starts at a prerelease that `changelog.foldPrereleases` passes over. */
function foldsPast(project: Project, version: string | null, from: string | null): boolean {
  if (!project.config.changelog.foldPrereleases || version === null || isPrerelease(version) || from === null) return false;
  const v = releaseVersionOf(from, project.config.versioning.tagPrefix);
  return v !== null && isPrerelease(v);
}

/**
 * The range of the release `cut` makes: from its previous release tag, or, for a final release
 * with `changelog.foldPrereleases`, from the previous final one.
 */
export async function releaseRange(
  ctx: Context,
  project: Project,
  r: { previousTag: string | null; head: string; tag: string; version: string; tagsAtHead: readonly string[]; tags: readonly TagInfo[] },
): Promise<ChangelogArgs> {
  let from = r.previousTag;
  const folded = foldsPast(project, r.version, from);
  if (folded)
    from = await previousReleaseTag(project.root, r.head, project.config.versioning.tagPrefix, r.tagsAtHead, r.tags, { finalOnly: true });
  return { from, to: r.head, label: { from, to: r.tag }, version: r.version, cutTime: ctx.now, folded };
}

/** The `builtAt` of a release cut in this publish root, else the clock (docs/formats.md "The cut time"). */
async function cutTimeOf(ctx: Context, project: Project, version: string): Promise<Date> {
  const record = await readBuildRecord({ publishDir: project.publishDir, root: project.root, product: project.config.product }, version, {
    missingOk: true,
  });
  return record ? new Date(timeOf(record.builtAt)) : ctx.now;
}

/** The issues `ids` from the configured source, for the ceremony's nominees (docs/fans.md); null without a source. */
export async function readIssuesById(ctx: Context, project: Project, ids: readonly number[], warnings: string[]): Promise<IssueSet | null> {
  const source = project.config.issues;
  if (!source) return null;
  if (source.source === 'file') return readIssueFile(resolve(project.root, source.path), source.path);
  const github = openGithubSource(ctx, source, refScope(project, ctx.env), historyFacts(project.root), warnings);
  github.want(ids);
  return github.done();
}

/** Every issue of the configured source, for grading the fans (docs/fans.md); none without a source. */
export async function readEveryIssue(ctx: Context, project: Project, warnings: string[]): Promise<Issue[]> {
  const source = project.config.issues;
  if (!source) return [];
  if (source.source === 'file') return readAllIssues(resolve(project.root, source.path), source.path);
  const github = openGithubSource(ctx, source, refScope(project, ctx.env), historyFacts(project.root), warnings);
  await github.wantAll();
  const set = await github.done();
  return [...(set.issues as ReadonlyMap<number, Issue>).values()];
}
