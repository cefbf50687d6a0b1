/**
 * Reading a manifest friday manages (live, staged, history) from the publish root. Light enough
 * for `status` on the start-up path: node:fs and the client's parser, nothing else.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isClientError } from '../client/errors.js';
import { parseManifestBytes, type SignedManifest } from '../client/manifest.js';
import { errnoCode, failure } from '../errors.js';
import { shellPath } from './display.js';

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
    throw failure('E_STATE', err.message, repairHint(path));
  }
}

/**
 * What brings a damaged manifest back, as commands to paste where friday was started. The live
 * manifest's history copy holds the very bytes that were published (history files are written
 * from the same text and never change), so copying it back is an exact restore.
 */
function repairHint(path: string): string {
  const dir = dirname(path);
  if (basename(dir) === 'history')
    return `history files never change once written: copy ${shellPath(path)} back from a mirror of the publish root or a backup`;
  if (basename(path) === 'staged.json') return `stage the release again (that replaces staged.json), or remove it: rm ${shellPath(path)}`;
  const history = join(dir, 'history');
  const copy = newestHistoryCopy(history);
  if (copy?.intact) return `restore the last published manifest from its history copy: cp ${shellPath(copy.file)} ${shellPath(path)}`;
  // An older copy would not do: devices that took the newer serial refuse a lower one.
  if (copy)
    return `its newest history copy ${shellPath(copy.file)} is damaged too: copy the manifest.json your OTA server serves over both files`;
  return (
    `there is no copy in ${shellPath(history)}/ to restore it from: copy the manifest.json your OTA server serves back to ${shellPath(path)}; ` +
    `failing that, move it aside (mv ${shellPath(path)} ${shellPath(`${path}.damaged`)}) and stage the channel again`
  );
}

/** The history file of the highest serial, and whether it parses; null when there is none. */
function newestHistoryCopy(history: string): { file: string; intact: boolean } | null {
  let names: string[];
  try {
    names = readdirSync(history).filter((n) => /^\d{8,}\.json$/.test(n));
  } catch {
    return null;
  }
  const newest = names.sort((a, b) => Number.parseInt(b, 10) - Number.parseInt(a, 10))[0];
  if (newest === undefined) return null;
  const file = join(history, newest);
  try {
    parseManifestBytes(readFileSync(file), newest);
    return { file, intact: true };
  } catch {
    return { file, intact: false };
  }
}
