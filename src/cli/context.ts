import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { usageError } from '../errors.js';
import { parseTime } from '../core/time.js';
import type { Context } from '../context.js';

export type { Context, Outcome } from '../context.js';

export interface GlobalOptions {
  cwd?: string;
  config?: string;
  json?: boolean;
  dryRun?: boolean;
  now?: string;
  quiet?: boolean;
}

export function createContext(
  opts: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
  stderr: { write(s: string): unknown; isTTY?: boolean } = process.stderr,
  clock: () => Date = () => new Date(),
): Context {
  const cwd = resolve(opts.cwd ?? '.');
  const root = opts.config === undefined ? (findProjectRoot(cwd) ?? cwd) : cwd;
  const nowText = opts.now ?? env.FRIDAY_NOW;
  let now: Date;
  if (nowText !== undefined && nowText !== '') {
    const parsed = parseTime(nowText);
    if (!parsed) {
      throw usageError(
        'E_USAGE',
        `${opts.now !== undefined ? '--now' : 'FRIDAY_NOW'}: not an ISO 8601 time: ${JSON.stringify(nowText)}`,
        'use a UTC time such as 2026-11-27T17:00:00Z',
      );
    }
    now = parsed;
  } else {
    now = clock();
  }
  const quiet = opts.quiet === true;
  const plain = !stderr.isTTY || env.CI === 'true' || env.CI === '1' || env.NO_COLOR !== undefined || env.TERM === 'dumb';
  return {
    cwd,
    root,
    configPath: opts.config === undefined ? join(root, CONFIG_FILE) : resolve(cwd, opts.config),
    json: opts.json === true,
    dryRun: opts.dryRun === true,
    quiet,
    now,
    env,
    plain,
    info: (line) => {
      if (!quiet) stderr.write(line + '\n');
    },
    warn: (line) => {
      if (!quiet) stderr.write(`friday: warning: ${line}\n`);
    },
  };
}

const CONFIG_FILE = 'friday.config.json';

/**
 * The nearest folder at or above `dir` with friday.config.json, so every command works from a
 * subfolder of the ROM repository. The search stops at the repository's top (a folder with
 * `.git`), as git's own does at a file system root: a project is never found outside it.
 */
export function findProjectRoot(dir: string): string | null {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, CONFIG_FILE))) return d;
    if (existsSync(join(d, '.git')) || dirname(d) === d) return null;
  }
}
