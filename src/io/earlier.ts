/**
 * The earlier releases of the publish root as a changelog reads them (src/core/earlier.ts decides
 * what they mean): each release folder's changelog.json (entries and Popcorn Award) and whether
 * it has a CHANGELOG.md, and each channel's audit log. A damaged changelog.json is read as none,
 * never fatal: it only loses its entries and award from this changelog's view.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { ChannelLog, EarlierRelease } from '../core/earlier.js';
import { errnoCode } from '../errors.js';
import { listReleases, releaseDir } from './releases.js';

export async function readEarlier(publishDir: string): Promise<{ releases: EarlierRelease[]; channels: ChannelLog[] }> {
  const [versions, channelNames] = await Promise.all([listReleases(publishDir), readdirOrNone(join(publishDir, 'channels'))]);
  const releases = await Promise.all(versions.map((v) => readRelease(publishDir, v)));
  let channels: ChannelLog[] = [];
  if (channelNames.length > 0) {
    // Only a publish root with channels pays for loading the channel module.
    const { readEvents } = await import('./channel.js');
    channels = await Promise.all(channelNames.map(async (channel) => ({ channel, events: await readEvents(publishDir, channel) })));
  }
  return { releases, channels };
}

async function readdirOrNone(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
}

async function readRelease(publishDir: string, version: string): Promise<EarlierRelease> {
  const dir = releaseDir(publishDir, version);
  const [json, markdown, awards] = await Promise.all([
    fs.readFile(join(dir, 'changelog.json'), 'utf8').catch(() => null),
    fs.access(join(dir, 'CHANGELOG.md')).then(
      () => true,
      () => false,
    ),
    readAwardsFacts(publishDir, version),
  ]);
  return { version, changelog: json === null ? null : changelogFacts(json), markdown, ...(awards ? { awards } : {}) };
}

/**
 * The Popcorn Award of a release's Tuesday ceremony (its awards.json, docs/fans.md): the winning
 * issue (null: none) and when it was held; null when no ceremony was held or the file is damaged.
 */
export async function readAwardsFacts(publishDir: string, version: string): Promise<EarlierRelease['awards'] | null> {
  let doc: { type?: unknown; heldAt?: unknown; awards?: unknown };
  try {
    doc = JSON.parse(await fs.readFile(join(releaseDir(publishDir, version), 'awards.json'), 'utf8')) as typeof doc;
  } catch {
    return null;
  }
  if (!doc || doc.type !== 'friday.awards/v1' || typeof doc.heldAt !== 'string' || !Array.isArray(doc.awards)) return null;
  const popcorn = (doc.awards as { kind?: unknown; winner?: { id?: unknown } | null }[]).find((a) => a?.kind === 'popcorn');
  const id = popcorn?.winner?.id;
  return { popcornId: typeof id === 'number' && Number.isSafeInteger(id) ? id : null, heldAt: doc.heldAt };
}

/** The entries and the award of a changelog.json, or null when it is not one. */
function changelogFacts(text: string): EarlierRelease['changelog'] {
  let doc: { entries?: unknown; popcorn?: { id?: unknown } | null };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch {
    return null;
  }
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.entries)) return null;
  const entries: { id: number; title: string; type: string }[] = [];
  for (const e of doc.entries as { id?: unknown; title?: unknown; type?: unknown }[]) {
    if (e && Number.isSafeInteger(e.id) && typeof e.title === 'string' && typeof e.type === 'string')
      entries.push({ id: e.id as number, title: e.title, type: e.type });
  }
  const id = doc.popcorn?.id;
  return { entries, popcornId: typeof id === 'number' && Number.isSafeInteger(id) ? id : null };
}
