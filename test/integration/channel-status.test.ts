/** status reads the last watch verdict from the end of events.ndjson, which grows with every check. */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastWatch } from '../../src/commands/status.js';
import { tmpDir } from '../helpers/index.js';

const line = (i: number, action: string, verdict?: string) => JSON.stringify({ at: `2026-11-27T17:${String(i % 60).padStart(2, '0')}:00Z`, action, serial: 1, version: `v${i}`, actor: 'x', detail: verdict ? { verdict } : { n: 'x'.repeat(200) } });

describe('lastWatch', () => {
  it('finds the last watch line across chunk boundaries, skips torn lines, and says null when there is none', async () => {
    const dir = tmpDir();
    const path = join(dir, 'events.ndjson');
    expect(lastWatch(path)).toBeNull();
    const lines = [line(0, 'publish'), line(1, 'watch', 'healthy'), line(2, 'watch', 'unhealthy')];
    for (let i = 3; i < 1000; i++) lines.push(line(i, 'publish')); // ~250 KB after the last watch: several 64 KiB chunks
    await fs.writeFile(path, lines.join('\n') + '\n{"at":"2026-11-27T18:00:00Z","action":"watch","detail":{"verd');
    expect(lastWatch(path)).toEqual({ at: '2026-11-27T17:02:00Z', version: 'v2', verdict: 'unhealthy' });
    await fs.writeFile(path, [line(0, 'publish'), line(1, 'rollout')].join('\n') + '\n');
    expect(lastWatch(path)).toBeNull();
    await fs.writeFile(path, line(7, 'watch', 'insufficient-data'));
    expect(lastWatch(path)).toEqual({ at: '2026-11-27T17:07:00Z', version: 'v7', verdict: 'insufficient-data' });
  });
});
