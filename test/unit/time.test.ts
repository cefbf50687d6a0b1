import { describe, expect, it } from 'vitest';
import { timeOf, zonedTimeOf } from '../../src/client/time.js';
import { parseManifest } from '../../src/client/manifest.js';
import { formatTime, isoWeek, parseTime } from '../../src/core/time.js';
import { validateIssues } from '../../src/core/votes/validate.js';
import { prng } from '../helpers/index.js';

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
    expect(parseTime('2026-02-31T00:00:00+02:00')).toBeNull();
    expect(parseTime('2026-13-01T00:00:00Z')).toBeNull();
    expect(parseTime('friday')).toBeNull();
  });
});

describe('the one ISO 8601 parser (src/client/time.ts)', () => {
  const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0) => Date.UTC(y, mo - 1, d, h, mi, s, ms);

  it('timeOf reads only what friday writes and signs: YYYY-MM-DDTHH:MM:SS[.fraction]Z', () => {
    expect(timeOf('2026-11-27T17:00:00Z')).toBe(utc(2026, 11, 27, 17));
    expect(timeOf('2026-11-27T17:00:00.250Z')).toBe(utc(2026, 11, 27, 17, 0, 0, 250));
    expect(timeOf('2026-11-27T17:00:00.123456789Z')).toBe(utc(2026, 11, 27, 17, 0, 0, 123));
    for (const bad of [
      '2026-11-27T19:00:00+02:00',
      '2026-11-27',
      '2026-11-27 17:00:00Z',
      '2026-11-27T17:00Z',
      '2026-11-27T17:00:00',
      '2026-11-27T17:00:00.Z',
      '2026-11-27T17:00:00.1234567890Z',
      '2026-11-27T17:00:00z',
      ' 2026-11-27T17:00:00Z',
    ]) {
      expect(timeOf(bad), bad).toBeNaN();
    }
  });

  it('zonedTimeOf also reads offsets, a space for T, minutes without seconds and bare dates (UTC midnight)', () => {
    expect(zonedTimeOf('2026-11-20T10:00:00Z')).toBe(utc(2026, 11, 20, 10));
    expect(zonedTimeOf('2026-11-20T12:00:00+02:00')).toBe(utc(2026, 11, 20, 10));
    expect(zonedTimeOf('2026-11-20T08:30:00-0130')).toBe(utc(2026, 11, 20, 10));
    expect(zonedTimeOf('2026-11-20 10:00:00Z')).toBe(utc(2026, 11, 20, 10));
    expect(zonedTimeOf('2026-11-20T10:00Z')).toBe(utc(2026, 11, 20, 10));
    expect(zonedTimeOf('2026-11-20T10:00:00.5+01:00')).toBe(utc(2026, 11, 20, 9, 0, 0, 500));
    expect(zonedTimeOf('2026-11-20')).toBe(utc(2026, 11, 20));
    expect(zonedTimeOf('2028-02-29T00:00:00Z')).toBe(utc(2028, 2, 29));
    expect(zonedTimeOf('2000-02-29')).toBe(utc(2000, 2, 29));
  });

  it('refuses a date-time without a zone, and a zone on a bare date, whose offset would be lost', () => {
    for (const bad of ['2026-11-20T10:00:00', '2026-11-20T10:00', '2026-11-20Z', '2026-11-20+02:00'])
      expect(zonedTimeOf(bad), bad).toBeNaN();
  });

  it('refuses impossible dates and times in every form, where Date.parse rolls them over', () => {
    for (const bad of [
      '2026-02-31T00:00:00Z',
      '2026-02-29T00:00:00Z',
      '1900-02-29',
      '2026-02-29T00:00:00+01:00',
      '2026-02-31T00:00:00.5+05:00',
      '2026-04-31',
      '2026-13-01T00:00:00Z',
      '2026-00-10T00:00:00Z',
      '2026-11-00T00:00:00Z',
      '2026-11-20T24:00:00Z',
      '2026-11-20T10:60:00Z',
      '2026-11-20T10:00:60Z',
      '2026-11-20T10:00:00+24:00',
      '2026-11-20T10:00:00+02:60',
      '2026-11-20T10:00:00+2:00',
      'yesterday',
      '',
    ]) {
      expect(zonedTimeOf(bad), bad).toBeNaN();
      expect(timeOf(bad), bad).toBeNaN();
    }
    // What the manifest's reader used to accept: Date.parse turned it into 2026-03-03.
    expect(Number.isNaN(Date.parse('2026-02-31T00:00:00Z'))).toBe(false);
  });

  it('agrees with Date.parse on every valid time it reads (property)', () => {
    const r = prng(20261130);
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    const pick = (n: number) => Math.floor(r() * n);
    for (let i = 0; i < 5000; i++) {
      const date = `${pad(1970 + pick(130), 4)}-${pad(1 + pick(12))}-${pad(1 + pick(31))}`;
      const time = `T${pad(pick(24))}:${pad(pick(60))}${r() < 0.8 ? `:${pad(pick(60))}${r() < 0.3 ? `.${String(pick(1e6))}` : ''}` : ''}`;
      const zone = r() < 0.5 ? 'Z' : `${r() < 0.5 ? '+' : '-'}${pad(pick(24))}:${pad(pick(60))}`;
      const text = r() < 0.1 ? date : date + time + zone;
      const ms = zonedTimeOf(text);
      const day = Number(text.slice(8, 10));
      const real = new Date(Date.UTC(Number(text.slice(0, 4)), Number(text.slice(5, 7)) - 1, day)).getUTCDate() === day;
      expect(Number.isNaN(ms), text).toBe(!real);
      if (real) expect(ms, text).toBe(Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text));
    }
  });

  it("keeps each caller's rule: a manifest wants Z, a vote may carry an offset, --now is trimmed", () => {
    const manifestWith = (issuedAt: string) => () =>
      parseManifest({
        signed: {
          type: 'friday.manifest/v1',
          product: 'aurora',
          channel: 'beta',
          serial: 1,
          issuedAt,
          expiresAt: '2026-12-11T17:00:00Z',
          release: { version: '2026.48.0', tag: 'v2026.48.0', commit: 'c0ffee', builtAt: '2026-11-27T17:00:00Z' },
          rollout: { percent: 100, salt: '0'.repeat(32) },
          artifacts: {},
          notes: { popcorn: null, changelog: null },
          rollback: null,
          blocked: [],
        },
        signatures: [],
      });
    expect(manifestWith('2026-11-27T17:00:00Z')).not.toThrow();
    expect(manifestWith('2026-11-27T19:00:00+02:00')).toThrow(/issuedAt: must be an ISO 8601 UTC time/);
    expect(manifestWith('2026-02-31T17:00:00Z')).toThrow(/issuedAt/);
    const votesAt = (at: string) => validateIssues([{ id: 1, title: 't', votes: [{ user: 'u', at }] }]).ok;
    expect(votesAt('2026-11-20T12:00:00+02:00')).toBe(true);
    expect(votesAt('2026-11-20')).toBe(true);
    expect(votesAt('2026-11-20T12:00:00')).toBe(false);
    expect(parseTime(' 2026-11-27T17:00:00Z\n')?.toISOString()).toBe('2026-11-27T17:00:00.000Z');
  });
});
