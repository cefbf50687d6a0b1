/**
 * The release page (docs/site.md): gather what the publish root holds (trust.json, the build
 * records, changelogs, awards, `.minisig` files, each channel's live manifest and audit log),
 * render it with the pure src/core/site/, and write `<publish>/index.html` and
 * `<publish>/releases/<version>/index.html` atomically through the store.
 *
 * `regenerateSite` is what the commands that change a channel or a release call (src/cli/program.ts):
 * the page is a view, so failing to make it never fails the command: one warning line.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareVersions } from '../client/version.js';
import type { Context } from '../context.js';
import { errnoCode, isFridayError } from '../errors.js';
import { readLiveManifest } from '../io/channel.js';
import { readChannelLog, readPageMemo, siteCacheDir, writePageMemo, type PageMemo } from '../io/site-events.js';
import { loadProject, type Project } from '../io/project.js';
import { listReleases, readBuildRecord, releaseDir } from '../io/releases.js';
import { createStore } from '../io/store.js';
import { readTrustIfAny } from '../io/trust-file.js';
import { minisigKeyIdOf, minisignPublicKey } from '../core/minisign.js';
import { releaseInputs, renderIndex, renderRelease, type SiteChannel, type SiteData, type SiteRelease } from '../core/site/index.js';

export interface SiteResult {
  index: string;
  pages: string[];
  /** Pages whose content changed (only those are rewritten). */
  written: string[];
}

/** A folder name that may become a link: what relativeHref accepts (src/core/site/html.ts). */
const SAFE = /^[A-Za-z0-9_][A-Za-z0-9._+-]{0,254}$/;

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await fs.readFile(path, 'utf8')) as unknown;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw new Error(`${path}: ${err instanceof SyntaxError ? 'not valid JSON' : String(errnoCode(err) ?? err)}`);
  }
}

async function readText(path: string): Promise<string | null> {
  try {
    return await fs.readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  }
}

/** `cacheDir`: where what was read of the audit logs is kept between runs (src/io/site-events.ts), or null. */
export async function gatherSite(ctx: Context, project: Project, cacheDir: string | null): Promise<SiteData> {
  const { publishDir, root, config } = project;
  const place = { publishDir, root, product: config.product };
  const trust = await readTrustIfAny(place);
  const { thresholdFor } = await import('../client/trust.js');

  const names = new Set(Object.keys(project.channels));
  for (const n of await fs.readdir(join(publishDir, 'channels')).catch(() => [] as string[]))
    if (SAFE.test(n) && !n.endsWith('.lock')) names.add(n);
  // Nothing kept under --dry-run.
  const store = ctx.dryRun ? null : createStore(ctx);
  const channels: SiteChannel[] = [];
  for (const name of [...names].sort()) {
    const live = await readLiveManifest(publishDir, name, root);
    const signers = live && trust ? new Set(live.signatures.map((s) => s.keyid).filter((k) => trust.keys.has(k))).size : null;
    channels.push({
      name,
      live: live?.signed ?? null,
      signers,
      threshold: trust ? thresholdFor(trust, name) : null,
      log: (await readChannelLog(publishDir, name, { cacheDir, store })).log,
    });
  }

  const releases: SiteRelease[] = [];
  for (const version of await listReleases(publishDir)) {
    if (!SAFE.test(version)) continue;
    const build = await readBuildRecord(place, version, { missingOk: true });
    if (!build) continue;
    const dir = releaseDir(publishDir, version);
    const minisigs: Record<string, string | null> = {};
    for (const a of build.artifacts) {
      const text = await readText(join(dir, `${a.file}.minisig`));
      if (text !== null) minisigs[a.file] = minisigKeyIdOf(text);
    }
    releases.push({
      version,
      build,
      changelog: await readJson(join(dir, 'changelog.json')),
      awards: await readJson(join(dir, 'awards.json')),
      minisigs,
      changelogMd: (await readText(join(dir, 'CHANGELOG.md'))) !== null,
    });
  }
  releases.sort((a, b) => compareVersions(b.version, a.version));

  const repo = config.issues?.repo ?? null;
  return {
    product: config.product,
    now: ctx.now,
    repo,
    trust: trust && {
      threshold: trust.threshold,
      channels: trust.channels,
      keys: [...trust.keys.values()].map((k) => ({
        keyid: k.keyid,
        name: k.name ?? null,
        minisign: minisignPublicKey(k.keyid, k.publicRaw),
      })),
    },
    channels,
    releases,
  };
}

