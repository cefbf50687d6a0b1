/**
 * The TUF view of a channel (docs/security.md "The TUF view of a channel"): a TUF 1.0 repository
 * for the live manifest, planned (built, signed, every threshold checked) before anything is
 * written, so a command that publishes refuses before its manifest moves rather than after.
 *
 * Trust version N is root version N. The first export starts the root chain at the trust
 * version of its day (TUF clients are given that root.json, as devices are given trust.json);
 * each later trust version becomes the next root, signed by the root keys of the one before it
 * (as the export holds it) and by its own, each to its threshold: exactly the `--key` files
 * given that hold those roles sign. A root once written is never re-signed.
 */
import { join } from 'node:path';
import { readTrustFile, type SignedManifest, type Trust } from '../client/index.js';
import {
  olpcCanonical,
  roleSigners,
  rootFor,
  signTuf,
  snapshotFor,
  targetsFor,
  timestampFor,
  tufText,
  type RootSigned,
  type TargetsSigned,
  type TufSigner,
} from '../core/tuf.js';
import { failure, fromClient, usageError } from '../errors.js';
import { displayPath } from '../io/display.js';
import type { Project } from '../io/project.js';
import type { Store } from '../io/store.js';
import {
  readPreviousExport,
  readStagedExport,
  removeStagedExport,
  stagedExportDir,
  tufDir,
  writeExport,
  type TufWrite,
} from '../io/tuf-export.js';
import type { Channel } from './channel.js';

export interface TufPlan {
  dir: string;
  files: TufWrite[];
  root: number;
  targets: number | null;
  snapshot: number | null;
  timestamp: number | null;
  expires: string | null;
}

export interface TufRequest {
  project: Project;
  channel: string;
  /** The newest trust version (for `keys rotate`, the one it is about to write). */
  trust: Trust;
  /** The live manifest; null writes the roots only. */
  live: SignedManifest | null;
  signers: readonly TufSigner[];
  now: Date;
  dir?: string | undefined;
}

/** The same keys, roles and thresholds, whatever order a file lists them in. */
const sameRoot = (a: RootSigned, b: RootSigned) => {
  const form = (r: RootSigned) => olpcCanonical({ keys: r.keys, roles: r.roles } as never);
  return form(a) === form(b);
};

/** Trust version `v`: the newest as given, an older one from `<publish>/trust/<v>.json`, where the chain keeps it. */
async function trustVersion(project: Project, v: number, newest: Trust): Promise<Trust> {
  if (v === newest.version) return newest;
  const path = join(project.publishDir, 'trust', `${v}.json`);
  try {
    return await readTrustFile(path, displayPath(project.root, path));
  } catch (err) {
    throw fromClient(err);
  }
}

function shortOf(what: string, have: number, need: number, channel: string): Error {
  return usageError(
    'E_THRESHOLD',
    `export-tuf ${channel}: ${what} needs ${need} signature${need === 1 ? '' : 's'} of its keys, the keys given make ${have}`,
    'pass more --key files of the trusted keys (docs/security.md "The TUF view of a channel")',
  );
}

/** The metadata a new export writes, every signature made and every threshold met; nothing written. */
export async function planTufExport(req: TufRequest): Promise<TufPlan> {
  const { project, channel, trust, live, signers, now } = req;
  const dir = req.dir ?? tufDir(project.publishDir, channel);
  const label = displayPath(project.root, dir);
  const prev = await readPreviousExport(dir, project.root);
  const files: TufWrite[] = [];
  let root = prev.root;
  if (root && root.version > trust.version)
    throw usageError(
      'E_STATE',
      `${label}/root.json: root version ${root.version}, but the newest trust version is ${trust.version}`,
      'the export belongs to another publish folder, or trust.json was replaced: export to a new --out',
    );
  if (root && root.version === trust.version && !sameRoot(root, rootFor(trust, channel, now)))
    throw usageError(
      'E_TRUST',
      `${label}/root.json: root version ${root.version} names other keys or thresholds than trust version ${trust.version}`,
      'trust.json changed without a rotation, and TUF clients never fetch a root version again: run `friday keys rotate` (its next version becomes the next root)',
    );
  const first = root ? root.version + 1 : trust.version;
  for (let v = first; v <= trust.version; v++) {
    const next = rootFor(await trustVersion(project, v, trust), channel, now);
    // TUF's root rule: the keys of the root before it and its own, each to its threshold.
    const own = roleSigners(next, 'root', signers);
    if (own.count < own.threshold) throw shortOf(`root version ${v}`, own.count, own.threshold, channel);
    const by = [...own.signers];
    if (root) {
      const old = roleSigners(root, 'root', signers);
      if (old.count < old.threshold)
        throw shortOf(`root version ${v}, as the root of version ${root.version}`, old.count, old.threshold, channel);
      for (const s of old.signers) if (!by.includes(s)) by.push(s);
    }
    const text = tufText(signTuf(next, by));
    files.push({ name: `${v}.root.json`, text });
    if (v === trust.version) files.push({ name: 'root.json', text });
    root = next;
  }
  const plan: TufPlan = { dir, files, root: root!.version, targets: null, snapshot: null, timestamp: null, expires: null };
  if (!live) return plan;
  const top = roleSigners(root!, 'targets', signers);
  if (top.count < top.threshold) throw shortOf('targets, snapshot and timestamp', top.count, top.threshold, channel);
  const targets = targetsFor(live.signed, prev.targets + 1);
  const snapshot = snapshotFor(targets, prev.snapshot + 1);
  const snapshotText = tufText(signTuf(snapshot, top.signers));
  const timestamp = timestampFor(snapshot, Buffer.from(snapshotText, 'utf8'), prev.timestamp + 1);
  files.push(
    { name: 'targets.json', text: tufText(signTuf(targets, top.signers)) },
    { name: 'snapshot.json', text: snapshotText },
    { name: 'timestamp.json', text: tufText(signTuf(timestamp, top.signers)) },
  );
  return { ...plan, targets: targets.version, snapshot: snapshot.version, timestamp: timestamp.version, expires: targets.expires };
}

