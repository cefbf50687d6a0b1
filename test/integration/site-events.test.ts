/** The release page's reader of audit logs (src/io/site-events.ts): what it reads from a watch line's bytes is what the line says. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAuditLog } from '../../src/io/site-events.js';
import { tmpDir } from '../helpers/index.js';

const watch = (at: string, version: string, verdict: string, reason: string, units: number, crashUnits: number) => ({
  at,
  action: 'watch',
  serial: 7,
  version,
  actor: 'ci',
  detail: {
    verdict,
    rule: null,
    reason,
    candidate: { version, units, crashUnits, devices: 3, crashed: 1, recentDevices: 3, recentCrashed: 1 },
    baseline: null,
  },
});

describe('readAuditLog', () => {
  it('reads every line as JSON.parse would, the figures of watch lines from their bytes, and skips a torn line', async () => {
    const publish = {
      at: '2026-12-01T00:00:00Z',
      action: 'publish',
      serial: 7,
      version: '2026.48.0',
      actor: 'ci',
      detail: { rollout: 10 },
    };
    const lines = [
      publish,
      watch('2026-12-01T01:00:00Z', '2026.48.0', 'healthy', 'crash units 1/100 — fine', 100, 1),
      watch('2026-12-01T02:00:00Z', '2026.48.0', 'unhealthy', 'a "quoted" reason\\with escapes', 250, 40),
      // Another shape (fields in another order): read in full.
      {
        action: 'watch',
        at: '2026-12-01T03:00:00Z',
        serial: 7,
        version: '2026.48.0',
        detail: { candidate: { crashUnits: 2, units: 9 }, verdict: 'healthy' },
      },
    ];
    const dir = tmpDir();
    mkdirSync(join(dir, 'channels/beta'), { recursive: true });
    writeFileSync(
      join(dir, 'channels/beta/events.ndjson'),
      lines.map((l) => JSON.stringify(l)).join('\n') + '\n{"at":"2026-12-01T04:00:00Z","action":"wat',
    );
    const events = await readAuditLog(dir, 'beta');
    expect(events).toHaveLength(4);
    for (const [i, e] of events.entries()) {
      const want = lines[i]!;
      expect({ at: e.at, action: e.action, serial: e.serial, version: e.version, detail: e.detail }).toEqual({
        at: want.at,
        action: want.action,
        serial: want.serial,
        version: want.version,
        detail: want.detail,
      });
    }
    expect(events[1]!.watch).toEqual({ verdict: 'healthy', units: 100, crashUnits: 1 });
    expect(events[2]!.watch).toEqual({ verdict: 'unhealthy', units: 250, crashUnits: 40 });
    expect(events[3]!.watch).toBeUndefined();
    expect(await readAuditLog(dir, 'stable')).toEqual([]);
  });
});
