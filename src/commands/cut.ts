/**
 * `friday cut`: read (config, git, clock) → decide (version) → build → write (release folder,
 * then the annotated tag). The release folder is assembled under a temporary name and renamed
 * into place before tagging, so a failed build or a crash leaves no tag and no release folder;
 * a release folder without a tag (crash between rename and tag) is replaced by the next run.
 */
import { promises as fs } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import type { Context, Outcome } from '../context.js';
import { failure, usageError } from '../errors.js';
import { formatTime } from '../core/time.js';
import { isValidVersion, nextCalver, nextSemver, releaseVersionOf, type Bump } from '../core/version.js';
import { loadProject, type Project } from '../io/project.js';
import { readBuildRecord, releaseDir } from '../io/releases.js';
import { pathExists, withLock, writeFileAtomic, toJsonText } from '../io/store.js';
import * as git from '../io/git.js';
import type { Git } from '../io/git.js';
import { BUILD_TYPE, type BuildRecord } from '../core/build-record.js';

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

export async function run(ctx: Context, opts: CutOptions): Promise<Outcome> {
  const project = await loadProject(ctx);
  buildSection(ctx, project); // a config without one fails here, before the lock writes anything
  const g = await git.openRepo(ctx.cwd);
  await git.headCommit(g); // no commit, nothing to cut: said before the lock writes anything
  const cut = () => cutLocked(ctx, project, g, opts);
  // The lock makes two cuts of one repository take turns: the second then finds HEAD tagged.
  return ctx.dryRun ? cut() : withLock(join(project.publishDir, 'releases'), 'cut', cut);
}

async function cutLocked(ctx: Context, project: Project, g: Git, opts: CutOptions): Promise<Outcome> {
  const { config } = project;
  const prefix = config.versioning.tagPrefix;
  const remote = opts.push === true ? 'origin' : typeof opts.push === 'string' ? opts.push : null;
  const head = await git.headCommit(g);
  const changelog = await import('../workflow/changelog.js');
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

  // A re-run Friday job on a tagged HEAD is harmless: report the release (cli.md `cut`).
  if (tagsAtHead.length > 0 && !opts.force) {
    for (const tag of tagsAtHead) {
      const version = releaseVersionOf(tag, prefix)!;
      const recordPath = join(releaseDir(project.publishDir, version), 'build.json');
      const record = await readBuildRecord({ publishDir: project.publishDir, root: project.root, product: config.product }, version, {
        missingOk: true,
      });
      if (record) {
        if (remote && !ctx.dryRun) await git.pushTag(g, remote, tag);
        return { result: record, text: `${tag} already cut at ${head.slice(0, 12)}: nothing to do (${rel(ctx, recordPath)})` };
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

  if (!opts.skipBuild) {
    const build = buildSection(ctx, project);
    if (!build.command) throw usageError('E_CONFIG', `${rel(ctx, project.configPath)}: build.command: required unless --skip-build`);
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
              cwd: ctx.cwd,
              env: { FRIDAY_VERSION: version, FRIDAY_TAG: tag, FRIDAY_PRODUCT: config.product, FRIDAY_DEVICES: config.devices.join(',') },
              timeoutMs: build.timeoutMinutes * 60_000,
              onLine: report.line,
            }),
        },
      ]);
    }
  }

  const sources = ctx.dryRun && !opts.skipBuild ? null : await findArtifacts(ctx, project);
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
    return { result: record, text: `dry run: would cut ${tag} (${record.artifacts.length} artifacts), nothing written` };
  }

  const releasesDir = join(project.publishDir, 'releases');
  await fs.mkdir(releasesDir, { recursive: true });
  await removeLeftovers(releasesDir);
  const tmpDir = join(releasesDir, `.${version}.tmp-${process.pid}`);
  await fs.mkdir(tmpDir, { recursive: true });
  // The changelog (git log, issues) is read while the artifacts are copied and hashed.
  const changelogFiles = settledLater({ files: readChangelog(ctx, project, range) });
  try {
    const { copyAndHash } = await import('../io/hashcopy.js');
    await runSteps(
      ctx,
      sources!.map((s) => ({
        title: `copy and hash ${s.device}: ${rel(ctx, s.path)}`,
        run: async (report) => {
          let shown = -1;
          const r = await copyAndHash(s.path, join(tmpDir, basename(s.path)), (done, total) => {
            const pct = total ? Math.floor((done / total) * 4) * 25 : 100;
            if (total > 256 * 1024 * 1024 && pct !== shown && pct < 100) report.status(`${pct}%`);
            shown = pct;
          });
          record.artifacts.push({ device: s.device, file: basename(s.path), size: r.size, sha256: r.sha256 });
        },
      })),
    );
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
    await git.createAnnotatedTag(g, tag, message, env);
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
  return { result: record, text: lines.join('\n') };
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

async function findArtifacts(ctx: Context, project: Project): Promise<{ device: string; path: string }[]> {
  const { glob } = await import('tinyglobby');
  const pattern = buildSection(ctx, project).artifacts;
  const found: { device: string; path: string }[] = [];
  for (const device of project.config.devices) {
    const p = pattern.replaceAll('{device}', device);
    const matches = (await glob(p, { cwd: ctx.cwd, onlyFiles: true, dot: false, expandDirectories: false })).sort();
    if (matches.length !== 1) {
      throw failure(
        'E_ARTIFACT',
        `cut: device ${device}: build.artifacts "${p}" matched ${matches.length === 0 ? 'no file' : `${matches.length} files (${matches.slice(0, 3).join(', ')})`}`,
        matches.length === 0
          ? 'check build.artifacts in friday.config.json and the build output'
          : 'the build must leave exactly one image per device',
      );
    }
    found.push({ device, path: resolve(ctx.cwd, matches[0]!) });
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

/** The changelog files of the release (docs/changelog.md), by name. */
async function readChangelog(
  ctx: Context,
  project: Project,
  range: import('../workflow/changelog.js').ChangelogArgs,
): Promise<{ texts: Record<string, string>; warnings: string[] }> {
  const { buildChangelog } = await import('../workflow/changelog.js');
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

function rel(ctx: Context, p: string): string {
  const r = relative(ctx.cwd, p);
  return r && !r.startsWith('..') ? r : p;
}

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
