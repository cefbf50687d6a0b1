/** The watch report in plain words: each verdict says how sure it is, next to the figures it rests on. */
import { describe, expect, it } from 'vitest';
import { HEALTH_DEFAULTS } from '../../src/core/config.js';
import type { FeedScan } from '../../src/core/feed/scan.js';
import type { VersionTally } from '../../src/core/feed/tally.js';
import { judge } from '../../src/core/health.js';
import { renderReport, versionReport, type WatchResult } from '../../src/core/watch-report.js';

const NOW = new Date('2026-11-28T05:00:00Z');
const policy = { ...HEALTH_DEFAULTS };

const tally = (t: Partial<VersionTally>): VersionTally => ({
  version: '2026.49.0',
  units: 6000,
  crashUnits: 0,
  devices: 600,
  crashed: 0,
  recentDevices: 600,
  recentCrashed: 0,
  stageDevices: 600,
  sessions: 6000,
  crashes: 0,
  signatures: [],
  firstHourMs: NOW.getTime() - 23 * 3_600_000,
  unitsPerHour: [],
  crashUnitsPerHour: [],
  ...t,
});
const baseline = (t: Partial<VersionTally>) => tally({ version: '2026.48.0', ...t });

/** The report's lines for a candidate and a baseline, as `watch` renders them. */
function report(c: VersionTally, b: VersionTally | null, over: Partial<typeof policy> = {}): string[] {
  const j = judge(c, b, { ...policy, ...over });
  const r: WatchResult = {
    channel: 'beta',
    candidate: { ...versionReport(c, policy.confidence), wentLiveAt: '2026-11-27T17:00:00Z' },
    baseline: b ? versionReport(b, policy.confidence) : null,
    evidence: j.evidence,
    ratio: j.ratio,
    verdict: j.verdict,
    rule: j.rule,
    rolledBack: false,
    rejected: 0,
    reason: j.reason,
    threshold: j.threshold,
    recent: j.recent,
    rejectedBy: {},
    lines: 9356,
    consecutive: { needed: 1, unhealthy: j.verdict === 'unhealthy' ? 1 : 0 },
    renewed: false,
    rollback: null,
    error: null,
    models: [],
    unhealthyModels: [],
    modelRollback: null,
  };
  const scan: FeedScan = { lines: 9356, accepted: 9356, rejected: 0, rejectedBy: {}, bytes: 0, versions: [] };
  return renderReport(r, j, c, b, scan, NOW, policy.windowHours, []).split('\n');
}

describe('renderReport says how sure it is', () => {
  it('a spike: strong evidence, against the evidence needed, above the figures', () => {
    const lines = report(
      tally({ units: 6408, crashUnits: 769, crashed: 447, recentCrashed: 447 }),
      baseline({ units: 2161, crashUnits: 18, crashed: 18, devices: 597 }),
    );
    expect(lines[0]).toBe('beta: 2026.49.0 UNHEALTHY (spike rule)');
    expect(lines[1]).toMatch(
      /^ {2}strong evidence the new build crashes more than 2026\.48\.0 \(evidence \d\.\de\d+ against the 100 needed\)$/,
    );
    expect(lines[2]).toMatch(/^ {2}crash units 769\/6408 vs 18\/2161 on 2026\.48\.0, .* evidence \d\.\de\d+ ≥ 100$/);
    expect(lines.some((l) => /^ {2}evidence \S+ \(rolls back at ≥ 100\), ratio/.test(l))).toBe(true);
  });

  it('the same crash rate as the baseline: no sign of a regression', () => {
    const lines = report(tally({ crashUnits: 18, crashed: 18 }), baseline({ crashUnits: 18, crashed: 18 }));
    expect(lines[0]).toBe('beta: 2026.49.0 healthy');
    expect(lines[1]).toMatch(/^ {2}no sign of a regression \(evidence [\d.]+ against the 100 needed\)$/);
  });

  it('a rise the evidence shows but the policy lets pass: said as such, not as a regression to act on', () => {
    const lines = report(
      tally({ crashUnits: 1300, units: 100000, crashed: 900, devices: 5000 }),
      baseline({ crashUnits: 1000, units: 100000, crashed: 800, devices: 5000 }),
    );
    expect(lines[0]).toBe('beta: 2026.49.0 healthy');
    expect(lines[1]).toMatch(
      /^ {2}more crashes than 2026\.48\.0 \(evidence \S+ against the 100 needed\), but too few or too small a rise to roll back$/,
    );
    expect(lines[2]).toMatch(/but 1\.3× < 1\.5× allowed$/);
  });

  it('too few devices: how many of the devices needed', () => {
    const lines = report(tally({ devices: 120, recentDevices: 120, crashUnits: 1, crashed: 1 }), baseline({}));
    expect(lines[0]).toBe('beta: 2026.49.0 insufficient-data');
    expect(lines[1]).toBe('  too little data yet: 120 of the 200 devices needed');
    expect(lines[2]).toMatch(/120 devices on 2026\.49\.0, 200 needed$/);
  });

  it('the absolute rule: the share of devices crashing against the share allowed', () => {
    const lines = report(tally({ devices: 40, recentDevices: 40, recentCrashed: 12, crashed: 12, crashUnits: 12 }), null);
    expect(lines[0]).toBe('beta: 2026.49.0 UNHEALTHY (absolute rule)');
    expect(lines[1]).toMatch(
      /^ {2}the new build crashes on too many devices: at least [\d.]+% of them in the last 24 h, against 5% allowed$/,
    );
  });

  it('no earlier release: healthy on its own crash rate, and says there was nothing to compare with', () => {
    const lines = report(tally({ crashUnits: 3, crashed: 3, recentCrashed: 3 }), null);
    expect(lines[0]).toBe('beta: 2026.49.0 healthy');
    expect(lines[1]).toBe('  no sign of a regression in its own crash rate; there is no earlier release to compare it with');
  });
});
