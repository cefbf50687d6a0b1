/**
 * RFC 8785 (JCS) canonical form: what is signed is the UTF-8 bytes of the canonical form of
 * `signed` (docs/formats.md "Keys, signatures and canonical JSON"). The `canonicalize` package is a
 * reference JCS implementation: keys sorted by UTF-16 code units, ECMAScript number formatting.
 */
import canonicalize from 'canonicalize';
import { ClientError } from './errors.js';

export function canonicalString(value: unknown): string {
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (err) {
    throw new ClientError('E_FORMAT', `cannot canonicalize: ${(err as Error).message}`);
  }
  if (text === undefined) throw new ClientError('E_FORMAT', 'cannot canonicalize: no JSON value');
  return text;
}

export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalString(value), 'utf8');
}
