/**
 * A channel's TUF export on disk (docs/security.md "The TUF view of a channel"): what the previous
 * export left (its root, and the versions of targets, snapshot and timestamp, which only ever
 * go up), and the writes of a new one in TUF's order: new root versions, root.json, targets,
 * snapshot, timestamp last, so a client that reads the timestamp first never meets a timestamp
 * naming a snapshot that is not there yet.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { RootSigned } from '../core/tuf.js';
import { errnoCode, failure, usageError } from '../errors.js';
import { displayPath } from './display.js';
import type { Store } from './store.js';

export const tufDir = (publishDir: string, channel: string) => join(publishDir, 'tuf', channel);

export interface PreviousExport {
  /** root.json's signed part, or null before the first export. */
  root: RootSigned | null;
  targets: number;
  snapshot: number;
  timestamp: number;
}

/** The `signed` part of one metadata file of the export, or null when there is none; a damaged one is E_STATE (exit 2) naming it. */
async function readSigned(dir: string, name: string, type: string, root: string): Promise<Record<string, unknown> | null> {
  const path = join(dir, name);
  const label = displayPath(root, path);
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw failure('E_STATE', `${label}: cannot read (${errnoCode(err) ?? String(err)})`);
  }
  let signed: unknown;
  try {
    signed = (JSON.parse(text) as { signed?: unknown }).signed;
  } catch (err) {
    signed = (err as Error).message;
  }
  const ok = typeof signed === 'object' && signed !== null && (signed as { _type?: unknown })._type === type;
  const version = ok ? (signed as { version?: unknown }).version : null;
  if (!ok || !Number.isSafeInteger(version) || (version as number) < 1)
    throw usageError(
      'E_STATE',
      `${label}: not ${type} metadata with a version`,
      'restore it from a mirror of the publish root: the next export counts its versions on from it',
    );
  return signed as Record<string, unknown>;
}

export async function readPreviousExport(dir: string, root: string): Promise<PreviousExport> {
  const version = async (role: string) => ((await readSigned(dir, `${role}.json`, role, root))?.version as number | undefined) ?? 0;
  return {
    root: (await readSigned(dir, 'root.json', 'root', root)) as RootSigned | null,
    targets: await version('targets'),
    snapshot: await version('snapshot'),
    timestamp: await version('timestamp'),
  };
}

/** Every folder under `<publish>/tuf/` that holds an export (a root.json): the channels `keys rotate` extends. */
export async function exportedChannels(publishDir: string): Promise<string[]> {
  const base = join(publishDir, 'tuf');
  const names = await fs.readdir(base).catch(() => [] as string[]);
  const out: string[] = [];
  for (const n of names.sort())
    if (
      await fs.stat(join(base, n, 'root.json')).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      out.push(n);
  return out;
}

/** One file of an export, its bytes ready. */
export interface TufWrite {
  name: string;
  text: string;
}

/** Write `files` into `dir` in the given order, each atomically (the order is the caller's: timestamp last). */
export async function writeExport(store: Store, dir: string, files: readonly TufWrite[]): Promise<void> {
  for (const f of files) {
    await store.writeFile(join(dir, f.name), f.text);
    store.checkpoint('tuf');
  }
}

/** Where `stage` and `sign` keep the export of the staged manifest until `publish` puts it in place. */
export const stagedExportDir = (dir: string) => join(dir, '.staged');

/** The staged export's files, by name; none when there is no staged export. */
export async function readStagedExport(dir: string): Promise<TufWrite[]> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const out: TufWrite[] = [];
  for (const name of names.filter((n) => /^(?:\d+\.)?(?:root|targets|snapshot|timestamp)\.json$/.test(n)))
    out.push({ name, text: await fs.readFile(join(dir, name), 'utf8') });
  return out;
}

export async function removeStagedExport(store: Store, dir: string): Promise<void> {
  if (
    await fs.stat(stagedExportDir(dir)).then(
      () => true,
      () => false,
    )
  )
    await store.remove(stagedExportDir(dir));
}
