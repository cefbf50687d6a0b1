// The rollback judgement, simulated (docs/quality.md "rollback judgement"): a week of `watch` checks every
// 5 minutes while a new build rolls out 1% → 50%, on fleets of 500, 5,000 and 50,000 devices,
// judged by friday's rule (src/core/health.ts, called directly) and, on the same data, by a
// two-proportion z-test at α = 0.05 per check. Reports false rollbacks when nothing regressed, and
// detection rate and delay for 1.5×, 2× and 3× regressions.
//
//   node bench/health-sim.mjs [--weeks N] [--null-weeks N] [--seed S]
import { loadSource } from './load-source.mjs';
import { row } from './lib.mjs';
import { binomial, crashSlots, prng } from './lib-sim.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const WEEKS = Number(args.weeks ?? 150); // per regression scenario
const NULL_WEEKS = Number(args['null-weeks'] ?? 500); // per fleet, no regression
const SEED = Number(args.seed ?? 20261127);

const { judge } = await loadSource('src/core/health.ts');

// ---- the model ------------------------------------------------------------------------------
const MODEL = {
  activeShare: 0.5, // a device is in use (sends any event) in a given hour with this probability
  baseCrashRate: 0.002, // P(crash or ANR) per device-hour of use: one crash per ~20 days of use
  stages: [
    [0, 1],
    [24, 5],
    [48, 20],
    [72, 50],
  ], // [hour since go-live, rollout %]
  checkMinutes: 5,
  hours: 168,
};
// The default health policy of a channel (src/core/config.ts), judged as `watch` judges it.
const { HEALTH_DEFAULTS } = await loadSource('src/core/config.ts');
const POLICY = { ...HEALTH_DEFAULTS };
const Z_05 = 1.6448536269514722; // one-sided α = 0.05

const percentAt = (h) => MODEL.stages.filter(([from]) => h >= from).at(-1)[1];

/**
 * One week after go-live. Exposure and crash units are drawn per hour (device-hours are the
 * units), spread over the hour's 5-minute slots; crash units land on random distinct devices of
 * the rollout, which is what `crashed` (≥ 3 devices) and the absolute rule count.
 */
function simulateWeek(rand, fleet, effect) {
  const slots = 60 / MODEL.checkMinutes;
  const pBase = MODEL.baseCrashRate;
  // The baseline's window starts with a full week of the old build on the whole fleet.
  const baseUnitsHour = new Float64Array(2 * MODEL.hours);
  const baseCrashHour = new Float64Array(2 * MODEL.hours);
  for (let h = 0; h < MODEL.hours; h++) {
    const u = binomial(rand, fleet, MODEL.activeShare);
    baseUnitsHour[h] = u;
    baseCrashHour[h] = binomial(rand, u, pBase);
  }
  let nC = 0,
    xC = 0;
  const crashed = new Uint8Array(fleet);
  let crashedDevices = 0;
  const lastCrash = new Float64Array(fleet).fill(-1e9);
  const recentQueue = []; // [time, device] of candidate crash units, for the last windowHours
  let ours = null,
    z = null;
  for (let hour = 0; hour < MODEL.hours; hour++) {
    const k = Math.ceil((fleet * percentAt(hour)) / 100);
    const uC = binomial(rand, k, MODEL.activeShare);
    const cC = binomial(rand, uC, Math.min(1, pBase * effect));
    const uB = binomial(rand, fleet - k, MODEL.activeShare);
    const hb = MODEL.hours + hour;
    baseUnitsHour[hb] = uB;
    baseCrashHour[hb] = binomial(rand, uB, pBase);
    // Crash units: distinct devices of the rollout, each at a random slot of the hour.
    const crashes = crashSlots(rand, cC, k, slots);
    for (let s = 0; s < slots; s++) {
      const t = hour + (s + 1) / slots;
      // Units of this hour seen by this check, and the baseline's window (whole hours).
      nC += Math.round(uC / slots);
      for (const [slot, d] of crashes) {
        if (slot !== s) continue;
        xC++;
        if (!crashed[d]) {
          crashed[d] = 1;
          crashedDevices++;
        }
        lastCrash[d] = t;
        recentQueue.push([t, d]);
      }
      while (recentQueue.length && recentQueue[0][0] < t - POLICY.windowHours) recentQueue.shift();
      const recentCrashed = new Set(recentQueue.filter(([, d]) => lastCrash[d] >= t - POLICY.windowHours).map(([, d]) => d)).size;
      const from = Math.max(0, hb - POLICY.baselineHours + 1);
      let nB = 0,
        xB = 0;
      for (let i = from; i < hb; i++) {
        nB += baseUnitsHour[i];
        xB += baseCrashHour[i];
      }
      nB += Math.round((uB * (s + 1)) / slots);
      xB += Math.round((baseCrashHour[hb] * (s + 1)) / slots);
      const seen = Math.round(k * (1 - Math.pow(1 - MODEL.activeShare, Math.max(1, t))));
      const recentDevices = Math.round(k * (1 - Math.pow(1 - MODEL.activeShare, Math.min(POLICY.windowHours, Math.max(1, t)))));
      if (ours === null) {
        const j = judge(
          { version: 'new', units: nC, crashUnits: xC, devices: seen, crashed: crashedDevices, recentDevices, recentCrashed },
          { version: 'old', units: nB, crashUnits: xB, devices: fleet, crashed: 0 },
          POLICY,
        );
        if (j.verdict === 'unhealthy') ours = { hours: t, rule: j.rule };
      }
      if (z === null && nC > 0 && xC + xB > 0) {
        const p = (xC + xB) / (nC + nB);
        const se = Math.sqrt(p * (1 - p) * (1 / nC + 1 / nB));
        if (se > 0 && (xC / nC - xB / nB) / se > Z_05) z = { hours: t };
      }
      if (ours !== null && z !== null) return { ours, z };
    }
  }
  return { ours, z };
}

