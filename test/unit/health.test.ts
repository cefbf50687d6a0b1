/** The crash statistics of docs/formats.md on literals: Λ, the ratio, Wilson bounds, the verdict and its reason. */
import { describe, expect, it } from 'vitest';
import { HEALTH_DEFAULTS } from '../../src/core/config.js';
import {
  crashRatio,
  formatEvidence,
  judge,
  logMixtureEvidence,
  normalQuantile,
  shouldRollBack,
  wilsonBounds,
  type CandidateCounts,
  type UnitCounts,
} from '../../src/core/health.js';
import { prng } from '../helpers/index.js';

const policy = { ...HEALTH_DEFAULTS };

/** Λ exactly as docs/formats.md writes it, in plain floating point (fine for small K). */
function lambdaBySpec(xC: number, nC: number, xB: number, nB: number, rho0: number): number {
  const K = xC + xB;
  const s = nC / (nC + nB);
  const p = (rho: number) => (rho * s) / (rho * s + 1 - s);
  let sum = 0;
  for (let g = 0; g < 60; g++) {
    const rho = Math.exp(Math.log(1.05 * rho0) + (g / 59) * (Math.log(30 * rho0) - Math.log(1.05 * rho0)));
    sum += Math.exp(xC * Math.log(p(rho) / p(rho0)) + (K - xC) * Math.log((1 - p(rho)) / (1 - p(rho0))));
  }
  return sum / 60;
}

const cand = (c: Partial<CandidateCounts>): CandidateCounts => ({
  version: '2026.48.0',
  units: 300,
  crashUnits: 0,
  devices: 250,
  crashed: 0,
  recentDevices: 250,
  recentCrashed: 0,
  ...c,
});
const base = (b: Partial<UnitCounts>): UnitCounts => ({ version: '2026.47.0', units: 300, crashUnits: 6, devices: 250, crashed: 6, ...b });

describe('spike evidence Λ', () => {
  it('is 1 when there is no crash at all (K = 0), or no exposure on a side', () => {
    expect(logMixtureEvidence(0, 300, 0, 300, 1)).toBe(0);
    expect(logMixtureEvidence(0, 0, 0, 0, 1)).toBe(0);
    expect(logMixtureEvidence(4, 300, 0, 0, 1)).toBe(0);
  });

  it('matches the formula of docs/formats.md', () => {
    for (const [xC, nC, xB, nB, r0] of [
      [3, 100, 2, 100, 1],
      [10, 50, 3, 400, 1],
      [0, 80, 7, 90, 1.2],
      [12, 300, 0, 300, 1],
      [5, 1000, 40, 20000, 2],
    ] as const) {
      expect(Math.exp(logMixtureEvidence(xC, nC, xB, nB, r0))).toBeCloseTo(lambdaBySpec(xC, nC, xB, nB, r0), 6);
    }
  });

  it('handles a baseline with no crash: evidence grows with candidate crashes and stays finite in log space', () => {
    const small = logMixtureEvidence(5, 300, 0, 300, 1);
    const big = logMixtureEvidence(5000, 300000, 0, 300000, 1);
    expect(small).toBeGreaterThan(0);
    expect(Number.isFinite(big)).toBe(true);
    expect(big / Math.LN10).toBeGreaterThan(308); // beyond the largest double as a number, fine as a logarithm
    expect(crashRatio(5, 300, 0, 300)).toBe(Infinity);
    expect(crashRatio(0, 300, 0, 300)).toBe(1);
  });

  it('never falls when a candidate crash unit is added, never rises when candidate exposure is added (property)', () => {
    const r = prng(42);
    for (let i = 0; i < 2000; i++) {
      const nC = 1 + Math.floor(r() * 5000);
      const nB = 1 + Math.floor(r() * 50000);
      const xC = Math.floor(r() * Math.min(nC, 200));
      const xB = Math.floor(r() * Math.min(nB, 200));
      const rho0 = [1, 1.1, 1.5, 2][i % 4]!;
      const l = logMixtureEvidence(xC, nC, xB, nB, rho0);
      if (xC + 1 <= nC) expect(logMixtureEvidence(xC + 1, nC, xB, nB, rho0)).toBeGreaterThanOrEqual(l - 1e-9);
      const more = 1 + Math.floor(r() * 1000);
      expect(logMixtureEvidence(xC, nC + more, xB, nB, rho0)).toBeLessThanOrEqual(l + 1e-9);
    }
  });
});

describe('Wilson bounds', () => {
  it('match known values', () => {
    const cases: [number, number, number, number, number][] = [
      [5, 100, 0.999, 0.013865320726, 0.164588522826],
      [0, 50, 0.95, 0, 0.051333185786],
      [50, 50, 0.95, 0.948666814214, 1],
      [30, 200, 0.975, 0.107135935622, 0.206055792842],
      [7, 40, 0.999, 0.05945584162, 0.415816739051],
    ];
    for (const [x, n, c, lo, hi] of cases) {
      const b = wilsonBounds(x, n, c);
      expect(b.lower).toBeCloseTo(lo, 10);
      expect(b.upper).toBeCloseTo(hi, 10);
    }
    expect(wilsonBounds(0, 0, 0.999)).toEqual({ lower: 0, upper: 1 });
  });

  it('use an accurate normal quantile', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(normalQuantile(0.999)).toBeCloseTo(3.090232306167813, 12);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 9);
  });
});

