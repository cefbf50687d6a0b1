/**
 * Reading a manifest friday manages (live, staged, history) from the publish root. Light enough
 * for `status` on the start-up path: node:fs and the client's parser, nothing else.
 */
import { readFileSync } from 'node:fs';
import { isClientError } from '../client/errors.js';
import { parseManifestBytes, type SignedManifest } from '../client/manifest.js';
import { errnoCode, failure } from '../errors.js';

/** The manifest at `path`, or null when there is none; a damaged one is E_STATE (exit 1) naming `label` and the field. */
export function readManagedManifest(path: string, label: string): SignedManifest | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw failure('E_STATE', `${label}: cannot read (${errnoCode(err) ?? String(err)})`);
  }
  try {
    return parseManifestBytes(bytes, label);
  } catch (err) {
    if (!isClientError(err)) throw err;
    throw failure('E_STATE', err.message, 'restore it from history/ or publish again');
  }
}
