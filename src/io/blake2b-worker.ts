/**
 * A worker thread that reads files and posts their BLAKE2b-512 (the prehash of a minisign
 * signature), so the hash runs on another core beside this thread's own work on the same files:
 * the cut's SHA-256 while it copies (one worker for the whole cut, files asked for by message),
 * or the stage's rehash of a release cut before build.json kept the prehash (one file, given as
 * `workerData.path`). A build entry of its own (tsup.config.ts), loaded by a fixed URL.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

async function run(path: string): Promise<Uint8Array> {
  const h = createHash('blake2b512');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) h.update(chunk as Buffer);
  return new Uint8Array(h.digest());
}

if (isMainThread || parentPort === null) throw new Error('io/blake2b-worker runs in a worker thread, not on its own');
const port = parentPort;
const one = (workerData as { path?: string } | null)?.path;
if (one !== undefined)
  run(one).then(
    (digest) => port.postMessage({ digest }),
    (err: unknown) => port.postMessage({ error: String(err) }),
  );
else
  port.on('message', (m: { id: number; path: string }) => {
    run(m.path).then(
      (digest) => port.postMessage({ id: m.id, digest }),
      (err: unknown) => port.postMessage({ id: m.id, error: String(err) }),
    );
  });