describe('verdict', () => {
  it('fires the spike rule on the example of docs/formats.md and says why in one line', () => {
    const j = judge(cand({ crashUnits: 60, crashed: 40 }), base({}), policy);
    expect(j).toMatchObject({ verdict: 'unhealthy', rule: 'spike', ratio: 10, threshold: 100 });
    expect(j.reason).toMatch(/^crash units 60\/300 vs 6\/300 on 2026\.47\.0, 10\.0× the baseline, evidence \d\.\de\d+ ≥ 100$/);
  });

  it('holds back without 5 crash units or 3 crashed devices, or below maxIncrease, even with strong evidence', () => {
    const few = judge(cand({ crashUnits: 4, crashed: 4, units: 20 }), base({ crashUnits: 0 }), policy);
    expect(few.rule).toBe(null);
    const looping = judge(cand({ crashUnits: 60, crashed: 2 }), base({}), policy);
    expect(looping.rule).toBe(null);
    expect(looping.reason).toMatch(/but only 2 devices crashed/);
    const mild = judge(cand({ crashUnits: 1300, units: 100000, crashed: 900, devices: 5000 }), base({ crashUnits: 1000, units: 100000 }), {
      ...policy,
      maxIncrease: 1.5,
    });
    expect(Math.exp(mild.logEvidence)).toBeGreaterThan(100);
    expect(mild.verdict).toBe('healthy');
    expect(mild.reason).toMatch(/but 1\.3× < 1\.5× allowed/);
  });

  it('fires the absolute rule on a breach with at least 5 crashed devices, baseline or not', () => {
    const j = judge(cand({ devices: 40, recentDevices: 40, recentCrashed: 12, crashed: 12, crashUnits: 12 }), null, policy);
    expect(j).toMatchObject({ verdict: 'unhealthy', rule: 'absolute' });
    expect(j.reason).toMatch(/^12 of 40 devices crashed in the last 24 h, at least [\d.]+% at 99\.9% confidence > 5% allowed$/);
    const four = judge(cand({ devices: 4, recentDevices: 4, recentCrashed: 4, crashed: 4, crashUnits: 4 }), null, policy);
    expect(four.rule).toBe(null);
  });

  it('is healthy from minDevices, insufficient-data below, and 1 evidence with no baseline', () => {
    expect(judge(cand({ crashUnits: 3, crashed: 3 }), base({}), policy).verdict).toBe('healthy');
    const thin = judge(cand({ devices: 50, crashUnits: 1, crashed: 1 }), base({}), policy);
    expect(thin.verdict).toBe('insufficient-data');
    expect(thin.reason).toMatch(/50 devices on 2026\.48\.0, 200 needed/);
    const alone = judge(cand({ crashUnits: 30, crashed: 20 }), null, policy);
    expect(alone).toMatchObject({ evidence: 1, ratio: null, rule: null });
    expect(alone.reason).toMatch(/^no baseline to compare with/);
    const emptyBaseline = judge(cand({ crashUnits: 30, crashed: 20 }), base({ units: 0, crashUnits: 0 }), policy);
    expect(emptyBaseline.rule).toBe(null);
  });

  it('caps Λ at the largest finite double', () => {
    const j = judge(
      cand({ crashUnits: 50000, units: 100000, crashed: 5000, devices: 9000 }),
      base({ crashUnits: 10, units: 100000 }),
      policy,
    );
    expect(j.evidence).toBe(Number.MAX_VALUE);
    expect(formatEvidence(j.logEvidence)).toMatch(/^\d\.\de\d{3,}$/);
    expect(formatEvidence(Math.log(4.3e10))).toBe('4.3e10');
    expect(formatEvidence(Math.log(0.5))).toBe('0.5');
  });
});

describe('consecutive', () => {
  it('rolls back when this check and the consecutive − 1 before it are unhealthy', () => {
    expect(shouldRollBack('unhealthy', [], 1)).toBe(true);
    expect(shouldRollBack('unhealthy', [], 2)).toBe(false);
    expect(shouldRollBack('unhealthy', ['healthy', 'unhealthy'], 2)).toBe(true);
    expect(shouldRollBack('unhealthy', ['unhealthy', 'healthy'], 2)).toBe(false);
    expect(shouldRollBack('healthy', ['unhealthy', 'unhealthy'], 2)).toBe(false);
    expect(shouldRollBack('unhealthy', ['insufficient-data', 'unhealthy', 'unhealthy'], 3)).toBe(true);
  });
});
