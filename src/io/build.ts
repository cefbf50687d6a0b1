/**
 * Run the configured build through the shell (formats.md `build.command`) with execa, streaming
 * its output line by line. It runs in its own process group so a timeout stops the whole tree.
 */
import { execa } from 'execa';
import { failure } from '../errors.js';

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
  // Stop the build with us when friday itself is interrupted.
  const onSignal = () => killGroup('SIGTERM');
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for await (const line of child.iterable({ from: 'all' })) opts.onLine(String(line));
    const result = await child;
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
