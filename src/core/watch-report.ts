/**
 * The `watch` report (docs/cli.md `watch`): the JSON document and its text view, from the figures
 * the check computed. Pure.
 */
import type { FeedScan } from './feed/scan.js';
import type { SignatureCount, VersionTally } from './feed/tally.js';
import {
  formatEvidence,
  formatNumber,
  formatRatio,
  percent,
  wilsonBounds,
  type Judgement,
  type ModelVerdict,
  type Verdict,
} from './health.js';

export interface VersionReport {
  version: string;
  devices: number;
  crashed: number;
  units: number;
  crashUnits: number;
  sessions: number;
  crashes: number;
  signatures: SignatureCount[];
  /**
   * Crash units / exposure units (crashes per device-hour), with one-sided Wilson bounds at the
   * policy's confidence: comparable between a candidate live for hours and a baseline's week.
   */
  crashRate: { rate: number; lower: number; upper: number };
}

export interface WatchResult {
  channel: string;
  candidate: VersionReport & { wentLiveAt: string };
  baseline: VersionReport | null;
  evidence: number;
  ratio: number | null;
  verdict: Verdict;
  rule: 'spike' | 'absolute' | null;
  rolledBack: boolean;
  rejected: number;
  reason: string;
  threshold: number;
  recent: Judgement['recent'];
  rejectedBy: FeedScan['rejectedBy'];
  lines: number;
  consecutive: { needed: number; unhealthy: number };
  renewed: boolean;
  rollback: { from: string; to: string; serial: number; published: boolean } | null;
  /** What kept the check from acting (nothing to roll back to, a co-signature needed, a failed renewal), else null. */
  error: { code: string; message: string } | null;
  /** One per configured device, in config order (docs/formats.md "The verdict, per model"); empty when health.models is false. */
  models: ModelEntry[];
  /** The models unhealthy in this check (empty when the fleet is: then the whole channel goes back). */
  unhealthyModels: string[];
  /** A partial rollback: the models sent back, each to its release. */
  modelRollback: { models: { model: string; to: string }[]; serial: number; published: boolean } | null;
  /** The rollout this check widened (docs/cli.md `watch`, src/workflow/advance.ts); `serial` null under --dry-run. */
  advanced?: { from: number; to: number; serial: number | null } | null;
  /** The stage is older than the policy's `advance.maxHours` and did not advance. */
  stuck?: boolean;
  /** The live rollout's stage, when the policy widens it on its own; else null. */
  stage?: { percent: number; since: string; hours: number; devices: number; next: number } | null;
}

export type ModelEntry = Omit<ModelVerdict, 'reason' | 'blocked'>;

export function modelEntry(v: ModelVerdict): ModelEntry {
  return {
    model: v.model,
    verdict: v.verdict,
    rule: v.rule,
    evidence: v.evidence,
    ratio: v.ratio,
    candidate: v.candidate,
    baseline: v.baseline,
  };
}

/** One line per model: "  umi        UNHEALTHY (spike rule)  crash units 40/900 vs 4/950 on …". */
function modelLines(models: readonly ModelVerdict[]): string[] {
  if (!models.length) return [];
  const width = Math.max(8, ...models.map((m) => m.model.length + 2));
  return [
    '',
    '  per model',
    ...models.map((m) => {
      const verdict = m.verdict === 'unhealthy' ? `UNHEALTHY (${m.rule} rule)` : m.verdict;
      const tag = m.blocked ? `${verdict}, rolled back` : verdict;
      return `  ${m.model.padEnd(width)}${tag.padEnd(26)}${m.candidate.devices} devices; ${m.reason}`;
    }),
  ];
}

const TOP_SIGNATURES = 10;

export function versionReport(t: VersionTally, confidence: number): VersionReport {
  return {
    version: t.version,
    devices: t.devices,
    crashed: t.crashed,
    units: t.units,
    crashUnits: t.crashUnits,
    sessions: t.sessions,
    crashes: t.crashes,
    signatures: t.signatures.slice(0, TOP_SIGNATURES),
    crashRate: { rate: t.units ? t.crashUnits / t.units : 0, ...wilsonBounds(t.crashUnits, t.units, confidence) },
  };
}

const BARS = ' ▁▂▃▄▅▆▇█';
const CHART_HOURS = 24;

/** Crash units per hour, last CHART_HOURS hours, as bars scaled to the row's own peak. */
export function sparkline(t: VersionTally, nowMs: number): { bars: string; peak: number } {
  const lastHour = Math.floor(nowMs / 3_600_000);
  const values: (number | null)[] = [];
  for (let hr = lastHour - CHART_HOURS + 1; hr <= lastHour; hr++) {
    const i = hr - t.firstHourMs / 3_600_000;
    values.push(i >= 0 && i < t.crashUnitsPerHour.length ? t.crashUnitsPerHour[i]! : null);
  }
  const peak = Math.max(0, ...values.map((v) => v ?? 0));
  const bars = values
    .map((v) => (v === null ? '·' : v === 0 || peak === 0 ? BARS[1]! : BARS[Math.max(2, Math.round((v / peak) * 8))]!))
    .join('');
  return { bars, peak };
}

