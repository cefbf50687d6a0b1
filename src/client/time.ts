/**
 * The one reader of ISO 8601 times, for the whole of friday. It lives in the client because the
 * client stands alone (an updater embeds it without the CLI, so it may import nothing outside
 * src/client), while core/ may import the client's pure modules: the reverse is impossible.
 *
 * One grammar, two strictnesses:
 * - `timeOf`, for what friday writes and signs (docs/formats.md: "ISO 8601 in UTC with a `Z`
 *   suffix"): `YYYY-MM-DDTHH:MM:SS[.fraction]Z` and nothing else.
 * - `zonedTimeOf`, for times that people and other trackers write (votes, `--now`, a crash feed):
 *   also a `±HH:MM` or `±HHMM` offset, a space for the `T`, minutes without seconds, or a bare
 *   date (UTC midnight). A date-time without a zone is refused: a release clock must not depend
 *   on the machine's time zone.
 *
 * Both refuse impossible dates and times (02-31, 2026-02-29, 24:00, :60) where Date.parse rolls
 * them over, and both count the milliseconds by arithmetic, without a Date: a changelog over a
 * year of votes reads 250,000 of them. A fraction past milliseconds is dropped, as Date.parse does.
 */

/** Milliseconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, or NaN. */
export function timeOf(text: string): number {
  return read(text, false);
}

/** Milliseconds since the epoch of an ISO 8601 time with `Z` or an offset, or of a bare date (UTC midnight); else NaN. */
export function zonedTimeOf(text: string): number {
  return read(text, true);
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function leap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Days in a month (1 to 12) of the proleptic Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
  return month === 2 && leap(year) ? 29 : DAYS[month - 1]!;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

/** Two ASCII digits at `i` as a number, or -1 (charCodeAt past the end is NaN, which fails too). */
function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48,
    b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

const DASH = 0x2d,
  COLON = 0x3a,
  DOT = 0x2e,
  PLUS = 0x2b;

function read(s: string, zoned: boolean): number {
  const n = s.length;
  const hi = two(s, 0),
    lo = two(s, 2);
  if (hi < 0 || lo < 0 || s.charCodeAt(4) !== DASH || s.charCodeAt(7) !== DASH) return NaN;
  const year = hi * 100 + lo,
    month = two(s, 5),
    day = two(s, 8);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return NaN;
  const date = daysFromCivil(year, month, day) * 86_400_000;
  if (n === 10) return zoned ? date : NaN;
  const t = s.charCodeAt(10);
  if (!(t === 0x54 || (zoned && t === 0x20)) || s.charCodeAt(13) !== COLON) return NaN; // T, or a space
  const hour = two(s, 11),
    minute = two(s, 14);
  let second = 0,
    ms = 0,
    i = 16;
  if (s.charCodeAt(16) === COLON) {
    second = two(s, 17);
    i = 19;
    if (s.charCodeAt(19) === DOT) {
      let scale = 100;
      for (i = 20; i < n && i < 29; i++) {
        const c = s.charCodeAt(i) - 48;
        if (c < 0 || c > 9) break;
        ms += c * scale;
        scale /= 10;
      }
      if (i === 20) return NaN; // a dot without digits
      ms = Math.floor(ms);
    }
  } else if (!zoned) return NaN;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return NaN;
  const local = date + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms;
  const z = s.charCodeAt(i);
  if (z === 0x5a) return i + 1 === n ? local : NaN; // Z
  if (!zoned || (z !== PLUS && z !== DASH)) return NaN;
  const oh = two(s, i + 1);
  const colon = s.charCodeAt(i + 3) === COLON ? 1 : 0;
  const om = two(s, i + 3 + colon);
  if (oh < 0 || oh > 23 || om < 0 || om > 59 || i + 5 + colon !== n) return NaN;
  return local - (z === PLUS ? 1 : -1) * (oh * 60 + om) * 60_000;
}
