/**
 * Every file the tool writes goes through here: atomic writes (temp file in the same folder,
 * fsync, rename, fsync of the folder), appends that are fsynced, and the locks. The --dry-run gate
 * sits in this adapter, not in the commands (docs/formats.md: "written atomically").
 */
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic, writeUserFile } from '../client/state.js';
import type { Context } from '../context.js';
import { errnoCode, failure, fromClient } from '../errors.js';
import { displayPath } from './display.js';

// One implementation of the atomic write and of the rule for paths a user names, the client's:
// the client may import nothing outside itself, and `pull --state` is written by it.
export { writeFileAtomic };

export interface Store {
  readonly dryRun: boolean;
  /** Paths the run wrote, or would have written under --dry-run. */
  readonly written: string[];
  writeFile(path: string, data: string | Uint8Array, opts?: { mode?: number }): Promise<void>;
  /**
   * A file at a path the user named (`--out`): through a symlink to its target, straight into a
   * FIFO or a character device, atomically otherwise (src/client/state.ts `writeUserFile`).
   * `label` names it in errors (`--out CHANGELOG.md`).
   */
  writeUserFile(path: string, data: string | Uint8Array, label: string): Promise<void>;
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
    writeUserFile: (path, data, label) =>
      gate('write', path, async () => {
        try {
          await writeUserFile(path, data, label);
        } catch (err) {
          throw fromClient(err); // E_USAGE, exit 2: the user named a folder
        }
      }),
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
