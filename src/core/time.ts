/** Time helpers. Pure: the clock itself is `ctx.now`, never read here. */
import { timeOf, zonedTimeOf } from '../client/time.js';

/** ISO 8601 UTC with a `Z` suffix and whole seconds: `2026-11-27T17:00:00Z` (docs/formats.md). */
export function formatTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * A time typed by a person (`--now`, FRIDAY_NOW) or read from a file (a build record, a crash
 * feed): the client's `zonedTimeOf` (src/client/time.ts, the one parser), with the spaces around it trimmed.
 */
export function parseTime(s: string): Date | null {
  const t = zonedTimeOf(s.trim());
  return Number.isNaN(t) ? null : new Date(t);
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

/**
 * Less than a third of a signed document's validity left at `nowMs`: when `renew` re-signs and
 * `status` and the release page warn (docs/cli.md `renew`). Light, for `status`'s start-up budget.
 */
export function thirdOfValidityLeft(issuedAt: string, expiresAt: string, nowMs: number): boolean {
  const issued = timeOf(issuedAt),
    expires = timeOf(expiresAt);
  return expires - nowMs < (expires - issued) / 3;
}
