/**
 * A lock file beside what it guards (`state.json.lock`, `<file>.part.lock`), so two pulls never
 * interleave their writes to one state file or one `.part`. The client embeds in updaters and
 * depends on no package (index.ts), hence this small lock rather than proper-lockfile.
 *
 * The lock is created whole or not at all: its content (pid, host, a random token) goes to a
 * temporary file that is then hard-linked to the lock's name, which fails if the name exists. A
 * lock left by a process that died (same host, pid gone) is taken over; one held by a live
 * process is waited for up to `waitMs`, then refused (E_LOCK) with the lock's path in the message.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClientError } from './errors.js';

export interface Lock {
  release(): Promise<void>;
}

interface Holder {
  pid: number;
  host: string;
  token: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

async function readHolder(path: string): Promise<{ text: string; holder: Holder | null; ageMs: number } | null> {
  try {
    const [text, st] = await Promise.all([fs.readFile(path, 'utf8'), fs.stat(path)]);
    let holder: Holder | null = null;
    try {
      const v = JSON.parse(text) as Partial<Holder>;
      if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.token === 'string') holder = v as Holder;
    } catch {
      holder = null;
    }
    return { text, holder, ageMs: Date.now() - st.mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Take the lock at `path`. `staleMs`: a lock older than this is taken over even if its process
 * seems alive (for locks only ever held for milliseconds, where an old one means a reused pid).
 */
export async function acquireLock(
  path: string,
  opts: { what: string; waitMs: number; staleMs?: number; signal?: AbortSignal },
): Promise<Lock> {
  const me: Holder = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex') };
  const text = JSON.stringify(me) + '\n';
  const deadline = Date.now() + opts.waitMs;
  for (;;) {
    if (opts.signal?.aborted) throw new ClientError('E_INTERRUPTED', `${opts.what}: interrupted while waiting for ${path}`);
    const tmp = `${path}.${me.token}`;
    await fs.writeFile(tmp, text, { flag: 'wx', mode: 0o644 });
    let linked = false;
    try {
      await fs.link(tmp, path);
      linked = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      await fs.rm(tmp, { force: true });
    }
    if (linked) {
      return {
        release: async () => {
          // Only our own lock: one taken over from us (we looked dead) belongs to someone else now.
          const now = await readHolder(path).catch(() => null);
          if (now?.holder?.token === me.token) await fs.rm(path, { force: true });
        },
      };
    }
    const seen = await readHolder(path);
    if (!seen) continue; // released meanwhile
    const dead = seen.holder ? seen.holder.host === me.host && !alive(seen.holder.pid) : seen.ageMs > 10_000;
    if (dead || (opts.staleMs !== undefined && seen.ageMs > opts.staleMs)) {
      // Remove it only if it is still the one judged stale; another taker may have replaced it.
      const again = await readHolder(path);
      if (again?.text === seen.text) await fs.rm(path, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      const who = seen.holder ? `process ${seen.holder.pid} on ${seen.holder.host}` : 'another process';
      throw new ClientError(
        'E_LOCK',
        `${opts.what}: ${who} holds ${path}; wait for it to finish (or remove the lock file if that process is gone)`,
      );
    }
    await sleep(50 + Math.floor(Math.random() * 50), undefined, opts.signal ? { signal: opts.signal } : {}).catch(() => {});
  }
}
