/**
 * The release page (docs/site.md) from `friday demo`'s week, in a real headless Chromium: every
 * fact of the contract on it, no console error, no request outside the publish root, markup from a
 * fan shown as text, no serious accessibility violation; and the page never fails a command.
 */
import { existsSync, promises as fs, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, servePublishRoot } from '../helpers/browser.js';
import type { TestServer } from '../helpers/http-server.js';
import { runFriday, tmpDir } from '../helpers/index.js';

const XSS = '<script>alert(1)</script>';
const NOW = '2026-12-05T12:30:00Z';

let dir: string;
let repo: string;
let ota: string;
let server: TestServer;
let browser: BrowserContext;

/** The Tuesday ceremony for 2026.48.0, as `friday awards` writes it (docs/formats.md, friday.awards/v1). */
const AWARDS = {
  type: 'friday.awards/v1',
  product: 'aurora',
  version: '2026.48.0',
  channel: 'beta',
  heldAt: '2026-12-01T17:30:00Z',
  ballot: { from: '2026-11-27T17:30:00Z', to: '2026-12-01T17:30:00Z' },
  awards: [
    {
      name: 'Popcorn Award',
      kind: 'popcorn',
      winner: { id: 102, title: `Night mode ${XSS}`, author: 'nightowl' },
      score: 41,
      voters: 17,
      runnersUp: [{ id: 103, score: 12, voters: 6 }],
    },
    { name: 'Bug Hunter', kind: 'bug-hunter', winner: { user: 'orange_tester' }, count: 3 },
    { name: 'Tester of the Week', kind: 'tester', winner: { user: 'lena' }, units: 96, crashUnits: 4 },
  ],
};

beforeAll(async () => {
  dir = tmpDir('friday-site-test-');
  const week = await runFriday(['demo', '--dir', join(dir, 'week')]);
  expect(week.code, week.stderr).toBe(0);
  repo = join(dir, 'week/repo');
  ota = join(repo, 'ota');
  // A fan's issue title with markup, an awards ceremony held, and the project's GitHub repository.
  const clPath = join(ota, 'releases/2026.48.0/changelog.json');
  const cl = JSON.parse(readFileSync(clPath, 'utf8'));
  cl.entries.find((e: any) => e.id === 102).title = `Night mode ${XSS}`;
  writeFileSync(clPath, JSON.stringify(cl));
  writeFileSync(join(ota, 'releases/2026.48.0/awards.json'), JSON.stringify(AWARDS));
  const configPath = join(repo, 'friday.config.json');
  const config = JSON.parse(readFileSync(configPath, 'utf8'));
  config.issues.repo = 'aurora-rom/aurora';
  writeFileSync(configPath, JSON.stringify(config));
  const site = await runFriday(['site', '-C', repo, '--now', NOW]);
  expect(site.code, site.stderr).toBe(0);
  server = await servePublishRoot(ota);
  browser = await launchBrowser(dir);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

/** Open a page, recording console errors and every request the browser makes. */
async function open(path: string): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => requests.push(r.url()));
  const res = await page.goto(server.base + path);
  expect(res?.status()).toBe(200);
  return { page, errors, requests };
}

