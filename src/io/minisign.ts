/**
 * The `.minisig` files of a publish (docs/formats.md "minisign signatures"): beside each artifact
 * of a manifest that has none by a current signing key yet, and beside the manifest itself.
 * BLAKE2b-512 comes from node:crypto, streamed, so a 1 GiB artifact is read once at disk speed.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SignedManifest } from '../client/index.js';
import { manifestText } from '../core/manifest.js';
import { minisigKeyIdOf, minisigNames, minisignKeyId, minisignText, type MinisignSigner } from '../core/minisign.js';
import { errnoCode } from '../errors.js';
import type { Store } from './store.js';

async function blake2bOfFile(path: string): Promise<Buffer> {
  const started = prehashes.get(path);
  if (started) {
    prehashes.delete(path);
    started.worker.ref(); // now awaited: the run must not end before it answers
    const digest = await started.digest.catch(() => null); // a failed worker: hashed here instead
    if (digest) return digest;
  }
  const h = createHash('blake2b512');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) h.update(chunk as Buffer);
  return h.digest();
}

/** The worker's own build entry, beside the CLI's chunks (run from the sources, the build's). */
const WORKER = new URL(import.meta.url.endsWith('.ts') ? '../../dist/io/blake2b-worker.js' : './io/blake2b-worker.js', import.meta.url);
const prehashes = new Map<string, { worker: Worker; digest: Promise<Buffer> }>();

function prehashInWorker(path: string): { worker: Worker; digest: Promise<Buffer> } {
  const worker = new Worker(WORKER, { workerData: { path } });
  // Not waited for unless the publish asks: a stage that fails or only stages ends at once.
  worker.unref();
  const digest = new Promise<Buffer>((resolve, reject) => {
    worker.once('message', (m: { digest?: Uint8Array; error?: string }) => {
      void worker.terminate();
      if (m.digest) resolve(Buffer.from(m.digest));
      else reject(new Error(m.error ?? 'no digest'));
    });
    worker.once('error', reject);
  });
  digest.catch(() => {}); // awaited (or not) by the publish; a failure falls back to hashing there
  return { worker, digest };
}

/**
 * Start, in a worker thread, the BLAKE2b-512 of each artifact of `paths` whose `<file>.minisig` is
 * not by a current key (`current`: keyids), so the publish that signs it later finds it done.
 * A stage calls this before it rehashes the same files: the two hashes run side by side.
 */
export async function startPrehashes(paths: readonly string[], current: readonly string[]): Promise<void> {
  const ids = new Set(current.map((k) => minisignKeyId(k).toString('hex')));
  for (const path of paths) {
    if (prehashes.has(path)) continue;
    const held = await keyIdAt(`${path}.minisig`);
    if (held !== null && ids.has(held)) continue;
    prehashes.set(path, prehashInWorker(path));
  }
}

const blake2b = (data: string | Uint8Array) => createHash('blake2b512').update(data).digest();

/** The key id a `.minisig` file names, or null when there is none (or it is not one). */
async function keyIdAt(path: string): Promise<string | null> {
  const text = await fs.readFile(path, 'utf8').catch(() => null);
  return text === null ? null : minisigKeyIdOf(text);
}

/** Who signs a publish's `.minisig` files, and which keyids are current (the trust file's). */
export interface MinisignPlan {
  signers: readonly MinisignSigner[];
  current: readonly string[];
}

/**
 * The `.minisig` files of the artifacts of `doc` under `<publish>/<url>` whose `<file>.minisig`
 * is not by a current key (none yet, or a key a rotation removed), one per signer.
 */
async function signArtifacts(store: Store, publishDir: string, doc: SignedManifest, plan: MinisignPlan): Promise<void> {
  const { signers } = plan;
  const s = doc.signed;
  if (signers.length === 0) return;
  const current = new Set(plan.current.map((k) => minisignKeyId(k).toString('hex')));
  for (const [device, a] of Object.entries(s.artifacts)) {
    const path = join(publishDir, ...a.url.split('/'));
    const held = await keyIdAt(`${path}.minisig`);
    if (held !== null && current.has(held)) continue;
    // An artifact not on this disk (a publish root kept elsewhere) has nothing to sign here; it
    // must never stop a publish, an urgent rollback least of all.
    const prehash = await blake2bOfFile(path).catch((err: unknown) => {
      if (errnoCode(err) === 'ENOENT') return null;
      throw err;
    });
    if (prehash === null) continue;
    const comment = `product=${s.product} version=${s.release.version} device=${device} file=${a.file} sha256=${a.sha256}`;
    for (const { signer, name } of minisigNames(path, signers)) await store.writeFile(name, minisignText(signer, prehash, comment));
  }
}

