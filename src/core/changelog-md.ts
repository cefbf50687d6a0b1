/**
 * CHANGELOG.md from changelog.json (docs/formats.md "changelog.json"; docs/changelog.md "Output"):
 * short lines that read well on a phone and paste into a GitHub release. Pure.
 */
import type { ChangelogJson, Entry } from './changelog.js';
import type { BetweenRelease } from './earlier.js';

/** Sections in reading order; every type that is not one of the first three is "other". */
export const SECTIONS = [
  { type: 'feature', heading: '✨ Features' },
  { type: 'improvement', heading: '🛠️ Improvements' },
  { type: 'bug', heading: '🐛 Fixes' },
  { type: null, heading: '📦 Other' },
] as const;

export const KNOWN_TYPES: ReadonlySet<string> = new Set(['feature', 'improvement', 'bug']);

/** The entries of one section, in rank order (entries are already ranked). */
export function sectionEntries(entries: readonly Entry[], type: string | null): Entry[] {
  return entries.filter((e) => (type === null ? !KNOWN_TYPES.has(e.type) : e.type === type));
}

/**
 * Text from fans goes into Markdown: escape what would start a link, HTML, code or emphasis, so
 * a title renders as written. An underscore inside a word (`mifan_42`) is left alone, as GitHub
 * never reads it as emphasis.
 */
export function escapeMd(s: string): string {
  return s
    .replace(/[\r\n]+/g, ' ')
    .replace(/[\\`*[\]<>|~]/g, '\\$&')
    .replace(/(^|[^\p{L}\p{N}])_|_(?=$|[^\p{L}\p{N}])/gu, (m) => m.replace('_', '\\_'))
    .replace(/^([#+-]|\d+\.)(?=\s)/, '\\$1');
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
const issueRef = (id: number) => `#${id}`;

/** `#12`, or `#12 via #87` when the commits credit it through pull requests. */
const refsOfEntry = (e: Entry) => (e.pulls ? `${issueRef(e.id)} via ${e.pulls.map(issueRef).join(', ')}` : issueRef(e.id));

function entryLine(e: Entry): string {
  const by = e.author === null ? '' : `, reported by ${escapeMd(e.author)}`;
  const won = e.popcornIn === undefined ? '' : `, 🍿 Popcorn Award in ${e.popcornIn}`;
  return `- **${escapeMd(e.title)}** (${refsOfEntry(e)}) — score ${e.score}, ${plural(e.voters, 'voter', 'voters')}${by}${won}`;
}

/** One release a tester may have skipped: why, its first entries, and where its changelog is. */
function betweenLine(r: BetweenRelease): string {
  const why = r.channels.map((c) => `${c.status} on ${escapeMd(c.channel)}`).join('; ');
  const shown = r.entries.slice(0, 3).map((e) => `${escapeMd(e.title)} (${issueRef(e.id)})`);
  if (r.entries.length > 3) shown.push(`${r.entries.length - 3} more`);
  const what = shown.length === 0 ? 'no fan-reported issues' : joinNames(shown);
  // Release folders are siblings: the link works wherever the publish root is served.
  const link = r.changelog === null ? '' : ` — [its changelog](../${r.version}/CHANGELOG.md)`;
  return `- **${r.version}** (${why}): ${what}${link}`;
}

/**
 * CHANGELOG.md: short lines that read well on a phone and as a GitHub release. Title with the
 * version and date, the Popcorn Award nominees, the sections by rank, then thanks to every
 * contributor, with their grade (`grades`: the fans' grades file). `date` is the cut day (YYYY-MM-DD).
 */
export function renderMarkdown(cl: ChangelogJson, date: string, grades: ReadonlyMap<string, string> = new Map()): string {
  const out: string[] = [];
  out.push(cl.version === null ? `# ${cl.product} — unreleased changes (${date})` : `# ${cl.product} ${cl.version} — ${date}`);
  out.push('');
  const commits = plural(cl.commits, 'commit', 'commits');
  const folded = cl.prereleases?.length
    ? `, including the prerelease${cl.prereleases.length === 1 ? '' : 's'} ${joinNames(cl.prereleases)}`
    : '';
  out.push(cl.range.from === null ? `${commits} up to ${cl.range.to}${folded}.` : `${commits} since ${cl.range.from}${folded}.`);
  // On Friday nothing has been used yet: the headline names the nominees, ranked by the votes
  // that asked for them; the fans' experience picks the winner on Tuesday (docs/fans.md).
  const nominees = cl.entries.filter((e) => e.type === 'feature' && e.score > 0 && e.popcornIn === undefined);
  if (nominees.length) {
    out.push('', '## 🍿 Popcorn Award nominees', '');
    out.push(
      "The features of this build, ranked by the votes that asked for them. The fans who use it pick the winner at Tuesday's ceremony.",
      '',
    );
    nominees.forEach((e, k) => {
      const by = e.author === null ? '' : `, reported by ${escapeMd(e.author)}`;
      out.push(
        `${k + 1}. **${escapeMd(e.title)}** (${refsOfEntry(e)}) — score ${e.score} from ${plural(e.voters, 'voter', 'voters')}${by}`,
      );
    });
  }
  if (cl.entries.length === 0) {
    out.push('', cl.commits === 0 ? 'Nothing changed this week.' : 'No fan-reported issues this week: maintenance and groundwork only.');
  }
  for (const s of SECTIONS) {
    const list = sectionEntries(cl.entries, s.type);
    if (list.length === 0) continue;
    out.push('', `## ${s.heading}`, '');
    for (const e of list) out.push(entryLine(e));
  }
  if (cl.reverts?.length) {
    out.push('', '## ↩️ Reverted', '');
    for (const r of cl.reverts)
      out.push(`- ${escapeMd(r.subject)} (${r.sha.slice(0, 7)} reverts ${r.reverts.map((s) => s.slice(0, 7)).join(', ')})`);
  }
  if (cl.between?.length) {
    out.push('', '## ⏭️ Releases in between', '');
    out.push('Testers whose channel never carried these releases get their changes with this one too.', '');
    for (const r of cl.between) out.push(betweenLine(r));
  }
  if (cl.contributors.length > 0) {
    out.push('', '## 🙏 Thank you', '');
    const named = cl.contributors.map((c) => (grades.has(c) ? `${escapeMd(c)} (${escapeMd(grades.get(c)!)})` : escapeMd(c)));
    out.push(`Reported by ${joinNames(named)}. Thank you for every report and every vote.`);
  }
  return out.join('\n') + '\n';
}

function joinNames(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
