/**
 * Ed25519 keys (formats.md "Keys, signatures and canonical JSON"). Signing is a capability over
 * bytes: manifest code gets a `Signer` and never sees a key file. Nothing here logs key material.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign as edSign, type KeyObject } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { errnoCode, usageError } from '../errors.js';

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

function signerFromPem(pem: string, label: string): Signer {
  if (!/-----BEGIN PRIVATE KEY-----/.test(pem)) {
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

/** Read a private key file, refusing one that group or others can read (formats.md). */
export async function loadSignerFile(file: string): Promise<Signer> {
  let st;
  try {
    st = await fs.stat(file);
  } catch (err) {
    throw usageError(
      'E_KEY',
      `${file}: ${errnoCode(err) === 'ENOENT' ? 'no such key file' : `cannot read the key file (${errnoCode(err)})`}`,
    );
  }
  if (process.platform !== 'win32' && (st.mode & 0o044) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    throw usageError('E_KEY', `${file}: private key readable by group or others (mode ${mode})`, `run: chmod 600 ${file}`);
  }
  return signerFromPem(await fs.readFile(file, 'utf8'), file);
}

/**
 * The signers for a command's `--key` files, or the PEM text in FRIDAY_SIGNING_KEY when no file is
 * given (CI secrets). Duplicate keys count once. Returns [] when there is neither.
 */
export async function loadSigners(files: string[], env: NodeJS.ProcessEnv): Promise<Signer[]> {
  const signers: Signer[] = [];
  if (files.length === 0) {
    const text = env.FRIDAY_SIGNING_KEY;
    if (text && text.trim()) signers.push(signerFromPem(text.includes('\\n') ? text.replace(/\\n/g, '\n') : text, 'FRIDAY_SIGNING_KEY'));
  }
  for (const f of files) signers.push(await loadSignerFile(f));
  const seen = new Set<string>();
  return signers.filter((s) => !seen.has(s.keyid) && (seen.add(s.keyid), true));
}
