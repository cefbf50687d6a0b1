/**
 * The issues file and the tiers file (docs/formats.md "issues.json — fan-voted issues", `votes.tiers`):
 * their validation, each problem with its exact path
 * (`issues[3] (id 124).votes[0].value: must be 1 or -1`). Pure: the caller reads the files.
 *
 * Written by hand rather than with a schema library: a weekly issues file holds hundreds of
 * thousands of votes, every one checked whenever the file is parsed whole. Measured on the
 * changelog benchmark's file (bench/lib-changelog.mjs: 11 MB, 5,000 issues, 250,000 votes),
 * JSON.parse and this validation take 183 ms; JSON.parse and the same rules as a zod/mini schema
 * (the config's validator) 402 ms; JSON.parse alone 118 ms (medians of 11 cold runs, 2 cores,
 * Node 20.20, x86_64, 2026-11-30).
 */
import { zonedTimeOf } from '../../client/time.js';

/** A vote as it stands in the file, once validated. `at` is kept as written; see `zonedTimeOf`. */
export interface Vote {
  user: string;
  tier?: string;
  value?: 1 | -1;
  at?: string;
}

/**
 * An issue as it stands in the file, once validated. A number of votes means N anonymous +1s.
 * `pull: true` marks a pull request: never an entry itself, it credits the issues it `closes`.
 */
export interface Issue {
  id: number;
  title: string;
  type: string;
  author: string | null;
  votes: number | Vote[];
  pull?: boolean;
  closes?: number[];
  /** When it was reported (optional; GitHub's `created_at`): a report counts inside the fans' window (docs/fans.md). */
  createdAt?: string;
}

export type IssuesValidation = { ok: true; issues: Issue[] } | { ok: false; problems: string[]; more: number };

/** How many problems a report lists before it only counts the rest. */
const MAX_PROBLEMS = 20;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Check a parsed issues file: a list of issues with unique positive integer ids, a title, an
 * optional type (default "other") and author, and votes that are a count or a list of votes
 * (`user` required, `tier` a string, `value` 1 or -1, `at` an ISO 8601 time). An item with
 * `pull: true` is a pull request (title optional, `closes` a list of issue ids). Unknown fields are
 * allowed, so an export from another tracker can carry its own. Returns every problem (the first
 * MAX_PROBLEMS, and how many more), never only the first.
 */
