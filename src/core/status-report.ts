/** `friday status`'s text view (docs/cli.md `status`), from what the command read. Pure. */
import type { ManifestBody } from '../client/index.js';
import type { StageStatus } from './advance.js';
import { thirdOfValidityLeft } from './time.js';

interface Signers {
  signers: number;
  threshold: number;
}

export interface ChannelStatus {
  name: string;
  live: {
    version: string;
    serial: number;
    rollout: number;
    issuedAt: string;
    expiresAt: string;
    expiresInHours: number;
    rollback: { from: string; reason: string } | null;
    signatures: Signers | null;
    /** A closed beta's grade and the number of devices its manifest offers the release to (docs/fans.md). */
    audience?: { minGrade: string; devices: number };
  } | null;
  staged: { version: string; serial: number; rollout: number; signatures: Signers | null; stale: boolean } | null;
  blocked: string[];
  /** Versions blocked for one model only, and what that model gets instead (manifest v2, a partial rollback). */
  models: Record<string, { blocked: string[]; version: string | null }>;
  lastWatch: { at: string; version: string | null; verdict: unknown } | null;
  /** The stage of a rollout that advances on its own, and its last widening by `watch` (src/core/advance.ts). */
  stage: StageStatus['stage'];
  lastAdvance: StageStatus['lastAdvance'];
  warnings: string[];
  error: { code: string; message: string; hint: string | null } | null;
}

export interface TrustStatus {
  version: number;
  threshold: number;
  channels: Record<string, { threshold: number }>;
  keys: { keyid: string; name: string | null }[];
}

export interface StatusResult {
  product: string | null;
  /** The newest trust version and its keys; null before any key is trusted. */
  trust: TrustStatus | null;
  releases: { version: string; builtAt: string | null }[];
  channels: ChannelStatus[];
}

export function renderStatus(r: StatusResult, now: Date): string {
  const out: string[] = [];
  const latest = r.releases.slice(0, 5).map((x) => `${x.version}${x.builtAt ? ` (${x.builtAt})` : ''}`);
  out.push(
    `${r.product ?? 'product?'}: ${r.releases.length} release${r.releases.length === 1 ? '' : 's'} cut${latest.length ? `: ${latest.join(', ')}${r.releases.length > 5 ? ', …' : ''}` : ''}`,
  );
  if (r.trust) {
    const t = r.trust;
    const names = t.keys.map((k) => `${k.name ?? '?'} ${k.keyid.slice(0, 12)}…`);
    const per = Object.entries(t.channels).map(([c, v]) => `, ${c} ${v.threshold}`);
    out.push(`trust version ${t.version}: ${names.join(', ')}; threshold ${t.threshold}${per.join('')}`);
  } else out.push('trust: none yet (friday keys trust <pubfile>...)');
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
      out.push(
        `  expires   ${l.expiresAt}  (${when})${thirdOfValidityLeft(l.issuedAt, l.expiresAt, now.getTime()) ? '  ⚠ less than a third of its validity left: renew now' : ''}`,
      );
      if (l.audience)
        out.push(
          `  audience  ${l.audience.devices} device${l.audience.devices === 1 ? '' : 's'} of fans graded ${l.audience.minGrade} and up`,
        );
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
    for (const [model, m] of Object.entries(c.models))
      out.push(`  blocked   ${m.blocked.join(', ')} for ${model} only${m.version ? ` (${model} gets ${m.version})` : ''}`);
    if (c.stage) {
      const s = c.stage;
      out.push(`  stage     ${s.percent}% since ${s.since} (${s.hours} h), next ${s.next}%${s.stuck ? `  STUCK: ${s.why}` : ''}`);
    }
    if (c.lastAdvance) {
      const a = c.lastAdvance;
      out.push(`  advanced  ${String(a.from)}% → ${String(a.to)}% by watch at ${a.at}: ${String(a.reason)}`);
    }
    out.push(
      `  watch     ${c.lastWatch ? `${String(c.lastWatch.verdict)} (${c.lastWatch.at}${c.lastWatch.version ? `, ${c.lastWatch.version}` : ''})` : 'never checked'}`,
    );
  }
  return out.join('\n');
}

/** The per-model blocks of a live manifest (v2 `deviceBlocked`), with what each of those models gets. */
export function modelBlocks(m: Pick<ManifestBody, 'deviceBlocked' | 'deviceReleases'> | undefined): ChannelStatus['models'] {
  const out: ChannelStatus['models'] = {};
  for (const [model, blocked] of Object.entries(m?.deviceBlocked ?? {}))
    if (blocked.length) out[model] = { blocked, version: m!.deviceReleases?.[model]?.release.version ?? null };
  return out;
}
