/**
 * Run the configured build through the shell (docs/formats.md `build.command`) with execa, streaming
 * its output line by line. It runs in its own process group so a timeout stops the whole tree.
 */
import { execa } from 'execa';
import { failure, FridayError } from '../errors.js';

export interface BuildOptions {
  command: string;
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  onLine(line: string): void;
}

export async function runBuild(opts: BuildOptions): Promise<void> {
  const child = execa(opts.command, {
    shell: true,
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: true,
    stdin: 'ignore',
    all: true,
    buffer: false,
    reject: false,
    detached: true,
  });
  let timedOut = false;
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup('SIGTERM');
    setTimeout(() => killGroup('SIGKILL'), 5_000).unref();
  }, opts.timeoutMs);
  // Interrupting friday stops the build, and friday then says so and exits as interrupted; a
  // second Ctrl-C kills a build that ignored the first.
  let interrupted: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    killGroup(interrupted ? 'SIGKILL' : 'SIGTERM');
    interrupted ??= signal;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    for await (const line of child.iterable({ from: 'all' })) opts.onLine(String(line));
    const result = await child;
    if (interrupted) {
      throw new FridayError(
        'E_INTERRUPTED',
        `build: interrupted (${interrupted}): the build was stopped, and no tag and no release folder were made`,
        interrupted === 'SIGINT' ? 130 : 143,
        'run the cut again when you are ready',
      );
    }
    if (timedOut) {
      throw failure(
        'E_BUILD',
        `build: timed out after ${Math.round((opts.timeoutMs / 60_000) * 100) / 100} minutes (build.timeoutMinutes)`,
        'raise build.timeoutMinutes in friday.config.json, or fix the build',
      );
    }
    if (result.exitCode !== 0) {
      const why = result.signal ? `killed by ${result.signal}` : `exit code ${result.exitCode}`;
      throw failure(
        'E_BUILD',
        `build: \`${opts.command}\` failed (${why})`,
        'no tag and no release folder were written; fix the build and run again',
      );
    }
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
