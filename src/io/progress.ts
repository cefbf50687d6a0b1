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
  /** Prefix for plain output lines (`build | …`). */
  prefix?: string;
  run(report: Reporter): Promise<void>;
}

export async function runSteps(ctx: Context, steps: Step[]): Promise<void> {
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
