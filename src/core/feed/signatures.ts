/**
 * Which devices crashed with which signature in a window, and when last (tally.ts): one
 * open-addressing table of (signature, device) → time of the latest such crash, in typed arrays.
 * A Map of Maps held an object per pair: on a large fleet, hundreds of thousands of them, which the
 * garbage collector walked and a saved state (io/feed-state.ts) had to rebuild one by one.
 */
export interface SignatureState {
  names: string[];
  /** The pairs, packed: signature index, device, time. */
  sig: Int32Array;
  dev: Int32Array;
  ms: Float64Array;
}

export class SignatureDevices {
  readonly names: string[] = [];
  private readonly index = new Map<string, number>();
  // Slot k: keys[k] = signature index + 1 (0: free), devs[k], times[k].
  private keys = new Int32Array(1024);
  private devs = new Int32Array(1024);
  private times = new Float64Array(1024);
  size = 0;

  /** A crash of `dev` with `signature` at `ms`. */
  add(signature: string, dev: number, ms: number): void {
    let s = this.index.get(signature);
    if (s === undefined) {
      s = this.names.length;
      this.names.push(signature);
      this.index.set(signature, s);
    }
    this.put(s, dev, ms);
  }

  private put(s: number, dev: number, ms: number): void {
    const keys = this.keys;
    const mask = keys.length - 1;
    for (let k = slot(s, dev) & mask; ; k = (k + 1) & mask) {
      if (keys[k] === 0) {
        keys[k] = s + 1;
        this.devs[k] = dev;
        this.times[k] = ms;
        if (++this.size * 2 > keys.length) this.rehash();
        return;
      }
      if (keys[k] === s + 1 && this.devs[k] === dev) {
        if (ms > this.times[k]!) this.times[k] = ms;
        return;
      }
    }
  }

  private rehash(): void {
    this.resize(this.keys.length * 2);
  }

  private resize(cap: number): void {
    const { keys, devs, times } = this;
    this.keys = new Int32Array(cap);
    this.devs = new Int32Array(cap);
    this.times = new Float64Array(cap);
    this.size = 0;
    for (let k = 0; k < keys.length; k++) if (keys[k] !== 0) this.put(keys[k]! - 1, devs[k]!, times[k]!);
  }

  /** Every pair of `other`, its devices numbered here by `map` (null: the same numbers); those before `fromMs` left out. */
  absorb(other: SignatureState, map: Int32Array | null, fromMs = -Infinity): void {
    // Room for all of them first: one table, not a rehash at each doubling.
    let cap = this.keys.length;
    while ((this.size + other.sig.length) * 2 > cap) cap *= 2;
    if (cap > this.keys.length) this.resize(cap);
    const here = other.names.map((name) => {
      let s = this.index.get(name);
      if (s === undefined) {
        s = this.names.length;
        this.names.push(name);
        this.index.set(name, s);
      }
      return s;
    });
    for (let i = 0; i < other.sig.length; i++) {
      if (other.ms[i]! < fromMs) continue;
      const d = other.dev[i]!;
      this.put(here[other.sig[i]!]!, map ? map[d]! : d, other.ms[i]!);
    }
  }

  /** Devices per signature with a crash at or after `fromMs`, most first, then by name. */
  counts(fromMs: number): { signature: string; devices: number }[] {
    const n = new Array<number>(this.names.length).fill(0);
    for (let k = 0; k < this.keys.length; k++) if (this.keys[k] !== 0 && this.times[k]! >= fromMs) n[this.keys[k]! - 1]!++;
    const out = this.names.map((signature, s) => ({ signature, devices: n[s]! })).filter((c) => c.devices > 0);
    out.sort((a, b) => b.devices - a.devices || (a.signature < b.signature ? -1 : a.signature > b.signature ? 1 : 0));
    return out;
  }

  state(): SignatureState {
    const sig = new Int32Array(this.size),
      dev = new Int32Array(this.size),
      ms = new Float64Array(this.size);
    let i = 0;
    for (let k = 0; k < this.keys.length; k++) {
      if (this.keys[k] === 0) continue;
      sig[i] = this.keys[k]! - 1;
      dev[i] = this.devs[k]!;
      ms[i++] = this.times[k]!;
    }
    return { names: [...this.names], sig, dev, ms };
  }
}

function slot(s: number, dev: number): number {
  let h = Math.imul(dev ^ Math.imul(s, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  return Math.imul(h, 0xc2b2ae35) ^ (h >>> 16);
}
