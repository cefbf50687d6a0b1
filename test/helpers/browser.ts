/**
 * Debian's headless Chromium driven by playwright-core (docs/site.md "Tests"), with a fresh
 * profile in a temp folder and nothing that phones home, and a publish root served from
 * 127.0.0.1 with the content types a static web server or CDN sends.
 */
import { promises as fs } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { startServer, type TestServer } from './http-server.js';
// @ts-expect-error: a plain ES module without types, shared with `npm run screenshots`
import { CHROMIUM, CHROMIUM_ARGS } from '../../bench/chromium.mjs';

/** A fresh profile in `parent`, a folder of the caller's that its clean-up removes with the profile. */
export async function launchBrowser(parent: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(await fs.mkdtemp(join(parent, 'chromium-')), {
    executablePath: CHROMIUM as string,
    args: CHROMIUM_ARGS as string[],
    headless: true,
  });
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.md': 'text/markdown; charset=utf-8',
  '.ndjson': 'application/x-ndjson',
};

/** Every file under `root` at its path, as a static server would serve it. */
export async function servePublishRoot(root: string): Promise<TestServer> {
  const server = await startServer();
  const files = (await fs.readdir(root, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
  for (const f of files) {
    const path = join(f.parentPath, f.name);
    const body = await fs.readFile(path);
    const url = '/' + relative(root, path).split(sep).map(encodeURIComponent).join('/');
    const type = TYPES[extname(path)] ?? 'application/octet-stream';
    server.handle(url, (_req, res) => res.writeHead(200, { 'content-type': type, 'content-length': body.length }).end(body));
  }
  return server;
}
