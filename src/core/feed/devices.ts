/**
 * The feed scan's devices, numbered 0, 1, 2… as they come by their 64-bit fingerprint
 * (LineParser.devHash, devHash2, parse.ts), in an open-addressing table of [hash, hash2, id + 1]
 * slots: one cache miss per lookup, and no id kept.
 */
export class DeviceIndex {
  // 512 k slots (6 MiB, its pages touched only as devices come): no rehash below 256 k devices.
  private table: Int32Array<ArrayBuffer> = new Int32Array(3 << 19);
  size = 0;

  intern(h1: number, h2: number): number {
    const t = this.table;
    const mask = t.length / 3 - 1;
    for (let slot = h1 & mask; ; slot = (slot + 1) & mask) {
      const at = slot * 3;
      const id = t[at + 2]!;
      if (id === 0) {
        // A new device: it goes in the free slot the probe stopped at.
        const fresh = this.size++;
        t[at] = h1;
        t[at + 1] = h2;
        t[at + 2] = fresh + 1;
        if (this.size * 2 > mask + 1) this.rehash();
        return fresh;
      }
      if (t[at] === h1 && t[at + 1] === h2) return id - 1;
    }
  }

  /**
   * Read the home slot of each of `n` fingerprints, and nothing else: a loop without branches, so
   * the processor has all those cache misses in flight at once and `intern` then finds them cached.
   */
  touch(h1: Int32Array, n: number): number {
    const t = this.table;
    const mask = t.length / 3 - 1;
    let x = 0;
    for (let k = 0; k < n; k++) x ^= t[(h1[k]! & mask) * 3]!;
    return x;
  }

  private rehash(): void {
    const old = this.table;
    this.table = new Int32Array(old.length * 2);
    for (let at = 0; at < old.length; at += 3) if (old[at + 2] !== 0) place(this.table, old[at]!, old[at + 1]!, old[at + 2]! - 1);
  }

  /** Map every device of `other` to its id here (adding the new ones). */
  absorb(other: DeviceIndexState): Int32Array {
    const map = new Int32Array(other.size);
    const t = other.table;
    for (let at = 0; at < t.length; at += 3) if (t[at + 2] !== 0) map[t[at + 2]! - 1] = this.intern(t[at]!, t[at + 1]!);
    return map;
  }

  /** The index whose `state()` this was (the same table, not a copy). */
  static fromState(s: DeviceIndexState): DeviceIndex {
    const index = new DeviceIndex();
    index.table = s.table as Int32Array<ArrayBuffer>;
    index.size = s.size;
    return index;
  }

  /** Each device's fingerprint by id, [h1, h2] pairs: what a saved scan keeps of the index. */
  fingerprints(): Int32Array {
    const out = new Int32Array(this.size * 2);
    const t = this.table;
    for (let at = 0; at < t.length; at += 3) {
      const id = t[at + 2]!;
      if (id !== 0) {
        out[(id - 1) * 2] = t[at]!;
        out[(id - 1) * 2 + 1] = t[at + 1]!;
      }
    }
    return out;
  }

  /** The index `fingerprints` came from: the same ids. */
  static fromFingerprints(pairs: Int32Array): DeviceIndex {
    const index = new DeviceIndex();
    for (let i = 0; i < pairs.length; i += 2) index.intern(pairs[i]!, pairs[i + 1]!);
    return index;
  }

  state(): DeviceIndexState {
    return { size: this.size, table: this.table };
  }
}

function place(t: Int32Array, h1: number, h2: number, id: number): void {
  const mask = t.length / 3 - 1;
  let slot = h1 & mask;
  while (t[slot * 3 + 2] !== 0) slot = (slot + 1) & mask;
  t[slot * 3] = h1;
  t[slot * 3 + 1] = h2;
  t[slot * 3 + 2] = id + 1;
}

export interface DeviceIndexState {
  size: number;
  table: Int32Array;
}
