/**
 * The crash-feed benchmarks' workload (docs/quality.md "crash feed"; feed.mjs, feed-parse.mjs): a
 * generated feed over 200,000 devices, the old build on every device, then the new one on half of
 * them for the last 24 hours. Seeded and cached in the temp folder, so every run reads the same file.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFeed } from '../fixtures/feeds/generate.mjs';

export const NOW = '2026-11-28T05:00:00Z';
export const OLD = '2026.47.0';
export const NEW = '2026.48.0';
const DEVICES = 200_000;

/** The feed of `events` events over `hours` hours up to NOW (each device active with probability `active` an hour). */
export function feed(events, hours, active) {
  const path = join(tmpdir(), `friday-bench-feed-${events}.ndjson`);
  if (existsSync(path)) return path;
  const t = Date.now();
  const start = new Date(Date.parse(NOW) - hours * 3_600_000).toISOString().replace('.000', '');
  const n = writeFeed(path + '.part', {
    start,
    hours,
    devices: DEVICES,
    active,
    seed: 42,
    maxEvents: events,
    versions: [
      { version: NEW, fromHour: hours - 24, lastDevice: DEVICES / 2, crashRate: 0.01 },
      { version: OLD, crashRate: 0.01 },
    ],
  });
  if (n !== events) throw new Error(`feed generator wrote ${n} events, not ${events}: raise active`);
  execFileSync('mv', [path + '.part', path]);
  console.log(
    `(generated ${path}: ${n} events, ${(statSync(path).size / 1048576).toFixed(0)} MiB, ${((Date.now() - t) / 1000).toFixed(0)} s)`,
  );
  return path;
}
