/**
 * `friday status`: the releases cut, then per channel the live release, serial, rollout, expiry
 * (warning under 3 days), staged manifest, blocked versions and the last watch verdict (cli.md).
 * It is on the start-up budget (quality.md: ≤ 1.5× `node -e 0`), so it reads the files itself
 * with nothing heavier than node:fs: no zod, no git, no crypto. Signatures are counted by keyid
 * here, not verified; `friday verify` verifies.
 */
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Context, Outcome } from '../cli/context.js';
import { parseManifest, timeOf, type SignedManifest } from '../client/manifest.js';
import { compareVersions } from '../client/version.js';
import { usageError } from '../errors.js';

const WARN_HOURS = 72;

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

interface TrustInfo {
  keyids: Set<string>;
  threshold(channel: string): number;
}

function trustInfo(publishDir: string): TrustInfo | null {
  const t = readJson(join(publishDir, 'trust.json')) as { keys?: Record<string, unknown>; threshold?: number; channels?: Record<string, { threshold?: number }> } | undefined;
  if (!t || typeof t !== 'object' || !t.keys) return null;
  return { keyids: new Set(Object.keys(t.keys)), threshold: (c) => t.channels?.[c]?.threshold ?? t.threshold ?? 1 };
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
  const config = readJson(ctx.configPath) as { product?: string; publish?: { dir?: string } } | undefined;
  if (!config || typeof config !== 'object') {
    const label = relative(ctx.cwd, ctx.configPath) || ctx.configPath;
    throw usageError('E_CONFIG', `${label}: missing or not valid JSON`, 'run `friday init` in the repository, or pass -C <repo>');
  }
  const publishDir = resolve(ctx.cwd, config.publish?.dir ?? 'ota');
  const trust = trustInfo(publishDir);

  const releases = list(join(publishDir, 'releases'))
    .map((v) => ({ v, b: readJson(join(publishDir, 'releases', v, 'build.json')) as { tag?: string; builtAt?: string } | undefined }))
    .filter((r) => r.b !== undefined)
    .map(({ v, b }) => ({ version: v, tag: b?.tag ?? null, builtAt: b?.builtAt ?? null }))
    .sort((a, b) => compareVersions(b.version, a.version));

  const names = new Set<string>();
  for (const n of list(join(ctx.cwd, 'channels'))) if (n.endsWith('.json')) names.add(n.slice(0, -5));
  for (const n of list(join(publishDir, 'channels'))) if (!n.startsWith('.') && !n.endsWith('.lock')) names.add(n);
  let chosen = [...names].sort();
  if (opts.channel !== undefined) {
    if (!names.has(opts.channel)) throw usageError('E_USAGE', `--channel ${opts.channel}: unknown channel`, chosen.length ? `known channels: ${chosen.join(', ')}` : undefined);
    chosen = [opts.channel];
  }
  const channels = chosen.map((name) => channelStatus(ctx, publishDir, name, trust));
  for (const c of channels) for (const w of c.warnings) ctx.warn(`${c.name}: ${w}`);
  const result = { product: config.product ?? null, publishDir, releases, channels };
  return { result, text: render(result) };
}

function channelStatus(ctx: Context, publishDir: string, name: string, trust: TrustInfo | null) {
  const dir = join(publishDir, 'channels', name);
  const warnings: string[] = [];
  const read = (file: string): SignedManifest | null => {
    let text: string;
    try {
      text = readFileSync(join(dir, file), 'utf8');
    } catch {
      return null;
    }
    try {
      return parseManifest(JSON.parse(text), `channels/${name}/${file}`);
    } catch (err) {
      warnings.push(`channels/${name}/${file}: ${(err as Error).message}`);
      return null;
    }
  };
  const signers = (m: SignedManifest) => (trust ? { signers: new Set(m.signatures.map((s) => s.keyid).filter((k) => trust.keyids.has(k))).size, threshold: trust.threshold(name) } : null);
  const live = read('manifest.json');
  const staged = read('staged.json');
  let liveOut = null;
  if (live) {
    const s = live.signed;
    const left = (timeOf(s.expiresAt) - ctx.now.getTime()) / 3_600_000;
    if (left <= 0) warnings.push(`the live manifest EXPIRED at ${s.expiresAt}: devices refuse it; run friday renew --channel ${name}`);
    else if (left < WARN_HOURS) warnings.push(`the live manifest expires in ${left.toFixed(1)} h (${s.expiresAt}); run friday renew --channel ${name}`);
    liveOut = { version: s.release.version, serial: s.serial, rollout: s.rollout.percent, issuedAt: s.issuedAt, expiresAt: s.expiresAt, expiresInHours: Math.round(left * 10) / 10, rollback: s.rollback, signatures: signers(live) };
  }
  const stagedOut = staged
    ? { version: staged.signed.release.version, serial: staged.signed.serial, rollout: staged.signed.rollout.percent, signatures: signers(staged), stale: staged.signed.serial !== (live?.signed.serial ?? 0) + 1 }
    : null;
  return { name, live: liveOut, staged: stagedOut, blocked: live?.signed.blocked ?? [], lastWatch: lastWatch(join(dir, 'events.ndjson')), warnings };
}

type StatusResult = { product: string | null; releases: { version: string; builtAt: string | null }[]; channels: ReturnType<typeof channelStatus>[] };

function render(r: StatusResult): string {
  const out: string[] = [];
  const latest = r.releases.slice(0, 5).map((x) => `${x.version}${x.builtAt ? ` (${x.builtAt})` : ''}`);
  out.push(`${r.product ?? 'product?'}: ${r.releases.length} release${r.releases.length === 1 ? '' : 's'} cut${latest.length ? `: ${latest.join(', ')}${r.releases.length > 5 ? ', …' : ''}` : ''}`);
  for (const c of r.channels) {
    out.push('', `${c.name}`);
    if (c.live) {
      const l = c.live;
      out.push(`  live      ${l.version}  serial ${l.serial}  rollout ${l.rollout}%${l.rollback ? `  (rollback from ${l.rollback.from}: ${l.rollback.reason})` : ''}`);
      const when = l.expiresInHours <= 0 ? 'EXPIRED' : `in ${l.expiresInHours < 48 ? `${l.expiresInHours} h` : `${(l.expiresInHours / 24).toFixed(1)} days`}`;
      out.push(`  expires   ${l.expiresAt}  (${when})${l.expiresInHours < WARN_HOURS ? '  ⚠ renew now' : ''}`);
      if (l.signatures) out.push(`  signed    by ${l.signatures.signers} trusted key${l.signatures.signers === 1 ? '' : 's'}, threshold ${l.signatures.threshold}`);
    } else out.push('  live      nothing published');
    if (c.staged) out.push(`  staged    ${c.staged.version}  serial ${c.staged.serial}  rollout ${c.staged.rollout}%${c.staged.signatures ? `  ${c.staged.signatures.signers} of ${c.staged.signatures.threshold} signatures` : ''}${c.staged.stale ? '  (stale: stage again)' : ''}`);
    if (c.blocked.length) out.push(`  blocked   ${c.blocked.join(', ')}`);
    out.push(`  watch     ${c.lastWatch ? `${String(c.lastWatch.verdict)} (${c.lastWatch.at}${c.lastWatch.version ? `, ${c.lastWatch.version}` : ''})` : 'never checked'}`);
  }
  return out.join('\n');
}
