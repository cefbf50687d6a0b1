/**
 * The counting rules of fan votes (docs/formats.md "Counting"): the tally of one issue under the
 * weights, the tiers and the cut time, and the ranking order. Pure.
 */
import { zonedTimeOf } from '../../client/time.js';
import type { Vote } from './validate.js';

export interface Weighting {
  /** Weight by tier; `default` applies to unlisted tiers and to votes without one. */
  weights: Readonly<Record<string, number>>;
  /** Tiers of users whose votes carry none (`votes.tiers`). */
  tiers: ReadonlyMap<string, string>;
  /** Votes later than this (ms since the epoch) are ignored. */
  cutTime: number;
}

export interface Tally {
  score: number;
  /** Distinct users whose counted vote is +1, plus the anonymous count. */
  voters: number;
}

/**
 * Score and voters of one issue (docs/formats.md "Counting"): drop votes later than the cut time; each
 * user counts once, by their last vote in `at` order where undated votes come before dated ones in
 * list order; score = Σ value × weight(tier), a numeric `votes` being N anonymous votes of weight 1.
 */
export function tally(votes: number | readonly Vote[], w: Weighting): Tally {
  if (typeof votes === 'number') return { score: votes, voters: votes };
  const last = new Map<string, { vote: Vote; t: number }>();
  for (const vote of votes) {
    const t = vote.at === undefined ? NaN : zonedTimeOf(vote.at);
    if (t > w.cutTime) continue;
    const seen = last.get(vote.user);
    // Later wins: an undated vote replaces only an undated one; a dated one replaces any undated
    // one and any dated one not later than itself (ties keep list order).
    if (seen === undefined || (Number.isNaN(t) ? Number.isNaN(seen.t) : Number.isNaN(seen.t) || t >= seen.t)) {
      last.set(vote.user, { vote, t });
    }
  }
  const fallback = w.weights.default ?? 1;
  let score = 0;
  let voters = 0;
  for (const [user, { vote }] of last) {
    const value = vote.value ?? 1;
    const tier = vote.tier ?? w.tiers.get(user);
    // hasOwn: a tier named `constructor` must not find Object.prototype's.
    const weight = tier !== undefined && Object.hasOwn(w.weights, tier) ? w.weights[tier]! : fallback;
    score += value * weight;
    if (value === 1) voters++;
  }
  // Fractional weights must not print as 0.30000000000000004.
  return { score: Math.round(score * 1e6) / 1e6, voters };
}

/** Ranking order (docs/formats.md): score descending, then voters descending, then id ascending. */
export function compareRank(a: { score: number; voters: number; id: number }, b: { score: number; voters: number; id: number }): number {
  return b.score - a.score || b.voters - a.voters || a.id - b.id;
}
