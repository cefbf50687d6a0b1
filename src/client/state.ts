/**
 * The device's memory between pulls: the highest serial accepted per product and channel,
 * whatever the source (docs/formats.md "manifest.json", the serial rule). Losing it would let a
 * replayed older manifest in, so a file that cannot be read is an error, never a fresh start.
 *
 *   { "type": "friday.state/v1", "serials": { "aurora/beta": 7 }, "trust": { "aurora": { "signed": … } } }
 *
 * `trust` keeps, per product, the newest trust version accepted by following the chain: a mirror
 * that does not serve the chain never sends the device back to the trust file it shipped with.
 *
 * Also the atomic writes of the whole tool: the client may import nothing outside itself, so
 * src/io/store.ts re-uses these rather than the reverse.
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs, lstatSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { ClientError } from './errors.js';
import { readRegularFileSync, type ReadProblem } from './files.js';
import { acquireLock } from './lock.js';

export const STATE_TYPE = 'friday.state/v1';

export interface DeviceState {
  serials: Record<string, number>;
  /** The newest trust document accepted per product, as it was served (validated when read back). */
  trust?: Record<string, unknown>;
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
  const v = value as { type?: unknown; serials?: unknown; trust?: unknown };
  const serials = v && typeof v === 'object' ? v.serials : undefined;
  if (v?.type !== STATE_TYPE || !serials || typeof serials !== 'object' || Array.isArray(serials)) {
    throw new ClientError('E_STATE', `${path}: not a friday state file (want { "type": "${STATE_TYPE}", "serials": { … } })`, 2);
  }
  for (const [k, n] of Object.entries(serials)) {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
      throw new ClientError('E_STATE', `${path}: serials.${k}: must be a whole number`, 2);
  }
  const trust = v.trust;
  if (trust !== undefined && (!trust || typeof trust !== 'object' || Array.isArray(trust)))
    throw new ClientError('E_STATE', `${path}: trust: must be an object of product → trust document`, 2);
  return { serials: { ...(serials as Record<string, number>) }, ...(trust ? { trust: { ...(trust as Record<string, unknown>) } } : {}) };
}

/** The state after accepting trust `document` for `product`. */
export function recordTrust(state: DeviceState, product: string, document: unknown): DeviceState {
  return { ...state, trust: { ...state.trust, [product]: document } };
}

/** The state after accepting `serial`: the highest wins, so the map never moves backwards. */
export function recordSerial(state: DeviceState, key: string, serial: number): DeviceState {
  const prev = state.serials[key];
  return prev !== undefined && prev >= serial ? state : { ...state, serials: { ...state.serials, [key]: serial } };
}

/**
 * Temp file in the same folder, fsync, rename, fsync the folder: a reader (or a crash) sees the
 * old bytes or the new, never a mix. `mode` (default 0644) is set whatever the umask.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode?: number): Promise<void> {
  const dir = dirname(path);
  await fs.mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const h = await fs.open(tmp, 'wx', mode ?? 0o644);
  try {
    await h.writeFile(data);
    if (mode !== undefined) await h.chmod(mode); // the umask must not widen a private file
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

/**
 * Write a file at a path the user named (`changelog --out`, `pull --state`), so that what the path
 * names stays what it was. Through a symlink, to the file it names: atomically at the target's own
 * path, and the link stays (`CHANGELOG.md -> docs/CHANGELOG.md`). Into a FIFO or a character
 * device (`/dev/null`, a pipe a script reads) straight, with no temp file and no rename, which
 * would put a regular file in its place. A regular file or a new path: atomically, keeping the
 * mode of a file replaced. A folder, a block device or a socket is refused (E_USAGE, exit 2),
 * `label` naming it (`--out CHANGELOG.md`). Returns the path written.
 */
export async function writeUserFile(path: string, data: string | Uint8Array, label: string = path): Promise<string> {
  const abs = resolve(path);
  // stat follows every link, /proc's too (`/dev/stdout` -> /proc/self/fd/1 -> pipe:[…]).
  const stat = await fs.stat(abs).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    if (err.code === 'ELOOP') throw new ClientError('E_USAGE', `${label}: too many levels of symbolic links`, 2);
    throw err;
  });
  if (stat === null) {
    const target = await danglingTarget(abs, label);
    await writeFileAtomic(target, data);
    return target;
  }
  if (stat.isFIFO() || stat.isCharacterDevice()) {
    // Opened as it is: O_CREAT or O_TRUNC could only ever create or cut a regular file here.
    const h = await fs.open(abs, constants.O_WRONLY);
    try {
      await h.writeFile(data);
    } finally {
      await h.close();
    }
    return abs;
  }
  if (stat.isFile()) {
    const target = await fs.realpath(abs);
    await writeFileAtomic(target, data, stat.mode & 0o777);
    return target;
  }
  // A socket cannot be opened by its path (/dev/stdout of a child whose output is a socket pair).
  const target = await fs.realpath(abs).catch(() => abs);
  const what = stat.isDirectory() ? 'a folder' : stat.isBlockDevice() ? 'a block device' : 'a socket';
  throw new ClientError('E_USAGE', `${label}: ${target === abs ? '' : `${target} `}is ${what}, not a file`, 2);
}

/** Where a path that names nothing yet will be: at the end of its chain of links, if it is one. */
async function danglingTarget(abs: string, label: string): Promise<string> {
  let target = abs;
  for (let hops = 0; hops < 40; hops++) {
    const st = await fs.lstat(target).catch(() => null);
    if (!st?.isSymbolicLink()) return target;
    target = resolve(dirname(target), await fs.readlink(target));
  }
  throw new ClientError('E_USAGE', `${label}: too many levels of symbolic links`, 2);
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
  const trust = state.trust && Object.keys(state.trust).length ? { trust: state.trust } : {};
  await writeUserFile(path, JSON.stringify({ type: STATE_TYPE, serials: sorted, ...trust }, null, 2) + '\n');
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
