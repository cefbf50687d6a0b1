// `npm run screenshots`: the pictures of the release page in the README and docs/site.md
// (docs/site-index.png, docs/site-release.png, docs/site-health.png), from `friday demo`'s
// week, in Debian's headless Chromium. Tests never rewrite them; run this after changing the
// page and look at the result.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.mjs';
import { BIN, ROOT } from './lib.mjs';

const TYPES = { '.html': 'text/html; charset=utf-8', '.json': 'application/json', '.md': 'text/markdown; charset=utf-8' };

const dir = mkdtempSync(join(tmpdir(), 'friday-screenshots-'));
try {
  const demo = spawnSync(process.execPath, [BIN, 'demo', '--dir', join(dir, 'week'), '-q'], { encoding: 'utf8' });
  if (demo.status !== 0) throw new Error(`friday demo failed: ${demo.stderr}`);
  const ota = join(dir, 'week/repo/ota');
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0])).replace(/^(\.\.[/\\])+/, '');
    try {
      const body = readFileSync(join(ota, path.endsWith('/') ? `${path}index.html` : path));
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const base = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1 });
    for (const [path, out] of [
      ['/index.html', 'docs/site-index.png'],
      ['/releases/2026.48.0/index.html', 'docs/site-release.png'],
      ['/releases/2026.49.0/index.html', 'docs/site-health.png'],
    ]) {
      await page.goto(base + path);
      await page.screenshot({ path: join(ROOT, out), fullPage: true });
      console.log(`${out}: ${base}${path}`);
    }
  } finally {
    await browser.close();
    server.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
