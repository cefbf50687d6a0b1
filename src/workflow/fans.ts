/**
 * `friday fans` (docs/fans.md): read the participation data (issues, votes, releases cut, the
 * devices file, the feed's device-hours), grade every fan (src/core/fans/grades.ts) and write the
 * grades file atomically. Also the grades and devices as the closed beta and the ceremony read them.
 */
import { dirname, resolve } from 'node:path';
import { computeGrades, windowOf, weekIndex, type FansResult, type GradesDoc } from '../core/fans/grades.js';
import { HOUR, type DeviceHours } from '../core/feed/exposure.js';
import type { Context } from '../context.js';
import { displayPath } from '../io/display.js';
import { readCutReleases, readDevicesFile, readGradesFile, scanDeviceHours } from '../io/fans.js';
import type { Project } from '../io/project.js';
import { readEveryIssue } from './changelog.js';
import { createStore } from '../io/store.js';

export interface FansFiles {
  devices: Record<string, string[]>;
  devicesPath: string;
  gradesPath: string;
  grades: GradesDoc | null;
}

/** The devices file and the current grades file, as configured; a missing devices file registers nobody. */
export async function readFansFiles(project: Project): Promise<FansFiles> {
  const { fans } = project.config;
  const devicesPath = resolve(project.root, fans.devices);
  const gradesPath = resolve(project.root, fans.output);
  const [devices, grades] = await Promise.all([readDevicesFile(devicesPath, fans.devices), readGradesFile(gradesPath, fans.output)]);
  return { devices: devices ?? {}, devicesPath, gradesPath, grades };
}

/** Device-hours in [from, to] of every id asked for, by week (for the tested weeks). */
function hoursByWeek(hours: DeviceHours | null): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const [id, per] of hours ?? []) {
    const weeks = new Map<number, number>();
    for (const hour of per.keys()) {
      const w = weekIndex(hour * HOUR);
      weeks.set(w, (weeks.get(w) ?? 0) + 1);
    }
    out.set(id, weeks);
  }
  return out;
}

export interface FansRun extends FansResult {
  path: string;
  written: boolean;
}

export async function gradeFans(ctx: Context, project: Project, opts: { feed?: string | undefined; write: boolean }): Promise<FansRun> {
  const { fans } = project.config;
  const files = await readFansFiles(project);
  const feedPath = opts.feed !== undefined ? resolve(ctx.cwd, opts.feed) : resolve(project.root, project.config.feedback.path);
  const w = windowOf(ctx.now, fans.windowDays);
  const ids = Object.values(files.devices).flat();
  const warnings: string[] = [];
  const [issues, releases, hours] = await Promise.all([
    readEveryIssue(ctx, project, warnings),
    readCutReleases(project.publishDir),
    ids.length
      ? scanDeviceHours(feedPath, { nowMs: ctx.now.getTime(), fromMs: w.fromMs, toMs: w.toMs, devices: ids, version: null })
      : Promise.resolve({ hours: new Map() as DeviceHours }),
  ]);
  for (const w of warnings) ctx.warn(w);
  if (hours === null) ctx.warn(`crash feed ${displayPath(ctx.cwd, feedPath)}: no such file; no tested weeks are counted`);
  const r = computeGrades({
    now: ctx.now,
    config: fans,
    issues,
    releases,
    devices: files.devices,
    hours: hoursByWeek(hours?.hours ?? null),
    previous: files.grades,
  });
  for (const s of r.shared)
    ctx.warn(
      `${fans.devices}: device id ${s.id} is registered by ${s.users.join(' and ')}: counted for neither (each fan registers their own)`,
    );
  if (opts.write) {
    const store = createStore(ctx);
    await store.mkdir(dirname(files.gradesPath));
    await store.writeJson(files.gradesPath, r.doc);
  }
  return { ...r, path: files.gradesPath, written: opts.write && !ctx.dryRun };
}
