/**
 * The end of a channel's audit log, read backwards: `status` shows the last `watch` verdict
 * without reading a log that grows by a line every few minutes (and is on the start-up budget:
 * node:fs only).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** The last `watch` line of events.ndjson, reading from the end: the log grows with every check. */
export function lastWatch(path: string): { at: string; version: string | null; verdict: unknown } | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    let end = fstatSync(fd).size;
    let carry = '';
    const chunk = 64 * 1024;
    while (end > 0) {
      const start = Math.max(0, end - chunk);
      const buf = Buffer.alloc(end - start);
      readSync(fd, buf, 0, buf.length, start);
      const lines = (buf.toString('utf8') + carry).split('\n');
      carry = start > 0 ? lines.shift()! : '';
      for (let i = lines.length - 1; i >= 0; i--) {
        if (!lines[i]!.includes('"watch"')) continue;
        try {
          const e = JSON.parse(lines[i]!) as { at: string; action: string; version: string | null; detail?: { verdict?: unknown } };
          if (e.action === 'watch') return { at: e.at, version: e.version ?? null, verdict: e.detail?.verdict ?? null };
        } catch {
          // a torn line: skip
        }
      }
      end = start;
    }
    if (carry.includes('"watch"')) {
      try {
        const e = JSON.parse(carry) as { at: string; action: string; version: string | null; detail?: { verdict?: unknown } };
        if (e.action === 'watch') return { at: e.at, version: e.version ?? null, verdict: e.detail?.verdict ?? null };
      } catch {
        // ignore
      }
    }
    return null;
  } finally {
    closeSync(fd);
  }
}
