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

let shared: { worker: Worker; jobs: Map<number, (d: Buffer | null) => void>; next: number } | null = null;

/**
 * The BLAKE2b-512 of `path` from one worker shared by every caller of the run (the cut's copies):
 * one more thread, whatever the number of files, so on two cores the SHA-256 of the copies and
 * this hash each take a core. Null when the worker fails (the caller goes on without it).
 */
export function blake2bShared(path: string): Promise<Buffer | null> {
  if (!shared) {
    const worker = new Worker(WORKER);
    const jobs = new Map<number, (d: Buffer | null) => void>();
    const s = { worker, jobs, next: 0 };
    worker.on('message', (m: { id: number; digest?: Uint8Array }) => {
      s.jobs.get(m.id)?.(m.digest ? Buffer.from(m.digest) : null);
      s.jobs.delete(m.id);
      if (s.jobs.size === 0) worker.unref(); // idle: it must not keep the run alive
    });
    worker.on('error', () => {
      for (const done of s.jobs.values()) done(null);
      s.jobs.clear();
      if (shared === s) shared = null;
    });
    shared = s;
  }
  const s = shared;
  const id = s.next++;
  s.worker.ref();
  return new Promise((resolve) => {
    s.jobs.set(id, resolve);
    s.worker.postMessage({ id, path });
  });
}
