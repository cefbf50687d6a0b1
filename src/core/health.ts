/**
 * The crash statistics of `watch` (docs/formats.md, "Crash feedback and the rollback rule"). Pure:
 * counts in, verdict and a one-line reason out. No clock, no files.
 */
import type { HealthPolicy } from './config.js';

/** The figures of one version over its window: exposure units are distinct (device, UTC hour). */
export interface UnitCounts {
  version: string;
  units: number;
  crashUnits: number;
  devices: number;
  crashed: number;
}

/** The candidate also carries the absolute-breach figures: devices with an event in the last windowHours. */
export interface CandidateCounts extends UnitCounts {
  recentDevices: number;
  recentCrashed: number;
}

export type Verdict = 'healthy' | 'unhealthy' | 'insufficient-data';
export type Rule = 'spike' | 'absolute' | null;

export interface Judgement {
  verdict: Verdict;
  rule: Rule;
  /** ln Λ; 0 when there is nothing to compare (Λ = 1). */
  logEvidence: number;
  /** Λ, capped at the largest finite double so it survives JSON. */
  evidence: number;
  /** 1/alpha: the evidence at which the spike test may fire. */
  threshold: number;
  /** r = candidate unit crash rate / baseline's; Infinity when the baseline has no crash unit; null when not comparable. */
  ratio: number | null;
  /** One-sided Wilson bounds at `confidence` of the candidate's recent device crash rate (the absolute rule). */
  recent: { devices: number; crashed: number; rate: number; lower: number; upper: number };
  /** What a release engineer reads first: which rule fired and why, or why not. */
  reason: string;
  /** The policy's bars the figures were held against, for saying how far off they are. */
  limits: { minDevices: number; maxCrashRate: number; windowHours: number };
}

/** Minimums of the spike and absolute rules (docs/formats.md): a handful of crashes is never a spike. */
export const MIN_CRASH_UNITS = 5;
export const MIN_CRASHED_DEVICES = 3;
export const MIN_RECENT_CRASHED = 5;
const GRID_SIZE = 60;

/**
 * ln Λ of the mixture sequential probability ratio test of the conditional binomial: given
 * K = x_C + x_B crash units, x_C ~ Binomial(K, p(ρ)) with p(ρ) = ρs/(ρs + 1 − s), s = n_C/(n_C + n_B).
 * Written with odds o = n_C/n_B, each grid term is
 *   x_C·ln(ρ_g/ρ0) − K·ln((n_B + ρ_g·n_C)/(n_B + ρ0·n_C)),
 * the same number as docs/formats.md's formula without forming p(ρ) (no 0/0 when a side has no crash),
 * and summed with log-sum-exp so Λ may exceed the largest double without overflowing.
 */
export function logMixtureEvidence(xC: number, nC: number, xB: number, nB: number, tolerance: number): number {
  const K = xC + xB;
  if (K === 0 || nC <= 0 || nB <= 0) return 0; // no information: Λ = 1
  const lo = Math.log(1.05),
    hi = Math.log(30);
  const terms = new Array<number>(GRID_SIZE);
  let max = -Infinity;
  const denom = nB + tolerance * nC;
  for (let g = 0; g < GRID_SIZE; g++) {
    const mult = Math.exp(lo + ((hi - lo) * g) / (GRID_SIZE - 1)); // ρ_g / ρ0
    const t = xC * Math.log(mult) - K * Math.log((nB + tolerance * mult * nC) / denom);
    terms[g] = t;
    if (t > max) max = t;
  }
  let sum = 0;
  for (const t of terms) sum += Math.exp(t - max);
  return max + Math.log(sum) - Math.log(GRID_SIZE);
}

/** r = (x_C/n_C)/(x_B/n_B): Infinity when x_B = 0 < x_C, 1 when neither crashed, null when a side has no exposure. */
export function crashRatio(xC: number, nC: number, xB: number, nB: number): number | null {
  if (nC <= 0 || nB <= 0) return null;
  if (xB === 0) return xC === 0 ? 1 : Infinity;
  return xC / nC / (xB / nB);
}

/**
 * Standard normal quantile, Wichura's AS 241 (PPND16), accurate to about 1e-16: the Wilson bound
 * at confidence 0.999 must not depend on a coarse approximation.
 */
