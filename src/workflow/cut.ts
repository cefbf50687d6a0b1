/**
 * The weekly cut (docs/cli.md `cut`): read (config, git, clock) → decide (version, preflight) →
 * build → write (release folder, then the annotated tag). Everything a cut can check is checked
 * before the build starts (the changelog's issues, the artifacts pattern, the config's
 * placeholders), so a two-hour build never ends in a configuration error. The release folder is
 * assembled under a temporary name and renamed into place before tagging, so a failed build or a
 * crash leaves no tag and no release folder; a release folder without a tag (a crash between
 * rename and tag) is replaced by the next run.
 */
import { promises as fs } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { BUILD_TYPE, type BuildRecord } from '../core/build-record.js';
import { artifactPattern, PLACEHOLDER_BUILD, PLACEHOLDER_DEVICE } from '../core/config.js';
import { formatTime } from '../core/time.js';
import { isValidVersion, nextCalver, nextSemver, releaseVersionOf, type Bump } from '../core/version.js';
import type { Context } from '../context.js';
import { failure, usageError } from '../errors.js';
import * as git from '../io/git.js';
import type { Git } from '../io/git.js';
import type { Project } from '../io/project.js';
import { displayPath } from '../io/display.js';
import { readBuildRecord, releaseDir } from '../io/releases.js';
import { pathExists, toJsonText, withLock, writeFileAtomic } from '../io/store.js';

export interface CutOptions {
  version?: string;
  bump?: Bump;
  skipBuild?: boolean;
  allowDirty?: boolean;
  push?: string | boolean;
  force?: boolean;
  /** Fetch the whole history first when the clone is shallow: from this remote (true: the push remote, else origin). */
  unshallow?: string | boolean;
}

export interface CutResult {
  record: BuildRecord;
  text: string;
}

export async function cutRelease(ctx: Context, project: Project, opts: CutOptions): Promise<CutResult> {
  const build = buildSection(ctx, project); // a config without one fails here, before the lock writes anything
  if (!opts.skipBuild) refusePlaceholders(ctx, project, build);
  const g = await git.openRepo(project.root);
  await git.headCommit(g); // no commit, nothing to cut: said before the lock writes anything
  const cut = () => cutLocked(ctx, project, g, opts);
  // The lock makes two cuts of one repository take turns: the second then finds HEAD tagged.
  return ctx.dryRun ? cut() : withLock(join(project.publishDir, 'releases'), 'cut', cut);
}

