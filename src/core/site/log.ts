/**
 * A channel's audit log indexed once per page run: its live periods and its lines by version, so
 * a hundred release pages over a year of watch checks each read only their own lines.
 */
import { releaseHistory, type LivePeriod } from '../manifest.js';
import { num, obj, str, type SiteChannel, type SiteEvent } from './model.js';

export interface ChannelLog {
  periods: LivePeriod[];
  byVersion: Map<string, SiteEvent[]>;
  rollbacks: SiteEvent[];
}

const memo = new WeakMap<SiteChannel, ChannelLog>();

export function logOf(c: SiteChannel): ChannelLog {
  let log = memo.get(c);
  if (!log) {
    const byVersion = new Map<string, SiteEvent[]>();
    for (const e of c.events) {
      if (e.version === null) continue;
      const list = byVersion.get(e.version);
      if (list) list.push(e);
      else byVersion.set(e.version, [e]);
    }
    log = { periods: releaseHistory(c.events), byVersion, rollbacks: c.events.filter((e) => e.action === 'rollback') };
    memo.set(c, log);
  }
  return log;
}

/** A watch line's verdict and candidate figures: read from its text when the reader could, else from `detail`. */
export function watchFigures(e: SiteEvent): { verdict: string | null; units: number | null; crashUnits: number | null } {
  if (e.watch) return e.watch;
  const d = obj(e.detail);
  const c = obj(d.candidate);
  return { verdict: str(d.verdict), units: num(c.units), crashUnits: num(c.crashUnits) };
}