/**
 * Render and write every page; a release page is rewritten only when its content changed, and not
 * even rendered when what it is made of is what it was made of at the last run and the file is
 * still the one written then (docs/site.md "Cost").
 */
export async function writeSite(ctx: Context, project?: Project): Promise<SiteResult> {
  const p = project ?? (await loadProject(ctx));
  const cacheDir = await siteCacheDir(p.root);
  const data = await gatherSite(ctx, p, cacheDir);
  if (ctx.env.FRIDAY_TEST_SITE_BREAK) throw new Error('the page template failed (FRIDAY_TEST_SITE_BREAK)');
  const store = createStore(ctx);
  const index = join(p.publishDir, 'index.html');
  const pages: string[] = [];
  const written: string[] = [];
  const memo: PageMemo = cacheDir === null ? {} : await readPageMemo(cacheDir);
  const renderer = await rendererId();
  const next: PageMemo = {};
  let rendered = 0;
  const put = async (path: string, text: string) => {
    if ((await readText(path)) === text) return;
    await store.writeFile(path, text);
    written.push(path);
  };
  const jobs = data.releases.map((r) => {
    const path = join(releaseDir(p.publishDir, r.version), 'index.html');
    const name = relative(p.publishDir, path);
    pages.push(path);
    return async () => {
      const text = cacheDir === null ? null : releaseInputs(data, r);
      const inputs = text === null ? null : createHash('sha256').update(renderer).update(text).digest('hex');
      const was = memo[name];
      if (inputs !== null && was?.inputs === inputs) {
        const st = await fs.stat(path).catch(() => null);
        if (st && st.size === was.size && st.mtimeMs === was.mtimeMs) {
          next[name] = was;
          return;
        }
      }
      rendered++;
      await put(path, renderRelease(data, r));
      if (inputs !== null && !ctx.dryRun) {
        const st = await fs.stat(path);
        next[name] = { inputs, size: st.size, mtimeMs: st.mtimeMs };
      }
    };
  });
  jobs.push(() => put(index, renderIndex(data)));
  // A few writes at a time: each atomic write waits for its fsyncs, which a disk does better together.
  let n = 0;
  const worker = async () => {
    while (n < jobs.length) await jobs[n++]!();
  };
  await Promise.all(Array.from({ length: Math.min(8, jobs.length) }, worker));
  if (cacheDir !== null && !ctx.dryRun && (rendered > 0 || Object.keys(memo).length !== Object.keys(next).length))
    await writePageMemo(cacheDir, store, next);
  return { index, pages, written };
}

/** The build of friday rendering the pages: another version or build renders every page again. */
async function rendererId(): Promise<string> {
  const st = await fs.stat(fileURLToPath(import.meta.url)).catch(() => null);
  return `${st?.size ?? 0}:${st?.mtimeMs ?? 0}\n`;
}

/**
 * After a command that changed a channel or a release: the pages again, or one warning line saying
 * why not (docs/site.md). Nothing under --dry-run.
 */
export async function regenerateSite(ctx: Context): Promise<void> {
  if (ctx.dryRun) return;
  try {
    await writeSite(ctx);
  } catch (err) {
    const why = isFridayError(err) || err instanceof Error ? err.message : String(err);
    ctx.warn(`release page not updated: ${why.split('\n')[0]}; run friday site to try again`);
  }
}