async function cutLocked(ctx: Context, project: Project, g: Git, opts: CutOptions): Promise<CutResult> {
  const { config } = project;
  const prefix = config.versioning.tagPrefix;
  const remote = opts.push === true ? 'origin' : typeof opts.push === 'string' ? opts.push : null;
  const head = await git.headCommit(g);
  const changelog = await import('./changelog.js');
  // Before the tags are read: a shallow CI clone may not have fetched them yet.
  if (opts.unshallow)
    await changelog.fetchWholeHistory(ctx, project, typeof opts.unshallow === 'string' ? opts.unshallow : (remote ?? 'origin'));
  const { listTags, releaseTags, previousReleaseTag } = await import('../io/gitlog.js');
  // Read under the lock: a cut that waited for another sees the tag it made.
  const everyTag = await listTags(g.root);
  const tags = everyTag.map((t) => t.name);
  const tagsAtHead = releaseTags(everyTag, prefix)
    .filter((t) => t.commit === head)
    .map((t) => t.name);

  // A re-run Friday job on a tagged HEAD is harmless: report the release (docs/cli.md `cut`).
  if (tagsAtHead.length > 0 && !opts.force) {
    for (const tag of tagsAtHead) {
      const version = releaseVersionOf(tag, prefix)!;
      const recordPath = join(releaseDir(project.publishDir, version), 'build.json');
      const record = await readBuildRecord({ publishDir: project.publishDir, root: project.root, product: config.product }, version, {
        missingOk: true,
      });
      if (record) {
        const pushed = remote !== null && !ctx.dryRun;
        if (pushed) await git.pushTag(g, remote, tag);
        const push = remote === null ? '' : pushed ? `; pushed ${tag} to ${remote}` : `; would push ${tag} to ${remote}`;
        return { record, text: `${tag} already cut at ${head.slice(0, 12)}: nothing to do (${rel(ctx, recordPath)})${push}` };
      }
    }
    throw failure(
      'E_CUT',
      `cut: HEAD is tagged ${tagsAtHead.join(', ')} but ${rel(ctx, releaseDir(project.publishDir, releaseVersionOf(tagsAtHead[0]!, prefix)!))}/build.json is missing`,
      'restore the release folder from your publish storage, or run `friday cut --force` to cut the next version',
    );
  }

  // The remaining git reads are independent: they run side by side, and are awaited in the
  // order their failures should be reported (a dirty tree first). friday's own publish root,
  // when it lies inside the repository, never makes the tree dirty.
  const publish = relative(g.root, project.publishDir);
  const reads = settledLater({
    dirty: opts.allowDirty ? Promise.resolve([]) : git.dirtyPaths(g, publish && !publish.startsWith('..') ? publish : null),
    previousTag: previousReleaseTag(g.root, head, prefix, tagsAtHead, everyTag),
    userName: ctx.dryRun ? Promise.resolve(null) : git.gitUserName(g.cwd),
  });
  const dirty = await reads.dirty;
  if (dirty.length) {
    throw usageError(
      'E_DIRTY',
      `cut: the working tree is dirty (${dirty.slice(0, 3).join(', ')}${dirty.length > 3 ? `, +${dirty.length - 3} more` : ''})`,
      'commit or stash your changes, or pass --allow-dirty',
    );
  }

  const previousTag = await reads.previousTag;
  const version = await decideVersion(ctx, project, g, opts, previousTag, tags, tagsAtHead);
  const tag = `${prefix}${version}`;
  if (tags.includes(tag)) {
    throw failure('E_CUT', `cut: tag ${tag} already exists`, 'pass --version <v> to choose another version');
  }
  // The changelog's range, checked before anything is built: a shallow clone must not cut it short.
  const range = await changelog.releaseRange(ctx, project, { previousTag, head, tag, version, tagsAtHead, tags: everyTag });
  await changelog.checkWholeHistory(g.root, range);
  const untagged = releaseDir(project.publishDir, version);
  if (await pathExists(untagged)) {
    // A folder without its tag is an interrupted cut, replaced below; unless it was signed for a
    // channel meanwhile: new files under its name would fail every device's download (E_HASH).
    const carriedBy = await channelsCarrying(project.publishDir, version);
    if (carriedBy.length) {
      throw failure(
        'E_CUT',
        `cut: ${rel(ctx, untagged)} was never tagged, but ${carriedBy.join(', ')} already carries ${version}: it cannot be cut again`,
        `tag its commit by hand (git tag -a ${tag} <commit from its build.json>), or cut another version with --version`,
      );
    }
  }
  const builtAt = formatTime(ctx.now);
  const { runSteps } = await import('../io/progress.js');

  // Preflight: what can fail after the build is checked before it. The changelog needs only the
  // range and the issues, so it is built now: an unreadable issues file or an unreachable GitHub
  // stops the cut before hours of building.
  const changelogFiles = settledLater({ files: readChangelog(ctx, project, range) });
  const build = buildSection(ctx, project);
  const pattern = artifactPattern(build.artifacts, version);
  if (!pattern.ok) throw usageError('E_CONFIG', `${rel(ctx, project.configPath)}: build.artifacts: ${pattern.why}`, pattern.hint);
  if (!opts.skipBuild && !build.command)
    throw usageError('E_CONFIG', `${rel(ctx, project.configPath)}: build.command: required unless --skip-build`);
  if (!opts.skipBuild) await changelogFiles.files; // with --skip-build it overlaps the copy instead
  const buildStarted = Date.now();

  if (!opts.skipBuild) {
    if (ctx.dryRun) ctx.info(`would run the build: ${build.command}`);
    else {
      const { runBuild } = await import('../io/build.js');
      await runSteps(ctx, [
        {
          title: `build ${version}: ${build.command}`,
          prefix: 'build |',
          run: (report) =>
            runBuild({
              command: build.command!,
              cwd: project.root,
              env: { FRIDAY_VERSION: version, FRIDAY_TAG: tag, FRIDAY_PRODUCT: config.product, FRIDAY_DEVICES: config.devices.join(',') },
              timeoutMs: build.timeoutMinutes * 60_000,
              onLine: report.line,
            }),
        },
      ]);
    }
  }

  const sources = ctx.dryRun && !opts.skipBuild ? null : await findArtifacts(ctx, project, version, opts.skipBuild ? null : buildStarted);
  const record: BuildRecord = {
    type: BUILD_TYPE,
    product: config.product,
    version,
    tag,
    commit: head,
    previousTag,
    builtAt,
    artifacts: [],
  };
  const finalDir = releaseDir(project.publishDir, version);

  if (ctx.dryRun) {
    const { hashFile } = await import('../io/hashcopy.js');
    for (const s of sources ?? []) record.artifacts.push({ device: s.device, file: basename(s.path), ...(await hashFile(s.path)) });
    for (const f of [...record.artifacts.map((a) => a.file), 'build.json', 'CHANGELOG.md', 'changelog.json'])
      ctx.info(`would write ${rel(ctx, join(finalDir, f))}`);
    ctx.info(`would tag ${tag} on ${head.slice(0, 12)}${remote ? ` and push it to ${remote}` : ''}`);
    return { record, text: `dry run: would cut ${tag} (${record.artifacts.length} artifacts), nothing written` };
  }

  const releasesDir = join(project.publishDir, 'releases');
  await fs.mkdir(releasesDir, { recursive: true });
  await removeLeftovers(releasesDir);
  const tmpDir = join(releasesDir, `.${version}.tmp-${process.pid}`);
  await fs.mkdir(tmpDir, { recursive: true });
  try {
    const { copyAndHash, parallelCopies } = await import('../io/hashcopy.js');
    const parallel = Math.min(parallelCopies(), sources!.length);
    // Finished in any order, listed in the configuration's device order.
    const copied = new Array<BuildRecord['artifacts'][number]>(sources!.length);
    await runSteps(
      ctx,
      sources!.map((s, i) => ({
        title: `copy and hash ${s.device}: ${rel(ctx, s.path)}`,
        label: s.device,
        run: async (report) => {
          let shown = -1;
          const onProgress = (done: number, total: number) => {
            const pct = total ? Math.floor((done / total) * 4) * 25 : 100;
            if (total > 256 * 1024 * 1024 && pct !== shown && pct < 100) report.status(`${pct}%`);
            shown = pct;
          };
          const r = await copyAndHash(s.path, join(tmpDir, basename(s.path)), onProgress, parallel);
          copied[i] = { device: s.device, file: basename(s.path), size: r.size, sha256: r.sha256 };
        },
      })),
      { concurrency: parallel },
    );
    record.artifacts.push(...copied);
    await writeFileAtomic(join(tmpDir, 'build.json'), toJsonText(record));
    const files = await changelogFiles.files;
    for (const w of files.warnings) ctx.warn(w);
    for (const [name, text] of Object.entries(files.texts)) await writeFileAtomic(join(tmpDir, name), text);
    if (await pathExists(finalDir)) {
      ctx.warn(`replacing ${rel(ctx, finalDir)}: it was never tagged (an interrupted cut)`);
      await fs.rm(finalDir, { recursive: true, force: true });
    }
    await fs.rename(tmpDir, finalDir);
  } catch (err) {
    await changelogFiles.files.catch(() => {}); // nothing still writes when the folder goes
    await fs.rm(tmpDir, { recursive: true, force: true });
    throw err;
  }

  const message = `${version}\n\n${record.artifacts.map((a) => `${a.sha256}  ${a.file}`).join('\n')}\n`;
  try {
    const env: Record<string, string> = { GIT_COMMITTER_DATE: builtAt };
    if (!(await reads.userName)) {
      env.GIT_COMMITTER_NAME = 'friday';
      env.GIT_COMMITTER_EMAIL = 'friday@localhost';
      ctx.warn('git has no user.name: the tag is signed off as "friday"');
    }
    await git.createAnnotatedTag(g, tag, message, env, releasesDir);
  } catch (err) {
    // A git that outlived a killed cut of this same version may have made the tag meanwhile: the
    // same message (version and artifact hashes) is the same release, so the folder stays with it.
    if ((await git.tagMessage(g, tag)) === message) {
      ctx.warn(`${tag} was created meanwhile by another git process, with the same artifacts: kept`);
    } else {
      await fs.rm(finalDir, { recursive: true, force: true });
      throw err;
    }
  }
  if (remote) {
    try {
      await git.pushTag(g, remote, tag);
    } catch (err) {
      throw failure(
        'E_PUSH',
        `cut: ${tag} was cut but not pushed: ${(err as Error).message}`,
        `run \`friday cut --push ${remote}\` again to push it`,
      );
    }
  }
  const lines = [
    `cut ${tag} at ${head.slice(0, 12)}${previousTag ? ` (previous ${previousTag})` : ' (first release)'}`,
    ...record.artifacts.map((a) => `  ${a.device}: ${a.file} ${a.size} bytes sha256 ${a.sha256}`),
    `release: ${rel(ctx, finalDir)}`,
  ];
  if (remote) lines.push(`pushed ${tag} to ${remote}`);
  return { record, text: lines.join('\n') };
}

