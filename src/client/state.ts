/**
 * The device's memory between pulls: the highest serial accepted per product and channel,
 * whatever the source (formats.md "manifest.json", the serial rule). Losing it would let a
 * replayed older manifest in, so a file that cannot be read is an error, never a fresh start.
 *
 *   { "type": "friday.state/v1", "serials": { "aurora/beta": 7 } }
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs, lstatSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ClientError } from './errors.js';
import { readRegularFileSync, type ReadProblem } from './files.js';
import { acquireLock } from './lock.js';

export const STATE_TYPE = 'friday.state/v1';

export interface DeviceState {
  serials: Record<string, number>;
}

export const stateKey = (product: string, channel: string): string => `${product}/${channel}`;

/** `$XDG_STATE_HOME/friday/state.json`, else `~/.local/state/friday/state.json` (`%LOCALAPPDATA%\friday` on Windows). */
export function defaultStatePath(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'friday', 'state.json');
  const base = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(home, '.local', 'state');
  return join(base, 'friday', 'state.json');
}

const STATE_LIMIT = 1024 * 1024;

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

export async function readState(path: string): Promise<DeviceState> {
  let text: string;
  try {
    text = readRegularFileSync(path, STATE_LIMIT).toString('utf8'); // small; synchronous keeps the start-up path short
  } catch (err) {
    const problem = err as ReadProblem;
    if (problem.code === 'ENOENT') {
      // No file is a first run; a symbolic link that leads nowhere is not: the serials seen are
      // wherever it pointed (a volume not mounted yet, a file moved away).
      if (!isLink(path)) return { serials: {} };
      throw new ClientError(
        'E_STATE',
        `${path}: the state file is a symbolic link to a missing file; it keeps the serials seen, so it is not reset silently`,
        2,
      );
    }
    throw new ClientError('E_STATE', `${path}: cannot read the state file: ${problem.message}`, 2);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ClientError(
      'E_STATE',
      `${path}: the state file is not valid JSON; it keeps the serials seen, so it is not reset silently`,
      2,
    );
  }
  const v = value as { type?: unknown; serials?: unknown };
  const serials = v && typeof v === 'object' ? v.serials : undefined;
  if (v?.type !== STATE_TYPE || !serials || typeof serials !== 'object' || Array.isArray(serials)) {
    throw new ClientError('E_STATE', `${path}: not a friday state file (want { "type": "${STATE_TYPE}", "serials": { … } })`, 2);
  }
  for (const [k, n] of Object.entries(serials)) {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
      throw new ClientError('E_STATE', `${path}: serials.${k}: must be a whole number`, 2);
  }
  return { serials: { ...(serials as Record<string, number>) } };
}

/** The state after accepting `serial`: the highest wins, so the map never moves backwards. */
export function recordSerial(state: DeviceState, key: string, serial: number): DeviceState {
  const prev = state.serials[key];
  return prev !== undefined && prev >= serial ? state : { serials: { ...state.serials, [key]: serial } };
}

/** Temp file in the same folder, fsync, rename, fsync the folder: a crash leaves old or new. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  await fs.mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const h = await fs.open(tmp, 'wx', 0o644);
  try {
    await h.writeFile(data);
    await h.sync();
  } catch (err) {
    await h.close();
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await h.close();
  try {
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dir);
}

export async function fsyncDir(dir: string): Promise<void> {
  let h: fs.FileHandle | undefined;
  try {
    h = await fs.open(dir, constants.O_RDONLY);
    await h.sync();
  } catch {
    // some file systems refuse fsync on a folder; the rename is atomic all the same
  } finally {
    await h?.close();
  }
}

export async function writeState(path: string, state: DeviceState): Promise<void> {
  const sorted = Object.fromEntries(Object.entries(state.serials).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  await writeFileAtomic(path, JSON.stringify({ type: STATE_TYPE, serials: sorted }, null, 2) + '\n');
}

/**
 * Read the state, let `change` decide the next one, and write it, all under `<path>.lock`: two
 * pulls at once each see what the other recorded before deciding (`change` compares again, so a
 * slower pull never writes a lower serial over a higher one just recorded). The lock is held for
 * milliseconds, so one older than 30 s is left over from a process that died.
 */
export async function updateState(
  path: string,
  change: (current: DeviceState) => Promise<DeviceState> | DeviceState,
): Promise<DeviceState> {
  await fs.mkdir(dirname(path), { recursive: true });
  const lock = await acquireLock(`${path}.lock`, { what: `${path}: the state file`, waitMs: 30_000, staleMs: 30_000 });
  try {
    const current = await readState(path);
    const next = await change(current);
    if (next !== current) await writeState(path, next);
    return next;
  } finally {
    await lock.release();
  }
}
