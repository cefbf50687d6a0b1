/** `friday keys generate`, `friday keys trust` and `friday keys rotate` (docs/formats.md "Keys", "trust.json"; docs/security.md). */
import { existsSync, promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import type { Context, Outcome } from '../context.js';
import { parseTrust, weakKeyProblem } from '../client/trust.js';
import { minisignPublicKey } from '../core/minisign.js';
import { errnoCode, fromClient, usageError } from '../errors.js';
import { readLiveManifest } from '../io/channel.js';
import { generateKeyPair, keyidOf, publicRawFromPem } from '../io/keys.js';
import { loadProject } from '../io/project.js';
import { readJsonFile } from '../io/json.js';
import { createStore, pathExists, withLock } from '../io/store.js';
import { rotate, type PublicKeyEntry } from '../workflow/rotate.js';

export function defaultKeysDir(env: NodeJS.ProcessEnv): string {
  return env.FRIDAY_KEYS_DIR || join(env.HOME || homedir(), '.config', 'friday', 'keys');
}

export async function runGenerate(ctx: Context, opts: { name: string; out?: string }): Promise<Outcome> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(opts.name)) {
    throw usageError('E_USAGE', `keys generate: name "${opts.name}": use letters, digits, ".", "_" or "-"`);
  }
  const dir = resolve(ctx.cwd, opts.out ?? defaultKeysDir(ctx.env));
  const privPath = join(dir, `${opts.name}.key`);
  const pubPath = join(dir, `${opts.name}.pub`);
  for (const p of [privPath, pubPath]) {
    // lstat, not stat: a link, even to nothing, is refused. A private key written through a link
    // someone else planted would land where they chose; the write itself renames over the path,
    // so a link planted after this check is replaced, never followed.
    const st = await fs.lstat(p).catch(() => null);
    if (st?.isSymbolicLink())
      throw usageError(
        'E_EXISTS',
        `keys generate: ${p} is a symbolic link`,
        'a key file is never written through a link: remove it, or choose another name',
      );
    if (st) throw usageError('E_EXISTS', `keys generate: ${p} already exists`, 'choose another name; a key is never overwritten');
  }
  const pair = generateKeyPair();
  const store = createStore(ctx);
  if (!ctx.dryRun) await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await store.writeFile(privPath, pair.privatePem, { mode: 0o600 });
  await store.writeFile(pubPath, pair.publicPem, { mode: 0o644 });
  const minisign = minisignPublicKey(pair.keyid, pair.publicRaw);
  return {
    result: { name: opts.name, keyid: pair.keyid, minisign, private: privPath, public: pubPath },
    text: `${pair.keyid}\nminisign public key: ${minisign}\n${ctx.dryRun ? 'would write' : 'wrote'} ${privPath} (private, 0600) and ${pubPath}; trust it with: friday keys trust ${pubPath}`,
  };
}

interface TrustFile {
  type: 'friday.trust/v1';
  product: string;
  keys: Record<string, { type: 'ed25519'; public: string; name: string; minisign: string }>;
  threshold: number;
  channels: Record<string, { threshold: number }>;
}

function parseThreshold(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw usageError('E_USAGE', `--threshold ${text}: must be a whole number of at least 1`);
  return n;
}