async function decideVersion(
  ctx: Context,
  project: Project,
  g: Git,
  opts: CutOptions,
  previousTag: string | null,
  tags: string[],
  tagsAtHead: string[],
): Promise<string> {
  const { scheme, tagPrefix } = project.config.versioning;
  if (opts.version !== undefined) {
    if (!isValidVersion(opts.version))
      throw usageError('E_USAGE', `--version ${opts.version}: not a semantic version (such as 2026.48.0 or 1.4.2)`);
    if (tags.includes(`${tagPrefix}${opts.version}`))
      throw usageError('E_USAGE', `--version ${opts.version}: tag ${tagPrefix}${opts.version} already exists`);
    return opts.version;
  }
  if (scheme === 'calver-week') {
    if (opts.bump) throw usageError('E_USAGE', '--bump: only for versioning.scheme "semver" (this repository uses calver-week)');
    return nextCalver(ctx.now, tags, tagPrefix);
  }
  if (tagsAtHead.length > 0) {
    // --force on a tagged HEAD: the next version after the highest release already on it.
    const { compareVersions } = await import('../client/version.js');
    const onHead = tagsAtHead.map((t) => releaseVersionOf(t, tagPrefix)!).sort(compareVersions);
    return nextSemver(onHead[onHead.length - 1]!, [], opts.bump);
  }
  const previous = previousTag ? releaseVersionOf(previousTag, tagPrefix) : null;
  const messages = previous ? await git.commitMessages(g, previousTag, 'HEAD') : [];
  return nextSemver(previous, messages, opts.bump);
}

