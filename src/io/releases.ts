/**
 * The releases folder of the publish root, `<publish>/releases/<version>/` (docs/formats.md):
 * the one reader of build.json, the re-hash that keeps a manifest from signing bytes that are not
 * on disk, and the notes a manifest carries from the changelog.
 */
import { createReadStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { ManifestBody } from '../client/index.js';
import { buildRecordProblems, type BuildRecord } from '../core/build-record.js';
import { errnoCode, failure } from '../errors.js';
import { displayPath } from './display.js';

/** Where the releases are, and how to name them. */
export interface ReleasePlace {
  publishDir: string;
  root: string;
  product: string;
}

export const releaseDir = (publishDir: string, version: string) => join(publishDir, 'releases', version);

/** The versions that have a build record, in no particular order. */
export async function listReleases(publishDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(join(publishDir, 'releases'));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
  const out: string[] = [];
  // A hidden folder is a cut being assembled or a release being pruned, never a release.
  for (const n of names.filter((n) => !n.startsWith('.'))) {
    try {
      await fs.access(join(publishDir, 'releases', n, 'build.json'));
      out.push(n);
    } catch {
      // a folder without a build record is not a release (a cut in progress or a failed one)
    }
  }
  return out;
}

/** build.json, checked; missing is null with `missingOk`, else a failure (exit 1) like a broken one. */
export async function readBuildRecord(p: ReleasePlace, version: string, opts: { missingOk: true }): Promise<BuildRecord | null>;
export async function readBuildRecord(p: ReleasePlace, version: string, opts?: { missingOk?: false }): Promise<BuildRecord>;
export async function readBuildRecord(p: ReleasePlace, version: string, opts: { missingOk?: boolean } = {}): Promise<BuildRecord | null> {
  const path = join(releaseDir(p.publishDir, version), 'build.json');
  const label = displayPath(p.root, path);
  let value: unknown;
  try {
    value = JSON.parse(await fs.readFile(path, 'utf8'));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') {
      if (opts.missingOk) return null;
      throw failure('E_RELEASE', `release ${version}: no build record (${label})`, 'cut it first with `friday cut`');
    }
    throw failure(
      'E_RELEASE',
      `${label}: ${err instanceof SyntaxError ? `not valid JSON (${err.message})` : `cannot read (${errnoCode(err) ?? String(err)})`}`,
    );
  }
  const problems = buildRecordProblems(value, { product: p.product, version });
  if (problems.length) throw failure('E_RELEASE', `${label}: ${problems.join('; ')}`);
  return value as BuildRecord;
}

/** Hash a release's files again: a manifest must never sign bytes that are not on disk. */
export async function rehashArtifacts(p: ReleasePlace, build: BuildRecord, info: (line: string) => void): Promise<void> {
  const { createHash } = await import('node:crypto'); // not on `status`'s start-up path
  const again = `the file changed after the cut; restore it from your release storage, or cut a new release (friday cut --force) and stage that`;
  for (const a of build.artifacts) {
    const path = join(releaseDir(p.publishDir, build.version), a.file);
    const label = displayPath(p.root, path);
    let size: number;
    try {
      size = (await fs.stat(path)).size;
    } catch (err) {
      throw failure(
        'E_RELEASE',
        `release ${build.version}: ${label}: ${errnoCode(err) === 'ENOENT' ? 'missing' : `cannot read (${errnoCode(err)})`}`,
        'restore it from your release storage, or cut a new release (friday cut --force) and stage that',
      );
    }
    if (size !== a.size)
      throw failure('E_SIZE', `release ${build.version}: ${label}: ${size} bytes, the build record says ${a.size}`, again);
    info(`checking ${label} (${a.size} bytes)`);
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
    const digest = hash.digest('hex');
    if (digest !== a.sha256)
      throw failure('E_HASH', `release ${build.version}: ${label}: SHA-256 ${digest}, the build record says ${a.sha256}`, again);
  }
}

/** The manifest's notes: the Popcorn Award from changelog.json and the changelog's path. */
export async function readNotes(publishDir: string, version: string, warn: (line: string) => void): Promise<ManifestBody['notes']> {
  const dir = releaseDir(publishDir, version);
  let popcorn: ManifestBody['notes']['popcorn'] = null;
  try {
    const cl = JSON.parse(await fs.readFile(join(dir, 'changelog.json'), 'utf8')) as {
      popcorn?: { id?: unknown; title?: unknown } | null;
    };
    if (cl.popcorn && typeof cl.popcorn.id === 'number' && typeof cl.popcorn.title === 'string')
      popcorn = { id: cl.popcorn.id, title: cl.popcorn.title };
  } catch (err) {
    warn(
      `release ${version}: ${errnoCode(err) === 'ENOENT' ? 'no changelog.json' : 'changelog.json unreadable'}; the manifest names no Popcorn Award`,
    );
  }
  let changelog: string | null = `releases/${version}/CHANGELOG.md`;
  try {
    await fs.access(join(dir, 'CHANGELOG.md'));
  } catch {
    changelog = null;
  }
  return { popcorn, changelog };
}

/** Every file's size in a release folder, added up (what removing it frees). */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? await folderBytes(p) : (await fs.lstat(p)).size;
  }
  return total;
}
