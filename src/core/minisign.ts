/**
 * minisign's file formats (https://jedisct1.github.io/minisign/), made with friday's own Ed25519
 * keys so a tester can check a download with `minisign -Vm <file> -P RW…` and nothing else:
 *
 *   public key:  base64("Ed" ‖ key id (8 bytes) ‖ raw public key (32 bytes))   → "RW…"
 *   .minisig:    untrusted comment: <text>
 *                base64("ED" ‖ key id ‖ Ed25519(BLAKE2b-512(file)))            (prehashed)
 *                trusted comment: <text>
 *                base64(Ed25519(signature (64 bytes) ‖ trusted comment))       (global signature)
 *
 * The key id is the first 8 bytes of friday's keyid (SHA-256 of the public key). Pure: the
 * caller hashes the file.
 */
const PREHASHED = Buffer.from('ED', 'latin1');
const PUBLIC = Buffer.from('Ed', 'latin1');

export interface MinisignSigner {
  keyid: string;
  sign(data: Uint8Array): Buffer;
}

/** The 8-byte minisign key id of a friday keyid (64 hex). */
export const minisignKeyId = (keyid: string): Buffer => Buffer.from(keyid.slice(0, 16), 'hex');

/** The `RW…` public key string minisign's `-P` takes. */
export function minisignPublicKey(keyid: string, publicRaw: Uint8Array): string {
  return Buffer.concat([PUBLIC, minisignKeyId(keyid), publicRaw]).toString('base64');
}

/** A `.minisig` file's text over a file whose BLAKE2b-512 is `prehash`. Comments are one line each. */
export function minisignText(signer: MinisignSigner, prehash: Uint8Array, trustedComment: string): string {
  const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ');
  const trusted = oneLine(trustedComment);
  const sig = signer.sign(prehash);
  const global = signer.sign(Buffer.concat([sig, Buffer.from(trusted, 'utf8')]));
  return [
    `untrusted comment: signature from friday key ${signer.keyid.slice(0, 16)}`,
    Buffer.concat([PREHASHED, minisignKeyId(signer.keyid), sig]).toString('base64'),
    `trusted comment: ${trusted}`,
    global.toString('base64'),
    '',
  ].join('\n');
}

/** The hex key id a `.minisig` text names (its second line), or null when it is not one. */
export function minisigKeyIdOf(text: string): string | null {
  const line = text.split('\n')[1] ?? '';
  const raw = Buffer.from(line.trim(), 'base64');
  return raw.length === 74 && raw.subarray(0, 2).equals(PREHASHED) ? raw.subarray(2, 10).toString('hex') : null;
}

/**
 * Where each signer's `.minisig` of `file` goes: the first in keyid order signs `<file>.minisig`
 * (minisign reads one signature per file), the others `<file>.<first 16 hex of keyid>.minisig`.
 */
export function minisigNames<S extends MinisignSigner>(file: string, signers: readonly S[]): { signer: S; name: string }[] {
  return [...signers]
    .sort((a, b) => (a.keyid < b.keyid ? -1 : a.keyid > b.keyid ? 1 : 0))
    .map((signer, i) => ({ signer, name: i === 0 ? `${file}.minisig` : `${file}.${signer.keyid.slice(0, 16)}.minisig` }));
}
