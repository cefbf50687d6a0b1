/**
 * The Tuesday ceremony (docs/fans.md `friday awards`): the ballot from the release's go-live to
 * now (or to its rollback), the experience votes on its changelog entries weighed by the fans'
 * grades at the ceremony, and the three kinds of award. Pure: the caller reads the channel's
 * audit log, the changelog, the issues, the grades, the devices and the feed's device-hours.
 */
import { timeOf, zonedTimeOf } from '../../client/time.js';
import { escapeMd } from '../changelog-md.js';
import { releaseHistory, type EventLike } from '../manifest.js';
import { formatTime } from '../time.js';
import { compareRank, tally } from '../votes/count.js';
import type { Vote } from '../votes/validate.js';
import type { AwardKind, Config } from '../config.js';
import { ownedDevices, type GradesDoc } from './grades.js';

export const AWARDS_TYPE = 'friday.awards/v1';
const HOUR = 3_600_000;

export interface Ballot {
  from: string;
  to: string;
}

/**
 * The ballot of `version` on a channel as of `now`: from when it first went live there (docs/formats.md
 * "went live") to now, or to the publish time of the rollback that took it off. `opensAt` is when
 * the ceremony may be held (go-live + afterHours, inclusive). Null when it never went live there.
 */
export function ballotOf(
  events: readonly (EventLike & { detail?: unknown })[],
  version: string,
  now: Date,
  afterHours: number,
): { ballot: Ballot; opensAt: string; open: boolean } | null {
  const first = releaseHistory(events).find((p) => p.version === version);
  if (!first) return null;
  const from = timeOf(first.from);
  let to = now.getTime();
  // A rollback from this version: its ballot ends when the rollback was published.
  const rb = events.find(
    (e) => e.action === 'rollback' && (e.detail as { from?: unknown } | null | undefined)?.from === version && timeOf(e.at) >= from,
  );
  if (rb) {
    const pub = events.find((e) => e.action === 'publish' && e.serial === rb.serial && timeOf(e.at) >= timeOf(rb.at));
    to = Math.min(to, timeOf(pub?.at ?? rb.at));
  }
  const opens = from + afterHours * HOUR;
  return { ballot: { from: first.from, to: formatTime(new Date(to)) }, opensAt: formatTime(new Date(opens)), open: now.getTime() < opens };
}

export interface Nominee {
  id: number;
  title: string;
  type: string;
  author: string | null;
}

export interface ScoredNominee extends Nominee {
  score: number;
  voters: number;
}

export interface CeremonyInput {
  product: string;
  version: string;
  channel: string;
  now: Date;
  ballot: Ballot;
  awards: Config['fans']['awards'];
  weights: Readonly<Record<string, number>>;
  grades: Config['fans']['grades'];
  /** The changelog's entries of the release. */
  nominees: readonly Nominee[];
  /** Votes of each nominee's issue (a number: anonymous, undated, so never in a ballot). */
  votesOf: (id: number) => number | readonly Vote[];
  /** The grades file as it stands at the ceremony; null when there is none. */
  gradesDoc: GradesDoc | null;
  devices: Readonly<Record<string, readonly string[]>>;
  /** Per device id, each UTC hour of the ballot with an accepted event on the release (true: a crash). */
  hours: ReadonlyMap<string, ReadonlyMap<number, boolean>>;
  /** With `ceremony.testersOnly`: the fans whose registered device had an event on the release; null counts everyone. */
  testers: ReadonlySet<string> | null;
  /** Issues that won the Popcorn Award in an earlier release: never nominees again. */
  earlierWinners: ReadonlySet<number>;
}

export type Award =
  | {
      name: string;
      kind: 'popcorn';
      winner: { id: number; title: string; author: string | null } | null;
      score: number;
      voters: number;
      runnersUp: { id: number; score: number; voters: number }[];
    }
  | { name: string; kind: 'bug-hunter'; winner: { user: string } | null; count: number }
  | { name: string; kind: 'tester'; winner: { user: string } | null; units: number; crashUnits: number };

