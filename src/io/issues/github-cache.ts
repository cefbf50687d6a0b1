/**
 * The REST answers of the GitHub source, kept between runs so that the next run asks with
 * If-None-Match and an unchanged answer comes back 304 (docs/changelog.md "Issue sources"). One
 * JSON file per repository under the git directory (`<git-dir>/friday/github/`), outside the
 * working tree so it never makes it dirty, written atomically. A cache that cannot be read is
 * started afresh: it only ever saves requests.
 */
import { promises as fs } from 'node:fs';
import { writeFileAtomic } from '../store.js';

const TYPE = 'friday.github-cache/v1';
/** Answers unused for this long are dropped when the file is written. */
const KEEP_MS = 30 * 86_400_000;
const MAX_ENTRIES = 20_000;

export interface CachedAnswer {
  etag: string;
  body: unknown;
  link: string | null;
}

interface Stored extends CachedAnswer {
  usedAt: number;
}

export interface ResponseCache {
  get(url: string): CachedAnswer | undefined;
  /** The cached answer was used again (a 304). */
  touch(url: string): void;
  put(url: string, answer: CachedAnswer): void;
  /** Write the file if anything changed. */
  save(): Promise<void>;
}

export async function openCache(path: string, now: number): Promise<ResponseCache> {
  const entries = new Map<string, Stored>();
  try {
    const doc = JSON.parse(await fs.readFile(path, 'utf8')) as { type?: unknown; entries?: Record<string, Stored> };
    if (doc.type === TYPE && doc.entries && typeof doc.entries === 'object') {
      for (const [url, e] of Object.entries(doc.entries)) {
        if (e && typeof e.etag === 'string' && typeof e.usedAt === 'number' && now - e.usedAt < KEEP_MS) entries.set(url, e);
      }
    }
  } catch {
    // missing or damaged: start afresh
  }
  let changed = false;
  return {
    get: (url) => entries.get(url),
    touch(url) {
      const e = entries.get(url);
      if (e && e.usedAt !== now) {
        e.usedAt = now;
        changed = true;
      }
    },
    put(url, answer) {
      entries.set(url, { ...answer, usedAt: now });
      changed = true;
    },
    async save() {
      if (!changed) return;
      const kept = [...entries].sort((a, b) => b[1].usedAt - a[1].usedAt).slice(0, MAX_ENTRIES);
      await writeFileAtomic(path, JSON.stringify({ type: TYPE, entries: Object.fromEntries(kept) }) + '\n');
    },
  };
}
