/**
 * Fans graded by participation (docs/fans.md): each fan's activity in the window, their points and
 * grade, with the no-flapping rule and `since` kept from the previous grades file. Pure: the
 * caller reads issues, votes, releases, the devices file and the feed's device-hours.
 */
import { zonedTimeOf } from '../../client/time.js';
import type { Config } from '../config.js';
import type { Issue } from '../votes/validate.js';
import { formatTime } from '../time.js';

export type FansConfig = Config['fans'];
export const ACTIVITIES = ['report', 'confirmed', 'votingWeek', 'testedWeek'] as const;
export type Activity = (typeof ACTIVITIES)[number];
export type ActivityCounts = Record<Activity, number>;

export const GRADES_TYPE = 'friday.grades/v1';

export interface FanGrade {
  grade: string | null;
  points: number;
  activity: ActivityCounts;
  /** When the fan reached the grade; null without one. */
  since: string | null;
}

export interface GradesDoc {
  type: typeof GRADES_TYPE;
  asOf: string;
  windowDays: number;
  fans: Record<string, FanGrade>;
}

/** A tested week needs this many device-hours of the fan's registered devices (docs/fans.md). */
export const TESTED_WEEK_UNITS = 6;
/** A fan keeps a higher previous grade while their points stay at this share of its threshold. */
export const LOW_WATER = 0.9;

const DAY = 86_400_000;
const WEEK = 7 * DAY;

/** The ISO week of a time as one number: weeks since the Monday 1969-12-29 (1970-01-01 was a Thursday). */
export function weekIndex(ms: number): number {
  return Math.floor((ms + 3 * DAY) / WEEK);
}

/** The window: the `windowDays` days before now, both ends included. */
export function windowOf(now: Date, windowDays: number): { fromMs: number; toMs: number } {
  return { fromMs: now.getTime() - windowDays * DAY, toMs: now.getTime() };
}

/** A release cut (its build record's `builtAt`) and the issue ids its changelog.json lists. */
export interface CutRelease {
  version: string;
  builtAt: string;
  entries: readonly { id: number; author: string | null }[];
}

export interface FansInput {
  now: Date;
  config: FansConfig;
  issues: readonly Issue[];
  releases: readonly CutRelease[];
  /** The devices file: user → registered device ids. */
  devices: Readonly<Record<string, readonly string[]>>;
  /** Device-hours in the window by device id, then by week (weekIndex). */
  hours: ReadonlyMap<string, ReadonlyMap<number, number>>;
  /** The previous grades file, if any. */
  previous: GradesDoc | null;
}

export interface FansResult {
  doc: GradesDoc;
  /** Device ids registered by more than one fan, with who registered them: counted for neither. */
  shared: { id: string; users: string[] }[];
}

/**
 * The devices each fan counts: their registered ids less those another fan registered too (a
 * fan could otherwise take a tester's hours, or cancel them: both are named in the warning).
 */
export function ownedDevices(devices: Readonly<Record<string, readonly string[]>>): {
  owned: Map<string, string[]>;
  shared: { id: string; users: string[] }[];
} {
  const users = new Map<string, Set<string>>();
  for (const [user, ids] of Object.entries(devices)) for (const id of ids) (users.get(id) ?? users.set(id, new Set()).get(id)!).add(user);
  const owned = new Map<string, string[]>();
  const shared: { id: string; users: string[] }[] = [];
  for (const [id, who] of users) {
    if (who.size > 1) shared.push({ id, users: [...who].sort() });
    else {
      const [user] = who as Set<string> & { size: 1 };
      (owned.get(user!) ?? owned.set(user!, []).get(user!)!).push(id);
    }
  }
  shared.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { owned, shared };
}

const inWindow = (t: number, w: { fromMs: number; toMs: number }) => t >= w.fromMs && t <= w.toMs;
const bump = <K>(m: Map<string, Set<K>>, user: string, k: K) => (m.get(user) ?? m.set(user, new Set()).get(user)!).add(k);