/**
 * One artifact per device, where `build.artifacts` says (with `{device}` and `{version}` filled
 * in). A match the build did not write (older than the build's start) is last week's image:
 * said as such, with the fix.
 */
async function findArtifacts(
  ctx: Context,
  project: Project,
  version: string,
  builtSince: number | null,
): Promise<{ device: string; path: string }[]> {
  const { glob } = await import('tinyglobby');
  const raw = buildSection(ctx, project).artifacts;
  const config = rel(ctx, project.configPath);
  const withVersion = raw.includes('{version}');
  const fix = withVersion
    ? 'have the build clean its output folder first'
    : `put {version} in build.artifacts (e.g. "${raw.replace(/\*(\.[^./]+)$/, `*{version}$1`)}") so only this week's image matches, or have the build clean its output folder first`;
  const found: { device: string; path: string }[] = [];
  for (const device of project.config.devices) {
    const p = raw.replaceAll('{device}', device).replaceAll('{version}', version);
    const matches = (await glob(p, { cwd: project.root, onlyFiles: true, dot: false, expandDirectories: false })).sort();
    if (matches.length !== 1) {
      const stale = builtSince === null ? [] : await olderThan(project.root, matches, builtSince);
      throw failure(
        'E_ARTIFACT',
        `cut: device ${device}: build.artifacts "${p}" matched ${matches.length === 0 ? 'no file' : `${matches.length} files (${matches.slice(0, 3).join(', ')})`}`,
        matches.length === 0
          ? `check build.artifacts in ${config} against where the build leaves the image of ${device}`
          : stale.length
            ? `${stale.join(', ')} ${stale.length === 1 ? 'is' : 'are'} from an earlier build: ${fix}`
            : 'the build must leave exactly one image per device',
      );
    }
    const path = resolve(project.root, matches[0]!);
    if (builtSince !== null && (await olderThan(project.root, matches, builtSince)).length) {
      throw failure(
        'E_ARTIFACT',
        `cut: device ${device}: ${matches[0]} was not written by this build (it is older than the build)`,
        `it is an earlier build's image: ${fix}`,
      );
    }
    found.push({ device, path });
  }
  const names = new Map<string, string>();
  for (const f of found) {
    const name = basename(f.path);
    const other = names.get(name);
    if (other)
      throw failure(
        'E_ARTIFACT',
        `cut: devices ${other} and ${f.device} both produce ${name}`,
        'artifact file names must differ per device',
      );
    names.set(name, f.device);
  }
  return found;
}

