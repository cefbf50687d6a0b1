/**
 * A worker thread that reads one file and posts its BLAKE2b-512 (the prehash of its minisign
 * signature), started by io/minisign.ts while the stage rehashes the same file with SHA-256 on the
 * main thread: both hashes are CPU-bound, so on two cores the signature costs the slower of the
 * two, not their sum. A build entry of its own (tsup.config.ts), loaded by a fixed URL.
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
run((workerData as { path: string }).path).then(
  (digest) => port.postMessage({ digest }),
  (err: unknown) => port.postMessage({ error: String(err) }),
);
