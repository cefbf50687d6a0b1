// Rollouts that advance on their own, simulated (docs/quality.md "rollout advance"): a release
// goes live on stable at the policy's first stage (10 %), and `watch` checks every 5 minutes with
// the shipped stable policy (its health rules, consecutive 2, and advance { afterHours 24,
// minDevices 200, maxHours 96 }), judged by friday's own code (src/core/health.ts and
// src/core/advance.ts, called directly). Reports, per fleet, the hours from 10 % to 100 % of a
// healthy release, the healthy releases held (a false alarm holds a stage for a person to look),
// and the share of bad releases (3× the crash rate, fleet-wide) that ever reach 100 %.
//
//   node bench/advance-sim.mjs [--releases N] [--seed S]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSource, ROOT } from './load-source.mjs';
import { row } from './lib.mjs';
import { binomial, crashSlots, prng } from './lib-sim.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const RELEASES = Number(args.releases ?? 200); // per fleet and effect
const SEED = Number(args.seed ?? 20261130);

const { judge, shouldRollBack } = await loadSource('src/core/health.ts');
const { decideAdvance } = await loadSource('src/core/advance.ts');
const { validatePolicy } = await loadSource('src/core/config.ts');
const checked = validatePolicy(JSON.parse(readFileSync(join(ROOT, 'channels/stable.json'), 'utf8')), 'stable');
if (!checked.ok) throw new Error(`channels/stable.json: ${checked.problems.join('; ')}`);
const POLICY = checked.value;

const MODEL = { activeShare: 0.5, baseCrashRate: 0.002, checkMinutes: 5, maxHours: 24 * 14 };
const T0 = Date.parse('2026-11-27T17:00:00Z');
const iso = (hours) => new Date(T0 + Math.round(hours * 3_600_000)).toISOString().replace('.000Z', 'Z');

/**
 * One release from going live at 10 % until it reaches 100 %, is rolled back, or two weeks pass.
 * Devices 0..k-1 run it (a wider rollout keeps those already in); the rest run the old build, which
 * also ran the whole fleet the week before (the baseline). Expected device counts as in
 * bench/health-sim.mjs; crash units land on random devices of the rollout, so `crashed` and the
 * absolute rule's recent crashed devices are counted.
 */
function simulate(rand, fleet, effect) {
  const h = POLICY.health;
  const a = MODEL.activeShare;
  const slots = 60 / MODEL.checkMinutes;
  const seen = (n, hours) => Math.round(n * (1 - Math.pow(1 - a, Math.max(0, hours))));
  const baseUnits = [],
    baseCrashes = [];
  for (let i = 0; i < h.baselineHours; i++) {
    const u = binomial(rand, fleet, a);
    baseUnits.push(u);
    baseCrashes.push(binomial(rand, u, MODEL.baseCrashRate));
  }
  let percent = POLICY.rollout[0];
  let stageStart = 0;
  const joined = [[Math.ceil((fleet * percent) / 100), 0]]; // [devices in the rollout, hour they joined]
  let nC = 0,
    xC = 0,
    crashedDevices = 0;
  const crashed = new Uint8Array(fleet);
  const recentQueue = []; // [time, device] of crash units, for the last windowHours
  const previous = [];
  let unhealthyAt = null;
  for (let hour = 0; hour < MODEL.maxHours; hour++) {
    const k = Math.ceil((fleet * percent) / 100);
    const uC = binomial(rand, k, a);
    const cC = binomial(rand, uC, Math.min(1, MODEL.baseCrashRate * effect));
    const uB = binomial(rand, fleet - k, a);
    baseUnits.push(uB);
    baseCrashes.push(binomial(rand, uB, MODEL.baseCrashRate));
    const crashes = crashSlots(rand, cC, k, slots);
    for (let s = 0; s < slots; s++) {
      const t = hour + (s + 1) / slots;
      nC += Math.round(uC / slots);
      for (const [slot, d] of crashes) {
        if (slot !== s) continue;
        xC++;
        if (!crashed[d]) crashedDevices++;
        crashed[d] = 1;
        recentQueue.push([t, d]);
      }
      while (recentQueue.length && recentQueue[0][0] < t - h.windowHours) recentQueue.shift();
      const recentCrashed = new Set(recentQueue.map(([, d]) => d)).size;
      const from = baseUnits.length - h.baselineHours;
      let nB = 0,
        xB = 0;
      for (let i = from; i < baseUnits.length - 1; i++) {
        nB += baseUnits[i];
        xB += baseCrashes[i];
      }
      nB += Math.round((uB * (s + 1)) / slots);
      xB += Math.round((baseCrashes.at(-1) * (s + 1)) / slots);
      const devices = joined.reduce((sum, [n, at]) => sum + seen(n, Math.max(1, t - at)), 0);
      const j = judge(
        {
          version: 'new',
          units: nC,
          crashUnits: xC,
          devices,
          crashed: crashedDevices,
          recentDevices: seen(k, Math.min(h.windowHours, t)),
          recentCrashed,
        },
        { version: 'old', units: nB, crashUnits: xB, devices: fleet, crashed: 0 },
        h,
      );
      if (shouldRollBack(j.verdict, previous, h.consecutive)) return { rolledBack: t, reached: null, widened: percent > POLICY.rollout[0] };
      previous.push(j.verdict);
      const d = decideAdvance({
        policy: POLICY.advance,
        stages: POLICY.rollout,
        live: { rollout: { percent, salt: '' }, rollback: null },
        since: iso(stageStart),
        now: new Date(T0 + t * 3_600_000),
        devices: seen(k, t - stageStart),
        verdict: j.verdict,
        unhealthyModels: [],
        unhealthyAt,
      });
      if (j.verdict === 'unhealthy' && unhealthyAt === null) unhealthyAt = iso(t);
      if (d.kind === 'advance') {
        percent = d.to;
        stageStart = t;
        unhealthyAt = null;
        const was = joined.reduce((sum, [n]) => sum + n, 0);
        joined.push([Math.ceil((fleet * percent) / 100) - was, t]);
        if (percent === 100) return { rolledBack: null, reached: t, widened: true };
        break; // the wider rollout draws from the next hour
      }
    }
  }
  return { rolledBack: null, reached: null, widened: percent > POLICY.rollout[0] };
}

