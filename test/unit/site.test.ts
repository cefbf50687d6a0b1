/** The release page's pure renderers (docs/site.md): escaping, links, blocks, expiry warning, chart points. */
import { describe, expect, it } from 'vitest';
import type { ManifestBody } from '../../src/client/manifest.js';
import { healthPoints } from '../../src/core/site/chart.js';
import { channelLog } from '../../src/core/site/log.js';
import { escapeHtml, html, issueHref, relativeHref } from '../../src/core/site/html.js';
import { blocksOf, renderIndex, renderRelease, type SiteData, type SiteEvent } from '../../src/core/site/index.js';
import { renderStatus } from '../../src/core/status-report.js';

const XSS = '<script>alert(1)</script>';

function body(over: Partial<ManifestBody> = {}): ManifestBody {
  return {
    type: 'friday.manifest/v1',
    product: 'aurora',
    channel: 'stable',
    serial: 3,
    issuedAt: '2026-12-01T00:00:00Z',
    expiresAt: '2026-12-31T00:00:00Z',
    release: { version: '2026.48.0', tag: 'v2026.48.0', commit: 'a'.repeat(40), builtAt: '2026-11-27T17:00:00Z' },
    rollout: { percent: 10, salt: 'b'.repeat(32) },
    artifacts: {},
    notes: { popcorn: null, changelog: null },
    rollback: null,
    blocked: [],
    ...over,
  } as ManifestBody;
}

function data(now: string, live: ManifestBody, events: SiteEvent[] = []): SiteData {
  return {
    product: 'aurora',
    now: new Date(now),
    repo: 'aurora-rom/aurora',
    trust: { threshold: 1, channels: {}, keys: [{ keyid: 'c'.repeat(64), name: 'alice', minisign: 'RWxyz' }] },
    channels: [{ name: 'stable', live, signers: 1, threshold: 1, log: channelLog(events) }],
    releases: [
      {
        version: '2026.48.0',
        build: {
          type: 'friday.build/v1',
          product: 'aurora',
          version: '2026.48.0',
          tag: 'v2026.48.0',
          commit: 'a'.repeat(40),
          previousTag: null,
          builtAt: '2026-11-27T17:00:00Z',
          artifacts: [{ device: 'umi', file: 'aurora-umi-2026.48.0.zip', size: 2048, sha256: 'd'.repeat(64) }],
        },
        changelog: { entries: [{ id: 7, title: XSS, type: 'feature', score: 3, voters: 2, author: `"><img src=x onerror=alert(1)>` }] },
        awards: null,
        minisigs: { 'aurora-umi-2026.48.0.zip': 'c'.repeat(16) },
        changelogMd: false,
      },
    ],
  };
}

describe('escaping and links', () => {
  it('escapes every value from outside, once, and keeps markup built by the template', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const inner = html`<b>${XSS}</b>`;
    expect(html`<p>${inner}${[XSS, null, false, 1]}</p>`.text).toBe(
      '<p><b>&lt;script&gt;alert(1)&lt;/script&gt;</b>&lt;script&gt;alert(1)&lt;/script&gt;1</p>',
    );
  });

  it('links only to validated relative paths and the configured repository issues', () => {
    expect(relativeHref(2, 'index.html')?.text).toBe('../../index.html');
    expect(relativeHref(0, 'releases', '2026.48.0', 'index.html')?.text).toBe('releases/2026.48.0/index.html');
    for (const bad of ['..', '../x', 'a/b', 'javascript:alert(1)', '.hidden', '', 'x"y'])
      expect(relativeHref(0, 'releases', bad), bad).toBeNull();
    expect(issueHref('aurora-rom/aurora', 12)?.text).toBe('https://github.com/aurora-rom/aurora/issues/12');
    expect(issueHref(null, 12)).toBeNull();
    expect(issueHref('aurora-rom/aurora', -1)).toBeNull();
    expect(issueHref('x/y"><script>', 1)).toBeNull();
  });

  it('renders a fan-written title and user name as text on the release page', () => {
    const d = data('2026-12-05T00:00:00Z', body());
    const page = renderRelease(d, d.releases[0]!);
    expect(page).not.toMatch(/<script|<img/);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('href="https://github.com/aurora-rom/aurora/issues/7"');
    expect(page).toContain('minisign -Vm aurora-umi-2026.48.0.zip -P RWxyz');
  });
});

