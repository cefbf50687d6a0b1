/** The process entry: run the CLI on this process's arguments and streams; this file owns the exit code. */
import { runCli } from './program.js';

runCli(process.argv.slice(2), { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`friday: internal error: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
