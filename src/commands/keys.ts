/** `friday keys generate` and `friday keys trust` (formats.md "Keys", "trust.json"). */
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import type { Context, Outcome } from '../context.js';
import { weakKeyProblem } from '../client/trust.js';
import { errnoCode, usageError } from '../errors.js';
import { generateKeyPair, keyidOf, publicRawFromPem } from '../io/keys.js';
import { loadProject } from '../io/project.js';
import { readJsonFile } from '../io/json.js';
import { createStore, pathExists, withLock } from '../io/store.js';

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
  return {
    result: { name: opts.name, keyid: pair.keyid, private: privPath, public: pubPath },
    text: `${pair.keyid}\n${ctx.dryRun ? 'would write' : 'wrote'} ${privPath} (private, 0600) and ${pubPath}; trust it with: friday keys trust ${pubPath}`,
  };
}

interface TrustFile {
  type: 'friday.trust/v1';
  product: string;
  keys: Record<string, { type: 'ed25519'; public: string; name: string }>;
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

  const added: { keyid: string; name: string }[] = [];
  const incoming: TrustFile['keys'] = {};
  for (const file of opts.pubfiles) {
    const path = resolve(ctx.cwd, file);
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
    const name = basename(file).replace(/\.(pub|pem)$/, '');
    incoming[keyid] = { type: 'ed25519', public: raw.toString('base64'), name };
    added.push({ keyid, name });
  }

  const trustPath = join(project.publishDir, 'trust.json');
  const label = relative(ctx.cwd, trustPath) || trustPath;
  const update = async () => {
    const trust: TrustFile = (await pathExists(trustPath))
      ? checkTrust(await readJsonFile(trustPath, label), label)
      : { type: 'friday.trust/v1', product: project.config.product, keys: {}, threshold: 1, channels: {} };
    if (trust.product !== project.config.product) {
      throw usageError('E_TRUST', `${label}: product: "${trust.product}" but friday.config.json says "${project.config.product}"`);
    }
    Object.assign(trust.keys, incoming);
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

/** Enough of trust.json's shape to update it safely; full verification rules live in the client. */
function checkTrust(raw: unknown, label: string): TrustFile {
  const t = raw as Partial<TrustFile> | null;
  const bad = (field: string, why: string) => usageError('E_TRUST', `${label}: ${field}: ${why}`);
  if (!t || typeof t !== 'object' || Array.isArray(t)) throw bad('(root)', 'must be an object');
  if (t.type !== 'friday.trust/v1') throw bad('type', 'must be "friday.trust/v1"');
  if (typeof t.product !== 'string') throw bad('product', 'must be a string');
  if (!t.keys || typeof t.keys !== 'object') throw bad('keys', 'must be an object');
  for (const [id, k] of Object.entries(t.keys)) {
    if (!k || k.type !== 'ed25519') throw bad(`keys.${id}`, 'type must be "ed25519"');
    const raw = Buffer.from(String(k.public ?? ''), 'base64');
    if (raw.length !== 32) throw bad(`keys.${id}`, 'public must be 32 bytes of base64');
    if (keyidOf(raw) !== id) throw bad(`keys.${id}`, 'keyid is not the SHA-256 of the public key');
    const weak = weakKeyProblem(raw);
    if (weak) throw bad(`keys.${id}.public`, `a weak Ed25519 key (${weak})`);
  }
  if (!Number.isInteger(t.threshold) || (t.threshold as number) < 1) throw bad('threshold', 'must be a whole number of at least 1');
  return { ...t, channels: t.channels ?? {} } as TrustFile;
}
