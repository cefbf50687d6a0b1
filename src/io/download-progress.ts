/**
 * The download's progress on stderr (docs/client.md "Progress"), for `friday pull`: a live line on
 * a terminal, a line every 5 s elsewhere, each warning and retry on a line of its own.
 */
import { printable, type PullEvent } from '../client/index.js';
import { RateMeter } from '../client/events.js';
import type { Context } from '../context.js';

const MiB = 1024 * 1024;
const mib = (n: number) => (n / MiB).toFixed(1);
const size = (n: number) => (n >= 1024 * MiB ? `${(n / 1024 / MiB).toFixed(2)} GiB` : `${mib(n)} MiB`);
const clock = (s: number) => {
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const ss = String(t % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
};

/**
 * Progress on stderr (also with --json, whose stdout stays one document). On a terminal, one
 * live line redrawn in place: bytes of total, rate, time left. Elsewhere (a pipe, CI=true,
 * NO_COLOR), a line at least every 5 s that reads well in a log: percent, MiB, rate.
 */
export function progressView(ctx: Context, write: (s: string) => void, columns: () => number) {
  const live = !ctx.plain;
  let last: Extract<PullEvent, { type: 'progress' }> | null = null;
  // The rate shown is measured here too, so it falls while no byte comes (a stall), between events.
  const meter = new RateMeter();
  let rate = 0;
  let shown = '';
  let lastLineAt = 0;
  let lastDrawAt = 0;
  let waiting = false; // between a failed request and the next: the retry line says it all
  let timer: NodeJS.Timeout | null = null;

  const liveText = (p: NonNullable<typeof last>) => {
    const left = p.phase === 'download' && rate > 0 ? `  ${clock((p.total - p.done) / rate)} left` : '';
    const verb = p.phase === 'check' ? 'checking ' : '';
    const text = `${verb}${printable(p.file)}  ${size(p.done)} of ${size(p.total)}  ${mib(rate)} MiB/s${left}`;
    const width = columns() > 0 ? columns() : 80; // a terminal may not say its width
    return text.slice(0, Math.max(20, width - 1));
  };
  const plainText = (p: NonNullable<typeof last>) => {
    const pct = p.total > 0 ? Math.floor((p.done * 100) / p.total) : 100;
    return `${p.phase === 'check' ? 'checking ' : ''}${printable(p.file)}: ${pct}% (${mib(p.done)} of ${mib(p.total)} MiB) at ${mib(rate)} MiB/s`;
  };
  const clear = () => {
    if (shown) write('\r\x1b[K');
    shown = '';
  };
  const draw = () => {
    if (!last || ctx.quiet) return;
    if (live) {
      shown = liveText(last);
      write(`\r\x1b[K${shown}`);
    } else {
      ctx.info(plainText(last));
    }
    lastLineAt = lastDrawAt = Date.now();
  };
  const say = (line: string, warn = false) => {
    clear();
    if (warn) ctx.warn(line);
    else ctx.info(line);
    if (live && last && !waiting) draw();
  };
  const tick = () => {
    if (!last || waiting) return;
    rate = meter.add(last.done);
    // A stalled transfer sends no event: the line still comes, every 5 s off a terminal.
    if (live || Date.now() - lastLineAt >= 5_000) draw();
  };

  return {
    onEvent(e: PullEvent): void {
      switch (e.type) {
        case 'source':
          say(`${printable(e.source)}: ${printable(e.problem)}`, true);
          return;
        case 'download':
          waiting = false;
          // The rate counts from where this request starts (and keeps the idle time before it).
          if (last?.phase !== 'download') meter.reset();
          meter.add(e.offset);
          if (e.offset > 0) say(`resuming ${printable(e.file)} at ${size(e.offset)} of ${size(e.size)} from ${printable(e.from)}`);
          else if (e.attempt === 1) say(`downloading ${printable(e.file)} (${size(e.size)}) from ${printable(e.from)}`);
          timer ??= setInterval(tick, 1_000).unref();
          return;
        case 'retry':
          waiting = true;
          say(`${printable(e.reason)}; retrying in ${(e.delayMs / 1000).toFixed(1)} s`);
          return;
        case 'restart':
          meter.reset();
          say(`${printable(e.reason)}; starting over from zero`);
          return;
        case 'progress': {
          const first = last === null || last.phase !== e.phase;
          if (first && e.phase === 'check') meter.reset();
          last = e;
          rate = meter.add(e.done);
          const now = Date.now();
          const end = e.done === e.total;
          if (live ? first || end || now - lastDrawAt >= 100 : first || end || now - lastLineAt >= 5_000) draw();
          return;
        }
      }
    },
    stop(): void {
      if (timer) clearInterval(timer);
      timer = null;
      clear();
    },
  };
}
