/**
 * Ed25519 keys (docs/formats.md "Keys, signatures and canonical JSON"). Signing is a capability over
 * bytes: manifest code gets a `Signer` and never sees a key file. Nothing here logs key material.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign as edSign, type KeyObject } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import { errnoCode, usageError } from '../errors.js';
import { shellWord } from './display.js';

export interface Signer {
  keyid: string;
  publicRaw: Buffer;
  /** The raw 64-byte Ed25519 signature of `data`. */
  sign(data: Uint8Array): Buffer;
}

/** keyid = lowercase hex SHA-256 of the raw 32-byte public key. */
export function keyidOf(publicRaw: Uint8Array): string {
  return createHash('sha256').update(publicRaw).digest('hex');
}

function rawOf(pub: KeyObject): Buffer {
  const jwk = pub.export({ format: 'jwk' }) as { x?: string };
  return Buffer.from(jwk.x ?? '', 'base64url');
}

export function generateKeyPair(): { privatePem: string; publicPem: string; keyid: string; publicRaw: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const publicRaw = rawOf(publicKey);
  return {
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    keyid: keyidOf(publicRaw),
    publicRaw,
  };
}

/** The raw public key of an SPKI PEM public key file's text. Throws a plain Error when it is not one. */
export function publicRawFromPem(pem: string): Buffer {
  if (!/-----BEGIN PUBLIC KEY-----/.test(pem)) throw new Error('not an SPKI PEM public key (-----BEGIN PUBLIC KEY-----)');
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`not an Ed25519 key (${key.asymmetricKeyType ?? 'unknown type'})`);
  return rawOf(key);
}

const isPublicPem = (text: string) => /-----BEGIN PUBLIC KEY-----/.test(text) && !/-----BEGIN PRIVATE KEY-----/.test(text);

/**
 * The signer of a PEM private key's text. `label` names where the text came from; `fix` says what
 * to give instead when it holds a public key (the private key file beside a .pub).
 */
function signerFromPem(pem: string, label: string, fix?: string): Signer {
  if (!/-----BEGIN PRIVATE KEY-----/.test(pem)) {
    if (isPublicPem(pem))
      throw usageError(
        'E_KEY',
        `${label}: not a PKCS#8 PEM private key: it is a public key (-----BEGIN PUBLIC KEY-----); signing needs the private one`,
        fix ?? 'give the private key, the <name>.key that `friday keys generate` wrote beside <name>.pub',
      );
    throw usageError(
      'E_KEY',
      `${label}: not a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)`,
      'create one with `friday keys generate <name>`',
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw usageError('E_KEY', `${label}: the private key cannot be parsed`);
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw usageError('E_KEY', `${label}: not an Ed25519 key (${key.asymmetricKeyType ?? 'unknown type'})`);
  const publicRaw = rawOf(createPublicKey(key));
  return { keyid: keyidOf(publicRaw), publicRaw, sign: (data) => edSign(null, data, key) };
}

/** `<name>.key` beside `<name>.pub` as the user wrote it, when that file exists (relative ones from `cwd`). */
function privateBeside(file: string, cwd: string): string | null {
  if (!file.endsWith('.pub')) return null;
  const key = `${file.slice(0, -'.pub'.length)}.key`;
  return existsSync(resolve(cwd, key)) ? key : null;
}

/**
 * Read a private key file, refusing one that group or others can read (docs/formats.md). `file` is
 * named as given; a relative one is read from `cwd`.
 */
async function loadSignerFile(file: string, cwd: string): Promise<Signer> {
  const path = resolve(cwd, file);
  let st, text;
  try {
    st = await fs.stat(path);
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    throw usageError(
      'E_KEY',
      `${file}: ${errnoCode(err) === 'ENOENT' ? 'no such key file' : `cannot read the key file (${errnoCode(err)})`}`,
    );
  }
  const beside = privateBeside(file, cwd);
  const fix = beside ? `give the private key beside it: --key ${shellWord(beside)}` : undefined;
  // A public key is said as such before its mode (0644, as it should be) is taken for a leak.
  if (process.platform !== 'win32' && (st.mode & 0o044) !== 0 && !isPublicPem(text)) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    throw usageError('E_KEY', `${file}: private key readable by group or others (mode ${mode})`, `run: chmod 600 ${shellWord(file)}`);
  }
  return signerFromPem(text, file, fix);
}

/**
 * The signer of FRIDAY_SIGNING_KEY's PEM text. A file name there instead (a common slip in a CI
 * secret) is said as such, with the two ways to give that file.
 */
function signerFromEnv(text: string, cwd: string): Signer {
  const value = text.trim();
  if (!value.includes('-----BEGIN') && !value.includes('\n') && existsSync(resolve(cwd, value))) {
    const file = privateBeside(value, cwd) ?? value;
    throw usageError(
      'E_KEY',
      `FRIDAY_SIGNING_KEY: holds the name of a file (${value}), not a key: it must hold the PEM text of the private key`,
      `put the file's text in it: FRIDAY_SIGNING_KEY="$(cat ${shellWord(file)})", or pass the file: --key ${shellWord(file)}`,
    );
  }
  return signerFromPem(
    text.includes('\\n') ? text.replace(/\\n/g, '\n') : text,
    'FRIDAY_SIGNING_KEY',
    'put the private key\'s text there instead: FRIDAY_SIGNING_KEY="$(cat <name>.key)"',
  );
}

/**
 * The signers for a command's `--key` files (named as given, relative ones read from `cwd`), or the
 * PEM text in FRIDAY_SIGNING_KEY when no file is given (CI secrets). Duplicate keys count once.
 * Returns [] when there is neither.
 */
export async function loadSigners(files: string[], env: NodeJS.ProcessEnv, cwd: string = process.cwd()): Promise<Signer[]> {
  const signers: Signer[] = [];
  if (files.length === 0) {
    const text = env.FRIDAY_SIGNING_KEY;
    if (text && text.trim()) signers.push(signerFromEnv(text, cwd));
  }
  for (const f of files) signers.push(await loadSignerFile(f, cwd));
  const seen = new Set<string>();
  return signers.filter((s) => !seen.has(s.keyid) && (seen.add(s.keyid), true));
}