/** Every fan's activity counts in the window (docs/fans.md "Participation data"). */
export function activityOf(i: Omit<FansInput, 'previous'>): { counts: Map<string, ActivityCounts>; shared: FansResult['shared'] } {
  const w = windowOf(i.now, i.config.windowDays);
  const fans = new Set<string>();
  const reports = new Map<string, Set<number>>();
  const confirmed = new Map<string, Set<number>>();
  const voting = new Map<string, Set<number>>();
  const tested = new Map<string, Set<number>>();
  const authorOf = new Map<number, string>();
  for (const issue of i.issues) {
    if (issue.pull) continue; // a pull request is not a report: it credits the issues it closes
    if (issue.author !== null) {
      fans.add(issue.author);
      authorOf.set(issue.id, issue.author);
      const t = issue.createdAt === undefined ? null : zonedTimeOf(issue.createdAt);
      if (t === null || inWindow(t, w)) bump(reports, issue.author, issue.id);
    }
    if (typeof issue.votes === 'number') continue;
    for (const v of issue.votes) {
      fans.add(v.user);
      if (v.at === undefined) continue;
      const t = zonedTimeOf(v.at);
      if (inWindow(t, w)) bump(voting, v.user, weekIndex(t));
    }
  }
  for (const r of i.releases) {
    if (!inWindow(zonedTimeOf(r.builtAt), w)) continue;
    for (const e of r.entries) {
      const author = authorOf.get(e.id) ?? e.author;
      if (author !== null) {
        fans.add(author);
        bump(confirmed, author, e.id);
      }
    }
  }
  const { owned, shared } = ownedDevices(i.devices);
  for (const user of Object.keys(i.devices)) fans.add(user);
  for (const [user, ids] of owned) {
    const perWeek = new Map<number, number>();
    for (const id of ids) for (const [week, n] of i.hours.get(id) ?? []) perWeek.set(week, (perWeek.get(week) ?? 0) + n);
    for (const [week, n] of perWeek) if (n >= TESTED_WEEK_UNITS) bump(tested, user, week);
  }
  const counts = new Map<string, ActivityCounts>();
  for (const user of fans) {
    counts.set(user, {
      report: reports.get(user)?.size ?? 0,
      confirmed: confirmed.get(user)?.size ?? 0,
      votingWeek: voting.get(user)?.size ?? 0,
      testedWeek: tested.get(user)?.size ?? 0,
    });
  }
  return { counts, shared };
}

export function pointsOf(activity: ActivityCounts, points: FansConfig['points']): number {
  let sum = 0;
  for (const a of ACTIVITIES) sum += points[a] * activity[a];
  return Math.round(sum * 1e6) / 1e6;
}

/**
 * The grade for `points`: the highest reached; or a higher previous one while the points stay at
 * or above LOW_WATER of its threshold (Discourse's low-water mark: no grade lost and won back
 * every week by a fan hovering at the line).
 */
export function gradeOf(points: number, grades: FansConfig['grades'], previous: string | null): string | null {
  let reached = -1;
  grades.forEach((g, k) => {
    if (points >= g.points) reached = k;
  });
  const prev = previous === null ? -1 : grades.findIndex((g) => g.name === previous);
  if (prev > reached && points >= LOW_WATER * grades[prev]!.points) return grades[prev]!.name;
  return reached < 0 ? null : grades[reached]!.name;
}

/** Sorted by points descending, then name (docs/fans.md). */
export function compareFans(a: [string, FanGrade], b: [string, FanGrade]): number {
  return b[1].points - a[1].points || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
}

export function computeGrades(i: FansInput): FansResult {
  const { counts, shared } = activityOf(i);
  const asOf = formatTime(i.now);
  const rows: [string, FanGrade][] = [];
  for (const [user, activity] of counts) {
    const points = pointsOf(activity, i.config.points);
    const before = i.previous && Object.hasOwn(i.previous.fans, user) ? i.previous.fans[user]! : null;
    const grade = gradeOf(points, i.config.grades, before?.grade ?? null);
    const since = grade === null ? null : before !== null && before.grade === grade && before.since ? before.since : asOf;
    rows.push([user, { grade, points, activity, since }]);
  }
  rows.sort(compareFans);
  return { doc: { type: GRADES_TYPE, asOf, windowDays: i.config.windowDays, fans: Object.fromEntries(rows) }, shared };
}

export interface Explanation {
  user: string;
  grade: string | null;
  points: number;
  activities: { activity: Activity; count: number; each: number; points: number }[];
  /** The next grade up and the points still missing; null at the top. */
  next: { grade: string; points: number; missing: number } | null;
  /** Kept by the low-water rule: the points under which the grade would be lost. */
  keptUntil: number | null;
}

/** A forum's trust-level page for one fan (docs/fans.md `--explain`). */
export function explain(user: string, fan: FanGrade | undefined, config: FansConfig): Explanation {
  const activity = fan?.activity ?? { report: 0, confirmed: 0, votingWeek: 0, testedWeek: 0 };
  const points = fan?.points ?? 0;
  const grade = fan?.grade ?? null;
  const at = grade === null ? -1 : config.grades.findIndex((g) => g.name === grade);
  const up = config.grades[at + 1];
  const held = at >= 0 ? config.grades[at]! : null;
  return {
    user,
    grade,
    points,
    activities: ACTIVITIES.map((a) => ({
      activity: a,
      count: activity[a],
      each: config.points[a],
      points: activity[a] * config.points[a],
    })),
    next: up ? { grade: up.name, points: up.points, missing: Math.max(0, Math.round((up.points - points) * 1e6) / 1e6) } : null,
    keptUntil: held && points < held.points ? Math.round(LOW_WATER * held.points * 1e6) / 1e6 : null,
  };
}