const pct = (x) => `${(x * 100).toFixed(1)}%`;
const median = (xs) => (xs.length ? [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)] : null);

console.log(`Policy: channels/stable.json (rollout ${POLICY.rollout.join(' → ')} %, consecutive ${POLICY.health.consecutive},`);
console.log(`advance ${JSON.stringify(POLICY.advance)}). A check every ${MODEL.checkMinutes} minutes for up to 14 days; a device is`);
console.log(
  `in use in an hour with probability ${MODEL.activeShare}; crash probability ${MODEL.baseCrashRate} per device-hour of use, × effect on the new build.`,
);
console.log(`${RELEASES} releases per fleet and effect; seed ${SEED}.\n`);
console.log(
  '| fleet | effect | releases | widened past 10 % | reach 100 % | median hours 10 % → 100 % | held (never 100 %) | rolled back |',
);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
const t0 = Date.now();
let seed = SEED;
const rows = [];
for (const fleet of [500, 5000, 50000]) {
  for (const effect of [1, 3]) {
    const rand = prng(seed++);
    const results = Array.from({ length: RELEASES }, () => simulate(rand, fleet, effect));
    const reached = results.filter((r) => r.reached !== null);
    const rolled = results.filter((r) => r.rolledBack !== null).length;
    const held = results.length - reached.length - rolled;
    const hours = median(reached.map((r) => r.reached));
    console.log(
      `| ${fleet} | ${effect === 1 ? 'none' : `${effect}×`} | ${results.length} | ${pct(results.filter((r) => r.widened).length / results.length)} | ${pct(reached.length / results.length)} | ${hours === null ? '—' : `${hours.toFixed(1)} h`} | ${pct(held / results.length)} | ${pct(rolled / results.length)} |`,
    );
    rows.push({ fleet, effect, reached: reached.length / results.length, hours });
  }
}
console.log(`\n(${((Date.now() - t0) / 1000).toFixed(0)} s)`);
for (const healthy of rows.filter((r) => r.effect === 1 && r.fleet >= 5000))
  row({
    what: `rollout advance: hours 10 % → 100 %, healthy, ${healthy.fleet.toLocaleString('en')} devices`,
    workload: 'simulated releases, 5-min checks, stable policy',
    ours: healthy.hours === null ? '—' : `${healthy.hours.toFixed(1)} h`,
    reference: '48 h (2 stages × afterHours 24)',
    ratio: healthy.hours === null ? '—' : (healthy.hours / 48).toFixed(3),
    target: '≤ 49 h',
    pass: healthy.hours !== null && healthy.hours <= 49,
  });
const bad = rows.filter((r) => r.effect === 3);
const worst = Math.max(...bad.map((r) => r.reached));
row({
  what: 'rollout advance: bad releases (3×) reaching 100 %',
  workload: 'simulated releases, fleets of 500, 5,000 and 50,000, stable policy',
  ours: pct(worst),
  reference: '—',
  ratio: '—',
  target: 'none',
  pass: worst === 0,
});
