/**
 * Device-hours of chosen devices (docs/fans.md): which UTC hours each registered device had an
 * accepted event in, and whether one was a crash, for the fans' tested weeks and the Tester of
 * the Week. A query beside the watch scan, not inside it: the watch path counts every device of a
 * version and stays as fast as it is; this one keeps only the few devices asked for. Lines are
 * read by the same parser, so what the watch rejects is rejected here too.
 */
import { codes, hashBytes, hashBytes2 } from './bytes.js';
import { BLANK, FUTURE_SLACK_MS, KIND_SESSION, LineParser, MAX_LINE } from './parse.js';

export interface DeviceHoursQuery {
  nowMs: number;
  /** Events from this time to `toMs`, both included. */
  fromMs: number;
  toMs: number;
  /** The device ids wanted. */
  devices: readonly string[];
  /** Only events on this release; null for any. */
  version: string | null;
}

export const HOUR = 3_600_000;

/** Per device id: each UTC hour (ms / HOUR) with an event, true when one of its events was a crash or ANR. */
export type DeviceHours = Map<string, Map<number, boolean>>;

export class DeviceHoursScanner {
  private readonly parser = new LineParser();
  private readonly latestMs: number;
  /** Wanted devices by their fingerprint (the parser's two hashes of the id's UTF-8 bytes). */
  private readonly wanted = new Map<number, { h2: number; id: string }[]>();
  private readonly version: number[][];
  private readonly versionName: string[];
  readonly hours: DeviceHours = new Map();
  /** The devices asked for with any accepted event (on the version), whenever up to now. */
  readonly seen = new Set<string>();

  constructor(private readonly q: DeviceHoursQuery) {
    this.latestMs = q.nowMs + FUTURE_SLACK_MS;
    const enc = new TextEncoder();
    for (const id of new Set(q.devices)) {
      const b = enc.encode(id);
      const h1 = hashBytes(b, 0, b.length);
      (this.wanted.get(h1) ?? this.wanted.set(h1, []).get(h1)!).push({ h2: hashBytes2(b, 0, b.length), id });
    }
    this.versionName = q.version === null ? [] : [q.version];
    this.version = this.versionName.map(codes);
  }

  /** Every whole line of `buf[start, end)`; returns where the unfinished last line starts. */
  scanLines(buf: Uint8Array, start: number, end: number): number {
    let pos = start;
    for (;;) {
      const nl = buf.indexOf(0x0a, pos);
      if (nl < 0 || nl >= end) return pos;
      this.line(buf, pos, nl);
      pos = nl + 1;
    }
  }

  line(buf: Uint8Array, start: number, end: number): void {
    if (end - start > MAX_LINE || this.wanted.size === 0) return;
    const p = this.parser;
    const r = p.parse(buf, start, end, this.latestMs);
    if (r === BLANK || r !== 0) return;
    const candidates = this.wanted.get(p.devHash);
    const hit = candidates?.find((c) => c.h2 === p.devHash2);
    if (hit === undefined) return;
    if (this.version.length && p.versionIndex(this.version, this.versionName) < 0) return;
    this.seen.add(hit.id);
    if (p.tsMs < this.q.fromMs || p.tsMs > this.q.toMs) return;
    const hour = Math.floor(p.tsMs / HOUR);
    const per = this.hours.get(hit.id) ?? this.hours.set(hit.id, new Map()).get(hit.id)!;
    per.set(hour, (per.get(hour) ?? false) || p.kind !== KIND_SESSION);
  }
}
