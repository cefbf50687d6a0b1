/**
 * `friday fans [--explain <user>] [--feed <file>]`: every fan's points and grade as of now
 * (docs/fans.md), the table and the grades file; `--explain` shows one fan's page and writes nothing.
 */
import { explain, type Explanation } from '../core/fans/grades.js';
import type { Context, Outcome } from '../context.js';
import { displayPath } from '../io/display.js';
import { loadProject } from '../io/project.js';
import { gradeFans } from '../workflow/fans.js';
import { printable } from '../client/printable.js';

export interface FansOptions {
  explain?: string;
  feed?: string;
}

const NAMES = { report: 'reports', confirmed: 'confirmed', votingWeek: 'voting weeks', testedWeek: 'tested weeks' } as const;

export async function run(ctx: Context, opts: FansOptions): Promise<Outcome> {
  const project = await loadProject(ctx);
  const r = await gradeFans(ctx, project, { feed: opts.feed, write: opts.explain === undefined });
  if (opts.explain !== undefined) {
    const user = opts.explain;
    const e = explain(user, Object.hasOwn(r.doc.fans, user) ? r.doc.fans[user] : undefined, project.config.fans);
    return { result: e, text: explainText(e) };
  }
  const rows = Object.entries(r.doc.fans).map(([user, f]) => [
    printable(user),
    f.grade ?? '-',
    String(f.points),
    String(f.activity.report),
    String(f.activity.confirmed),
    String(f.activity.votingWeek),
    String(f.activity.testedWeek),
  ]);
  const head = ['user', 'grade', 'points', 'reports', 'confirmed', 'voting wk', 'tested wk'];
  const lines = table([head, ...rows]);
  const where = displayPath(ctx.cwd, r.path);
  lines.push(
    rows.length ? '' : '(no fans yet: nobody reported, voted or registered a device)',
    ctx.dryRun ? `would write ${where}` : `wrote ${where} (as of ${r.doc.asOf}, ${r.doc.windowDays} days)`,
  );
  return { result: r.doc, text: lines.filter((l, i) => l !== '' || i < lines.length - 1).join('\n') };
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (c >= 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd(),
  );
}

function explainText(e: Explanation): string {
  const lines = [`${printable(e.user)}: ${e.grade ?? 'no grade'}, ${e.points} points`];
  for (const a of e.activities) lines.push(`  ${NAMES[a.activity].padEnd(13)} ${String(a.count).padStart(4)} × ${a.each} = ${a.points}`);
  if (e.keptUntil !== null) lines.push(`  kept ${e.grade} while at ${e.keptUntil} points or more (90 % of its threshold)`);
  lines.push(e.next === null ? '  the highest grade' : `  next: ${e.next.grade} at ${e.next.points} points, ${e.next.missing} to go`);
  return lines.join('\n');
}