/* eslint-disable no-loss-of-precision -- Wichura's AS241 coefficients, kept digit for digit as published */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return p === 0 ? -Infinity : p === 1 ? Infinity : NaN;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (
      (q *
        (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r + 45921.953931549871457) * r +
          13731.693765509461125) *
          r +
          1971.5909503065514427) *
          r +
          133.14166789178437745) *
          r +
          3.387132872796366608)) /
      (((((((5226.495278852545925 * r + 28729.085735721942674) * r + 39307.89580009271061) * r + 21213.794301586595867) * r +
        5394.1960214247511077) *
        r +
        687.1870074920579083) *
        r +
        42.313330701600911252) *
        r +
        1)
    );
  }
  let r = q < 0 ? p : 1 - p;
  r = Math.sqrt(-Math.log(r));
  let x: number;
  if (r <= 5) {
    r -= 1.6;
    x =
      (((((((0.00077454501427834140764 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r + 1.27045825245236838258) * r +
        3.64784832476320460504) *
        r +
        5.7694972214606914055) *
        r +
        4.6303378461565452959) *
        r +
        1.42343711074968357734) /
      (((((((1.05075007164441684324e-9 * r + 0.0005475938084995344946) * r + 0.0151986665636164571966) * r + 0.14810397642748007459) * r +
        0.68976733498510000455) *
        r +
        1.6763848301838038494) *
        r +
        2.05319162663775882187) *
        r +
        1);
  } else {
    r -= 5;
    x =
      (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r + 0.026532189526576123093) * r +
        0.29656057182850489123) *
        r +
        1.7848265399172913358) *
        r +
        5.4637849111641143699) *
        r +
        6.6579046435011037772) /
      (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r + 0.0007868691311456132591) *
        r +
        0.0148753612908506148525) *
        r +
        0.13692988092273580531) *
        r +
        0.59983220655588793769) *
        r +
        1);
  }
  return q < 0 ? -x : x;
}
/* eslint-enable no-loss-of-precision */

/** One-sided Wilson score bounds at level `confidence` for x successes in n trials. */
export function wilsonBounds(x: number, n: number, confidence: number): { lower: number; upper: number } {
  if (n <= 0) return { lower: 0, upper: 1 };
  const z = normalQuantile(confidence);
  const p = x / n;
  const z2n = (z * z) / n;
  const centre = p + z2n / 2;
  const spread = z * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n));
  const scale = 1 + z2n;
  return { lower: Math.max(0, (centre - spread) / scale), upper: Math.min(1, (centre + spread) / scale) };
}

/** The verdict of docs/formats.md, every figure it used, and the reason in words. */
export function judge(candidate: CandidateCounts, baseline: UnitCounts | null, policy: HealthPolicy, tests = 1): Judgement {
  const hasBaseline = baseline !== null && baseline.units >= 1;
  const logEvidence = hasBaseline
    ? logMixtureEvidence(candidate.crashUnits, candidate.units, baseline.crashUnits, baseline.units, policy.tolerance)
    : 0;
  const ratio = hasBaseline ? crashRatio(candidate.crashUnits, candidate.units, baseline.crashUnits, baseline.units) : null;
  // `tests` shares alpha between the fleet's test and the models' (docs/formats.md "The verdict, per model").
  const threshold = tests / policy.alpha;
  const evidenceOk = logEvidence >= Math.log(tests) - Math.log(policy.alpha);
  const ratioOk = ratio !== null && ratio >= policy.maxIncrease;
  const unitsOk = candidate.crashUnits >= MIN_CRASH_UNITS;
  const devicesOk = candidate.crashed >= MIN_CRASHED_DEVICES;
  const spike = hasBaseline && evidenceOk && ratioOk && unitsOk && devicesOk;

  const bounds = wilsonBounds(candidate.recentCrashed, candidate.recentDevices, policy.confidence);
  const recent = {
    devices: candidate.recentDevices,
    crashed: candidate.recentCrashed,
    rate: candidate.recentDevices > 0 ? candidate.recentCrashed / candidate.recentDevices : 0,
    ...bounds,
  };
  const absolute = recent.crashed >= MIN_RECENT_CRASHED && recent.lower > policy.maxCrashRate;

  const rule: Rule = spike ? 'spike' : absolute ? 'absolute' : null;
  const verdict: Verdict = rule !== null ? 'unhealthy' : candidate.devices >= policy.minDevices ? 'healthy' : 'insufficient-data';
  const evidence = Math.min(Math.exp(logEvidence), Number.MAX_VALUE);
  const limits = { minDevices: policy.minDevices, maxCrashRate: policy.maxCrashRate, windowHours: policy.windowHours };
  const j: Judgement = { verdict, rule, logEvidence, evidence, threshold, ratio, recent, reason: '', limits };
  j.reason = reasonLine(j, candidate, hasBaseline ? baseline : null, policy, { evidenceOk, ratioOk, unitsOk, devicesOk });
  return j;
}

