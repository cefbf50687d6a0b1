/**
 * `friday keys rotate` (docs/security.md "Signed trust rotation"): trust version N+1, signed by the
 * highest threshold of version N's keys and of its own, written as `<publish>/trust/<N+1>.json`
 * beside the versions before it, then made `<publish>/trust.json`. Both thresholds are checked
 * before anything is written. The order keeps a killed rotation whole: `trust/1.json` (a copy of
 * the shipped file) first, then the new version, then trust.json; a reader follows the chain from
 * trust.json (io/trust-file.ts), so a kill before trust.json moves reads as the old chain when the
 * new version is not there yet and as the new one once it is.
 */
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import {
  canonicalBytes,
  checkTrustLink,
  followTrustChain,
  highestThreshold,
  parseTrust,
  readTrustFile,
  type Trust,
} from '../client/index.js';
import type { Context } from '../context.js';
import { minisignPublicKey } from '../core/minisign.js';
import { fromClient, usageError } from '../errors.js';
import { displayPath } from '../io/display.js';
import { loadSigners } from '../io/keys.js';
import type { Project } from '../io/project.js';
import { createStore, withLock } from '../io/store.js';
import { readLiveManifest } from '../io/channel.js';
import { exportedChannels } from '../io/tuf-export.js';
import { planTufExport, writeTufExport } from './tuf.js';

export interface PublicKeyEntry {
  keyid: string;
  name: string;
  public: string;
  /** The `RW…` public key minisign's -P takes (docs/formats.md "minisign signatures"). */
  minisign: string;
}

export interface RotateRequest {
  add: PublicKeyEntry[];
  remove: string[];
  threshold?: number;
  channel?: string;
  keyFiles: string[];
}

export interface RotateResult {
  version: number;
  previous: number;
  path: string;
  keys: { keyid: string; name: string | null }[];
  threshold: number;
  channels: Record<string, { threshold: number }>;
  signedBy: string[];
}

const KEYID = /^[0-9a-f]{64}$/;

/**
 * The newest trust version of the publish folder, after checking the whole chain on disk from
 * version 1: a gap, a link that does not verify, another product or a trust.json that is not the
 * chain's own copy is exit 2, naming the file.
 */
async function localChain(project: Project, root: string): Promise<{ newest: Trust; hasFirst: boolean; top: number }> {
  const dir = project.publishDir;
  const label = (p: string) => displayPath(root, p);
  const topPath = join(dir, 'trust.json');
  const firstPath = join(dir, 'trust', '1.json');
  const source = { kind: 'dir' as const, root: dir };
  try {
    const top = await readTrustFile(topPath, label(topPath));
    const hasFirst = existsSync(firstPath);
    if (!hasFirst && top.version !== 1)
      throw usageError('E_TRUST', `${label(firstPath)}: no such file, but trust.json is version ${top.version}: the chain has a gap`);
    const first = hasFirst ? await readTrustFile(firstPath, label(firstPath)) : top;
    if (first.version !== 1) throw usageError('E_TRUST', `${label(firstPath)}: version ${first.version}, want 1`);
    const newest = await followTrustChain(first, source, { exit: 2 });
    if (newest.version < top.version) {
      const missing = join(dir, 'trust', `${newest.version + 1}.json`);
      throw usageError('E_TRUST', `${label(missing)}: no such file, but trust.json is version ${top.version}: the chain has a gap`);
    }
    if (top.version > 1) {
      const copy = await readTrustFile(join(dir, 'trust', `${top.version}.json`));
      if (!canonicalBytes(copy.document).equals(canonicalBytes(top.document)))
        throw usageError('E_TRUST', `${label(topPath)}: differs from trust/${top.version}.json, its version in the chain`);
    }
    for (const t of [top, newest])
      if (t.product !== project.config.product)
        throw usageError('E_TRUST', `${label(topPath)}: product "${t.product}" is not the configuration's "${project.config.product}"`);
    return { newest, hasFirst, top: top.version };
  } catch (err) {
    throw fromClient(err);
  }
}

type KeyEntry = { type: 'ed25519'; public: string; name?: string; minisign: string };

function nextKeys(cur: Trust, req: RotateRequest): Record<string, KeyEntry> {
  const keys: Record<string, KeyEntry> = {};
  for (const k of cur.keys.values())
    keys[k.keyid] = {
      type: 'ed25519',
      public: k.publicRaw.toString('base64'),
      ...(k.name !== undefined ? { name: k.name } : {}),
      minisign: minisignPublicKey(k.keyid, k.publicRaw),
    };
  for (const r of req.remove) {
    let id: string;
    if (KEYID.test(r)) {
      if (!keys[r]) throw usageError('E_USAGE', `--remove ${r}: no such key in trust version ${cur.version}`);
      id = r;
    } else {
      const named = Object.entries(keys).filter(([, k]) => k.name === r);
      if (named.length === 0)
        throw usageError(
          'E_USAGE',
          `--remove ${r}: no key named "${r}" in trust version ${cur.version} (${Object.values(keys)
            .map((k) => k.name ?? '?')
            .join(', ')})`,
        );
      if (named.length > 1) throw usageError('E_USAGE', `--remove ${r}: ${named.length} keys are named "${r}"`, 'remove by keyid');
      id = named[0]![0];
    }
    delete keys[id];
  }
  for (const a of req.add) keys[a.keyid] = { type: 'ed25519', public: a.public, name: a.name, minisign: a.minisign };
  if (Object.keys(keys).length === 0) throw usageError('E_USAGE', 'keys rotate: this would remove every key; nothing could sign again');
  return keys;
}

