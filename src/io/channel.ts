/**
 * A channel's folder in the publish root (docs/formats.md "The publish root"): reading the live,
 * staged and history manifests and the audit log, the channel lock, and the publish sequence.
 *
 * The publish order is what makes a killed run harmless (docs/formats.md "Publishing"): the
 * `.minisig` files of the artifacts and the manifest first (for `publish`, the staged ones), then the
 * live manifest.json moves into place (atomic rename), then its copy in history/, then
 * staged.json goes (when it is the manifest published), then the audit lines. A run killed
 * between two steps leaves a live manifest whose history copy, staged removal or audit line is
 * missing; the next command completes them under the lock (`completePublish`) before it does
 * anything else. So history/ only ever holds manifests that went live, and a file once written
 * there never changes (`writeHistory` refuses to rewrite one).
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { canonicalBytes, type SignedManifest } from '../client/index.js';
import { manifestText } from '../core/manifest.js';
import { removeStagedMinisigs, writeMinisigs, writeStagedMinisigs, type MinisignPlan } from './minisign.js';
import { errnoCode, FridayError } from '../errors.js';
import { displayPath } from './display.js';
import { readManagedManifest } from './manifest-file.js';
import { withLock, type Store } from './store.js';

export type { SignedManifest };

export interface AuditEvent {
  at: string;
  action: 'stage' | 'sign' | 'publish' | 'rollout' | 'rollback' | 'renew' | 'watch' | 'awards';
  serial: number | null;
  version: string | null;
  actor: string;
  detail: unknown;
}

export const channelDir = (publishDir: string, channel: string) => join(publishDir, 'channels', channel);
export const livePath = (publishDir: string, channel: string) => join(channelDir(publishDir, channel), 'manifest.json');
export const stagedPath = (publishDir: string, channel: string) => join(channelDir(publishDir, channel), 'staged.json');
export const eventsPath = (publishDir: string, channel: string) => join(channelDir(publishDir, channel), 'events.ndjson');
export const historyDir = (publishDir: string, channel: string) => join(channelDir(publishDir, channel), 'history');
export const historyPath = (publishDir: string, channel: string, serial: number) =>
  join(historyDir(publishDir, channel), `${String(serial).padStart(8, '0')}.json`);

/** The audit log; a line that does not parse (a torn write from a crash) is skipped, never fatal. */
export async function readEvents(publishDir: string, channel: string): Promise<AuditEvent[]> {
  let text: string;
  try {
    text = await fs.readFile(eventsPath(publishDir, channel), 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
  const events: AuditEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as AuditEvent;
      if (e && typeof e === 'object' && typeof e.at === 'string' && typeof e.action === 'string') events.push(e);
    } catch {
      // skipped: see above
    }
  }
  return events;
}

export async function appendEvent(store: Store, publishDir: string, channel: string, ev: AuditEvent): Promise<void> {
  await store.appendLine(eventsPath(publishDir, channel), JSON.stringify(ev));
}

/** A managed manifest file, or null when it does not exist. A broken one is E_STATE naming it (shown from `root`). */
export async function readManifestFile(path: string, root: string = process.cwd()): Promise<SignedManifest | null> {
  return readManagedManifest(path, displayPath(root, path));
}

export const readLiveManifest = (publishDir: string, channel: string, root?: string) =>
  readManifestFile(livePath(publishDir, channel), root);
export const readStagedManifest = (publishDir: string, channel: string, root?: string) =>
  readManifestFile(stagedPath(publishDir, channel), root);