interface SpikeChecks {
  evidenceOk: boolean;
  ratioOk: boolean;
  unitsOk: boolean;
  devicesOk: boolean;
}

/** "crash units 60/300 vs 6/300 on 2026.47.0, 10.0× the baseline, evidence 4.3e10 ≥ 100" and its kin. */
function reasonLine(j: Judgement, c: CandidateCounts, b: UnitCounts | null, policy: HealthPolicy, s: SpikeChecks): string {
  const absoluteLine = () =>
    `${c.recentCrashed} of ${c.recentDevices} devices crashed in the last ${policy.windowHours} h, ` +
    `at least ${percent(j.recent.lower)} at ${percent(policy.confidence)} confidence ${j.recent.lower > policy.maxCrashRate ? '>' : '≤'} ${percent(policy.maxCrashRate)} allowed`;
  if (j.rule === 'absolute') return absoluteLine();
  const parts: string[] = [];
  if (b) {
    const r = j.ratio === null ? '' : `, ${formatRatio(j.ratio)} the baseline`;
    parts.push(
      `crash units ${c.crashUnits}/${c.units} vs ${b.crashUnits}/${b.units} on ${b.version}${r}, evidence ${formatEvidence(j.logEvidence)} ${s.evidenceOk ? '≥' : '<'} ${formatNumber(j.threshold)}`,
    );
    if (j.rule === null && s.evidenceOk) {
      // The evidence alone is not enough: name the guard that held the rollback back.
      if (!s.ratioOk) parts.push(`but ${formatRatio(j.ratio ?? 0)} < ${formatRatio(policy.maxIncrease)} allowed`);
      else if (!s.unitsOk) parts.push(`but only ${c.crashUnits} crash units (< ${MIN_CRASH_UNITS})`);
      else if (!s.devicesOk) parts.push(`but only ${c.crashed} devices crashed (< ${MIN_CRASHED_DEVICES})`);
    }
  } else {
    parts.push(`no baseline to compare with; ${absoluteLine()}`);
  }
  if (j.verdict === 'insufficient-data') parts.push(`${c.devices} devices on ${c.version}, ${policy.minDevices} needed`);
  return parts.join('; ');
}

export function percent(x: number): string {
  const p = x * 100;
  if (p === 0 || p >= 10) return `${trim(p.toFixed(1))}%`;
  if (p >= 0.1) return `${trim(p.toFixed(2))}%`;
  return `${p.toPrecision(2)}%`;
}

export function formatRatio(r: number): string {
  return r === Infinity ? '∞×' : `${r >= 100 ? r.toFixed(0) : r.toFixed(1)}×`;
}

/** Λ from its logarithm, so an evidence beyond the largest double still prints (4.3e10, 1.2e400). */
export function formatEvidence(logEvidence: number): string {
  const log10 = logEvidence / Math.LN10;
  if (log10 < 4) return formatNumber(Math.exp(logEvidence));
  let exp = Math.floor(log10);
  let mant = Math.pow(10, log10 - exp);
  if (Number(mant.toFixed(1)) >= 10) {
    mant /= 10;
    exp += 1;
  }
  return `${mant.toFixed(1)}e${exp}`;
}

export function formatNumber(x: number): string {
  if (x === 0) return '0';
  if (x >= 100) return x.toFixed(0);
  return trim(x.toPrecision(2));
}

function trim(s: string): string {
  return s.includes('.') && !s.includes('e') ? s.replace(/\.?0+$/, '') : s;
}

/** A model's figures (its own windows of the feed) and whether it is already rolled back from the candidate. */
export interface ModelCounts {
  model: string;
  candidate: CandidateCounts;
  baseline: UnitCounts | null;
  /** Blocked for the candidate: judged and shown, never rolled back again. */
  blocked: boolean;
}