describe('blocks', () => {
  it('reads the fleet-wide blocks of a v1 manifest, and per-model blocks where a manifest has them', () => {
    expect(blocksOf(body({ blocked: ['2026.49.0'] }))).toEqual({ fleet: ['2026.49.0'], byDevice: {}, offered: {} });
    const release = { version: '2026.47.0', builtAt: '2026-11-20T17:00:00Z' };
    const artifact = {
      file: 'aurora-umi-2026.47.0.zip',
      url: 'releases/2026.47.0/aurora-umi-2026.47.0.zip',
      size: 1,
      sha256: '0'.repeat(64),
    };
    const perModel = {
      ...body(),
      deviceBlocked: { umi: ['2026.47.1'] },
      deviceReleases: { umi: { release, artifact, rollback: { from: '2026.47.1', reason: 'camera crash' } } },
    } as unknown as ManifestBody;
    expect(blocksOf(perModel)).toEqual({ fleet: [], byDevice: { umi: ['2026.47.1'] }, offered: { umi: '2026.47.0' } });
    expect(renderIndex(data('2026-12-05T00:00:00Z', perModel))).toContain('2026.47.1 on umi (umi gets 2026.47.0)');
  });
});

describe('the front page', () => {
  it('warns when less than a third of the validity is left, as status does', () => {
    // 30 days of validity: a third is 10 days.
    expect(renderIndex(data('2026-12-20T23:00:00Z', body()))).not.toContain('less than a third of its validity left');
    expect(renderIndex(data('2026-12-21T01:00:00Z', body()))).toContain('less than a third of its validity left');
    expect(renderIndex(data('2027-01-02T00:00:00Z', body()))).toContain('expired');
    const status = (now: string) =>
      renderStatus(
        {
          product: 'aurora',
          trust: null,
          releases: [],
          channels: [
            {
              name: 'stable',
              live: {
                version: '2026.48.0',
                serial: 3,
                rollout: 10,
                issuedAt: '2026-12-01T00:00:00Z',
                expiresAt: '2026-12-31T00:00:00Z',
                expiresInHours: (Date.parse('2026-12-31T00:00:00Z') - Date.parse(now)) / 3_600_000,
                rollback: null,
                signatures: null,
              },
              staged: null,
              blocked: [],
              models: {},
              lastWatch: null,
              stage: null,
              lastAdvance: null,
              warnings: [],
              error: null,
            },
          ],
        },
        new Date(now),
      );
    expect(status('2026-12-20T23:00:00Z')).not.toContain('⚠');
    expect(status('2026-12-21T01:00:00Z')).toContain('⚠ less than a third of its validity left');
  });

  it("shows watch's automatic advance of a rollout, with its reason", () => {
    const events: SiteEvent[] = [
      {
        at: '2026-12-02T00:00:00Z',
        action: 'rollout',
        serial: 4,
        version: '2026.48.0',
        detail: { from: 10, to: 50, by: 'watch', reason: `healthy for 24 h ${XSS}` },
      },
    ];
    const page = renderIndex(data('2026-12-05T00:00:00Z', body({ rollout: { percent: 50, salt: 'b'.repeat(32) } }), events));
    expect(page).toMatch(/automatically by watch at 2026-12-02T00:00:00Z: 10 → 50\s+%/);
    expect(page).toContain('healthy for 24 h &lt;script&gt;');
  });
});

describe('the health chart', () => {
  it('charts crash units per hour between checks, from the cumulative figures of each watch line', () => {
    const watch = (at: string, crashUnits: number, verdict = 'healthy'): SiteEvent => ({
      at,
      action: 'watch',
      serial: 1,
      version: '2026.48.0',
      detail: { verdict, candidate: { crashUnits, units: 100 } },
    });
    const events: SiteEvent[] = [
      { at: '2026-12-01T00:00:00Z', action: 'publish', serial: 1, version: '2026.48.0', detail: {} },
      watch('2026-12-01T10:00:00Z', 20),
      watch('2026-12-01T12:00:00Z', 30, 'unhealthy'),
      watch('2026-12-01T12:00:00Z', 30), // the same moment: no interval, no point
    ];
    const ms = (from: string, to: string) => ({ fromMs: Date.parse(from), toMs: Date.parse(to) });
    const channel = { name: 'beta', live: null, signers: null, threshold: null, log: channelLog(events) };
    expect(healthPoints(channel, '2026.48.0')).toEqual([
      {
        from: '2026-12-01T00:00:00Z',
        to: '2026-12-01T10:00:00Z',
        ...ms('2026-12-01T00:00:00Z', '2026-12-01T10:00:00Z'),
        rate: 2,
        verdict: 'healthy',
      },
      {
        from: '2026-12-01T10:00:00Z',
        to: '2026-12-01T12:00:00Z',
        ...ms('2026-12-01T10:00:00Z', '2026-12-01T12:00:00Z'),
        rate: 5,
        verdict: 'unhealthy',
      },
    ]);
    expect(healthPoints(channel, '2026.49.0')).toEqual([]);
  });
});
