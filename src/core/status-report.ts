/** `friday status`'s text view (docs/cli.md `status`), from what the command read. Pure. */
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
  } | null;
  staged: { version: string; serial: number; rollout: number; signatures: Signers | null; stale: boolean } | null;
  blocked: string[];
  lastWatch: { at: string; version: string | null; verdict: unknown } | null;
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