function summarize(results) {
  const fired = (key) => results.filter((r) => r[key] !== null);
  const delays = (key) =>
    fired(key)
      .map((r) => r[key].hours)
      .sort((a, b) => a - b);
  const med = (xs) => (xs.length ? xs[Math.floor(xs.length / 2)] : null);
  return {
    ours: fired('ours').length / results.length,
    z: fired('z').length / results.length,
    oursDelay: med(delays('ours')),
    zDelay: med(delays('z')),
    rules: fired('ours').reduce((acc, r) => ({ ...acc, [r.ours.rule]: (acc[r.ours.rule] ?? 0) + 1 }), {}),
  };
}

const pct = (x) => `${(x * 100).toFixed(1)}%`;
const hrs = (x) => (x === null ? '—' : `${x.toFixed(1)} h`);

console.log('Model: each device is in use in a given hour with probability 0.5; a device-hour in use');
console.log(
  `crashes (crash or ANR) with probability ${MODEL.baseCrashRate} on the old build and ${MODEL.baseCrashRate}×effect on the new one;`,
);
console.log('units are device-hours. The new build goes live at hour 0 on 1% of the fleet, 5% from hour 24,');
console.log('20% from hour 48, 50% from hour 72; the rest stay on the old build (the baseline, which ran the');
console.log('whole fleet the week before). watch checks every 5 minutes for 168 hours (2016 checks) with the');
console.log('beta policy (alpha 0.01, maxIncrease 1.5, consecutive 1). The z-test: one-sided two-proportion');
console.log(`test of crash units per unit, candidate vs baseline, rolling back at z > ${Z_05.toFixed(3)} (α = 0.05) on any check.`);
console.log(`Weeks: ${NULL_WEEKS} with no regression and ${WEEKS} per regression, per fleet; seed ${SEED}.\n`);

const t0 = Date.now();
console.log('| fleet | regression | weeks | friday rolls back | median delay | z-test rolls back | median delay |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
let seed = SEED;
const targets = [];
for (const fleet of [500, 5000, 50000]) {
  for (const effect of [1, 1.5, 2, 3]) {
    const weeks = effect === 1 ? NULL_WEEKS : WEEKS;
    const rand = prng(seed++);
    const results = Array.from({ length: weeks }, () => simulateWeek(rand, fleet, effect));
    const s = summarize(results);
    console.log(
      `| ${fleet} | ${effect === 1 ? 'none' : `${effect}×`} | ${weeks} | ${pct(s.ours)} | ${hrs(s.oursDelay)} | ${pct(s.z)} | ${hrs(s.zDelay)} |`,
    );
    if (effect === 1)
      targets.push({
        what: `false rollbacks, ${fleet} devices`,
        ours: pct(s.ours),
        reference: pct(s.z),
        ratio: s.z > 0 ? (s.ours / s.z).toFixed(3) : '—',
        target: '≤ 1%',
        pass: s.ours <= 0.01,
      });
    if (effect === 3 && fleet === 500)
      targets.push({
        what: '3× caught, 500 devices',
        ours: pct(s.ours),
        reference: pct(s.z),
        ratio: '—',
        target: '≥ 95%',
        pass: s.ours >= 0.95,
      });
    if (effect === 2 && fleet === 5000)
      targets.push({
        what: '2× caught, 5,000 devices',
        ours: pct(s.ours),
        reference: pct(s.z),
        ratio: '—',
        target: '≥ 95%',
        pass: s.ours >= 0.95,
      });
  }
}
console.log(`\n(${((Date.now() - t0) / 1000).toFixed(0)} s)`);
for (const t of targets)
  row({
    what: `rollback judgement: ${t.what}`,
    workload: 'simulated weeks, 5-min checks, rollout 1% → 50%',
    ours: t.ours,
    reference: `z-test ${t.reference}`,
    ratio: t.ratio,
    target: t.target,
    pass: t.pass,
  });
