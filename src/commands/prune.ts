/**
 * `friday prune --keep <n>` (docs/cli.md `prune`): remove the release folders no device can be
 * sent to or back to, beyond the newest n. Read (releases, every channel's manifests and
 * history) → decide (src/core/prune.ts) → write (each folder renamed to a hidden name, then
 * removed), under the releases lock that `cut` takes too.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Context, Outcome } from '../context.js';
import { planPrune, type ChannelHolding } from '../core/prune.js';
import { errnoCode, usageError } from '../errors.js';
import { readHistory, readLiveManifest, readStagedManifest } from '../io/channel.js';
import { loadProject } from '../io/project.js';
import { folderBytes, listReleases, releaseDir } from '../io/releases.js';
import { createStore, withLock } from '../io/store.js';

export async function run(ctx: Context, opts: { keep: string }): Promise<Outcome> {
  const keep = Number(opts.keep);
  if (!/^\d+$/.test(opts.keep) || keep < 1) throw usageError('E_USAGE', `--keep ${opts.keep}: must be a whole number of at least 1`);
  const project = await loadProject(ctx);
  const { publishDir, root } = project;
  const store = createStore(ctx);

  const prune = async () => {
    // Read.
    const releases = await listReleases(publishDir);
    const channels: ChannelHolding[] = [];
    for (const name of await channelNames(publishDir, Object.keys(project.channels))) {
      channels.push({
        name,
        live: (await readLiveManifest(publishDir, name, root))?.signed ?? null,
        staged: (await readStagedManifest(publishDir, name, root))?.signed ?? null,
        history: (await readHistory(publishDir, name, root)).map((m) => m.signed),
      });
    }
    // Decide.
    const plan = planPrune(releases, keep, channels, ctx.now);
    // Write: a hidden name first, so a run killed half-way never leaves half a release visible.
    const removed: { version: string; bytes: number }[] = [];
    for (const version of plan.remove) {
      const dir = releaseDir(publishDir, version);
      const bytes = await folderBytes(dir);
      const doomed = join(publishDir, 'releases', `.${version}.tmp-prune-${process.pid}`);
      await store.rename(dir, doomed);
      await store.remove(doomed);
      removed.push({ version, bytes });
    }
    return { plan, removed };
  };
  const { plan, removed } = ctx.dryRun ? await prune() : await withLock(join(publishDir, 'releases'), 'prune', prune);

  const freedBytes = removed.reduce((n, r) => n + r.bytes, 0);
  const result = { removed, kept: plan.keep, freedBytes, dryRun: ctx.dryRun };
  const verb = ctx.dryRun ? 'would remove' : 'removed';
  const text = [
    removed.length
      ? `${verb} ${removed.length} release${removed.length === 1 ? '' : 's'} (${mib(freedBytes)} freed): ${removed.map((r) => r.version).join(', ')}`
      : `nothing to prune: every release is one of the newest ${keep} or still needed`,
    ...plan.keep.map((k) => `  kept ${k.version}: ${k.why}`),
  ].join('\n');
  return { result, text };
}

/** The channels with a folder in the publish root, and those with a policy. */
async function channelNames(publishDir: string, policies: string[]): Promise<string[]> {
  const names = new Set(policies);
  try {
    for (const e of await fs.readdir(join(publishDir, 'channels'), { withFileTypes: true }))
      if (e.isDirectory() && !e.name.startsWith('.')) names.add(e.name);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
  return [...names].sort();
}

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;