/** Write an export; a staged one beside it (see `stageExport`) is spent or outdated by it, and goes. */
export async function writeTufExport(store: Store, plan: TufPlan): Promise<void> {
  await writeExport(store, plan.dir, plan.files);
  await removeStagedExport(store, plan.dir);
}

/** `friday export-tuf`: the channel's live manifest as a TUF repository, under the channel lock. */
export async function exportChannel(ch: Channel, out: string | undefined): Promise<TufPlan> {
  const signers = await ch.signers(`export-tuf ${ch.name}`);
  return ch.locked(async () => {
    const live = await ch.live();
    if (!live)
      throw failure(
        'E_NOTHING',
        `export-tuf ${ch.name}: nothing is live on ${ch.name}`,
        `publish a release first: friday stage --channel ${ch.name} --key <file> --publish`,
      );
    const plan = await planTufExport({ ...tufRequest(ch, live, signers), dir: out });
    await writeTufExport(ch.store, plan);
    return plan;
  });
}

const tufRequest = (ch: Channel, live: SignedManifest | null, signers: readonly TufSigner[]): TufRequest => ({
  project: ch.project,
  channel: ch.name,
  trust: ch.trust,
  live,
  signers,
  now: ch.ctx.now,
});

/**
 * With `publish.tuf`, what a command that puts `doc` live re-signs along with it: planned before
 * the publish (a short key refuses it whole), written after the live manifest moved. Null when
 * the channel has no export to keep.
 */
export async function planPublishExport(ch: Channel, doc: SignedManifest, signers: readonly TufSigner[]): Promise<TufPlan | null> {
  if (!ch.project.config.publish.tuf) return null;
  return planTufExport(tufRequest(ch, doc, signers));
}

/**
 * With `publish.tuf`, the export a staged manifest will need, signed now by the keys of `stage` or
 * `sign` (`friday publish` has none) into `tuf/<c>/.staged/`: the metadata as it will be once
 * the manifest is live, each version one past the export's. Keys short of a threshold (a
 * co-signed channel) leave none: `publish` then says to run `export-tuf`.
 */
export async function stageExport(ch: Channel, doc: SignedManifest, signers: readonly TufSigner[]): Promise<void> {
  if (!ch.project.config.publish.tuf) return;
  const dir = tufDir(ch.project.publishDir, ch.name);
  await removeStagedExport(ch.store, dir);
  let plan: TufPlan;
  try {
    plan = await planTufExport(tufRequest(ch, doc, signers));
  } catch (err) {
    if ((err as { code?: string }).code === 'E_THRESHOLD') return;
    throw err;
  }
  await writeExport(ch.store, stagedExportDir(dir), plan.files);
}

/**
 * The export `stage` or `sign` signed for `doc` (see `stageExport`), to write in place once `doc`
 * is live; null when there is none, or it is not for these bytes, or an export since has taken
 * its versions (its timestamp would not be newer than the one clients hold).
 */
export async function stagedExportFor(ch: Channel, doc: SignedManifest): Promise<TufPlan | null> {
  if (!ch.project.config.publish.tuf) return null;
  // A damaged staged export is only a missed shortcut: publish goes on and says to run export-tuf.
  return carriedExport(ch, doc).catch(() => null);
}

async function carriedExport(ch: Channel, doc: SignedManifest): Promise<TufPlan | null> {
  const dir = tufDir(ch.project.publishDir, ch.name);
  const staged = await readStagedExport(stagedExportDir(dir));
  const targets = staged.find((f) => f.name === 'targets.json');
  if (!targets) return null;
  const prev = await readPreviousExport(dir, ch.project.root);
  const signed = (name: string) =>
    (JSON.parse(staged.find((f) => f.name === name)?.text ?? '{}') as { signed?: { version?: number } }).signed;
  const t = signed('targets.json') as TargetsSigned | undefined;
  if (!t || JSON.stringify(t) !== JSON.stringify(targetsFor(doc.signed, t.version))) return null;
  if (!(
    (signed('snapshot.json')?.version ?? 0) > prev.snapshot &&
    (signed('timestamp.json')?.version ?? 0) > prev.timestamp &&
    t.version > prev.targets
  ))
    return null;
  const root = signed('root.json')?.version ?? prev.root?.version;
  if (root === undefined || (prev.root && root < prev.root.version)) return null;
  // TUF's order: root versions, root.json, targets, snapshot, timestamp last.
  const rank = (n: string) =>
    n.endsWith('.root.json') ? Number.parseInt(n, 10) : ({ 'root.json': 1e9, 'targets.json': 2e9, 'snapshot.json': 3e9 }[n] ?? 4e9);
  const files = [...staged].sort((a, b) => rank(a.name) - rank(b.name));
  return {
    dir,
    files,
    root,
    targets: t.version,
    snapshot: signed('snapshot.json')!.version!,
    timestamp: signed('timestamp.json')!.version!,
    expires: t.expires,
  };
}
