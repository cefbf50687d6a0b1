/**
 * `friday awards` (docs/fans.md): the Tuesday ceremony of a release on a channel. Read (audit log,
 * changelog, the nominees' votes, grades, devices, the feed) → decide (src/core/fans/awards.ts) →
 * write awards.json and AWARDS.md atomically in the release folder, and an `awards` audit line.
 */
import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { timeOf } from '../client/time.js';
import { compareVersions } from '../client/version.js';
import { ballotOf, holdCeremony, renderAwards, type AwardsDoc, type Nominee } from '../core/fans/awards.js';
import { ownedDevices } from '../core/fans/grades.js';
import { releaseHistory } from '../core/manifest.js';
import { failure } from '../errors.js';
import { appendEvent } from '../io/channel.js';
import { readJsonOrNull } from '../io/json.js';
import { readAwardsFacts } from '../io/earlier.js';
import { displayPath } from '../io/display.js';
import { scanDeviceHours } from '../io/fans.js';
import { listReleases, releaseDir } from '../io/releases.js';
import type { Channel } from './channel.js';
import { readIssuesById } from './changelog.js';
import { readFansFiles } from './fans.js';

export interface AwardsRequest {
  release?: string | undefined;
  force: boolean;
}

export interface AwardsRun {
  doc: AwardsDoc;
  markdown: string;
  files: string[];
}

/** The Popcorn Award winners of the releases before this one, from their awards.json (docs/fans.md). */
async function earlierWinners(publishDir: string, version: string): Promise<Set<number>> {
  const earlier = (await listReleases(publishDir)).filter((v) => compareVersions(v, version) < 0);
  const facts = await Promise.all(earlier.map((v) => readAwardsFacts(publishDir, v)));
  return new Set(facts.flatMap((f) => (f?.popcornId != null ? [f.popcornId] : [])));
}

