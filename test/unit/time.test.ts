import { describe, expect, it } from 'vitest';
import { formatTime, isoWeek, parseTime } from '../../src/core/time.js';

const week = (s: string) => isoWeek(new Date(s));

describe('isoWeek (ISO 8601 week-numbering year)', () => {
  it('puts 2026-12-31 and 2027-01-01..03 in 2026-W53', () => {
    expect(week('2026-12-31T12:00:00Z')).toEqual({ year: 2026, week: 53 });
    expect(week('2027-01-01T00:00:00Z')).toEqual({ year: 2026, week: 53 });
    expect(week('2027-01-02T12:00:00Z')).toEqual({ year: 2026, week: 53 });
    expect(week('2027-01-03T23:59:59Z')).toEqual({ year: 2026, week: 53 });
  });
  it('starts 2027-W01 on Monday 2027-01-04', () => {
    expect(week('2027-01-04T00:00:00Z')).toEqual({ year: 2027, week: 1 });
  });
  it('puts 2025-12-29 in 2026-W01', () => {
    expect(week('2025-12-29T08:00:00Z')).toEqual({ year: 2026, week: 1 });
    expect(week('2025-12-28T23:59:59Z')).toEqual({ year: 2025, week: 52 });
  });
  it('gives the Friday cut of 2026-11-27 week 48', () => {
    expect(week('2026-11-27T17:00:00Z')).toEqual({ year: 2026, week: 48 });
  });
  it('reads the UTC date, not the local one', () => {
    // Sunday 23:30 UTC is still week 48 whatever the machine's zone.
    expect(week('2026-11-29T23:30:00Z')).toEqual({ year: 2026, week: 48 });
    expect(week('2026-11-30T00:00:00Z')).toEqual({ year: 2026, week: 49 });
  });
});

describe('parseTime / formatTime', () => {
  it('formats UTC with Z and whole seconds', () => {
    expect(formatTime(new Date('2026-11-27T17:00:00.123Z'))).toBe('2026-11-27T17:00:00Z');
  });
  it('accepts Z, offsets and plain dates', () => {
    expect(parseTime('2026-11-27T17:00:00Z')?.toISOString()).toBe('2026-11-27T17:00:00.000Z');
    expect(parseTime('2026-11-27T19:00:00+02:00')?.toISOString()).toBe('2026-11-27T17:00:00.000Z');
    expect(parseTime('2026-11-27')?.toISOString()).toBe('2026-11-27T00:00:00.000Z');
  });
  it('refuses a time without a zone, impossible dates and garbage', () => {
    expect(parseTime('2026-11-27T17:00:00')).toBeNull();
    expect(parseTime('2026-02-31T00:00:00Z')).toBeNull();
    expect(parseTime('2026-13-01T00:00:00Z')).toBeNull();
    expect(parseTime('friday')).toBeNull();
  });
});
