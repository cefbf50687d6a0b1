/**
 * What the release page is made from (docs/site.md): the facts src/workflow/site.ts gathers from
 * the publish root, handed to the pure renderers. Files written by other tools or other versions
 * (changelog.json, awards.json, audit lines) are read loosely: a field of the wrong type is shown
 * as missing, never trusted as markup.
 */
import type { ManifestBody } from '../../client/manifest.js';
import type { BuildRecord } from '../build-record.js';
import type { ChannelLog } from './log.js';

export interface SiteEvent {
  at: string;
  action: string;
  serial: number | null;
  version: string | null;
  actor?: string;
  detail: unknown;
}

export interface SiteKey {
  keyid: string;
  name: string | null;
  /** The `RW…` public key minisign's `-P` takes. */
  minisign: string;
}

export interface SiteChannel {
  name: string;
  live: ManifestBody | null;
  /** Distinct trusted keys that signed the live manifest, and the channel's threshold. */
  signers: number | null;
  threshold: number | null;
  /** Its audit log, as the page needs it (src/core/site/log.ts). */
  log: ChannelLog;
}

export interface SiteRelease {
  version: string;
  build: BuildRecord;
  /** changelog.json as parsed JSON, or null. */
  changelog: unknown;
  /** awards.json as parsed JSON, or null before the ceremony. */
  awards: unknown;
  /** Artifact file name → the key id (16 hex) its `.minisig` names, for the files that have one. */
  minisigs: Record<string, string | null>;
  /** Whether CHANGELOG.md is there to link to. */
  changelogMd: boolean;
}

export interface SiteData {
  product: string;
  now: Date;
  /** `issues.repo` ("owner/name"): issue links go to its https issue URLs; none without it. */
  repo: string | null;
  trust: { threshold: number; channels: Record<string, { threshold: number }>; keys: SiteKey[] } | null;
  channels: SiteChannel[];
  /** Newest first. */
  releases: SiteRelease[];
}

/** Loose readers for JSON that came from a file. */
export const obj = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
export const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
