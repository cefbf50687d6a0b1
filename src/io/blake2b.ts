/**
 * The BLAKE2b-512 of a file (the prehash of its minisign signature, docs/formats.md "minisign
 * signatures") computed in a worker thread (io/blake2b-worker.ts), so it runs on another core
 * beside whatever this thread does with the same file: the cut's SHA-256 while it copies, or the
 * stage's rehash of a release cut before build.json kept it.
 */
import { Worker } from 'node:worker_threads';

/** The worker's own build entry, beside the CLI's chunks (run from the sources, the build's). */
const WORKER = new URL(import.meta.url.endsWith('.ts') ? '../../dist/io/blake2b-worker.js' : './io/blake2b-worker.js', import.meta.url);

export interface Blake2bJob {
  worker: Worker;
  /** Rejects when the worker fails; always handled, so an unawaited job never crashes the run. */
  digest: Promise<Buffer>;
}

/** Start hashing `path` in a worker that does not keep the process alive until `ref()`'d. */
export function blake2bInWorker(path: string): Blake2bJob {
  const worker = new Worker(WORKER, { workerData: { path } });
  worker.unref();
  const digest = new Promise<Buffer>((resolve, reject) => {
    worker.once('message', (m: { digest?: Uint8Array; error?: string }) => {
      void worker.terminate();
      if (m.digest) resolve(Buffer.from(m.digest));
      else reject(new Error(m.error ?? 'no digest'));
    });
    worker.once('error', reject);
  });
  digest.catch(() => {});
  return { worker, digest };
}
