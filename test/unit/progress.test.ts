/** Steps run at once (the cut's copies): the limit holds, output names each step, a failure waits for the rest. */
import { describe, expect, it } from 'vitest';
import type { Context } from '../../src/context.js';
import { runSteps, type Step } from '../../src/io/progress.js';

function plainContext(): { ctx: Context; lines: string[] } {
  const lines: string[] = [];
  const ctx = { plain: true, quiet: false, info: (l: string) => lines.push(l), warn: (l: string) => lines.push(l) };
  return { ctx: ctx as unknown as Context, lines };
}

/** A step that runs until released, recording when it starts and ends. */
function gatedStep(name: string, log: string[], fail?: Error): Step & { release: () => void; started: Promise<void> } {
  let release!: () => void;
  let markStarted!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const started = new Promise<void>((r) => (markStarted = r));
  return {
    title: `copy ${name}`,
    label: name,
    release: () => release(),
    started,
    run: async (report) => {
      log.push(`start ${name}`);
      markStarted();
      report.status('50%');
      await gate;
      log.push(`end ${name}`);
      if (fail) throw fail;
    },
  };
}

describe('runSteps with concurrency', () => {
  it('runs at most that many steps at once and names each step on its lines', async () => {
    const { ctx, lines } = plainContext();
    const log: string[] = [];
    const [a, b, c] = ['a', 'b', 'c'].map((n) => gatedStep(n, log));
    const run = runSteps(ctx, [a!, b!, c!], { concurrency: 2 });
    await Promise.all([a!.started, b!.started]);
    expect(log).toEqual(['start a', 'start b']); // c waits for a free slot
    b!.release();
    await c!.started;
    expect(log).toEqual(['start a', 'start b', 'end b', 'start c']);
    a!.release();
    c!.release();
    await run;
    expect(lines).toEqual(expect.arrayContaining(['▸ copy a', '▸ copy b', '▸ copy c', '  a: 50%', '  b: 50%', '  c: 50%']));
  });

  it('on a failure lets the running steps finish, starts no other, then throws the failure', async () => {
    const { ctx } = plainContext();
    const log: string[] = [];
    const boom = new Error('disk full');
    const a = gatedStep('a', log);
    const b = gatedStep('b', log, boom);
    const c = gatedStep('c', log);
    let settled = false;
    const run = runSteps(ctx, [a, b, c], { concurrency: 2 }).finally(() => (settled = true));
    await Promise.all([a.started, b.started]);
    b.release();
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false); // a still runs: nothing is reported while it may write
    a.release();
    await expect(run).rejects.toBe(boom);
    expect(log).toEqual(['start a', 'start b', 'end b', 'end a']); // c never started
  });
});