async function checkClean(p: { page: Page; errors: string[]; requests: string[] }) {
  expect(p.errors).toEqual([]);
  for (const url of p.requests) expect(url.startsWith(`${server.base}/`) || url.startsWith('data:'), url).toBe(true);
  // Nothing ran: a page with no script at all, whatever the inputs held.
  expect(await p.page.locator('script').count()).toBe(0);
  // Light and dark (prefers-color-scheme), each checked by axe (contrast among the rest).
  for (const colorScheme of ['light', 'dark'] as const) {
    await p.page.emulateMedia({ colorScheme });
    const axe = await new AxeBuilder({ page: p.page }).analyze();
    const serious = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v) => `${colorScheme} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  }
  expect(await p.page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(22, 20, 18)');
  // A phone: the page itself never scrolls sideways (wide tables scroll inside their own box).
  await p.page.setViewportSize({ width: 360, height: 740 });
  expect(await p.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
}

describe('the release page', () => {
  it('front page: each channel at a glance, the latest ceremony, the releases newest first', async () => {
    const p = await open('/index.html');
    const { page } = p;
    expect(await page.title()).toBe('aurora releases');
    const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    expect(csp).toBe("default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'");
    expect(await page.locator('link[rel="icon"]').getAttribute('href')).toBe('data:,');

    const beta = page.getByRole('article', { name: 'beta' });
    const betaText = await beta.innerText();
    expect(betaText).toContain('2026.48.0');
    expect(betaText).toMatch(/Rolled back\s+from 2026\.49\.0: watch: spike rule/);
    expect(betaText).toContain('100 % of devices');
    expect(betaText).toMatch(/Serial\s+4/);
    expect(betaText).toContain('2026-12-19T12:00:00Z');
    expect(betaText).toContain('1 of 1 required');
    expect(betaText).toMatch(/Blocked\s+2026\.49\.0 \(every model\)/);
    expect(betaText).toMatch(/Last watch\s+unhealthy for 2026\.49\.0 at 2026-12-05T12:00:00Z/);
    expect(betaText).toContain('14.4× the baseline');
    const stable = await page.getByRole('article', { name: 'stable' }).innerText();
    expect(stable).toContain('50 % of devices');
    expect(stable).toMatch(/Serial\s+2/);
    expect(stable).toContain('never checked');
    expect(stable).not.toContain('validity left');
    expect(await page.locator('.bar > span').evaluateAll((els) => els.map((e) => (e as HTMLElement).style.width))).toEqual(['100%', '50%']);

    const ceremony = await page.getByRole('region', { name: /Latest award ceremony/ }).innerText();
    expect(ceremony).toContain(`Popcorn Award: #102 Night mode ${XSS}`);
    expect(ceremony).toContain('Bug Hunter: orange_tester');
    expect(ceremony).toContain('Tester of the Week: lena');

    const links = await page
      .locator('#releases ~ * tbody th a, section[aria-labelledby="releases"] tbody a')
      .evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
    expect(links).toEqual([
      ['2026.49.0', 'releases/2026.49.0/index.html'],
      ['2026.48.0', 'releases/2026.48.0/index.html'],
      ['2026.47.0', 'releases/2026.47.0/index.html'],
    ]);
    await checkClean(p);
  });

  it('release page: nominees and awards, downloads and how to verify them, channels, health', async () => {
    const p = await open('/releases/2026.48.0/index.html');
    const { page } = p;
    const text = await page.locator('main').innerText();
    // A fan's markup is text, in the changelog and in the awards.
    expect(text).toContain(`#102 Night mode ${XSS}`);
    expect(text).toContain(`Popcorn Award: #102 Night mode ${XSS}`);
    const nominees = await page.locator('h3:has-text("Popcorn Award nominees") + ol > li').allInnerTexts();
    expect(nominees[0]).toContain('#102');
    expect(await page.locator('a[href="https://github.com/aurora-rom/aurora/issues/102"]').count()).toBeGreaterThan(0);
    for (const href of await page.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')!)))
      expect(href, href).toMatch(
        /^(#main|\.\.\/\.\.\/index\.html|[A-Za-z0-9._+-]+|https:\/\/github\.com\/aurora-rom\/aurora\/issues\/\d+)$/,
      );

    const build = JSON.parse(readFileSync(join(ota, 'releases/2026.48.0/build.json'), 'utf8'));
    const trust = JSON.parse(readFileSync(join(ota, 'trust.json'), 'utf8'));
    const keyid = Object.keys(trust.keys)[0]!;
    for (const a of build.artifacts) {
      const row = await page
        .getByRole('row', { name: new RegExp(a.device) })
        .first()
        .innerText();
      expect(row).toContain(a.file);
      expect(row).toContain(a.sha256);
      expect(row).toMatch(/KiB|MiB|bytes/);
      expect(text).toMatch(new RegExp(`minisign -Vm ${a.file.replace(/\./g, '\\.')} -P RW[A-Za-z0-9+/=]+`));
      // The link downloads the file next to the page.
      expect(await page.locator(`a[href="${a.file}"]`).count()).toBe(1);
    }
    expect(text).toContain(keyid);
    expect(text).toContain('Compare these fingerprints with a source other than this server');

    const carried = await page.getByRole('region', { name: 'Channels that carried it' }).innerText();
    // Live on beta until 2026.49.0 replaced it, and again since the rollback from it.
    expect(carried).toMatch(/beta\s+2026-11-27T17:30:00Z\s+2026-12-04T18:00:00Z \(then 2026\.49\.0\)\s+100 %/);
    expect(carried).toMatch(/beta\s+2026-12-05T12:00:00Z\s+live now\s+100 %/);
    expect(carried).toMatch(/stable\s+2026-12-04T17:45:00Z\s+live now\s+50 %/);
    // No watch check of 2026.48.0: each channel's chart is there, empty, and says so.
    const charts = page.getByRole('img', { name: /Crash units per hour of 2026\.48\.0/ });
    expect(await charts.count()).toBe(2);
    expect(await charts.first().getAttribute('aria-labelledby')).toBeTruthy();
    expect(await charts.first().locator('text').textContent()).toContain('No watch check');
    expect((await charts.first().getAttribute('aria-label')) ?? (await charts.first().locator('title').textContent())).toContain(
      'no watch check yet',
    );
    await checkClean(p);
  });

  it('the rolled-back release: its chart from the watch check, the verdict and the rollback with its reason', async () => {
    const p = await open('/releases/2026.49.0/index.html');
    const { page } = p;
    const chart = page.getByRole('img', { name: /Crash units per hour of 2026\.49\.0 on beta: 1 check/ });
    expect(await chart.count()).toBe(1);
    expect(await chart.locator('rect.bad').count()).toBe(1);
    const health = await page.getByRole('region', { name: 'Health' }).innerText();
    expect(health).toMatch(/unhealthy\s+769 \/ 6408/);
    expect(health).toMatch(/Rolled back on beta at 2026-12-05T12:00:00Z to 2026\.48\.0: watch: spike rule/);
    await checkClean(p);
  });

  it('is written by the commands that change a channel, never under --dry-run, and never fails them', async () => {
    const index = join(ota, 'index.html');
    const before = readFileSync(index, 'utf8');
    const key = join(dir, 'week/keys/alice.key');
    const dry = await runFriday([
      'rollout',
      '--channel',
      'stable',
      '--next',
      '--key',
      key,
      '-C',
      repo,
      '--now',
      '2026-12-06T09:00:00Z',
      '--dry-run',
    ]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(readFileSync(index, 'utf8')).toBe(before);

    const broken = await runFriday(
      ['rollout', '--channel', 'stable', '--next', '--key', key, '-C', repo, '--now', '2026-12-06T09:00:00Z'],
      {
        env: { FRIDAY_TEST_SITE_BREAK: '1' },
      },
    );
    expect(broken.code, broken.stderr).toBe(0);
    expect(broken.stderr.split('\n').filter((l) => l.includes('warning'))).toEqual([
      'friday: warning: release page not updated: the page template failed (FRIDAY_TEST_SITE_BREAK); run friday site to try again',
    ]);
    expect(JSON.parse(readFileSync(join(ota, 'channels/stable/manifest.json'), 'utf8')).signed.rollout.percent).toBe(100);
    expect(readFileSync(index, 'utf8')).toBe(before);

    const renew = await runFriday(['renew', '--channel', 'stable', '--force', '--key', key, '-C', repo, '--now', '2026-12-28T09:00:00Z']);
    expect(renew.code, renew.stderr).toBe(0);
    const after = readFileSync(index, 'utf8');
    expect(after).toContain('100 % of devices');
    expect(after).toContain('As of 2026-12-28T09:00:00Z');
    expect(existsSync(join(ota, 'releases/2026.48.0/index.html'))).toBe(true);
  });
});