/** `<base>.minisig` and `<base>.<16 hex>.minisig`: the signature files of one manifest file. */
const sigFilesOf = (base: string) => new RegExp(`^${base.replace(/\./g, '\\.')}\\.(?:[0-9a-f]{16}\\.)?minisig$`);

/** The signature files of `<dir>/<base>` there are, by name. */
async function sigFiles(dir: string, base: string): Promise<string[]> {
  const re = sigFilesOf(base);
  return (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => re.test(n)).sort();
}

/**
 * The `.minisig` files of a manifest file (`manifest.json`, or `staged.json`: the bytes that will
 * become manifest.json, so the comment names manifest.json), one per signer; those of keys that
 * did not sign these bytes are removed (they would fail over them).
 */
async function signManifestFile(store: Store, dir: string, base: string, doc: SignedManifest, signers: readonly MinisignSigner[]) {
  const s = doc.signed;
  const text = manifestText(doc);
  const sha256 = createHash('sha256').update(text).digest('hex');
  const prehash = blake2b(text);
  const comment = `product=${s.product} channel=${s.channel} serial=${s.serial} version=${s.release.version} file=manifest.json sha256=${sha256}`;
  const written = new Set<string>();
  for (const { signer, name } of minisigNames(join(dir, base), signers)) {
    await store.writeFile(name, minisignText(signer, prehash, comment));
    written.add(name);
  }
  for (const n of await sigFiles(dir, base)) if (!written.has(join(dir, n))) await store.remove(join(dir, n));
}

/**
 * The staged manifest's `.minisig` files, made where `doc` moves into the live manifest with no
 * key (`friday publish`): those by a current key whose trusted comment names the SHA-256 of the
 * very bytes published, under the live names (`staged.json.minisig` → `manifest.json.minisig`).
 */
async function stagedSigs(dir: string, doc: SignedManifest, current: ReadonlySet<string>): Promise<{ name: string; text: string }[]> {
  const sha256 = createHash('sha256').update(manifestText(doc)).digest('hex');
  const out: { name: string; text: string }[] = [];
  for (const n of await sigFiles(dir, 'staged.json')) {
    const text = await fs.readFile(join(dir, n), 'utf8').catch(() => null);
    if (text === null) continue;
    const id = minisigKeyIdOf(text);
    const trusted = text.split('\n')[2] ?? '';
    if (id === null || !current.has(id) || !trusted.endsWith(` sha256=${sha256}`)) continue;
    out.push({ name: join(dir, `manifest.json${n.slice('staged.json'.length)}`), text });
  }
  return out;
}

/**
 * Write the `.minisig` files of `doc` as it goes live: its artifacts' (see `signArtifacts`), and
 * the manifest's as it will be written to `channels/<c>/manifest.json`, one per signer. With no
 * signer (`friday publish` has no key) the manifest's are the staged manifest's, signed by `stage`
 * or `sign` over the same bytes. Signature files of the manifest by keys that did not sign these
 * bytes are removed: they would fail over them.
 */
export async function writeMinisigs(store: Store, publishDir: string, doc: SignedManifest, plan: MinisignPlan): Promise<void> {
  await signArtifacts(store, publishDir, doc, plan);
  const dir = join(publishDir, 'channels', doc.signed.channel);
  if (plan.signers.length) return signManifestFile(store, dir, 'manifest.json', doc, plan.signers);
  const current = new Set(plan.current.map((k) => minisignKeyId(k).toString('hex')));
  const carried = await stagedSigs(dir, doc, current);
  for (const c of carried) await store.writeFile(c.name, c.text);
  const kept = new Set(carried.map((c) => c.name));
  for (const n of await sigFiles(dir, 'manifest.json')) if (!kept.has(join(dir, n))) await store.remove(join(dir, n));
}

/** The `.minisig` files of a manifest about to be written to staged.json: its artifacts', and its own. */
export async function writeStagedMinisigs(store: Store, publishDir: string, doc: SignedManifest, plan: MinisignPlan): Promise<void> {
  await signArtifacts(store, publishDir, doc, plan);
  await signManifestFile(store, join(publishDir, 'channels', doc.signed.channel), 'staged.json', doc, plan.signers);
}

/** Remove staged.json's `.minisig` files, with staged.json itself. */
export async function removeStagedMinisigs(store: Store, dir: string): Promise<void> {
  for (const n of await sigFiles(dir, 'staged.json')) await store.remove(join(dir, n));
}
