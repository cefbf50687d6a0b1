/**
 * `friday status`: the releases cut, then per channel the live release, serial, rollout, expiry
 * (warning when less than a third of its validity is left, as on the release page), staged manifest, blocked versions and the last watch verdict (docs/cli.md).
 * It validates what it reads like every command (config and policies through the loader, trust.json
 * and the manifests through the client's parsers: a broken one is exit 2 naming file and field),
 * but it is on the start-up budget (docs/quality.md: ≤ 1.5× `node -e 0`), so nothing heavier than those
 * parsers: no git, no signing, no locks. Signatures are counted by trusted keyid here, not
 * verified; `friday verify` verifies.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Context, Outcome } from '../context.js';
import { timeOf, type SignedManifest } from '../client/manifest.js';
import { compareVersions } from '../client/version.js';
import { isFridayError, usageError } from '../errors.js';
import { lastWatch, stageTail } from '../io/audit-tail.js';
import { displayPath } from '../io/display.js';
import { readManagedManifest } from '../io/manifest-file.js';
import { loadProject } from '../io/project.js';
import { readBuildRecord } from '../io/releases.js';
import { readTrustIfAny } from '../io/trust-file.js';
import { modelBlocks, renderStatus, type ChannelStatus } from '../core/status-report.js';
import { stageStatus } from '../core/advance.js';
import type { ChannelPolicy } from '../core/config.js';
import { thirdOfValidityLeft } from '../core/time.js';

/** What status needs of trust.json: which keyids count, and each channel's threshold. */
interface TrustInfo {
  keyids: ReadonlySet<string>;
  threshold(channel: string): number;
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export async function run(ctx: Context, opts: { channel?: string }): Promise<Outcome> {
  const project = await loadProject(ctx);
  const { publishDir } = project;
  const place = { publishDir, root: project.root, product: project.config.product };
  const found = await readTrustIfAny(place);
  const thresholdFor = found && (await import('../client/trust.js')).thresholdFor; // loaded with the file's parser
  const trust: TrustInfo | null = found && { keyids: new Set(found.keys.keys()), threshold: (channel) => thresholdFor!(found, channel) };

  const releases: { version: string; tag: string | null; builtAt: string | null }[] = [];
  for (const version of list(join(publishDir, 'releases'))) {
    try {
      const b = await readBuildRecord(place, version, { missingOk: true });
      // No build record: a cut in progress or a failed one, not a release.
      if (b) releases.push({ version, tag: b.tag, builtAt: b.builtAt });
    } catch (err) {
      if (!isFridayError(err)) throw err;
      ctx.warn(`${err.message}; release ${version} not listed`);
    }
  }
  releases.sort((a, b) => compareVersions(b.version, a.version));

  const names = new Set(Object.keys(project.channels));
  for (const n of list(join(publishDir, 'channels'))) if (!n.startsWith('.') && !n.endsWith('.lock')) names.add(n);
  let chosen = [...names].sort();
  if (opts.channel !== undefined) {
    if (!names.has(opts.channel))
      throw usageError(
        'E_USAGE',
        `--channel ${opts.channel}: unknown channel`,
        chosen.length ? `known channels: ${chosen.join(', ')}` : undefined,
      );
    chosen = [opts.channel];
  }
  // Every channel is shown, whatever state another is in; a damaged one is named, and the run
  // then fails (exit 1) after showing the rest.
  const channels = chosen.map((name) => {
    try {
      return channelStatus(ctx, project.root, publishDir, name, trust, project.channels[name]);
    } catch (err) {
      if (!isFridayError(err)) throw err;
      return { ...emptyChannel(name), error: { code: err.code, message: err.message, hint: err.hint ?? null } };
    }
  });
  for (const c of channels) for (const w of c.warnings) ctx.warn(`${c.name}: ${w}`);
  const trustStatus = found && {
    version: found.version,
    threshold: found.threshold,
    channels: found.channels,
    keys: [...found.keys.values()].map((k) => ({ keyid: k.keyid, name: k.name ?? null })),
  };
  const result = { product: project.config.product, publishDir, trust: trustStatus, releases, channels };
  const damaged = channels.find((c) => c.error !== null);
  return {
    result,
    text: renderStatus(result, ctx.now),
    ...(damaged?.error ? { exit: 1 as const, problem: { message: damaged.error.message, hint: damaged.error.hint ?? undefined } } : {}),
  };
}

function channelStatus(
  ctx: Context,
  root: string,
  publishDir: string,
  name: string,
  trust: TrustInfo | null,
  policy: ChannelPolicy | undefined,
): ChannelStatus {
  const dir = join(publishDir, 'channels', name);
  const warnings: string[] = [];
  const read = (file: string) => readManagedManifest(join(dir, file), displayPath(root, join(dir, file)));
  const signers = (m: SignedManifest) =>
    trust
      ? { signers: new Set(m.signatures.map((s) => s.keyid).filter((k) => trust.keyids.has(k))).size, threshold: trust.threshold(name) }
      : null;
  const live = read('manifest.json');
  const staged = read('staged.json');
  let liveOut = null;
  if (live) {
    const s = live.signed;
    const left = (timeOf(s.expiresAt) - ctx.now.getTime()) / 3_600_000;
    if (left <= 0) warnings.push(`the live manifest EXPIRED at ${s.expiresAt}: devices refuse it; run friday renew --channel ${name}`);
    else if (thirdOfValidityLeft(s.issuedAt, s.expiresAt, ctx.now.getTime()))
      warnings.push(
        `the live manifest expires in ${left.toFixed(1)} h (${s.expiresAt}), less than a third of its validity left; run friday renew --channel ${name}`,
      );
    liveOut = {
      version: s.release.version,
      serial: s.serial,
      rollout: s.rollout.percent,
      issuedAt: s.issuedAt,
      expiresAt: s.expiresAt,
      expiresInHours: Math.round(left * 10) / 10,
      rollback: s.rollback,
      signatures: signers(live),
      ...(s.audience ? { audience: { minGrade: s.audience.minGrade, devices: s.audience.devices.length } } : {}),
    };
  }
  const stagedOut = staged
    ? {
        version: staged.signed.release.version,
        serial: staged.signed.serial,
        rollout: staged.signed.rollout.percent,
        signatures: signers(staged),
        stale: staged.signed.serial !== (live?.signed.serial ?? 0) + 1,
      }
    : null;
  // A threshold raised after the manifest was signed leaves it short: devices now refuse it.
  const short = liveOut?.signatures && liveOut.signatures.signers < liveOut.signatures.threshold ? liveOut.signatures : null;
  if (short)
    warnings.push(
      `the live manifest has ${short.signers} of the ${short.threshold} trusted signatures the threshold now needs: devices refuse it; re-sign it with ${short.threshold} trusted keys: friday renew --channel ${name} --force${' --key <file>'.repeat(short.threshold)}`,
    );
  return {
    name,
    live: liveOut,
    staged: stagedOut,
    blocked: live?.signed.blocked ?? [],
    models: modelBlocks(live?.signed),
    lastWatch: lastWatch(join(dir, 'events.ndjson')),
    // The stage only matters when the policy widens it on its own.
    ...(live && policy?.advance
      ? stageStatus({ events: stageTail(join(dir, 'events.ndjson')), live: live.signed, policy, now: ctx.now })
      : { stage: null, lastAdvance: null }),
    warnings,
    error: null as { code: string; message: string; hint: string | null } | null,
  };
}

function emptyChannel(name: string): Omit<ChannelStatus, 'error'> {
  return { name, live: null, staged: null, blocked: [], models: {}, lastWatch: null, stage: null, lastAdvance: null, warnings: [] };
}
