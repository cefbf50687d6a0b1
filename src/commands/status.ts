/**
 * `friday status`: the releases cut, then per channel the live release, serial, rollout, expiry
 * (warning under 3 days), staged manifest, blocked versions and the last watch verdict (cli.md).
 * It validates what it reads like every command (config and policies through the loader, trust.json
 * and the manifests through the client's parsers: a broken one is exit 2 naming file and field),
 * but it is on the start-up budget (quality.md: ≤ 1.5× `node -e 0`), so nothing heavier than those
 * parsers: no git, no signing, no locks. Signatures are counted by trusted keyid here, not
 * verified; `friday verify` verifies.
 */
import { closeSync, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { Context, Outcome } from '../context.js';
import { timeOf, type SignedManifest } from '../client/manifest.js';
import { compareVersions } from '../client/version.js';
import { isFridayError, usageError } from '../errors.js';
import { displayPath } from '../io/display.js';
import { readManagedManifest } from '../io/manifest-file.js';
import { loadProject } from '../io/project.js';
import { readBuildRecord } from '../io/releases.js';
import { readTrustIfAny } from '../io/trust-file.js';

/** What status needs of trust.json: which keyids count, and each channel's threshold. */
interface TrustInfo {
  keyids: ReadonlySet<string>;
  threshold(channel: string): number;
}

const WARN_HOURS = 72;

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The last `watch` line of events.ndjson, reading from the end: the log grows with every check. */
export function lastWatch(path: string): { at: string; version: string | null; verdict: unknown } | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    let end = fstatSync(fd).size;
    let carry = '';
    const chunk = 64 * 1024;
    while (end > 0) {
      const start = Math.max(0, end - chunk);
      const buf = Buffer.alloc(end - start);
      readSync(fd, buf, 0, buf.length, start);
      const lines = (buf.toString('utf8') + carry).split('\n');
      carry = start > 0 ? lines.shift()! : '';
      for (let i = lines.length - 1; i >= 0; i--) {
        if (!lines[i]!.includes('"watch"')) continue;
        try {
          const e = JSON.parse(lines[i]!) as { at: string; action: string; version: string | null; detail?: { verdict?: unknown } };
          if (e.action === 'watch') return { at: e.at, version: e.version ?? null, verdict: e.detail?.verdict ?? null };
        } catch {
          // a torn line: skip
        }
      }
      end = start;
    }
    if (carry.includes('"watch"')) {
      try {
        const e = JSON.parse(carry) as { at: string; action: string; version: string | null; detail?: { verdict?: unknown } };
        if (e.action === 'watch') return { at: e.at, version: e.version ?? null, verdict: e.detail?.verdict ?? null };
      } catch {
        // ignore
      }
    }
    return null;
  } finally {
    closeSync(fd);
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
      return channelStatus(ctx, project.root, publishDir, name, trust);
    } catch (err) {
      if (!isFridayError(err)) throw err;
      return { ...emptyChannel(name), error: { code: err.code, message: err.message, hint: err.hint ?? null } };
    }
  });
  for (const c of channels) for (const w of c.warnings) ctx.warn(`${c.name}: ${w}`);
  const result = { product: project.config.product, publishDir, releases, channels };
  const damaged = channels.find((c) => c.error !== null);
  return {
    result,
    text: render(result),
    ...(damaged?.error ? { exit: 1 as const, problem: { message: damaged.error.message, hint: damaged.error.hint ?? undefined } } : {}),
  };
}

function channelStatus(ctx: Context, root: string, publishDir: string, name: string, trust: TrustInfo | null) {
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
    else if (left < WARN_HOURS)
      warnings.push(`the live manifest expires in ${left.toFixed(1)} h (${s.expiresAt}); run friday renew --channel ${name}`);
    liveOut = {
      version: s.release.version,
      serial: s.serial,
      rollout: s.rollout.percent,
      issuedAt: s.issuedAt,
      expiresAt: s.expiresAt,
      expiresInHours: Math.round(left * 10) / 10,
      rollback: s.rollback,
      signatures: signers(live),
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
    lastWatch: lastWatch(join(dir, 'events.ndjson')),
    warnings,
    error: null as { code: string; message: string; hint: string | null } | null,
  };
}

function emptyChannel(name: string): Omit<ReturnType<typeof channelStatus>, 'error'> {
  return { name, live: null, staged: null, blocked: [], lastWatch: null, warnings: [] };
}

type StatusResult = {
  product: string | null;
  releases: { version: string; builtAt: string | null }[];
  channels: ReturnType<typeof channelStatus>[];
};

function render(r: StatusResult): string {
  const out: string[] = [];
  const latest = r.releases.slice(0, 5).map((x) => `${x.version}${x.builtAt ? ` (${x.builtAt})` : ''}`);
  out.push(
    `${r.product ?? 'product?'}: ${r.releases.length} release${r.releases.length === 1 ? '' : 's'} cut${latest.length ? `: ${latest.join(', ')}${r.releases.length > 5 ? ', …' : ''}` : ''}`,
  );
  for (const c of r.channels) {
    out.push('', `${c.name}`);
    if (c.error) {
      out.push(`  DAMAGED   ${c.error.message}`);
      continue;
    }
    if (c.live) {
      const l = c.live;
      out.push(
        `  live      ${l.version}  serial ${l.serial}  rollout ${l.rollout}%${l.rollback ? `  (rollback from ${l.rollback.from}: ${l.rollback.reason})` : ''}`,
      );
      const when =
        l.expiresInHours <= 0
          ? 'EXPIRED'
          : `in ${l.expiresInHours < 48 ? `${l.expiresInHours} h` : `${(l.expiresInHours / 24).toFixed(1)} days`}`;
      out.push(`  expires   ${l.expiresAt}  (${when})${l.expiresInHours < WARN_HOURS ? '  ⚠ renew now' : ''}`);
      if (l.signatures)
        out.push(
          `  signed    by ${l.signatures.signers} trusted key${l.signatures.signers === 1 ? '' : 's'}, threshold ${l.signatures.threshold}`,
        );
    } else out.push('  live      nothing published');
    if (c.staged)
      out.push(
        `  staged    ${c.staged.version}  serial ${c.staged.serial}  rollout ${c.staged.rollout}%${c.staged.signatures ? `  ${c.staged.signatures.signers} of ${c.staged.signatures.threshold} signatures` : ''}${c.staged.stale ? '  (stale: stage again)' : ''}`,
      );
    if (c.blocked.length) out.push(`  blocked   ${c.blocked.join(', ')}`);
    out.push(
      `  watch     ${c.lastWatch ? `${String(c.lastWatch.verdict)} (${c.lastWatch.at}${c.lastWatch.version ? `, ${c.lastWatch.version}` : ''})` : 'never checked'}`,
    );
  }
  return out.join('\n');
}