/** Every manifest published on the channel, by serial. */
export async function readHistory(publishDir: string, channel: string, root?: string): Promise<SignedManifest[]> {
  let names: string[];
  try {
    names = await fs.readdir(historyDir(publishDir, channel));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
  const out: SignedManifest[] = [];
  for (const n of names.filter((n) => /^\d{8,}\.json$/.test(n)).sort()) {
    const m = await readManifestFile(join(historyDir(publishDir, channel), n), root);
    if (m) out.push(m);
  }
  return out;
}

/** Run `fn` holding the channel's lock (`channels/<name>/.friday.lock`), after sweeping a killed run's temp files. */
export async function lockChannel<T>(publishDir: string, channel: string, fn: () => Promise<T>): Promise<T> {
  const dir = channelDir(publishDir, channel);
  await fs.mkdir(dir, { recursive: true });
  return withLock(join(dir, '.friday'), `channel ${channel}`, async () => {
    await sweepTemp(dir);
    await sweepTemp(historyDir(publishDir, channel));
    return fn();
  });
}

async function sweepTemp(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  // Only the atomic writer's own temp names (`.<file>.<pid>.<hex>.tmp`); we hold the lock, so none is in use.
  await Promise.all(names.filter((n) => /^\..+\.\d+\.[0-9a-f]+\.tmp$/.test(n)).map((n) => fs.rm(join(dir, n), { force: true })));
}

/** A manifest file (live, staged), atomically, `signed` in canonical form (core manifestText). */
export async function writeManifest(store: Store, path: string, doc: SignedManifest): Promise<void> {
  await store.writeFile(path, manifestText(doc));
}

/**
 * A signed manifest into staged.json, its `.minisig` files first (docs/formats.md "minisign
 * signatures"): the artifacts' not signed yet, and the staged manifest's over the very bytes that
 * become manifest.json, so `friday publish`, which has no key, puts them in place with it.
 */
export async function writeStaged(store: Store, publishDir: string, doc: SignedManifest, minisign: MinisignPlan): Promise<void> {
  await writeStagedMinisigs(store, publishDir, doc, minisign);
  await writeManifest(store, stagedPath(publishDir, doc.signed.channel), doc);
}

/**
 * The history copy of a published manifest. A history file is never rewritten: the same bytes
 * again is nothing to do, other bytes under the same name is an internal error, never silent
 * (a mirror or a cache may hold the first copy).
 */
export async function writeHistory(store: Store, publishDir: string, doc: SignedManifest): Promise<void> {
  const path = historyPath(publishDir, doc.signed.channel, doc.signed.serial);
  const text = manifestText(doc);
  if (!(await historyHolds(path, text))) await store.writeFile(path, text);
}

/** Whether the history file at `path` already holds `text`; false when there is none; an error when it holds another. */
async function historyHolds(path: string, text: string): Promise<boolean> {
  let existing: string;
  try {
    existing = await fs.readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw err;
  }
  if (existing === text) return true;
  throw new FridayError(
    'E_INTERNAL',
    `${path}: a history file already holds another manifest for this serial; history files are never rewritten`,
    1,
    'a manifest that never went live was left there by an interrupted publish of an older friday: move it out of history/ and run again',
  );
}

/**
 * Make `doc` the live manifest (the lock must be held), in the order of the header: live file,
 * history copy, staged.json (when it was the one published), audit lines.
 */
export async function publishManifest(
  store: Store,
  publishDir: string,
  doc: SignedManifest,
  events: AuditEvent[],
  opts: { removeStaged: boolean; minisign?: MinisignPlan },
): Promise<void> {
  const ch = doc.signed.channel;
  // Refused before the live file moves: a serial whose history name is taken must never go live.
  await historyHolds(historyPath(publishDir, ch, doc.signed.serial), manifestText(doc));
  // The .minisig files are part of the publish: in place before the live file moves, so a mirror
  // never serves a live manifest whose artifacts lack them.
  await writeMinisigs(store, publishDir, doc, opts.minisign ?? { signers: [], current: [] });
  store.checkpoint('minisig');
  await writeManifest(store, livePath(publishDir, ch), doc);
  store.checkpoint('live');
  await writeHistory(store, publishDir, doc);
  store.checkpoint('history');
  if (opts.removeStaged) {
    await store.remove(stagedPath(publishDir, ch));
    await removeStagedMinisigs(store, channelDir(publishDir, ch));
    store.checkpoint('staged');
  }
  for (const e of events) {
    await appendEvent(store, publishDir, ch, e);
    store.checkpoint('event');
  }
}

/**
 * Finish what a killed publish left undone (the lock must be held): the live manifest's history
 * copy, a staged.json that is the live manifest, and its publish line in the audit log (the log is
 * append-only, so the gap is closed by a line saying so, not by rewriting). Returns the events.
 */
export async function completePublish(
  store: Store,
  publishDir: string,
  channel: string,
  actor: () => Promise<string>,
): Promise<AuditEvent[]> {
  const events = await readEvents(publishDir, channel);
  const live = await readLiveManifest(publishDir, channel);
  if (!live) return events;
  const s = live.signed;
  await writeHistory(store, publishDir, live);
  const staged = await readStagedManifest(publishDir, channel).catch(() => null);
  if (staged && canonicalBytes(staged.signed).equals(canonicalBytes(s))) {
    await store.remove(stagedPath(publishDir, channel));
    await removeStagedMinisigs(store, channelDir(publishDir, channel));
  }
  if (events.some((e) => e.action === 'publish' && e.serial === s.serial)) return events;
  const ev: AuditEvent = {
    at: s.issuedAt,
    action: 'publish',
    serial: s.serial,
    version: s.release.version,
    actor: await actor(),
    detail: { recovered: true, note: 'published by a run that stopped before logging it' },
  };
  await appendEvent(store, publishDir, channel, ev);
  return [...events, ev];
}