/** Temporary files a killed rotation left (it was killed inside an atomic write); held under the lock, none is in use. */
async function removeLeftovers(store: ReturnType<typeof createStore>, dir: string): Promise<void> {
  const tmp = (n: string, file: RegExp) => n.startsWith('.') && n.endsWith('.tmp') && file.test(n.slice(1));
  for (const n of await fs.readdir(dir).catch(() => [])) if (tmp(n, /^trust\.json\./)) await store.remove(join(dir, n));
  for (const n of await fs.readdir(join(dir, 'trust')).catch(() => []))
    if (tmp(n, /^\d+\.json\./)) await store.remove(join(dir, 'trust', n));
}

export async function rotate(ctx: Context, project: Project, req: RotateRequest): Promise<RotateResult> {
  const dir = project.publishDir;
  const trustPath = join(dir, 'trust.json');
  if (!existsSync(trustPath))
    throw usageError(
      'E_TRUST',
      `${displayPath(project.root, trustPath)}: no such file`,
      'trust the first keys with `friday keys trust <pubfile>...`',
    );
  const signers = await loadSigners(req.keyFiles, ctx.env, ctx.cwd);
  if (signers.length === 0)
    throw usageError(
      'E_KEY',
      'keys rotate: no signing key: no --key <file> given and FRIDAY_SIGNING_KEY is not set',
      'pass the private keys with --key <file>...',
    );
  const work = async (): Promise<RotateResult> => {
    const { newest: cur, hasFirst, top } = await localChain(project, project.root);
    if (top < cur.version)
      ctx.warn(
        `trust.json is version ${top} but trust/${cur.version}.json is there: a rotation to version ${cur.version} was stopped before trust.json moved; devices follow it already, so trust.json moves to it first and this one starts from it`,
      );
    const version = cur.version + 1;
    const keys = nextKeys(cur, req);
    const count = Object.keys(keys).length;
    const channels = { ...cur.channels };
    let threshold = cur.threshold;
    if (req.threshold !== undefined) {
      if (req.channel !== undefined) channels[req.channel] = { threshold: req.threshold };
      else threshold = req.threshold;
    }
    for (const [scope, t] of [
      ['all channels', threshold] as const,
      ...Object.entries(channels).map(([c, v]) => [`channel ${c}`, v.threshold] as const),
    ])
      if (t > count)
        throw usageError(
          'E_USAGE',
          `keys rotate: threshold ${t} (${scope}) but version ${version} has ${count} key${count === 1 ? '' : 's'}`,
        );
    const signed = {
      type: 'friday.trust/v1',
      product: cur.product,
      version,
      keys,
      threshold,
      ...(Object.keys(channels).length ? { channels } : {}),
    };
    const data = canonicalBytes(signed);
    // Only keys of either version sign: another key's signature would count for nothing.
    const useful = signers.filter((s) => cur.keys.has(s.keyid) || keys[s.keyid]);
    for (const s of signers)
      if (!useful.includes(s)) ctx.warn(`key ${s.keyid.slice(0, 12)}… is in neither trust version: it does not sign`);
    const document = { signed, signatures: useful.map((s) => ({ keyid: s.keyid, sig: s.sign(data).toString('base64') })) };
    const nextPath = join(dir, 'trust', `${version}.json`);
    const label = displayPath(project.root, nextPath);
    try {
      const next = parseTrust(document, label);
      checkTrustLink(cur, next, label, 2);
    } catch (err) {
      const e = fromClient(err) as Error;
      throw usageError(
        'E_THRESHOLD',
        `keys rotate: ${e.message}`,
        `version ${cur.version} needs ${highestThreshold(cur)} of its keys, version ${version} ${Math.max(threshold, ...Object.values(channels).map((c) => c.threshold))} of its own: pass more --key files`,
      );
    }
    // With publish.tuf, each channel's export gains root N+1 (and its metadata signed by the new
    // keys), planned before anything is written: keys short of a channel's threshold refuse it all.
    const tuf = [];
    if (project.config.publish.tuf)
      for (const channel of await exportedChannels(dir)) {
        const live = await readLiveManifest(dir, channel, project.root);
        tuf.push(await planTufExport({ project, channel, trust: parseTrust(document, label), live, signers: useful, now: ctx.now }));
      }
    const store = createStore(ctx);
    await removeLeftovers(store, dir);
    if (!hasFirst) await store.writeFile(join(dir, 'trust', '1.json'), await fs.readFile(trustPath));
    store.checkpoint('trust-first');
    // Finish a rotation killed between its version file and trust.json, so trust.json never lags
    // the chain by more than the one version being written (docs/quality.md "Crash safety").
    if (top < cur.version) await store.writeFile(trustPath, await fs.readFile(join(dir, 'trust', `${cur.version}.json`)));
    await store.writeJson(nextPath, document);
    store.checkpoint('trust-version');
    await store.writeJson(trustPath, document);
    for (const plan of tuf) await writeTufExport(store, plan);
    return {
      version,
      previous: cur.version,
      path: nextPath,
      keys: Object.entries(keys).map(([keyid, k]) => ({ keyid, name: k.name ?? null })),
      threshold,
      channels,
      signedBy: document.signatures.map((s) => s.keyid),
    };
  };
  return ctx.dryRun ? work() : withLock(trustPath, 'keys rotate', work);
}
