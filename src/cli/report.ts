/**
 * How a run's error reaches the user (docs/cli.md "Errors"): one line `friday: <what failed>:
 * <why>`, a hint on a second line, the --json error document on stdout, a stack trace only with
 * FRIDAY_DEBUG=1, and the exit code.
 */
import { CommanderError, type Command } from 'commander';
import { FridayError, isFridayError } from '../errors.js';
import type { Printer } from './program.js';

export interface ReportOptions {
  json: boolean;
  debug: boolean;
  io: Printer;
  /** The command a commander error came from, and how it is typed (`keys generate`). */
  origin(err: CommanderError): Command | undefined;
  commandPath(cmd: Command): string;
}

/** Any error of a run, as one line `friday: <what>: <why>` (and a hint) or the --json error document; returns the exit code. */
export function reportError(err: unknown, o: ReportOptions): number {
  const { json, io } = o;
  if (err instanceof CommanderError) {
    const cmd = o.origin(err);
    const path = cmd ? o.commandPath(cmd) : '';
    const help = `see friday ${path ? `${path} ` : ''}--help`;
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
    if (err.code === 'commander.help') {
      if (err.exitCode === 0) return 0; // `friday help`
      // A group run without its subcommand (`friday keys`): commander printed the help on stderr.
      const names = cmd?.commands.map((c) => c.name()).filter((n) => n !== 'help') ?? [];
      if (json)
        io.out(
          JSON.stringify(
            {
              ok: false,
              error: {
                code: 'E_USAGE',
                message: `${path ? `${path}: ` : ''}missing command${names.length ? ` (${names.join(', ')})` : ''}`,
              },
            },
            null,
            2,
          ) + '\n',
        );
      return 2;
    }
    // Commander's own message, then perhaps "(Did you mean --channel?)" on a line of its own: that is the hint.
    const [first = '', ...rest] = err.message.replace(/^error: /, '').split('\n');
    const suggestion = rest
      .join(' ')
      .replace(/^\((.*)\)$/, '$1')
      .trim();
    return printError(new FridayError('E_USAGE', path ? `${path}: ${first}` : first, 2, suggestion || help), o);
  }
  if (isFridayError(err)) {
    if (err.result !== undefined && json) {
      io.out(JSON.stringify(err.result, null, 2) + '\n');
      return err.exit;
    }
    return printError(err, o);
  }
  const e = err instanceof Error ? err : new Error(String(err));
  // A system call that failed where no command expected it (a folder not writable, a disk full):
  // what failed and why, not "internal error", and exit 1 (docs/cli.md: I/O).
  const sys = e as NodeJS.ErrnoException & { dest?: string };
  if (typeof sys.code === 'string' && /^E[A-Z]+$/.test(sys.code) && typeof sys.syscall === 'string') {
    const where = sys.path ? ` ${sys.path}${sys.dest ? ` → ${sys.dest}` : ''}` : '';
    const why = /^E[A-Z]+: ([^,]+),/.exec(e.message)?.[1];
    return printError(
      new FridayError(
        'E_IO',
        `${sys.syscall}${where}: ${why ? `${why} (${sys.code})` : sys.code}`,
        1,
        'run again with FRIDAY_DEBUG=1 for a stack trace',
      ),
      o,
      e,
    );
  }
  return printError(
    new FridayError('E_INTERNAL', `internal error: ${e.message}`, 1, 'run again with FRIDAY_DEBUG=1 for a stack trace'),
    o,
    e,
  );
}

/** The error's line and its hint's, on stderr. */
export function printProblem(p: { message: string; hint?: string | undefined }, io: Printer): void {
  io.err(`friday: ${oneLine(p.message)}\n`);
  if (p.hint) io.err(`  ${oneLine(p.hint)}\n`);
}

/** docs/cli.md: the error is one line, the hint another, whatever text (a flag's value, a tool's output) went into them. */
const oneLine = (text: string) => text.replace(/\s*[\r\n]+\s*/g, ' ').trim();

function printError(err: FridayError, { json, io, debug }: ReportOptions, cause?: Error): number {
  if (json) io.out(JSON.stringify({ ok: false, error: { code: err.code, message: oneLine(err.message) } }, null, 2) + '\n');
  printProblem(err, io);
  if (debug) io.err(`${(cause ?? err).stack ?? ''}\n`);
  return err.exit;
}
