/**
 * Every file the tool writes goes through here: atomic writes (temp file in the same folder,
 * fsync, rename, fsync of the folder), appends that are fsynced, and the locks. The --dry-run gate
 * sits in this adapter, not in the commands (formats.md: "written atomically").
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Context } from '../context.js';
import { errnoCode, failure } from '../errors.js';
import { displayPath } from './display.js';

export interface Store {
  readonly dryRun: boolean;
  /** Paths the run wrote, or would have written under --dry-run. */
  readonly written: string[];
  writeFile(path: string, data: string | Uint8Array, opts?: { mode?: number }): Promise<void>;
  writeJson(path: string, value: unknown, opts?: { mode?: number }): Promise<void>;
  appendLine(path: string, line: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  remove(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /**
   * A named point between two writes of a multi-file sequence (the publish order). The crash-safety
   * tests set FRIDAY_TEST_KILL_AFTER=<name>[:<n>] to SIGKILL the process at the n-th such point;
   * unset (always, outside those tests) it does nothing.
   */
  checkpoint(name: string): void;
}

export function toJsonText(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

export function createStore(ctx: Pick<Context, 'dryRun' | 'info' | 'cwd'> & Partial<Pick<Context, 'env'>>): Store {
  const written: string[] = [];
  const show = (p: string) => displayPath(ctx.cwd, p);
  const [killAt = '', nth = '1'] = (ctx.env?.FRIDAY_TEST_KILL_AFTER ?? '').split(':');
  let seen = 0;
  const gate = async (verb: string, path: string, act: () => Promise<void>) => {
    written.push(path);
    if (ctx.dryRun) {
      ctx.info(`would ${verb} ${show(path)}`);
      return;
    }
    await act();
  };
  return {
    dryRun: ctx.dryRun,
    written,
    writeFile: (path, data, opts) => gate('write', path, () => writeFileAtomic(path, data, opts?.mode)),
    writeJson: (path, value, opts) => gate('write', path, () => writeFileAtomic(path, toJsonText(value), opts?.mode)),
    appendLine: (path, line) => gate('append to', path, () => appendLineDurable(path, line)),
    mkdir: (path) => gate('create', path, async () => void (await fs.mkdir(path, { recursive: true }))),
    remove: (path) => gate('remove', path, () => fs.rm(path, { force: true, recursive: true })),
    rename: (from, to) => gate('move', to, () => fs.rename(from, to)),
    checkpoint: (name) => {
      if (name === killAt && ++seen === Number(nth) && !ctx.dryRun) process.kill(process.pid, 'SIGKILL');
    },
  };
}

async function fsyncDir(dir: string): Promise<void> {
  let h: fs.FileHandle | undefined;
  try {
    h = await fs.open(dir, constants.O_RDONLY);
    await h.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the rename itself is still atomic.
  } finally {
    await h?.close();
  }
}

/** Write a whole file so that a reader (or a crash) sees the old bytes or the new, never a mix. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode?: number): Promise<void> {
  const dir = dirname(path);
  await fs.mkdir(dir, { recursive: true });
  const tmp = `${dir}/.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
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

/** Append one line (audit logs are only ever appended, never rewritten). */
export async function appendLineDurable(path: string, line: string): Promise<void> {
  await fs.mkdir(dirname(path), { recursive: true });
  const h = await fs.open(path, 'a', 0o644);
  try {
    await h.write(line.endsWith('\n') ? line : line + '\n');
    await h.datasync();
  } finally {
    await h.close();
  }
}

export async function pathExists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Hold an exclusive lock (proper-lockfile: a `<target>.lock` folder, refreshed while held, stale
 * after a crash) while `fn` runs. A second process waits up to `waitMs`, then fails clearly.
 */
export async function withLock<T>(target: string, what: string, fn: () => Promise<T>, opts: { waitMs?: number } = {}): Promise<T> {
  const { default: lockfile } = await import('proper-lockfile');
  await fs.mkdir(dirname(target), { recursive: true });
  const waitMs = opts.waitMs ?? 30_000;
  const stale = 5_000;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(target, {
      realpath: false,
      stale,
      update: 1_000,
      retries: { retries: Math.max(0, Math.ceil(waitMs / 250)), minTimeout: 100, maxTimeout: 250, factor: 1.2 },
      onCompromised: (err) => process.stderr.write(`friday: warning: ${what}: lock lost (${err.message})\n`),
    });
  } catch (err) {
    if (errnoCode(err) === 'ELOCKED') {
      throw failure('E_LOCK', `${what}: another friday is running (lock ${target}.lock)`, 'wait for it to finish, then run again');
    }
    throw err;
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => {});
  }
}
