/**
 * Long work shows progress: listr2's live view on a terminal (drawn on stderr, so --json keeps
 * stdout clean), plain prefixed lines otherwise (CI=true, NO_COLOR, a pipe) that read well in a log.
 */
import type { Context } from '../context.js';

export interface Reporter {
  /** One line of output from the work (a build log line). */
  line(text: string): void;
  /** Replace the step's title (hashing 42%). */
  status(text: string): void;
}

export interface Step {
  title: string;
  /** What names the step's lines when steps run at once (the device). */
  label?: string;
  /** Prefix for plain output lines (`build | …`). */
  prefix?: string;
  run(report: Reporter): Promise<void>;
}

/**
 * `concurrency` > 1 runs that many steps at once. Every running step settles before the first
 * failure (in step order) is thrown, so nothing still works on files the caller then removes;
 * steps not yet started when one fails never start.
 */
export async function runSteps(ctx: Context, steps: Step[], opts: { concurrency?: number } = {}): Promise<void> {
  const concurrency = opts.concurrency ?? 1;
  if (concurrency > 1) return runAtOnce(ctx, steps, concurrency);
  if (ctx.plain || ctx.quiet) {
    for (const step of steps) {
      ctx.info(`▸ ${step.title}`);
      let last = '';
      await step.run({
        line: (text) => ctx.info(`  ${step.prefix ?? '|'} ${text}`),
        status: (text) => {
          if (text !== last) ctx.info(`  ${text}`);
          last = text;
        },
      });
    }
    return;
  }
  const { Listr, ListrLogger, ProcessOutput } = await import('listr2');
  const list = new Listr(
    steps.map((step) => ({
      title: step.title,
      rendererOptions: { outputBar: 6 },
      task: async (_: unknown, task: { output: string; title: string }) => {
        await step.run({ line: (text) => (task.output = text), status: (text) => (task.title = `${step.title}: ${text}`) });
        task.title = step.title;
      },
    })),
    {
      concurrent: false,
      exitOnError: true,
      // listr2 would exit 127 on Ctrl-C; the step itself says it was interrupted (src/io/build.ts).
      registerSignalListeners: false,
      rendererOptions: { logger: new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr) }) },
    },
  );
  await list.run();
}

async function runAtOnce(ctx: Context, steps: Step[], concurrency: number): Promise<void> {
  const errors = new Array<unknown>(steps.length);
  let failed = false;
  let running = 0;
  const queue: (() => void)[] = [];
  /** Step `i` in its turn: nothing once another has failed; `false` when it was not run. */
  const inTurn = async (i: number, report: Reporter, started: () => void): Promise<boolean> => {
    if (running >= concurrency) await new Promise<void>((go) => queue.push(go));
    running++;
    try {
      if (failed) return false;
      started();
      await steps[i]!.run(report);
      return true;
    } catch (err) {
      failed = true;
      errors[i] = err;
      return false;
    } finally {
      running--;
      queue.shift()?.();
    }
  };
  const firstError = (): void => {
    const i = errors.findIndex((e) => e !== undefined);
    if (i >= 0) throw errors[i];
  };

  if (ctx.plain || ctx.quiet) {
    await Promise.all(
      steps.map((step, i) => {
        const name = step.label ?? step.title;
        let last = '';
        // Lines of steps at once interleave, so each names its step.
        return inTurn(
          i,
          {
            line: (text) => ctx.info(`  ${name} ${step.prefix ?? '|'} ${text}`),
            status: (text) => {
              if (text !== last) ctx.info(`  ${name}: ${text}`);
              last = text;
            },
          },
          () => ctx.info(`▸ ${step.title}`),
        );
      }),
    );
    return firstError();
  }
  const { Listr, ListrLogger, ProcessOutput } = await import('listr2');
  const list = new Listr(
    steps.map((step, i) => ({
      title: step.title,
      rendererOptions: { outputBar: 6 },
      task: async (_: unknown, task: { output: string; title: string; skip: (why: string) => void }) => {
        task.title = `${step.title}: waiting`;
        const ran = await inTurn(
          i,
          { line: (text) => (task.output = text), status: (text) => (task.title = `${step.title}: ${text}`) },
          () => (task.title = step.title),
        );
        task.title = step.title;
        if (errors[i] !== undefined) throw errors[i];
        if (!ran) task.skip(`${step.title}: not started (another step failed)`);
      },
    })),
    {
      concurrent: true,
      exitOnError: false,
      registerSignalListeners: false,
      rendererOptions: { logger: new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr) }) },
    },
  );
  await list.run();
  firstError();
}
