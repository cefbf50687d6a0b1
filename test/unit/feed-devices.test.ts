/** The scan's device index: one id per 64-bit fingerprint, kept across its growth and a merge. */
import { describe, expect, it } from 'vitest';
import { DeviceIndex } from '../../src/core/feed/devices.js';

/** `n` distinct fingerprints; every 16th shares its first half with the one before. */
function fingerprints(n: number): [number, number][] {
  let seed = 3;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) | 0);
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) out.push([i % 16 === 15 ? out[i - 1]![0] : rand(), i]);
  return out;
}

describe('device index', () => {
  it('numbers devices in order of arrival and finds each again, past 256 k devices (the table grows)', () => {
    const devices = fingerprints(300_000);
    const index = new DeviceIndex();
    expect(devices.map(([h1, h2]) => index.intern(h1, h2))).toEqual(devices.map((_, i) => i));
    expect(devices.map(([h1, h2]) => index.intern(h1, h2))).toEqual(devices.map((_, i) => i));
    expect(index.size).toBe(300_000);
  });

  it("maps another index's devices to ids here, adding the ones it did not know", () => {
    const devices = fingerprints(1000);
    const here = new DeviceIndex();
    const there = new DeviceIndex();
    for (const [h1, h2] of devices.slice(0, 600)) here.intern(h1, h2);
    for (const [h1, h2] of devices.slice(400).reverse()) there.intern(h1, h2);
    const map = Array.from(here.absorb(there.state()));
    // there's id i is devices[999 - i]: from i = 400 on known here as 999 - i, before that new here (600…999).
    const want = devices.slice(400).reverse();
    expect(map.slice(400)).toEqual(Array.from({ length: 200 }, (_, j) => 599 - j));
    expect(map.slice(0, 400).sort((a, b) => a - b)).toEqual(Array.from({ length: 400 }, (_, j) => 600 + j));
    expect(want.map(([h1, h2]) => here.intern(h1, h2))).toEqual(map);
    expect(here.size).toBe(1000);
  });
});
