/**
 * trust.json's keys as `keys trust` and `keys rotate` handle them (docs/cli.md `keys trust`,
 * `keys rotate`): public key files read and checked (weak keys refused), an unrotated trust file
 * through the client's own parser, and the live manifests a new threshold leaves short.
 */
import { existsSync, promises as fs } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseTrust, weakKeyProblem } from '../client/trust.js';
import { minisignPublicKey } from '../core/minisign.js';
import { errnoCode, fromClient, usageError } from '../errors.js';
import { readLiveManifest } from '../io/channel.js';
import { keyidOf, publicRawFromPem } from '../io/keys.js';
import type { PublicKeyEntry } from './rotate.js';

export interface TrustFile {
  type: 'friday.trust/v1';
  product: string;
  keys: Record<string, { type: 'ed25519'; public: string; name: string; minisign: string }>;
  threshold: number;
  channels: Record<string, { threshold: number }>;
}

/** The channels whose live manifest has fewer distinct trusted signatures than `trust` now asks. */
export async function shortLiveManifests(publishDir: string, root: string, policies: string[], trust: TrustFile) {
  const names = new Set(policies);
  for (const n of await fs.readdir(join(publishDir, 'channels')).catch(() => [] as string[]))
    if (!n.startsWith('.') && !n.endsWith('.lock')) names.add(n);
  const out: { channel: string; signatures: number; threshold: number }[] = [];
  for (const channel of [...names].sort()) {
    const live = await readLiveManifest(publishDir, channel, root).catch(() => null);
    if (!live) continue;
    const signatures = new Set(live.signatures.map((sig) => sig.keyid).filter((id) => id in trust.keys)).size;
    const needed = trust.channels[channel]?.threshold ?? trust.threshold;
    if (signatures < needed) out.push({ channel, signatures, threshold: needed });
  }
  return out;
}

/** trust.json as it is, after the client's own parser found it valid and not yet rotated. */
export function checkTrust(raw: unknown, label: string, publishDir: string): TrustFile {
  let version: number;
  try {
    version = parseTrust(raw, label).version;
  } catch (err) {
    throw fromClient(err);
  }
  if (version > 1 || existsSync(join(publishDir, 'trust', '2.json')))
    throw usageError(
      'E_TRUST',
      `${label}: rotated already (version ${Math.max(version, 2)}): devices follow the signed chain, so keys trust would break it: use keys rotate`,
      'change the keys with `friday keys rotate --add <pubfile> --remove <keyid|name> --key <file>...`',
    );
  const t = raw as TrustFile;
  return { ...t, channels: t.channels ?? {} };
}

/** Public key files as trust entries, named after their file (`alice.pub` → `alice`); weak keys refused. */
export async function readPublicKeys(cwd: string, files: string[]): Promise<PublicKeyEntry[]> {
  const out: PublicKeyEntry[] = [];
  for (const file of files) {
    const path = resolve(cwd, file);
    let pem: string;
    try {
      pem = await fs.readFile(path, 'utf8');
    } catch (err) {
      throw usageError('E_KEY', `${file}: ${errnoCode(err) === 'ENOENT' ? 'no such file' : 'cannot read'}`);
    }
    if (/PRIVATE KEY/.test(pem)) throw usageError('E_KEY', `${file}: this is a private key; trust the .pub file`);
    let raw: Buffer;
    try {
      raw = publicRawFromPem(pem);
    } catch (err) {
      throw usageError('E_KEY', `${file}: ${(err as Error).message}`);
    }
    const weak = weakKeyProblem(raw);
    if (weak) throw usageError('E_KEY', `${file}: a weak Ed25519 public key (${weak}); it cannot be trusted`);
    const keyid = keyidOf(raw);
    out.push({
      keyid,
      public: raw.toString('base64'),
      name: basename(file).replace(/\.(pub|pem)$/, ''),
      minisign: minisignPublicKey(keyid, raw),
    });
  }
  return out;
}
