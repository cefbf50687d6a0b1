// The per-model rollback judgement, simulated (docs/formats.md "The verdict, per model";
// docs/quality.md "rollback judgement"): a fleet of 20 device models with Zipf-like shares
// (exponent 0.8), a new build ramping 1 % → 50 % over a week, `watch` checking every 5 minutes,
// judged by src/core/health.ts's judgeFleet (called directly) and, on the same data, by today's
// fleet-only rule (the fleet alone at 1/alpha). Reports healthy weeks rolled back (fleet or any
// model), and how often a 3× regression on the 5th-largest model and a 2× one on the 10th are
// caught within the week.
//
//   node bench/health-sim-models.mjs [--weeks N] [--null-weeks N] [--seed S]
import { loadSource } from './load-source.mjs';
import { row } from './lib.mjs';
import { binomial, prng } from './lib-sim.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const WEEKS = Number(args.weeks ?? 100); // per regression scenario
const NULL_WEEKS = Number(args['null-weeks'] ?? 200);
const SEED = Number(args.seed ?? 20261130);

const { judge, judgeFleet } = await loadSource('src/core/health.ts');
const { HEALTH_DEFAULTS } = await loadSource('src/core/config.ts');
const POLICY = { ...HEALTH_DEFAULTS };

const MODELS = 20;
const FLEET = 50_000;
const ZIPF = 0.8;
const ACTIVE = 0.5; // a device is in use in a given hour with this probability
const P_BASE = 0.002; // P(crash or ANR) per device-hour of use on the old build
const HOURS = 168;
const SLOTS = 12; // checks per hour: every 5 minutes
const weights = Array.from({ length: MODELS }, (_, i) => 1 / Math.pow(i + 1, ZIPF));
const total = weights.reduce((a, b) => a + b, 0);
const SIZES = weights.map((w) => Math.round((FLEET * w) / total));
const NAMES = SIZES.map((_, i) => `m${String(i + 1).padStart(2, '0')}`);
/** The rollout at hour t: a straight ramp from 1 % to 50 % over the week. */
const percentAt = (t) => 1 + (49 * t) / HOURS;

/**
 * One week after go-live, `effect[m]` the new build's crash-rate multiplier on model m. Returns
 * when (hours) each rule first rolls back, or null: `ours` (fleet at 2/alpha or any model at
 * 2·M/alpha), `fleetOnly` (the fleet at 1/alpha, models not judged).
 */
function simulateWeek(rand, effect) {
  // Per model: the old build's units by hour (a week on every device, then the devices not yet
  // on the new build), and the candidate's running figures.
  const bU = SIZES.map(() => new Float64Array(2 * HOURS));
  const bX = SIZES.map(() => new Float64Array(2 * HOURS));
  const bSumU = new Float64Array(MODELS),
    bSumX = new Float64Array(MODELS);
  for (let m = 0; m < MODELS; m++)
    for (let h = 0; h < HOURS; h++) {
      const u = binomial(rand, SIZES[m], ACTIVE);
      bU[m][h] = u;
      bX[m][h] = binomial(rand, u, P_BASE);
      bSumU[m] += u;
      bSumX[m] += bX[m][h];
    }
  const nC = new Float64Array(MODELS),
    xC = new Float64Array(MODELS);
  const recent = SIZES.map(() => []); // crash units of the last windowHours: [time]
  let ours = null,
    fleetOnly = null;
  for (let hour = 0; hour < HOURS; hour++) {
    const hb = HOURS + hour;
    const uC = new Float64Array(MODELS);
    const slotsOf = [];
    for (let m = 0; m < MODELS; m++) {
      const k = Math.ceil((SIZES[m] * percentAt(hour)) / 100);
      uC[m] = binomial(rand, k, ACTIVE);
      const c = binomial(rand, uC[m], Math.min(1, P_BASE * effect[m]));
      slotsOf.push(Array.from({ length: c }, () => Math.floor(rand() * SLOTS)));
      const uB = binomial(rand, SIZES[m] - k, ACTIVE);
      bU[m][hb] = uB;
      bX[m][hb] = binomial(rand, uB, P_BASE);
      // The baseline window slides: the hour leaving it goes, this hour comes (whole).
      bSumU[m] += uB - bU[m][hb - HOURS];
      bSumX[m] += bX[m][hb] - bX[m][hb - HOURS];
    }
    for (let s = 0; s < SLOTS; s++) {
      const t = hour + (s + 1) / SLOTS;
      const models = [];
      let fU = 0,
        fX = 0,
        fD = 0,
        fR = 0,
        fRD = 0,
        fBU = 0,
        fBX = 0;
      for (let m = 0; m < MODELS; m++) {
        nC[m] += uC[m] / SLOTS;
        for (const slot of slotsOf[m]) {
          if (slot !== s) continue;
          xC[m]++;
          recent[m].push(t);
        }
        while (recent[m].length && recent[m][0] < t - POLICY.windowHours) recent[m].shift();
        const k = Math.ceil((SIZES[m] * percentAt(t)) / 100);
        const devices = Math.round(k * (1 - Math.pow(1 - ACTIVE, Math.max(1, t))));
        const recentDevices = Math.round(k * (1 - Math.pow(1 - ACTIVE, Math.min(POLICY.windowHours, Math.max(1, t)))));
        // Crash units are rare enough to fall on distinct devices: crashed ≈ crash units.
        const candidate = {
          version: 'new',
          units: Math.round(nC[m]),
          crashUnits: xC[m],
          devices,
          crashed: Math.min(devices, xC[m]),
          recentDevices,
          recentCrashed: Math.min(recentDevices, recent[m].length),
        };
        const baseline = { version: 'old', units: bSumU[m], crashUnits: bSumX[m], devices: SIZES[m], crashed: 0 };
        models.push({ model: NAMES[m], candidate, baseline, blocked: false });
        fU += candidate.units;
        fX += candidate.crashUnits;
        fD += devices;
        fR += candidate.recentCrashed;
        fRD += recentDevices;
        fBU += bSumU[m];
        fBX += bSumX[m];
      }
      const fleetC = {
        version: 'new',
        units: fU,
        crashUnits: fX,
        devices: fD,
        crashed: Math.min(fD, fX),
        recentDevices: fRD,
        recentCrashed: fR,
      };
      const fleetB = { version: 'old', units: fBU, crashUnits: fBX, devices: FLEET, crashed: 0 };
      if (ours === null && judgeFleet(fleetC, fleetB, models, POLICY).verdict === 'unhealthy') ours = { hours: t };
      if (fleetOnly === null && judge(fleetC, fleetB, POLICY).verdict === 'unhealthy') fleetOnly = { hours: t };
      if (ours !== null && fleetOnly !== null) return { ours, fleetOnly };
    }
  }
  return { ours, fleetOnly };
}

