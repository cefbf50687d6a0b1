/**
 * What the release page needs of a channel's audit log (docs/site.md): every line but the `watch`
 * checks as it is, and of the checks only what a page shows: per version, the figures of each
 * check for the chart, how many there were, and the latest CHECKS_SHOWN in full; per channel,
 * the last check. A year of checks every 10 minutes is 52,000 lines; this is what is left of them
 * (src/io/site-events.ts keeps it between runs, so a run reads only the lines appended since).
 */
import { timeOf } from '../../client/manifest.js';
import { releaseHistory, type LivePeriod } from '../manifest.js';
import { num, obj, str, type SiteEvent } from './model.js';

/** The checks listed on a release page, per channel: the chart shows them all. */
export const CHECKS_SHOWN = 12;

/** One `watch` check as a page lists it. */
export interface Check {
  at: string;
  verdict: string | null;
  units: number | null;
  crashUnits: number | null;
  reason: string | null;
}

/** A version's checks on one channel, in log order. */
export interface CheckSeries {
  /** Every check, with figures or not. */
  count: number;
  /** The checks with a crash-unit figure, for the chart: time, time in ms (NaN when unreadable), crash units, verdict ('?' when none). */
  at: string[];
  ms: number[];
  crashUnits: number[];
  verdict: string[];
  /** The latest CHECKS_SHOWN checks, oldest first. */
  latest: Check[];
}

export interface ChannelLog {
  /** Every line but the `watch` checks, in log order. */
  events: SiteEvent[];
  checks: Map<string, CheckSeries>;
  /** The channel's last check, whatever its version. */
  lastCheck: { version: string | null; check: Check } | null;
  /**
   * Names this reading of the log (src/io/site-events.ts): two logs of the same origin hold the
   * same checks of a version when they hold as many. Null: unknown, nothing may be assumed.
   */
  origin: string | null;
}

export function emptyLog(): ChannelLog {
  return { events: [], checks: new Map(), lastCheck: null, origin: null };
}

/**
 * Add one check of `version` to the log; the check object is returned so a reader that took the
 * figures from the line's bytes can fill in its `reason` once it knows the check is still listed.
 */
export function addCheck(log: ChannelLog, version: string | null, check: Check): Check {
  if (version !== null) {
    let s = log.checks.get(version);
    if (!s) log.checks.set(version, (s = { count: 0, at: [], ms: [], crashUnits: [], verdict: [], latest: [] }));
    s.count++;
    if (check.crashUnits !== null) {
      s.at.push(check.at);
      s.ms.push(timeOf(check.at));
      s.crashUnits.push(check.crashUnits);
      s.verdict.push(check.verdict ?? '?');
    }
    if (s.latest.push(check) > CHECKS_SHOWN) s.latest.shift();
  }
  log.lastCheck = { version, check };
  return check;
}

/** Add one parsed audit line. */
export function addEvent(log: ChannelLog, e: SiteEvent): void {
  if (e.action !== 'watch') {
    log.events.push(e);
    return;
  }
  const d = obj(e.detail);
  const c = obj(d.candidate);
  addCheck(log, e.version, {
    at: e.at,
    verdict: str(d.verdict),
    units: num(c.units),
    crashUnits: num(c.crashUnits),
    reason: str(d.reason),
  });
}

/** The log of parsed lines (tests, and any reader without the byte shortcut). */
export function channelLog(events: readonly SiteEvent[]): ChannelLog {
  const log = emptyLog();
  for (const e of events) addEvent(log, e);
  return log;
}

/** A channel's lines indexed once per page run: its live periods and its other lines by version. */
export interface LogIndex {
  periods: LivePeriod[];
  byVersion: Map<string, SiteEvent[]>;
  rollbacks: SiteEvent[];
}

const memo = new WeakMap<ChannelLog, LogIndex>();

export function indexOf(log: ChannelLog): LogIndex {
  let index = memo.get(log);
  if (!index) {
    const byVersion = new Map<string, SiteEvent[]>();
    for (const e of log.events) {
      if (e.version === null) continue;
      const list = byVersion.get(e.version);
      if (list) list.push(e);
      else byVersion.set(e.version, [e]);
    }
    index = { periods: releaseHistory(log.events), byVersion, rollbacks: log.events.filter((e) => e.action === 'rollback') };
    memo.set(log, index);
  }
  return index;
}