export function validateIssues(raw: unknown): IssuesValidation {
  const problems: string[] = [];
  let more = 0;
  const problem = (p: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(p);
    else more++;
  };
  if (!Array.isArray(raw)) return { ok: false, problems: ['must be a list of issues (a JSON array)'], more: 0 };
  const firstIndexOf = new Map<number, number>();
  for (let i = 0; i < raw.length; i++) {
    const it: unknown = raw[i];
    if (!isObject(it)) {
      problem(`issues[${i}]: must be an object`);
      continue;
    }
    const id = it.id;
    const idOk = typeof id === 'number' && Number.isSafeInteger(id) && id > 0;
    const at = idOk ? `issues[${i}] (id ${id})` : `issues[${i}]`;
    if (!idOk) problem(`${at}.id: must be a positive whole number`);
    else if (firstIndexOf.has(id)) problem(`${at}.id: duplicate of issues[${firstIndexOf.get(id)}]`);
    else firstIndexOf.set(id, i);
    if (it.pull !== undefined && typeof it.pull !== 'boolean') problem(`${at}.pull: must be true or false`);
    // A pull request needs no title: it is never an entry, only a way to the issues it closes.
    if (typeof it.title !== 'string' && !(it.pull === true && it.title === undefined)) problem(`${at}.title: must be a string`);
    if (it.closes !== undefined) {
      if (it.pull !== true) problem(`${at}.closes: only a pull request ("pull": true) closes issues`);
      else if (!Array.isArray(it.closes) || !it.closes.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n > 0))
        problem(`${at}.closes: must be a list of issue ids (positive whole numbers)`);
    }
    if (it.type !== undefined && (typeof it.type !== 'string' || it.type === '')) problem(`${at}.type: must be a non-empty string`);
    if (it.createdAt !== undefined && (typeof it.createdAt !== 'string' || Number.isNaN(zonedTimeOf(it.createdAt))))
      problem(`${at}.createdAt: must be an ISO 8601 time with Z or an offset, such as 2026-11-20T10:00:00Z`);
    if (it.author !== undefined && it.author !== null && (typeof it.author !== 'string' || it.author === ''))
      problem(`${at}.author: must be a non-empty string`);
    const votes = it.votes;
    if (votes === undefined) continue;
    if (typeof votes === 'number') {
      if (!Number.isSafeInteger(votes) || votes < 0) problem(`${at}.votes: a count of votes must be a whole number, 0 or more`);
      continue;
    }
    if (!Array.isArray(votes)) {
      problem(`${at}.votes: must be a number or a list of votes`);
      continue;
    }
    for (let j = 0; j < votes.length; j++) {
      const v: unknown = votes[j];
      if (!isObject(v)) {
        problem(`${at}.votes[${j}]: must be an object`);
        continue;
      }
      if (typeof v.user !== 'string' || v.user === '')
        problem(`${at}.votes[${j}].user: ${v.user === undefined ? 'required' : 'must be a non-empty string'}`);
      if (v.tier !== undefined && typeof v.tier !== 'string') problem(`${at}.votes[${j}].tier: must be a string`);
      if (v.value !== undefined && v.value !== 1 && v.value !== -1) problem(`${at}.votes[${j}].value: must be 1 or -1`);
      if (v.at !== undefined && (typeof v.at !== 'string' || Number.isNaN(zonedTimeOf(v.at)))) {
        problem(`${at}.votes[${j}].at: must be an ISO 8601 time with Z or an offset, such as 2026-11-20T10:00:00Z`);
      }
    }
  }
  if (problems.length) return { ok: false, problems, more };
  // Normalise in place (no copy of 250,000 votes): defaults for the optional issue fields.
  const issues = raw as Record<string, unknown>[];
  for (const it of issues) {
    if (it.title === undefined) it.title = '';
    if (it.type === undefined) it.type = 'other';
    if (it.author === undefined) it.author = null;
    if (it.votes === undefined) it.votes = [];
  }
  return { ok: true, issues: raw as Issue[] };
}

/**
 * The tiers file (`votes.tiers`): `{ "<user>": "<tier>" }`, or the grades file `friday fans` writes
 * (docs/fans.md), whose graded fans' grades are their tiers.
 */
export function validateTiers(raw: unknown): { ok: true; tiers: Map<string, string> } | { ok: false; problems: string[] } {
  if (!isObject(raw)) return { ok: false, problems: ['must be an object { "<user>": "<tier>" }'] };
  if (raw.type === 'friday.grades/v1') {
    if (!isObject(raw.fans)) return { ok: false, problems: ['fans: must be an object { "<user>": { "grade", … } }'] };
    const tiers = new Map<string, string>();
    for (const [user, fan] of Object.entries(raw.fans)) {
      const grade = isObject(fan) ? fan.grade : undefined;
      if (grade === null) continue;
      if (typeof grade !== 'string' || grade === '') return { ok: false, problems: [`fans.${user}.grade: must be a grade name or null`] };
      tiers.set(user, grade);
    }
    return { ok: true, tiers };
  }
  const problems: string[] = [];
  const tiers = new Map<string, string>();
  for (const [user, tier] of Object.entries(raw)) {
    if (typeof tier !== 'string' || tier === '') problems.push(`${JSON.stringify(user)}: the tier must be a non-empty string`);
    else tiers.set(user, tier);
  }
  return problems.length ? { ok: false, problems: problems.slice(0, MAX_PROBLEMS) } : { ok: true, tiers };
}
