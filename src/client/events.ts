/**
 * What `pull` tells its caller while it works, through `onEvent`: the CLI draws progress from
 * these, a device updater can show them in its own interface. Every string comes from a source
 * and may hold anything: make it printable (printable.ts) before a terminal shows it.
 */
export type PullEvent =
  /** A mirror failed, or serves an older serial than the newest one found: one line each. */
  | { type: 'source'; source: string; problem: string }
  /** A request for the artifact starts; `offset` > 0 asks to resume there. */
  | { type: 'download'; file: string; from: string; offset: number; size: number; attempt: number }
  /** Bytes done of `total`: `check` hashes what is already on disk, `download` receives. */
  | { type: 'progress'; file: string; phase: 'check' | 'download'; done: number; total: number; bytesPerSecond: number }
  /** The last request failed; the next starts after `delayMs` (resuming where the `.part` ends). */
  | { type: 'retry'; file: string; attempt: number; delayMs: number; reason: string }
  /** The bytes so far are dropped and the download starts from zero. */
  | { type: 'restart'; file: string; reason: string };

export type OnEvent = (event: PullEvent) => void;

/**
 * Bytes per second over the last few seconds, so the rate and the time left follow a link that
 * speeds up or slows down instead of averaging the whole transfer.
 */
export class RateMeter {
  private samples: { t: number; n: number }[] = [];

  constructor(private readonly windowMs = 5_000) {}

  reset(): void {
    this.samples = [];
  }

  /** Record `n` bytes done at time `t` (ms) and return the rate. */
  add(n: number, t: number = performance.now()): number {
    const last = this.samples[this.samples.length - 1];
    // A sample every 100 ms at most: a fast link reports thousands of writes a second.
    if (!last || t - last.t >= 100) this.samples.push({ t, n });
    while (this.samples.length > 2 && t - this.samples[1]!.t >= this.windowMs) this.samples.shift();
    const first = this.samples[0]!;
    const dt = t - first.t;
    return dt > 0 ? ((n - first.n) * 1000) / dt : 0;
  }
}
