/**
 * The facts of one run, decided once by the CLI (cli/context.ts creates them from the flags) and
 * handed to every layer: commands, the channel workflow and the io adapters read the clock, the
 * environment and the output channels from here, never from the process.
 */

/** What every command receives: the facts of this run, decided once by the CLI. */
export interface Context {
  /**
   * Absolute working folder (-C/--cwd, default the current directory): where the paths the user
   * gives (--key, --out, --trust…) are resolved.
   */
  cwd: string;
  /**
   * The project's root: the nearest folder at or above `cwd` holding friday.config.json, searched
   * as git searches for its repository (not past the repository's own top); `cwd` when there is none.
   */
  root: string;
  /** Absolute path of the configuration file. */
  configPath: string;
  json: boolean;
  dryRun: boolean;
  quiet: boolean;
  /** The clock (--now / FRIDAY_NOW / real time). Commands never read the system clock. */
  now: Date;
  env: NodeJS.ProcessEnv;
  /** No live progress view: not a terminal, CI=true or NO_COLOR. */
  plain: boolean;
  /** Progress and log lines, on stderr; silenced by --quiet. */
  info(line: string): void;
  /** Warnings, on stderr; silenced by --quiet (errors only). */
  warn(line: string): void;
}

/** What a command hands back: the JSON result, the human text, and the exit code (0 unless said). */
export interface Outcome {
  result: unknown;
  text?: string;
  exit?: 0 | 1 | 3;
  /**
   * A failure beside a result (a `watch` check that judged but could not act): printed on stderr
   * as `friday: <message>` with its hint, in every mode; the result carries it for --json.
   */
  problem?: { message: string; hint?: string | undefined };
}
