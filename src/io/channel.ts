/**
 * The channel folder on disk (formats.md "The publish root"): reading the live, staged and
 * history manifests and the audit log, and publishing. Publishing order is what makes a crash
 * harmless: history/<serial>.json first, then manifest.json by atomic rename, then staged.json
 * removed (when it is the manifest published), then the audit lines; every step is a whole-file
 * rename or an fsynced append, and the per-channel lock makes read-serial-sign-publish one step,
 * so two publishers never share a serial.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { join, relative } from 'node:path';
import type { Context } from '../context.js';
import {
  canonicalBytes,
  checkSignatures,
  isClientError,
  isPlainFileName,
  type ManifestBody,
  type SignedManifest,
  parseTrust,
  thresholdFor,
  type Trust,
} from '../client/index.js';
import { manifestText, signBody, type BuildRecord } from '../core/manifest.js';
import { formatTime } from '../core/time.js';
import { errnoCode, failure, usageError } from '../errors.js';
import { loadSigners, type Signer } from './keys.js';
import { readManagedManifest } from './manifest-file.js';
import type { Project } from './project.js';
import { withLock, type Store } from './store.js';

export type { SignedManifest };

export interface AuditEvent {
  at: string;
  action: 'stage' | 'sign' | 'publish' | 'rollout' | 'rollback' | 'renew' | 'watch';
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

/** A path as the user sees it: relative to the working folder when inside it. */
export function show(p: string, root: string = process.cwd()): string {
  const r = relative(root, p);
  return r && !r.startsWith('..') ? r : p;
}

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

/** A managed manifest file, or null when it does not exist. A broken one is a failure naming it. */
export async function readManifestFile(path: string): Promise<SignedManifest | null> {
  return readManagedManifest(path, show(path));
}

export const readLiveManifest = (publishDir: string, channel: string) => readManifestFile(livePath(publishDir, channel));
export const readStagedManifest = (publishDir: string, channel: string) => readManifestFile(stagedPath(publishDir, channel));

/** Every manifest published on the channel, by serial. */
export async function readHistory(publishDir: string, channel: string): Promise<SignedManifest[]> {
  let names: string[];
  try {
    names = await fs.readdir(historyDir(publishDir, channel));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
  const out: SignedManifest[] = [];
  for (const n of names.filter((n) => /^\d{8,}\.json$/.test(n)).sort()) {
    const m = await readManifestFile(join(historyDir(publishDir, channel), n));
    if (m) out.push(m);
  }
  return out;
}

/** `<publish>/trust.json`, validated; the product must be the configuration's. */
export async function readTrust(project: Project): Promise<Trust> {
  const path = join(project.publishDir, 'trust.json');
  const label = show(path, project.root);
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT')
      throw usageError('E_TRUST', `${label}: no such file`, 'add the signing keys with `friday keys trust <pubfile>...`');
    throw usageError('E_TRUST', `${label}: cannot read (${errnoCode(err)})`);
  }
  let trust: Trust;
  try {
    trust = parseTrust(JSON.parse(text), label);
  } catch (err) {
    if (isClientError(err)) throw usageError('E_TRUST', err.message);
    throw usageError('E_TRUST', `${label}: not valid JSON (${(err as Error).message})`);
  }
  if (trust.product !== project.config.product) {
    throw usageError(
      'E_TRUST',
      `${label}: product "${trust.product}" is not the configuration's "${project.config.product}"`,
      'devices would refuse every manifest (E_PRODUCT); fix trust.json',
    );
  }
  return trust;
}

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
  for (const n of names) {
    try {
      await fs.access(join(publishDir, 'releases', n, 'build.json'));
      out.push(n);
    } catch {
      // a folder without a build record is not a release (a cut in progress or a failed one)
    }
  }
  return out;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** `<publish>/releases/<version>/build.json`, checked; missing or broken is a failure (exit 1). */
export async function readBuildRecord(project: Project, version: string): Promise<BuildRecord> {
  const path = join(project.publishDir, 'releases', version, 'build.json');
  const label = show(path, project.root);
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(await fs.readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT')
      throw failure('E_RELEASE', `release ${version}: no build record (${label})`, 'cut it first with `friday cut`');
    throw failure('E_RELEASE', `${label}: cannot read (${errnoCode(err) ?? (err as Error).message})`);
  }
  const problems: string[] = [];
  if (value?.type !== 'friday.build/v1') problems.push('type: must be "friday.build/v1"');
  if (value?.product !== project.config.product) problems.push(`product: must be "${project.config.product}"`);
  if (value?.version !== version) problems.push(`version: must be "${version}"`);
  for (const f of ['tag', 'commit', 'builtAt'])
    if (typeof value?.[f] !== 'string' || !value[f]) problems.push(`${f}: must be a non-empty string`);
  const arts = Array.isArray(value?.artifacts) ? (value.artifacts as Record<string, unknown>[]) : null;
  if (!arts || arts.length === 0) problems.push('artifacts: must list one artifact per device');
  arts?.forEach((a, i) => {
    if (typeof a?.device !== 'string' || !a.device) problems.push(`artifacts.${i}.device: must be a device codename`);
    if (typeof a?.file !== 'string' || !isPlainFileName(a.file)) problems.push(`artifacts.${i}.file: must be a plain file name`);
    if (typeof a?.size !== 'number' || !Number.isSafeInteger(a.size) || a.size < 0)
      problems.push(`artifacts.${i}.size: must be a whole number`);
    if (typeof a?.sha256 !== 'string' || !HEX64.test(a.sha256)) problems.push(`artifacts.${i}.sha256: must be 64 lowercase hex digits`);
  });
  if (problems.length) throw failure('E_RELEASE', `${label}: ${problems.join('; ')}`);
  return value as unknown as BuildRecord;
}

