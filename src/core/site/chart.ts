/**
 * A release's health on one channel as an inline SVG chart (docs/site.md "Health"): crash units
 * per hour between consecutive `watch` checks, from the figures each audit line records. A watch
 * line's candidate figures count from the moment the release went live, so the rate of a check is
 * the growth since the check before it (or since going live) over the hours between them.
 */
import { timeOf } from '../../client/manifest.js';
import { html, type Html } from './html.js';
import { indexOf } from './log.js';
import type { SiteChannel } from './model.js';

export interface HealthPoint {
  from: string;
  to: string;
  /** `from` and `to` in ms. */
  fromMs: number;
  toMs: number;
  /** Crash units per hour over [from, to]. */
  rate: number;
  verdict: string;
}

/** The points of `version` on one channel, oldest first. */
export function healthPoints(channel: SiteChannel, version: string): HealthPoint[] {
  const periods = indexOf(channel.log).periods.filter((p) => p.version === version);
  const s = channel.log.checks.get(version);
  const points: HealthPoint[] = [];
  if (!s) return points;
  type Mark = { at: string; ms: number; crashUnits: number; period: number };
  let prev = null as Mark | null;
  let period = 0;
  for (let i = 0; i < s.at.length; i++) {
    const at = s.at[i]!;
    const ms = s.ms[i]!;
    const crashUnits = s.crashUnits[i]!;
    // Lines are in time order: the period only moves forward.
    while (period < periods.length - 1 && periods[period]!.to !== null && at > periods[period]!.to!) period++;
    const from = periods[period]?.from ?? at;
    const start: Mark =
      prev !== null && prev.period === period ? prev : { at: from, ms: from === at ? ms : timeOf(from), crashUnits: 0, period };
    const hours = (ms - start.ms) / 3_600_000;
    if (hours > 0) {
      points.push({
        from: start.at,
        to: at,
        fromMs: start.ms,
        toMs: ms,
        rate: Math.max(0, crashUnits - start.crashUnits) / hours,
        verdict: s.verdict[i]!,
      });
    }
    prev = { at, ms, crashUnits, period };
  }
  return points;
}

/** At most this many bars: more than a phone has pixels for would say nothing more. */
const MAX_BARS = 120;
const SEVERITY = ['healthy', '?', 'insufficient-data', 'unhealthy'];

/** Consecutive points merged into at most `max`: the rate over the merged hours, the worst verdict. */
export function binPoints(points: readonly HealthPoint[], max = MAX_BARS): HealthPoint[] {
  if (points.length <= max) return [...points];
  const per = Math.ceil(points.length / max);
  const out: HealthPoint[] = [];
  for (let i = 0; i < points.length; i += per) {
    const group = points.slice(i, i + per);
    let units = 0;
    let hours = 0;
    let verdict = group[0]!.verdict;
    for (const p of group) {
      const h = (p.toMs - p.fromMs) / 3_600_000;
      units += p.rate * h;
      hours += h;
      if (SEVERITY.indexOf(p.verdict) > SEVERITY.indexOf(verdict)) verdict = p.verdict;
    }
    const first = group[0]!;
    const last = group[group.length - 1]!;
    out.push({ from: first.from, to: last.to, fromMs: first.fromMs, toMs: last.toMs, rate: hours > 0 ? units / hours : 0, verdict });
  }
  return out;
}

const W = 640;
const H = 200;
const PAD = { left: 48, right: 12, top: 18, bottom: 30 };

const round = (n: number) => Math.round(n * 10) / 10;
const day = (iso: string) => iso.slice(5, 16).replace('T', ' ');

/** The chart; `id` makes the title's id unique on the page. */
export function healthChart(id: string, channel: string, version: string, all: readonly HealthPoint[]): Html {
  const points = binPoints(all);
  const title = `Crash units per hour of ${version} on ${channel}`;
  if (!points.length) {
    return html`<svg class="chart" role="img" aria-labelledby="${id}" viewBox="0 0 ${W} 80" preserveAspectRatio="xMinYMin meet">
      <title id="${id}">${title}: no watch check yet</title>
      <rect class="frame" x="0.5" y="0.5" width="${W - 1}" height="79" rx="6"></rect>
      <text class="empty" x="${W / 2}" y="46" text-anchor="middle">No watch check of ${version} on ${channel} yet: nothing to chart</text>
    </svg>`;
  }
  const t0 = points[0]!.fromMs;
  const t1 = points[points.length - 1]!.toMs;
  const span = Math.max(1, t1 - t0);
  const max = Math.max(...points.map((p) => p.rate), 1e-9);
  const top = niceCeil(max);
  const x = (ms: number) => PAD.left + ((ms - t0) / span) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  const last = points[points.length - 1]!;
  const latest = all[all.length - 1]!;
  const summary = `${all.length} check${all.length === 1 ? '' : 's'} from ${points[0]!.from} to ${last.to}; highest ${round(max)}, latest ${round(latest.rate)} crash units per hour (${latest.verdict})`;
  const bars = points.map((p) => {
    const x0 = x(p.fromMs);
    const w = Math.max(2, x(p.toMs) - x0 - 1);
    const cls = p.verdict === 'unhealthy' ? 'bad' : p.verdict === 'healthy' ? 'good' : 'unknown';
    return html`<rect
      class="${cls}"
      x="${round(x0)}"
      y="${round(y(p.rate))}"
      width="${round(w)}"
      height="${round(H - PAD.bottom - y(p.rate))}"
      ><title>${p.from} to ${p.to}: ${round(p.rate)} crash units per hour, ${p.verdict}</title></rect
    >`;
  });
  return html`<svg class="chart" role="img" aria-labelledby="${id}" viewBox="0 0 ${W} ${H}" preserveAspectRatio="xMinYMin meet">
    <title id="${id}">${title}: ${summary}</title>
    <line class="axis" x1="${PAD.left}" y1="${H - PAD.bottom}" x2="${W - PAD.right}" y2="${H - PAD.bottom}"></line>
    <line class="grid" x1="${PAD.left}" y1="${PAD.top}" x2="${W - PAD.right}" y2="${PAD.top}"></line>
    <text class="tick" x="${PAD.left + 4}" y="${PAD.top - 3}">crash units per hour</text>
    <text class="tick" x="${PAD.left - 6}" y="${PAD.top + 4}" text-anchor="end">${round(top)}</text>
    <text class="tick" x="${PAD.left - 6}" y="${H - PAD.bottom + 4}" text-anchor="end">0</text>
    ${bars}
    <text class="tick" x="${PAD.left}" y="${H - 8}">${day(points[0]!.from)}</text>
    <text class="tick" x="${W - PAD.right}" y="${H - 8}" text-anchor="end">${day(last.to)} UTC</text>
  </svg>`;
}

/** 1, 2 or 5 times a power of ten, at least `v`: a round top for the axis. */
function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