export interface AwardsDoc {
  type: typeof AWARDS_TYPE;
  product: string;
  version: string;
  channel: string;
  heldAt: string;
  ballot: Ballot;
  awards: Award[];
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Each nominee's experience score: votes inside the ballot, last one per fan, weighed by the fan's grade now. */
export function experienceScores(
  i: Pick<CeremonyInput, 'ballot' | 'nominees' | 'votesOf' | 'gradesDoc' | 'weights' | 'testers'>,
): ScoredNominee[] {
  const from = timeOf(i.ballot.from),
    to = timeOf(i.ballot.to);
  const tiers = new Map<string, string>();
  for (const [user, fan] of Object.entries(i.gradesDoc?.fans ?? {})) if (fan.grade !== null) tiers.set(user, fan.grade);
  return i.nominees.map((n) => {
    const raw = i.votesOf(n.id);
    const votes: Vote[] = [];
    if (typeof raw !== 'number')
      for (const v of raw) {
        if (v.at === undefined) continue;
        const t = zonedTimeOf(v.at);
        if (t < from || t > to || (i.testers !== null && !i.testers.has(v.user))) continue;
        // The grade at the ceremony weighs the vote, whatever tier it carries (docs/fans.md).
        votes.push({ user: v.user, at: v.at, ...(v.value !== undefined ? { value: v.value } : {}) });
      }
    return { ...n, ...tally(votes, { weights: i.weights, tiers, cutTime: to }) };
  });
}

export function holdCeremony(i: CeremonyInput): AwardsDoc {
  const scored = experienceScores(i);
  const awards = i.awards.map((a) => awardOf(a.kind, a.name, i, scored));
  return {
    type: AWARDS_TYPE,
    product: i.product,
    version: i.version,
    channel: i.channel,
    heldAt: formatTime(i.now),
    ballot: i.ballot,
    awards,
  };
}

function awardOf(kind: AwardKind, name: string, i: CeremonyInput, scored: ScoredNominee[]): Award {
  if (kind === 'popcorn') {
    const ranked = scored.filter((n) => n.type === 'feature' && n.score > 0 && !i.earlierWinners.has(n.id)).sort(compareRank);
    const [top, ...rest] = ranked;
    return {
      name,
      kind,
      winner: top ? { id: top.id, title: top.title, author: top.author } : null,
      score: top?.score ?? 0,
      voters: top?.voters ?? 0,
      runnersUp: rest.slice(0, 2).map((n) => ({ id: n.id, score: n.score, voters: n.voters })),
    };
  }
  if (kind === 'bug-hunter') {
    const by = new Map<string, { count: number; score: number }>();
    for (const n of scored) {
      if (n.type !== 'bug' || n.author === null) continue;
      const s = by.get(n.author) ?? { count: 0, score: 0 };
      s.count++;
      s.score += n.score;
      by.set(n.author, s);
    }
    const best = [...by].sort((a, b) => b[1].count - a[1].count || b[1].score - a[1].score || byName(a[0], b[0]))[0];
    return { name, kind, winner: best ? { user: best[0] } : null, count: best?.[1].count ?? 0 };
  }
  const { owned } = ownedDevices(i.devices);
  const rows: [string, number, number][] = [];
  for (const [user, ids] of owned) {
    let units = 0,
      crashUnits = 0;
    for (const id of ids)
      for (const crashed of i.hours.get(id)?.values() ?? []) {
        units++;
        if (crashed) crashUnits++;
      }
    if (units > 0) rows.push([user, units, crashUnits]);
  }
  // Ties: more crash units first (a tester who reports crashes helps most), then name.
  const best = rows.sort((a, b) => b[1] - a[1] || b[2] - a[2] || byName(a[0], b[0]))[0];
  return { name, kind: 'tester', winner: best ? { user: best[0] } : null, units: best?.[1] ?? 0, crashUnits: best?.[2] ?? 0 };
}

/** AWARDS.md: the same for people, winners first, then thanks to the runners-up. */
export function renderAwards(doc: AwardsDoc, titleOf: (id: number) => string): string {
  const out = [
    `# ${doc.product} ${doc.version}: the Tuesday awards`,
    '',
    `Held ${doc.heldAt} on ${doc.channel}; ballot ${doc.ballot.from} to ${doc.ballot.to}.`,
    '',
  ];
  const thanks: string[] = [];
  for (const a of doc.awards) {
    if (a.kind === 'popcorn') {
      out.push(
        a.winner
          ? `- **${escapeMd(a.name)}**: #${a.winner.id} ${escapeMd(a.winner.title)}${a.winner.author ? ` (reported by @${escapeMd(a.winner.author)})` : ''}, score ${a.score} from ${a.voters} fan${a.voters === 1 ? '' : 's'}`
          : `- **${escapeMd(a.name)}**: not awarded (no feature scored above 0)`,
      );
      for (const r of a.runnersUp) thanks.push(`#${r.id} ${escapeMd(titleOf(r.id))} (score ${r.score})`);
    } else if (a.kind === 'bug-hunter') {
      out.push(
        a.winner
          ? `- **${escapeMd(a.name)}**: @${escapeMd(a.winner.user)}, ${a.count} bug${a.count === 1 ? '' : 's'} fixed in this release`
          : `- **${escapeMd(a.name)}**: not awarded`,
      );
    } else {
      out.push(
        a.winner
          ? `- **${escapeMd(a.name)}**: @${escapeMd(a.winner.user)}, ${a.units} device-hour${a.units === 1 ? '' : 's'} on this build (${a.crashUnits} with a crash)`
          : `- **${escapeMd(a.name)}**: not awarded`,
      );
    }
  }
  if (thanks.length) out.push('', `Runners-up, thank you: ${thanks.join(', ')}.`);
  return out.join('\n') + '\n';
}