export async function runTrust(ctx: Context, opts: { pubfiles: string[]; threshold?: string; channel?: string }): Promise<Outcome> {
  const project = await loadProject(ctx);
  const threshold = parseThreshold(opts.threshold);
  if (opts.channel !== undefined && !project.channels[opts.channel]) {
    throw usageError('E_USAGE', `--channel ${opts.channel}: unknown channel (no channels/${opts.channel}.json)`);
  }
  if (opts.channel !== undefined && threshold === undefined) throw usageError('E_USAGE', '--channel: needs --threshold <n>');

  const added = await readPublicKeys(ctx.cwd, opts.pubfiles);
  const incoming: TrustFile['keys'] = {};
  for (const k of added) incoming[k.keyid] = { type: 'ed25519', public: k.public, name: k.name, minisign: k.minisign };

  const trustPath = join(project.publishDir, 'trust.json');
  const label = relative(ctx.cwd, trustPath) || trustPath;
  const update = async () => {
    const trust: TrustFile = (await pathExists(trustPath))
      ? checkTrust(await readJsonFile(trustPath, label), label, project.publishDir)
      : { type: 'friday.trust/v1', product: project.config.product, keys: {}, threshold: 1, channels: {} };
    if (trust.product !== project.config.product) {
      throw usageError('E_TRUST', `${label}: product: "${trust.product}" but friday.config.json says "${project.config.product}"`);
    }
    Object.assign(trust.keys, incoming);
    // Keys trusted before the minisign key was kept gain it now.
    for (const [id, k] of Object.entries(trust.keys)) k.minisign ??= minisignPublicKey(id, Buffer.from(k.public, 'base64'));
    const count = Object.keys(trust.keys).length;
    if (threshold !== undefined) {
      if (threshold > count)
        throw usageError(
          'E_USAGE',
          `--threshold ${threshold}: only ${count} key${count === 1 ? ' is' : 's are'} trusted`,
          'trust more keys first',
        );
      if (opts.channel) trust.channels[opts.channel] = { threshold };
      else trust.threshold = threshold;
    }
    await createStore(ctx).writeJson(trustPath, trust);
    return trust;
  };
  const trust = ctx.dryRun ? await update() : await withLock(trustPath, 'keys trust', update);
  // A threshold raised above what a live manifest carries: devices given this trust.json refuse it.
  const short =
    threshold === undefined ? [] : await shortLiveManifests(project.publishDir, project.root, Object.keys(project.channels), trust);
  for (const c of short)
    ctx.warn(
      `${c.channel}: the live manifest has ${c.signatures} of the ${c.threshold} trusted signatures now needed: devices with this trust.json refuse it; re-sign it with ${c.threshold} trusted keys: friday renew --channel ${c.channel} --force${' --key <file>'.repeat(c.threshold)}`,
    );
  const scope = opts.channel ? `channel ${opts.channel}` : 'all channels';
  return {
    result: trust,
    text: [
      ...added.map((k) => `trusted ${k.name} ${k.keyid}`),
      `${label}: ${Object.keys(trust.keys).length} keys, threshold ${trust.threshold}${Object.entries(trust.channels)
        .map(([c, t]) => `, ${c} ${t.threshold}`)
        .join('')}${threshold !== undefined ? ` (set for ${scope})` : ''}`,
    ].join('\n'),
  };
}

/** The channels whose live manifest has fewer distinct trusted signatures than `trust` now asks. */
async function shortLiveManifests(publishDir: string, root: string, policies: string[], trust: TrustFile) {
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
function checkTrust(raw: unknown, label: string, publishDir: string): TrustFile {
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
async function readPublicKeys(cwd: string, files: string[]): Promise<PublicKeyEntry[]> {
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

export async function runRotate(
  ctx: Context,
  opts: { add?: string[]; remove?: string[]; threshold?: string; channel?: string; key?: string[] },
): Promise<Outcome> {
  const project = await loadProject(ctx);
  const threshold = parseThreshold(opts.threshold);
  if (opts.channel !== undefined && !project.channels[opts.channel])
    throw usageError('E_USAGE', `--channel ${opts.channel}: unknown channel (no channels/${opts.channel}.json)`);
  if (opts.channel !== undefined && threshold === undefined) throw usageError('E_USAGE', '--channel: needs --threshold <n>');
  const add = await readPublicKeys(ctx.cwd, opts.add ?? []);
  const r = await rotate(ctx, project, {
    add,
    remove: opts.remove ?? [],
    keyFiles: opts.key ?? [],
    ...(threshold !== undefined ? { threshold } : {}),
    ...(opts.channel !== undefined ? { channel: opts.channel } : {}),
  });
  const label = relative(ctx.cwd, r.path) || r.path;
  return {
    result: r,
    text: [
      `${ctx.dryRun ? 'would write' : 'wrote'} trust version ${r.version} (${label}, now trust.json), signed by ${r.signedBy.length} key${r.signedBy.length === 1 ? '' : 's'}`,
      ...r.keys.map((k) => `  ${k.name ?? '?'} ${k.keyid}`),
      `threshold ${r.threshold}${Object.entries(r.channels)
        .map(([c, t]) => `, ${c} ${t.threshold}`)
        .join('')}; next: friday renew --channel <c> --key <file> re-signs each live manifest with the current keys`,
    ].join('\n'),
  };
}
