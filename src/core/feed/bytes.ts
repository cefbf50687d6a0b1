/**
 * JSON pieces, times and fingerprints read straight from UTF-8 bytes, for the line parser
 * (parse.ts): nothing here makes a string or a Date. Each reader is held to its reference
 * (JSON.parse, parseTime) by test/unit/feed-parse.test.ts.
 */
/** UTF-8 bytes of `s` as a plain array. */
export function codes(s: string): number[] {
  return Array.from(new TextEncoder().encode(s));
}

/**
 * Two 32-bit hashes of a device id (FNV-1a and a murmur-style mix): together a 64-bit
 * fingerprint, which is what the device index keys on. Two of 200,000 devices share one with a
 * probability near 1e-9; in exchange no id is compared byte by byte, or kept at all.
 */
export function hashBytes(b: Uint8Array, s: number, e: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = s; i < e; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h;
}

export function hashBytes2(b: Uint8Array, s: number, e: number): number {
  let h = 0x9747b28c | 0;
  for (let i = s; i < e; i++) {
    h = Math.imul(h ^ b[i]!, 0x5bd1e995);
    h ^= h >>> 15;
  }
  return h ^ (e - s);
}

/** Four bytes at `s` as a little-endian int: keys are told apart by a few integer compares. */
export function word(b: Uint8Array, s: number): number {
  return b[s]! | (b[s + 1]! << 8) | (b[s + 2]! << 16) | (b[s + 3]! << 24);
}

/** Past spaces, tabs and CRs: not past a newline, which ends an NDJSON line (see parseTo). */
export function skipWs(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i]!;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) break;
    i++;
  }
  return i;
}

export function matchLit(b: Uint8Array, i: number, end: number, lit: string): boolean {
  if (i + lit.length > end) return false;
  for (let k = 0; k < lit.length; k++) if (b[i + k] !== lit.charCodeAt(k)) return false;
  return true;
}

/** A JSON number per RFC 8259: -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?; returns the end, or -1. */
export function scanNumber(b: Uint8Array, i: number, end: number): number {
  const digit = (k: number) => k < end && b[k]! >= 0x30 && b[k]! <= 0x39;
  if (b[i] === 0x2d) i++;
  if (!digit(i)) return -1;
  if (b[i] === 0x30) i++;
  else while (digit(i)) i++;
  if (i < end && b[i] === 0x2e) {
    i++;
    if (!digit(i)) return -1;
    while (digit(i)) i++;
  }
  if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    if (i < end && (b[i] === 0x2b || b[i] === 0x2d)) i++;
    if (!digit(i)) return -1;
    while (digit(i)) i++;
  }
  return i;
}

export function sliceEquals(b: Uint8Array, s: number, e: number, want: readonly number[]): boolean {
  if (e - s !== want.length) return false;
  for (let k = 0; k < want.length; k++) if (b[s + k] !== want[k]) return false;
  return true;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * `YYYY-MM-DDTHH:MM:SSZ` (and with a fraction) read from the bytes, NaN for any other shape, which
 * the caller hands to parseTime; an impossible date (02-31) is NaN here and refused there too.
 */
export function fastTime(b: Uint8Array, s: number, e: number): number {
  const len = e - s;
  if (len < 20 || b[e - 1] !== 0x5a) return NaN; // Z
  if (b[s + 4] !== 0x2d || b[s + 7] !== 0x2d || b[s + 10] !== 0x54 || b[s + 13] !== 0x3a || b[s + 16] !== 0x3a) return NaN;
  let bad = 0;
  const d = (k: number): number => {
    const c = b[s + k]! - 0x30;
    bad |= c < 0 || c > 9 ? 1 : 0;
    return c;
  };
  const year = d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3);
  const month = d(5) * 10 + d(6);
  const day = d(8) * 10 + d(9);
  const hour = d(11) * 10 + d(12);
  const minute = d(14) * 10 + d(15);
  const second = d(17) * 10 + d(18);
  let ms = 0;
  if (len !== 20) {
    if (b[s + 19] !== 0x2e || len < 22 || len > 30) return NaN;
    let scale = 100;
    for (let k = 20; k < len - 1; k++) {
      ms += d(k) * scale; // digits past milliseconds add fractions, which Date.parse drops too
      scale /= 10;
    }
    ms = Math.floor(ms);
  }
  if (bad !== 0 || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return NaN;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const dim = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
  if (day < 1 || day > dim) return NaN;
  return daysFromCivil(year, month, day) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}
