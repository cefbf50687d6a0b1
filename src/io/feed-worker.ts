/**
 * The feed scan's worker thread, started by scanFeedFile (feed.ts) on a large feed: it takes
 * chunks of the file beside the main thread and posts its scanner's state back to be merged. A
 * build entry of its own (tsup.config.ts), loaded by a fixed URL: which code a worker runs never
 * depends on how the CLI's chunks are cut.
 */
import { promises as fs } from 'node:fs';
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { FeedScanner } from '../core/feed/scan.js';
import { HELPER_IDLE, HELPER_RUNNING, scanChunks, type WorkerJob } from './feed.js';

async function run(job: WorkerJob, port: MessagePort): Promise<void> {
  const shared = new Int32Array(job.shared);
  const scanner = new FeedScanner(job.query);
  // The main thread may have finished and cancelled this helper before it got here: then it
  // takes nothing and posts an empty state, which is not waited for.
  if (Atomics.compareExchange(shared, 1, HELPER_IDLE, HELPER_RUNNING) === HELPER_IDLE) {
    const fh = await fs.open(job.path, 'r');
    try {
      const progress = (n: number) => port.postMessage({ progress: n });
      await scanChunks(
        fh,
        job.total,
        shared,
        scanner,
        job.first === undefined ? { progress, base: job.base } : { progress, base: job.base, first: job.first },
      );
    } catch (err) {
      port.postMessage({ error: String(err) });
      return;
    } finally {
      await fh.close();
    }
  }
  const state = scanner.state();
  const transfer = [
    state.devices.table.buffer,
    ...state.windows.flatMap((w) => [
      w.rows.buffer,
      w.crashRows.buffer,
      w.lastMs.buffer,
      w.lastCrashMs.buffer,
      w.unitsPerHour.buffer,
      w.crashUnitsPerHour.buffer,
      w.sessionsPerHour.buffer,
      w.crashesPerHour.buffer,
      w.signatures.sig.buffer,
      w.signatures.dev.buffer,
      w.signatures.ms.buffer,
    ]),
  ];
  port.postMessage({ state }, transfer as ArrayBuffer[]);
}

if (isMainThread || parentPort === null) throw new Error('io/feed-worker runs in the worker thread of a feed scan, not on its own');
void run(workerData as WorkerJob, parentPort);