/**
 * The verdict in plain words, and how sure it is, for whoever reads the report without the
 * statistics in mind: "strong evidence the new build crashes more (evidence 1200 against the 100
 * needed)", "no sign of a regression", "too little data yet: 120 of the 200 devices needed".
 */
function howSure(r: Pick<WatchResult, 'verdict' | 'rule' | 'candidate' | 'baseline' | 'unhealthyModels'>, j: Judgement): string {
  const evidence = `evidence ${formatEvidence(j.logEvidence)} against the ${formatNumber(j.threshold)} needed`;
  const than = r.baseline ? ` than ${r.baseline.version}` : '';
  if (r.unhealthyModels.length) {
    const which = r.unhealthyModels.join(', ');
    return `the new build crashes more on ${which}${than}, judged on ${r.unhealthyModels.length > 1 ? 'their' : 'its'} own devices; the rest of the fleet shows no regression (${evidence})`;
  }
  if (r.rule === 'spike') return `strong evidence the new build crashes more${than} (${evidence})`;
  if (r.rule === 'absolute')
    return (
      `the new build crashes on too many devices: at least ${percent(j.recent.lower)} of them in the last ` +
      `${j.limits.windowHours} h, against ${percent(j.limits.maxCrashRate)} allowed`
    );
  if (r.verdict === 'insufficient-data') return `too little data yet: ${r.candidate.devices} of the ${j.limits.minDevices} devices needed`;
  if (!r.baseline) return 'no sign of a regression in its own crash rate; there is no earlier release to compare it with';
  if (j.evidence >= j.threshold) return `more crashes${than} (${evidence}), but too few or too small a rise to roll back`;
  return `${j.evidence > 1 ? 'no clear sign' : 'no sign'} of a regression (${evidence})`;
}

export function renderReport(
  r: WatchResult,
  j: Judgement,
  c: VersionTally,
  b: VersionTally | null,
  scan: FeedScan,
  now: Date,
  windowHours: number,
  notes: string[],
  models: readonly ModelVerdict[] = [],
): string {
  const only = r.unhealthyModels.length ? ` on ${r.unhealthyModels.join(', ')}` : '';
  const verdict = r.verdict === 'unhealthy' ? `UNHEALTHY${only} (${r.rule} rule)` : r.verdict;
  const out = [`${r.channel}: ${r.candidate.version} ${verdict}`, `  ${howSure(r, j)}`, `  ${r.reason}`, ''];
  const row = (label: string, v: VersionReport) =>
    `  ${label.padEnd(10)}${v.version.padEnd(14)}${String(v.devices).padStart(8)}${String(v.crashed).padStart(8)}  ` +
    `${`${percent(v.crashRate.rate)} [${percent(v.crashRate.lower)}, ${percent(v.crashRate.upper)}]`.padEnd(24)}` +
    `${`${v.crashUnits}/${v.units}`.padStart(14)}${String(v.sessions).padStart(10)}${String(v.crashes).padStart(9)}`;
  out.push(
    `  ${''.padEnd(10)}${'version'.padEnd(14)}${'devices'.padStart(8)}${'crashed'.padStart(8)}  ${'crash/hour [bounds]'.padEnd(24)}${'crash units'.padStart(14)}${'sessions'.padStart(10)}${'crashes'.padStart(9)}`,
  );
  out.push(row('candidate', r.candidate));
  out.push(
    r.baseline ? row('baseline', r.baseline) : `  ${'baseline'.padEnd(10)}none (no earlier release of ${r.channel} that is not blocked)`,
  );
  out.push('');
  const ratio = j.ratio === null ? 'n/a' : formatRatio(j.ratio);
  out.push(
    `  evidence ${formatEvidence(j.logEvidence)} (rolls back at ≥ ${formatNumber(j.threshold)}), ratio ${ratio}; last ${windowHours} h: ${j.recent.crashed} of ${j.recent.devices} devices crashed, at least ${percent(j.recent.lower)}`,
  );
  out.push('', `  crash units per hour, last ${CHART_HOURS} h (· = not counted)`);
  for (const [label, t] of [
    ['candidate', c],
    ['baseline', b],
  ] as const) {
    if (!t) continue;
    const s = sparkline(t, now.getTime());
    out.push(`  ${label.padEnd(10)}${s.bars}  peak ${s.peak}`);
  }
  out.push(...modelLines(models));
  const sigs = r.candidate.signatures.slice(0, 5);
  if (sigs.length) {
    out.push('', '  top crash signatures on the candidate (devices)');
    for (const s of sigs) out.push(`  ${String(s.devices).padStart(8)}  ${s.signature}`);
  }
  const reasons = Object.entries(scan.rejectedBy)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  out.push('', `  feed: ${scan.lines} lines, ${scan.rejected} rejected${reasons ? ` (${reasons})` : ''}`);
  if (notes.length) out.push('', ...notes.map((n) => `${r.channel}: ${n}`));
  return out.join('\n');
}
