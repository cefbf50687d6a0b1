/** Time helpers. Pure: the clock itself is `ctx.now`, never read here. */

/** ISO 8601 UTC with a `Z` suffix and whole seconds: `2026-11-27T17:00:00Z` (formats.md). */
export function formatTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Strict ISO 8601: a date, or a date-time with `Z` or an offset. A date-time without a zone is
 * refused: a release clock must not depend on the machine's time zone.
 */
export function parseTime(s: string): Date | null {
  const m = ISO.exec(s.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, sec, , zone] = m;
  if (h !== undefined && zone === undefined) return null;
  const month = Number(mo),
    day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || Number(sec ?? 0) > 59)) return null;
  const t = Date.parse(h === undefined ? `${y}-${mo}-${d}T00:00:00Z` : s.trim().replace(' ', 'T'));
  if (Number.isNaN(t)) return null;
  const date = new Date(t);
  // Date.parse rolls 2026-02-31 over to March; refuse instead.
  if (zone === 'Z' || zone === undefined) {
    if (date.getUTCDate() !== day || date.getUTCMonth() + 1 !== month) return null;
  }
  return date;
}

/**
 * ISO 8601 week-numbering year and week: weeks start on Monday and week 1 holds the year's
 * first Thursday, so 2027-01-01 is in 2026-W53 and 2025-12-29 in 2026-W01.
 */
export function isoWeek(d: Date): { year: number; week: number } {
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday = 0
  const thursday = new Date(day + (3 - weekday) * 86_400_000);
  const year = thursday.getUTCFullYear();
  const week = 1 + Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * 86_400_000));
  return { year, week };
}

export function addDays(d: Date, days: number): Date {
  return new Date(d.getTime() + days * 86_400_000);
}