/** The files (relative to `root`) last modified before `ms`, with a second of slack for coarse clocks. */
async function olderThan(root: string, files: string[], ms: number): Promise<string[]> {
  const out: string[] = [];
  for (const f of files) if ((await fs.stat(resolve(root, f))).mtimeMs < ms - 1000) out.push(f);
  return out;
}

/** The changelog files of the release (docs/changelog.md), by name. */
async function readChangelog(
  ctx: Context,
  project: Project,
  range: import('./changelog.js').ChangelogArgs,
): Promise<{ texts: Record<string, string>; warnings: string[] }> {
  const { buildChangelog } = await import('./changelog.js');
  const cl = await buildChangelog(ctx, project, range);
  return { texts: { 'changelog.json': toJsonText(cl.json), 'CHANGELOG.md': cl.markdown }, warnings: cl.warnings };
}

/**
 * Promises started now and awaited later, perhaps not all of them (an earlier one may fail
 * first): each gets a handler at once, so a rejection nobody awaits is not an unhandled one.
 */
function settledLater<T extends Record<string, Promise<unknown>>>(promises: T): T {
  for (const p of Object.values(promises)) p.catch(() => {});
  return promises;
}

/** Temporary release folders of cuts that died (we hold the lock, so none is live). */
async function removeLeftovers(releasesDir: string): Promise<void> {
  for (const name of await fs.readdir(releasesDir)) {
    if (name.startsWith('.') && name.includes('.tmp-')) await fs.rm(join(releasesDir, name), { recursive: true, force: true });
  }
}

/**
 * The config's `build` section: optional in the schema, since only a cut builds, but a cut needs
 * it even with --skip-build, whose files `build.artifacts` finds.
 */
function buildSection(ctx: Context, project: Project): NonNullable<Project['config']['build']> {
  const build = project.config.build;
  if (build === undefined)
    throw usageError(
      'E_CONFIG',
      `${rel(ctx, project.configPath)}: build: required by cut (build.artifacts finds each device's image)`,
      'add a "build" section: { "command": "…", "artifacts": "out/{device}/*.zip" }',
    );
  return build;
}

const rel = (ctx: Context, p: string) => displayPath(ctx.cwd, p);

/** The channels whose live, staged or past manifests name `version`. */
async function channelsCarrying(publishDir: string, version: string): Promise<string[]> {
  const root = join(publishDir, 'channels');
  const channels = await fs.readdir(root).catch(() => [] as string[]);
  const carrying: string[] = [];
  const names = (value: unknown) =>
    (value as { signed?: { release?: { version?: unknown } } } | null)?.signed?.release?.version === version;
  for (const channel of channels) {
    const dir = join(root, channel);
    const history = (await fs.readdir(join(dir, 'history')).catch(() => [] as string[])).map((n) => join(dir, 'history', n));
    for (const file of [join(dir, 'manifest.json'), join(dir, 'staged.json'), ...history]) {
      const text = await fs.readFile(file, 'utf8').catch(() => null);
      if (text === null) continue;
      let doc: unknown = null;
      try {
        doc = JSON.parse(text);
      } catch {
        // a damaged file is another command's business
      }
      if (names(doc)) {
        carrying.push(channel);
        break;
      }
    }
  }
  return carrying;
}

/** What `friday init` writes until the user says is refused before anything runs, naming the field. */
function refusePlaceholders(ctx: Context, project: Project, build: NonNullable<Project['config']['build']>): void {
  const config = rel(ctx, project.configPath);
  if (project.config.devices.includes(PLACEHOLDER_DEVICE))
    throw usageError(
      'E_CONFIG',
      `${config}: devices: still the placeholder "${PLACEHOLDER_DEVICE}" that init wrote`,
      'list your device codenames, e.g. "devices": ["cepheus", "umi"]',
    );
  if (build.command === PLACEHOLDER_BUILD)
    throw usageError(
      'E_CONFIG',
      `${config}: build.command: still the placeholder that init wrote`,
      'set it to the command that builds your ROM (e.g. "make otapackage"), or cut files already built with --skip-build',
    );
}
