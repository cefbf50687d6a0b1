/**
 * The fans' files (docs/fans.md): the devices file (`fans.devices`), the grades file
 * (`fans.output`), the issues as a whole, the releases cut, and the device-hours of registered
 * devices in the crash feed. Each user file validated: exit 2 naming the file and the field.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { DeviceHoursScanner, type DeviceHours, type DeviceHoursQuery } from '../core/feed/exposure.js';
import { MAX_LINE } from '../core/feed/parse.js';
import { hasBom } from '../core/feed/scan.js';
import { GRADES_TYPE, type CutRelease, type GradesDoc } from '../core/fans/grades.js';
import { errnoCode, usageError } from '../errors.js';
import { readJsonFile, readJsonOrNull } from './json.js';
import { listReleases, releaseDir } from './releases.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

async function readOptionalJson(path: string, label: string): Promise<unknown> {
  try {
    return await readJsonFile(path, label);
  } catch (err) {
    if ((err as Error).message === `${label}: no such file`) return undefined;
    throw Object.assign(err as Error, { code: 'E_FANS' });
  }
}

const fansError = (message: string) => usageError('E_FANS', message, 'fix the file and run again; nothing was written');

/** The devices file `{ "<user>": ["<device id>", …] }`; a missing file registers nobody (null). */
export async function readDevicesFile(path: string, label: string): Promise<Record<string, string[]> | null> {
  const raw = await readOptionalJson(path, label);
  if (raw === undefined) return null;
  if (!isObject(raw)) throw fansError(`${label}: must be an object { "<user>": ["<device id>", …] }`);
  const devices: Record<string, string[]> = {};
  for (const [user, ids] of Object.entries(raw)) {
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string' && id !== ''))
      throw fansError(`${label}: ${user}: must be a list of device ids (non-empty strings)`);
    devices[user] = [...new Set(ids as string[])];
  }
  return devices;
}

/** The grades file `friday fans` writes; null when there is none yet. */
export async function readGradesFile(path: string, label: string): Promise<GradesDoc | null> {
  const raw = await readOptionalJson(path, label);
  if (raw === undefined) return null;
  if (!isObject(raw) || raw.type !== GRADES_TYPE) throw fansError(`${label}: type: must be "${GRADES_TYPE}"`);
  if (!isObject(raw.fans)) throw fansError(`${label}: fans: must be an object`);
  for (const [user, fan] of Object.entries(raw.fans)) {
    if (!isObject(fan)) throw fansError(`${label}: fans.${user}: must be an object`);
    if (fan.grade !== null && (typeof fan.grade !== 'string' || fan.grade === ''))
      throw fansError(`${label}: fans.${user}.grade: must be a grade name or null`);
    if (fan.since !== undefined && fan.since !== null && typeof fan.since !== 'string')
      throw fansError(`${label}: fans.${user}.since: must be a time or null`);
  }
  return raw as unknown as GradesDoc;
}

/** Each release cut in the publish root: when (build.json `builtAt`) and the issues its changelog.json lists. */
export async function readCutReleases(publishDir: string): Promise<CutRelease[]> {
  const versions = await listReleases(publishDir);
  const out = await Promise.all(
    versions.map(async (version): Promise<CutRelease | null> => {
      const dir = releaseDir(publishDir, version);
      const [build, log] = await Promise.all([readJsonOrNull(join(dir, 'build.json')), readJsonOrNull(join(dir, 'changelog.json'))]);
      if (!isObject(build) || typeof build.builtAt !== 'string') return null;
      const entries = isObject(log) && Array.isArray(log.entries) ? log.entries : [];
      return {
        version,
        builtAt: build.builtAt,
        entries: entries
          .filter(isObject)
          .flatMap((e) =>
            Number.isSafeInteger(e.id) ? [{ id: e.id as number, author: typeof e.author === 'string' ? e.author : null }] : [],
          ),
      };
    }),
  );
  return out.filter((r): r is CutRelease => r !== null);
}

/** A file the tool wrote itself: unreadable or damaged reads as nothing (its release only loses its entries). */

/**
 * The device-hours of the devices asked for, streamed from the feed, and which of them had any
 * event at all; null when there is no feed.
 */
export async function scanDeviceHours(path: string, query: DeviceHoursQuery): Promise<{ hours: DeviceHours; seen: Set<string> } | null> {
  const scanner = new DeviceHoursScanner(query);
  let carry: Buffer = Buffer.alloc(0);
  let first = true;
  // A line longer than MAX_LINE is rejected (as the watch scan does), not held in memory: skip to its end.
  let skipping = false;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      let buf = carry.length ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
      if (first && hasBom(buf)) buf = buf.subarray(3);
      first = false;
      if (skipping) {
        const nl = buf.indexOf(0x0a);
        if (nl < 0) continue;
        buf = buf.subarray(nl + 1);
        skipping = false;
      }
      const rest = scanner.scanLines(buf, 0, buf.length);
      carry = Buffer.from(buf.subarray(rest));
      if (carry.length > MAX_LINE) {
        carry = Buffer.alloc(0);
        skipping = true;
      }
    }
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  }
  if (carry.length && !skipping) scanner.line(carry, 0, carry.length);
  return { hours: scanner.hours, seen: scanner.seen };
}