export async function holdAwards(ch: Channel, req: AwardsRequest): Promise<AwardsRun> {
  const { ctx, project, name } = ch;
  const { fans } = project.config;
  const events = await ch.events();
  const periods = releaseHistory(events);
  const version = req.release ?? periods[periods.length - 1]?.version;
  if (version === undefined)
    throw failure(
      'E_AWARDS',
      `awards ${name}: nothing has been live on ${name} yet`,
      `publish a release first, or name one: --release <version>`,
    );
  const as = `awards ${version} on ${name}`;
  const b = ballotOf(events, version, ctx.now, fans.ceremony.afterHours);
  if (b === null)
    throw failure('E_AWARDS', `${as}: ${version} never went live on ${name}`, 'the ceremony judges a release its fans have used');
  if (b.open)
    throw failure(
      'E_AWARDS',
      `${as}: the ballot is open until ${b.opensAt} (${fans.ceremony.afterHours} hours after it went live at ${b.ballot.from})`,
      `hold the ceremony at or after ${b.opensAt}`,
    );
  const dir = releaseDir(project.publishDir, version);
  const jsonPath = join(dir, 'awards.json');
  const mdPath = join(dir, 'AWARDS.md');
  const log = (await readJsonOrNull(join(dir, 'changelog.json'))) as { entries?: unknown } | null;
  if (log === null || !Array.isArray(log.entries))
    throw failure(
      'E_RELEASE',
      `${as}: ${displayPath(ctx.cwd, join(dir, 'changelog.json'))}: missing or not a changelog`,
      'the nominees are its entries',
    );
  const nominees: Nominee[] = (log.entries as Record<string, unknown>[]).flatMap((e) =>
    e && Number.isSafeInteger(e.id) && typeof e.title === 'string'
      ? [
          {
            id: e.id as number,
            title: e.title,
            type: typeof e.type === 'string' ? e.type : 'other',
            author: typeof e.author === 'string' ? e.author : null,
          },
        ]
      : [],
  );

  const titles = new Map(nominees.map((n) => [n.id, n.title]));
  const finishHeld = async (): Promise<void> => {
    const held = (await readJsonOrNull(jsonPath)) as AwardsDoc | null;
    if (held === null || req.force) return;
    await finishCeremony(ch, held, { mdPath, markdown: () => renderAwards(held, (id) => titles.get(id) ?? '') });
    throw failure(
      'E_AWARDS',
      `${as}: already held${typeof held.heldAt === 'string' ? ` at ${held.heldAt}` : ''}`,
      'hold it again with --force',
    );
  };
  // Said before the feed is read; under the lock, since finishing a killed ceremony writes (ch.locked only runs it under --dry-run).
  if (!req.force && (await readJsonOrNull(jsonPath)) !== null) await ch.locked(finishHeld);

  const warnings: string[] = [];
  const files = await readFansFiles(project);
  if (files.grades === null) ctx.warn(`${fans.output}: no such file; every vote weighs "default" (run friday fans first)`);
  const feedPath = resolve(project.root, project.config.feedback.path);
  const ids = Object.values(files.devices).flat();
  const [issues, earlier, scan] = await Promise.all([
    readIssuesById(
      ctx,
      project,
      nominees.map((n) => n.id),
      warnings,
    ),
    earlierWinners(project.publishDir, version),
    scanDeviceHours(feedPath, {
      nowMs: ctx.now.getTime(),
      fromMs: timeOf(b.ballot.from),
      toMs: timeOf(b.ballot.to),
      devices: ids,
      version,
    }),
  ]);
  for (const w of warnings) ctx.warn(w);
  if (scan === null && ids.length) ctx.warn(`crash feed ${displayPath(ctx.cwd, feedPath)}: no such file; no tester has units`);
  let testers: Set<string> | null = null;
  if (fans.ceremony.testersOnly) {
    testers = new Set();
    // An id two fans registered is neither's (docs/fans.md), here as in the grades.
    for (const [user, devs] of ownedDevices(files.devices).owned) if (devs.some((d) => scan?.seen.has(d))) testers.add(user);
  }
  const doc = holdCeremony({
    product: project.config.product,
    version,
    channel: name,
    now: ctx.now,
    ballot: b.ballot,
    awards: fans.awards,
    weights: project.config.votes.weights,
    grades: fans.grades,
    nominees,
    votesOf: (id) => issues?.issues.get(id)?.votes ?? [],
    gradesDoc: files.grades,
    devices: files.devices,
    hours: scan?.hours ?? new Map(),
    testers,
    earlierWinners: earlier,
  });
  const markdown = renderAwards(doc, (id) => titles.get(id) ?? '');
  await ch.locked(async () => {
    await finishHeld(); // a ceremony held meanwhile by another run
    await ch.store.writeJson(jsonPath, doc);
    ch.store.checkpoint('awards-json');
    await finishCeremony(ch, doc, { mdPath, markdown: () => markdown, rewrite: true });
  });
  return { doc, markdown, files: [jsonPath, mdPath] };
}

/**
 * What follows awards.json, the ceremony's record: AWARDS.md and the `awards` audit line. A run
 * killed after awards.json leaves them to the next run, which finishes them (with the same
 * markdown and line) before it says the ceremony was already held (docs/quality.md "Crash safety").
 */
async function finishCeremony(
  ch: Channel,
  doc: AwardsDoc,
  o: { mdPath: string; markdown: () => string; rewrite?: boolean },
): Promise<void> {
  if (
    o.rewrite ||
    !(await fs.stat(o.mdPath).then(
      () => true,
      () => false,
    ))
  )
    await ch.store.writeFile(o.mdPath, o.markdown());
  ch.store.checkpoint('awards-md');
  const logged = (await ch.events()).some((e) => e.action === 'awards' && e.version === doc.version && e.at === doc.heldAt);
  if (logged) return;
  const winners = Object.fromEntries(
    doc.awards.map((a) => [a.kind, a.winner === null ? null : 'user' in a.winner ? a.winner.user : a.winner.id]),
  );
  await appendEvent(ch.store, ch.project.publishDir, ch.name, {
    at: doc.heldAt,
    action: 'awards',
    serial: null,
    version: doc.version,
    actor: await ch.actor(),
    detail: { ballot: doc.ballot, winners },
  });
}
