/**
 * The crash-feed benchmarks' workload (docs/quality.md "crash feed"; feed.mjs, feed-parse.mjs): a
 * generated feed over 200,000 devices, the old build on every device, then the new one on half of
 * them for the last 24 hours. Seeded and cached in the temp folder, so every run reads the same file.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFeed } from '../fixtures/feeds/generate.mjs';
import { BIN } from './lib.mjs';

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

/** A ROM repository whose beta channel carried OLD for a week, then NEW since 24 h before NOW. */
export function project() {
  const dir = mkdtempSync(join(tmpdir(), 'friday-bench-watch-'));
  const env = { ...process.env, CI: 'true', FRIDAY_KEYS_DIR: join(dir, 'keys') };
  delete env.FRIDAY_SIGNING_KEY;
  const friday = (argv, now) => {
    const r = spawnSync(process.execPath, [BIN, '-C', dir, ...argv], { env: { ...env, FRIDAY_NOW: now }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`friday ${argv.join(' ')}: ${r.stderr}`);
  };
  friday(['init', '--product', 'aurora', '--devices', 'cepheus,umi'], NOW);
  friday(['keys', 'generate', 'bench', '--out', join(dir, 'keys')], NOW);
  friday(['keys', 'trust', join(dir, 'keys', 'bench.pub')], NOW);
  for (const v of [OLD, NEW]) {
    const rel = join(dir, 'ota', 'releases', v);
    mkdirSync(rel, { recursive: true });
    const artifacts = ['cepheus', 'umi'].map((device) => {
      const file = `aurora-${device}-${v}.zip`;
      const data = Buffer.from(`image ${v} ${device}\n`);
      writeFileSync(join(rel, file), data);
      return { device, file, size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
    });
    writeFileSync(
      join(rel, 'build.json'),
      JSON.stringify(
        {
          type: 'friday.build/v1',
          product: 'aurora',
          version: v,
          tag: `v${v}`,
          commit: 'a'.repeat(40),
          previousTag: null,
          builtAt: '2026-11-20T16:00:00Z',
          artifacts,
        },
        null,
        2,
      ),
    );
  }
  const key = join(dir, 'keys', 'bench.key');
  friday(['stage', '--channel', 'beta', '--version', OLD, '--key', key, '--publish'], '2026-11-20T17:00:00Z');
  friday(['stage', '--channel', 'beta', '--version', NEW, '--key', key, '--publish'], '2026-11-27T05:00:00Z');
  return { dir, env };
}
