// Random draws shared by the simulations (health-sim.mjs, health-sim-models.mjs, advance-sim.mjs).

/** mulberry32: small, fast, good enough for simulation. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Binomial(n, p): exact for small n, normal approximation (rounded, clamped) for large n·p. */
export function binomial(rand, n, p) {
  if (n <= 0 || p <= 0) return 0;
  if (n < 60) {
    let k = 0;
    for (let i = 0; i < n; i++) if (rand() < p) k++;
    return k;
  }
  const mean = n * p;
  const sd = Math.sqrt(mean * (1 - p));
  if (mean < 20) {
    // Poisson by inversion: the normal is poor this close to zero.
    let k = 0,
      prob = Math.exp(-mean),
      cdf = prob;
    const u = rand();
    while (u > cdf && k < n) {
      k++;
      prob *= mean / k;
      cdf += prob;
    }
    return k;
  }
  const u1 = rand() || 1e-12,
    u2 = rand();
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.max(0, Math.min(n, Math.round(mean + sd * z)));
}

/** `count` crash units on distinct devices of 0..devices-1, each at a random slot of the hour: [slot, device] pairs. */
export function crashSlots(rand, count, devices, slots) {
  const picked = new Set();
  const crashes = [];
  while (picked.size < Math.min(count, devices)) {
    const d = Math.floor(rand() * devices);
    if (!picked.has(d)) {
      picked.add(d);
      crashes.push([Math.floor(rand() * slots), d]);
    }
  }
  return crashes;
}
