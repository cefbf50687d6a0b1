/**
 * The end of a channel's audit log, read backwards: `status` shows the last `watch` verdict and
 * the live rollout's stage without reading a log that grows by a line every few minutes (and is
 * on the start-up budget: node:fs only).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Each line of the file at `path`, last first, until `visit` returns true or `maxBytes` are read. A missing file has none. */
function eachLineBackwards(path: string, visit: (line: string) => boolean, maxBytes = Infinity): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return;
  }
  try {
    const size = fstatSync(fd).size;
    let end = size;
    // The bytes of a line cut by the chunk's start: kept as bytes and decoded only once the line
    // is whole, so a character of several bytes that straddles two chunks is not garbled.
    let carry = Buffer.alloc(0);
    const chunk = 64 * 1024;
    while (end > 0 && size - end < maxBytes) {
      const start = Math.max(0, end - chunk);
      const read = Buffer.alloc(end - start);
      readSync(fd, read, 0, read.length, start);
      const buf = carry.length ? Buffer.concat([read, carry]) : read;
      let lineEnd = buf.length;
      for (let nl = buf.lastIndexOf(10, lineEnd - 1); nl !== -1; nl = buf.lastIndexOf(10, lineEnd - 1)) {
        if (nl + 1 < lineEnd && visit(buf.toString('utf8', nl + 1, lineEnd))) return;
        lineEnd = nl;
        if (nl === 0) break;
      }
      carry = buf.subarray(0, lineEnd);
      if (start === 0 && carry.length && visit(carry.toString('utf8'))) return;
      end = start;
    }
  } finally {
    closeSync(fd);
  }
}

const TAIL_BYTES = 8 << 20;

interface TailEvent {
  at: string;
  action: string;
  serial: number | null;
  version: string | null;
  detail?: unknown;
}

function parse(line: string): TailEvent | null {
  try {
    const e = JSON.parse(line) as TailEvent;
    return e && typeof e === 'object' && typeof e.at === 'string' && typeof e.action === 'string' ? e : null;
  } catch {
    return null; // a torn line: skipped
  }
}

/** The last `watch` line of events.ndjson, reading from the end: the log grows with every check. */
export function lastWatch(path: string): { at: string; version: string | null; verdict: unknown } | null {
  let found: { at: string; version: string | null; verdict: unknown } | null = null;
  eachLineBackwards(path, (line) => {
    if (!line.includes('"watch"')) return false;
    const e = parse(line);
    if (e?.action !== 'watch') return false;
    found = { at: e.at, version: e.version ?? null, verdict: (e.detail as { verdict?: unknown } | null)?.verdict ?? null };
    return true;
  });
  return found;
}

/**
 * The lines that tell the live rollout's stage (src/core/advance.ts `stageStart`), oldest first:
 * every line but the checks back to the stage or rollout by hand or by watch that was published
 * last (nothing before it can move the stage's start), with the checks among them that were
 * unhealthy and the last check. Watch lines are told apart by their text before any is parsed:
 * a day of checks is hundreds of lines.
 */
export function stageTail(path: string): TailEvent[] {
  // Weeks of checks every 5 minutes: a stage older than that is long past any `maxHours`, and
  // `status` stays on its start-up budget however old the log is.
  const out: TailEvent[] = [];
  const published = new Set<number>();
  let lastCheck = false;
  eachLineBackwards(
    path,
    (line) => {
      const check = line.includes('"action":"watch"');
      if (check && lastCheck && !line.includes('"verdict":"unhealthy"') && !line.includes('"unhealthyModels":["')) return false;
      const e = parse(line);
      if (!e) return false;
      out.push(e);
      if (e.action === 'watch') lastCheck = true;
      if (e.action === 'publish' && e.serial !== null) published.add(e.serial);
      return (e.action === 'stage' || e.action === 'rollout' || e.action === 'rollback') && e.serial !== null && published.has(e.serial);
    },
    TAIL_BYTES,
  );
  return out.reverse();
}
