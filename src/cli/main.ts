/** The process entry: run the CLI on this process's arguments and streams; this file owns the exit code. */
import { runCli } from './program.js';

/**
 * Output into a pipe whose reader is gone (`friday status --help | head -1`) is output nobody
 * reads: the rest of it is dropped, quietly, and the run goes on to its own exit code (a command
 * half done because its reader left would be worse than one that finishes unseen).
 */
function writer(stream: NodeJS.WriteStream): (s: string) => void {
  let gone = false;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
    gone = true;
  });
  return (s) => {
    if (!gone) stream.write(s);
  };
}

const out = writer(process.stdout);
const err = writer(process.stderr);

runCli(process.argv.slice(2), { out, err }).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    err(`friday: internal error: ${String(e)}\n`);
    process.exitCode = 1;
  },
);
