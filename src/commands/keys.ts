/** `friday keys generate`, `friday keys trust` and `friday keys rotate` (docs/formats.md "Keys", "trust.json"; docs/security.md). */
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { Context, Outcome } from '../context.js';
import { minisignPublicKey } from '../core/minisign.js';
import { usageError } from '../errors.js';
import { generateKeyPair } from '../io/keys.js';
import { loadProject } from '../io/project.js';
import { readJsonFile } from '../io/json.js';
import { createStore, pathExists, withLock } from '../io/store.js';
import { rotate } from '../workflow/rotate.js';
import { checkTrust, readPublicKeys, shortLiveManifests, type TrustFile } from '../workflow/trust-keys.js';

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