/** Hash a release's files again: a manifest must never sign bytes that are not on disk. */
export async function rehashArtifacts(project: Project, build: BuildRecord, info: (line: string) => void): Promise<void> {
  for (const a of build.artifacts) {
    const path = join(project.publishDir, 'releases', build.version, a.file);
    const label = show(path, project.root);
    let size: number;
    try {
      size = (await fs.stat(path)).size;
    } catch (err) {
      throw failure(
        'E_RELEASE',
        `release ${build.version}: ${label}: ${errnoCode(err) === 'ENOENT' ? 'missing' : `cannot read (${errnoCode(err)})`}`,
        'cut the release again',
      );
    }
    if (size !== a.size)
      throw failure(
        'E_SIZE',
        `release ${build.version}: ${label}: ${size} bytes, the build record says ${a.size}`,
        'the file changed after the cut; cut the release again',
      );
    info(`checking ${label} (${a.size} bytes)`);
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
    const digest = hash.digest('hex');
    if (digest !== a.sha256)
      throw failure(
        'E_HASH',
        `release ${build.version}: ${label}: SHA-256 ${digest}, the build record says ${a.sha256}`,
        'the file changed after the cut; cut the release again',
      );
  }
}

/** The manifest's notes: the Popcorn Award from changelog.json and the changelog's path. */
export async function readNotes(project: Project, version: string, warn: (line: string) => void): Promise<ManifestBody['notes']> {
  const dir = join(project.publishDir, 'releases', version);
  let popcorn: ManifestBody['notes']['popcorn'] = null;
  try {
    const cl = JSON.parse(await fs.readFile(join(dir, 'changelog.json'), 'utf8')) as { popcorn?: { id?: unknown; title?: unknown } | null };
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

/** Who did it, for the audit log: the git user name, else $USER. */
export function actorOf(ctx: Pick<Context, 'cwd' | 'env'>): string {
  try {
    const name = execFileSync('git', ['config', 'user.name'], {
      cwd: ctx.cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    }).trim();
    if (name) return name;
  } catch {
    // not a git repository, or no name configured
  }
  return ctx.env.USER || ctx.env.USERNAME || 'unknown';
}

/**
 * The `--key` signers, or FRIDAY_SIGNING_KEY; at least one is required. `what` names the action
 * (`rollout beta`) and `trust` the keys whose signatures count on `channel`, so that the error
 * says which private key to provide and how.
 */
export async function requireSigners(
  ctx: Pick<Context, 'cwd' | 'env'>,
  keyFiles: string[] | undefined,
  need: { what?: string; channel?: string; trust?: Trust } = {},
): Promise<Signer[]> {
  const files = (keyFiles ?? []).map((f) => (f.startsWith('/') ? f : join(ctx.cwd, f)));
  const signers = await loadSigners(files, ctx.env);
  if (signers.length === 0) {
    const env = ctx.env.FRIDAY_SIGNING_KEY === undefined ? 'FRIDAY_SIGNING_KEY is not set' : 'FRIDAY_SIGNING_KEY is empty';
    const { trust, channel } = need;
    const names = trust ? [...trust.keys.values()].map((k) => k.name ?? `${k.keyid.slice(0, 12)}…`) : [];
    const which =
      trust && channel !== undefined && names.length
        ? ` (${channel} needs ${thresholdFor(trust, channel)} of the trusted keys ${names.join(', ')})`
        : '';
    throw usageError(
      'E_KEY',
      `${need.what ? `${need.what}: ` : ''}no signing key: no --key <file> given and ${env}${which}`,
      'pass the private key with --key <file>, or put its PEM text in FRIDAY_SIGNING_KEY; no key yet? `friday keys generate <name>`, then `friday keys trust <name>.pub`',
    );
  }
  return signers;
}

/** Signers whose key trust.json does not list sign for nothing; say so before signing. */
export function warnUntrusted(signers: Signer[], trust: Trust, warn: (line: string) => void): void {
  for (const s of signers)
    if (!trust.keys.has(s.keyid)) warn(`key ${s.keyid.slice(0, 12)}… is not in trust.json: its signature will not count`);
}

/** How many distinct trusted keys signed, against the channel's threshold. */
export function signatureCount(doc: SignedManifest, trust: Trust): { valid: number; threshold: number } {
  const c = checkSignatures(doc, trust, doc.signed.channel);
  return { valid: c.valid.length, threshold: thresholdFor(trust, doc.signed.channel) };
}

/**
 * Run `fn` holding the channel's lock (`channels/<name>/.friday.lock`). Under --dry-run nothing is
 * locked, since nothing is written. Leftover temp files of a killed run are swept first.
 */
export async function withChannelLock<T>(
  ctx: Pick<Context, 'dryRun'>,
  publishDir: string,
  channel: string,
  fn: () => Promise<T>,
): Promise<T> {
  if (ctx.dryRun) return fn();
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

/** A manifest file (live, staged, history), atomically, `signed` in canonical form (core manifestText). */
export async function writeManifest(store: Store, path: string, doc: SignedManifest): Promise<void> {
  await store.writeFile(path, manifestText(doc));
}

/**
 * Make `doc` the live manifest (the lock must be held): history file, then the live file, then
 * staged.json goes if it was the one published, then the audit lines.
 */
export async function publishLocked(
  store: Store,
  publishDir: string,
  doc: SignedManifest,
  events: AuditEvent[],
  opts: { removeStaged: boolean },
): Promise<void> {
  const ch = doc.signed.channel;
  await writeManifest(store, historyPath(publishDir, ch, doc.signed.serial), doc);
  await writeManifest(store, livePath(publishDir, ch), doc);
  if (opts.removeStaged) await store.remove(stagedPath(publishDir, ch));
  for (const e of events) await appendEvent(store, publishDir, ch, e);
}

/**
 * A publish line for a live manifest the log does not know (a run killed between the rename and
 * the append): the log is append-only, so the gap is closed by a line saying so, not by rewriting.
 */
export async function reconcileEvents(
  store: Store,
  publishDir: string,
  live: SignedManifest | null,
  events: AuditEvent[],
  actor: string,
): Promise<AuditEvent[]> {
  if (!live) return events;
  const s = live.signed;
  if (events.some((e) => e.action === 'publish' && e.serial === s.serial)) return events;
  const ev: AuditEvent = {
    at: s.issuedAt,
    action: 'publish',
    serial: s.serial,
    version: s.release.version,
    actor,
    detail: { recovered: true, note: 'published by a run that stopped before logging it' },
  };
  await appendEvent(store, publishDir, s.channel, ev);
  return [...events, ev];
}

export interface ReleaseOutcome {
  published: boolean;
  doc: SignedManifest;
  valid: number;
  threshold: number;
}

/**
 * The manifest waiting in staged.json, or null when there is none or it cannot be read: the
 * callers below must not fail (an urgent rollback least of all) because of a broken staged file.
 */
async function pendingStaged(publishDir: string, channel: string): Promise<SignedManifest | null> {
  try {
    return await readStagedManifest(publishDir, channel);
  } catch {
    return null;
  }
}

/**
 * Sign `body` and publish it at once (rollout, rollback, renew) with the `action` line and a
 * `publish` line; with fewer trusted signatures than the threshold, stage it instead, so a
 * co-signer can finish with `friday sign` and `friday publish`.
 *
 * A staged.json that is not `body` (a release staged and waiting for `publish`) is left in place
 * when publishing: the serial moves past it, so a later `publish` refuses it as stale (E_STALE)
 * instead of it vanishing without a word.
 */
export async function signAndRelease(
  ctx: Pick<Context, 'now'> & Partial<Pick<Context, 'warn'>>,
  store: Store,
  publishDir: string,
  body: ManifestBody,
  signers: Signer[],
  trust: Trust,
  action: AuditEvent['action'],
  detail: Record<string, unknown>,
  actor: string,
): Promise<ReleaseOutcome> {
  const doc: SignedManifest = { signed: body, signatures: signBody(body, signers) };
  const { valid, threshold } = signatureCount(doc, trust);
  const at = formatTime(ctx.now);
  const base = { at, serial: body.serial, version: body.release.version, actor };
  const pending = await pendingStaged(publishDir, body.channel);
  if (valid >= threshold) {
    const same = pending !== null && canonicalBytes(pending.signed).equals(canonicalBytes(body));
    await publishLocked(
      store,
      publishDir,
      doc,
      [
        { ...base, action, detail },
        { ...base, action: 'publish', detail: { rollout: body.rollout.percent, signatures: valid, via: action } },
      ],
      { removeStaged: same },
    );
    return { published: true, doc, valid, threshold };
  }
  // One staged.json per channel: say so when this pushes out a different release waiting there.
  if (pending && pending.signed.release.version !== body.release.version) {
    ctx.warn?.(
      `${body.channel}: this replaces the staged ${pending.signed.release.version} (serial ${pending.signed.serial}); stage it again once this one is live`,
    );
  }
  await writeManifest(store, stagedPath(publishDir, body.channel), doc);
  await appendEvent(store, publishDir, body.channel, {
    ...base,
    action,
    detail: { ...detail, staged: true, signatures: valid, threshold },
  });
  return { published: false, doc, valid, threshold };
}