const pct = (x) => `${(x * 100).toFixed(1)}%`;
const share = (i) => pct(SIZES[i] / FLEET);
console.log(
  `Per-model fleets: ${MODELS} models, ${FLEET} devices, Zipf shares (exponent ${ZIPF}): the largest ${share(0)}, the 5th ${share(4)}, the 10th ${share(9)}, the smallest ${share(MODELS - 1)}.`,
);
console.log(
  `Crash probability ${P_BASE} per device-hour of use; the new build ramps 1% → 50% over ${HOURS} h; checks every 5 minutes (${HOURS * SLOTS}); default policy. Seed ${SEED}.\n`,
);
console.log('| scenario | weeks | friday (per model) rolls back | median hours | fleet-only rule rolls back | median hours |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
const t0 = Date.now();
let seed = SEED;
const out = {};
for (const [name, weeks, effect] of [
  ['healthy', NULL_WEEKS, () => 1],
  ['3× on the 5th model', WEEKS, (m) => (m === 4 ? 3 : 1)],
  ['2× on the 10th model', WEEKS, (m) => (m === 9 ? 2 : 1)],
]) {
  const rand = prng(seed++);
  const eff = Array.from({ length: MODELS }, (_, m) => effect(m));
  const results = Array.from({ length: weeks }, () => simulateWeek(rand, eff));
  const rate = (k) => results.filter((r) => r[k] !== null).length / weeks;
  const med = (k) => {
    const xs = results
      .filter((r) => r[k] !== null)
      .map((r) => r[k].hours)
      .sort((a, b) => a - b);
    return xs.length ? `${xs[xs.length >> 1].toFixed(1)} h` : '—';
  };
  out[name] = { ours: rate('ours'), fleet: rate('fleetOnly') };
  console.log(`| ${name} | ${weeks} | ${pct(rate('ours'))} | ${med('ours')} | ${pct(rate('fleetOnly'))} | ${med('fleetOnly')} |`);
}
console.log(`\n(${((Date.now() - t0) / 1000).toFixed(0)} s)`);
const workload = `${MODELS} models, ${FLEET} devices, Zipf 0.8, ramp 1% → 50%, 5-min checks`;
row({
  what: 'per-model judgement: healthy weeks rolled back (fleet or any model)',
  workload,
  ours: pct(out.healthy.ours),
  reference: `fleet-only ${pct(out.healthy.fleet)}`,
  ratio: '—',
  target: '≤ 1%',
  pass: out.healthy.ours <= 0.01,
});
row({
  what: `per-model judgement: 3× on the 5th model (${share(4)}) caught within the week`,
  workload,
  ours: pct(out['3× on the 5th model'].ours),
  reference: `fleet-only ${pct(out['3× on the 5th model'].fleet)}`,
  ratio: '—',
  target: '≥ 95%',
  pass: out['3× on the 5th model'].ours >= 0.95,
});
row({
  what: `per-model judgement: 2× on the 10th model (${share(9)}) caught within the week`,
  workload,
  ours: pct(out['2× on the 10th model'].ours),
  reference: `fleet-only ${pct(out['2× on the 10th model'].fleet)}`,
  ratio: '—',
  target: '≥ 95%',
  pass: out['2× on the 10th model'].ours >= 0.95,
});