type Figures = Pick<UnitCounts, 'devices' | 'crashed' | 'units' | 'crashUnits'>;

/** One model's verdict as `watch --json` gives it (docs/formats.md "The verdict, per model"). */
export interface ModelVerdict {
  model: string;
  verdict: Verdict;
  rule: Rule;
  evidence: number;
  ratio: number | null;
  candidate: Figures;
  baseline: Figures | null;
  /** Not in the JSON entry: the reason in words, and whether the model is already rolled back. */
  reason: string;
  blocked: boolean;
}

export interface FleetJudgement {
  /** The fleet's own judgement (spike threshold 2/alpha when the models are judged too). */
  fleet: Judgement;
  /** One per model given, in their order; empty when models are not judged (health.models false). */
  models: ModelVerdict[];
  /** Unhealthy in this check and not already rolled back; empty when the fleet is unhealthy. */
  unhealthyModels: string[];
  verdict: Verdict;
  rule: Rule;
  reason: string;
}

const figures = (t: UnitCounts): Figures => ({ devices: t.devices, crashed: t.crashed, units: t.units, crashUnits: t.crashUnits });
const finiteRatio = (r: number | null) => (r === null || !Number.isFinite(r) ? null : r);

/**
 * The verdict of docs/formats.md "The verdict, per model": when models are judged and some
 * candidate event names one, the fleet's spike test spends alpha/2 and each of the M models'
 * alpha/(2M), so a week of checks rolls a healthy release back (fleet or any model) with
 * probability at most alpha. The fleet unhealthy wins (the whole channel goes back); otherwise
 * the models whose rules hold are unhealthy.
 */
export function judgeFleet(
  candidate: CandidateCounts,
  baseline: UnitCounts | null,
  models: readonly ModelCounts[] | null,
  policy: HealthPolicy,
): FleetJudgement {
  const perModel = models !== null && models.some((m) => m.candidate.units > 0);
  const fleet = judge(candidate, baseline, policy, perModel ? 2 : 1);
  const verdicts: ModelVerdict[] = (models ?? []).map((m) => {
    const empty = m.candidate.units === 0;
    const j = perModel && !empty ? judge(m.candidate, m.baseline, policy, 2 * models!.length) : null;
    return {
      model: m.model,
      verdict: j ? j.verdict : 'insufficient-data',
      rule: j ? j.rule : null,
      evidence: j ? j.evidence : 1,
      ratio: j ? finiteRatio(j.ratio) : null,
      candidate: j ? figures(m.candidate) : { devices: 0, crashed: 0, units: 0, crashUnits: 0 },
      baseline: j && m.baseline ? figures(m.baseline) : null,
      reason: j ? j.reason : `no event of ${m.candidate.version} names ${m.model}`,
      blocked: m.blocked,
    };
  });
  const unhealthy = fleet.verdict === 'unhealthy' ? [] : verdicts.filter((v) => v.verdict === 'unhealthy' && !v.blocked);
  const first = unhealthy[0];
  if (first) {
    return {
      fleet,
      models: verdicts,
      unhealthyModels: unhealthy.map((v) => v.model),
      verdict: 'unhealthy',
      rule: first.rule,
      reason: unhealthy.map((v) => `${v.model}: ${v.reason}`).join('; '),
    };
  }
  return { fleet, models: verdicts, unhealthyModels: [], verdict: fleet.verdict, rule: fleet.rule, reason: fleet.reason };
}

/** Of the models unhealthy now, those unhealthy in the consecutive − 1 recorded checks before (`previous`: each check's unhealthy models, newest last). */
export function modelsToRollBack(unhealthy: readonly string[], previous: readonly (readonly string[])[], consecutive: number): string[] {
  return unhealthy.filter((m) =>
    shouldRollBack(
      'unhealthy',
      previous.map((p) => (p.includes(m) ? 'unhealthy' : 'healthy')),
      consecutive,
    ),
  );
}

/**
 * `consecutive`: roll back when this check and the consecutive − 1 recorded checks before it of
 * the same candidate (newest last) are all unhealthy.
 */
export function shouldRollBack(current: Verdict, previous: readonly Verdict[], consecutive: number): boolean {
  if (current !== 'unhealthy') return false;
  const need = consecutive - 1;
  if (previous.length < need) return false;
  return previous.slice(previous.length - need).every((v) => v === 'unhealthy');
}
