/**
 * The release page read on from what the last run kept (docs/site.md "Cost"): the pages of a run
 * that read only the appended audit lines are, byte for byte, the pages of a run that read every
 * log from the start; and what is kept is in the git directory, never in the publish root or the
 * working tree.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { git, tmpDir } from '../helpers/index.js';

const NOW = '2026-12-05T12:30:00Z';
let repo: string;
let ota: string;
let cacheDir: string;

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (s) => void (out += s), err: (s) => void (err += s) }, { CI: 'true' });
  expect(code, err).toBe(0);
  return out;
}

const site = async (...flags: string[]) =>
  JSON.parse(await cli(['site', '-C', repo, '--now', NOW, '--json', ...flags])) as { pages: string[]; written: string[] };

/** Every page in the publish root, by path. */
function pages(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.html')) out.set(relative(ota, p), readFileSync(p, 'utf8'));
    }
  };
  walk(ota);
  return out;
}

/** The pages of a run that kept nothing (every log read from the start) equal the pages now there. */
async function expectSameAsCold() {
  const cached = pages();
  rmSync(cacheDir, { recursive: true, force: true });
  const cold = await site();
  expect(cold.written).toEqual([]);
  expect(pages()).toEqual(cached);
}

const log = (channel: string) => join(ota, 'channels', channel, 'events.ndjson');

/** A watch line as `watch` wrote it in the demo's week. */
let template: any;
/** The time of the last check appended. */
let t = Date.parse('2026-12-05T12:00:00Z');

/** `n` more watch checks of 2026.48.0 on `channel`, in the shape `watch` writes, an hour apart. */
function appendChecks(channel: string, n: number, reason = 'crash units <b>low</b>') {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    t += 3_600_000;
    const version = '2026.48.0';
    out.push(
      JSON.stringify({
        ...template,
        at: new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        version,
        detail: {
          ...template.detail,
          verdict: i % 5 ? 'healthy' : 'unhealthy',
          reason: `${reason} ${i}`,
          candidate: { ...template.detail.candidate, version, units: 100 + 10 * i, crashUnits: i },
        },
      }),
    );
  }
  appendFileSync(log(channel), out.join('\n') + '\n');
}

let dir = '';

beforeAll(async () => {
  dir = tmpDir('friday-site-cache-');
  await cli(['demo', '--dir', join(dir, 'week'), '-q']);
  repo = join(dir, 'week/repo');
  ota = join(repo, 'ota');
  cacheDir = join((await git(repo, ['rev-parse', '--absolute-git-dir'])).trim(), 'friday');
  template = JSON.parse(
    readFileSync(log('beta'), 'utf8')
      .split('\n')
      .find((l) => l.includes('"action":"watch"'))!,
  );
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the release page read on from its cache', () => {
  it('keeps what it read in the git directory only: the publish root and git status stay as they were', async () => {
    const status = await git(repo, ['status', '--porcelain']);
    await site();
    // The folder is shared with watch's state (watch-<channel>.state); the page's are its site-* files.
    expect(
      readdirSync(cacheDir)
        .filter((f) => f.startsWith('site-'))
        .sort(),
    ).toEqual(['site-beta.cache', 'site-pages.cache', 'site-stable.cache']);
    expect([...pages().keys()].every((p) => p.endsWith('index.html'))).toBe(true);
    const inOta = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? inOta(join(dir, e.name)) : e.name.includes('cache') ? [e.name] : [],
      );
    expect(inOta(ota)).toEqual([]);
    expect(await git(repo, ['status', '--porcelain'])).toBe(status);
  });

  it('makes the same pages as a run from the start after lines are appended', async () => {
    await site();
    appendChecks('beta', 40);
    appendChecks('stable', 3);
    const run = await site();
    // Only the pages of the checked releases and the front page changed.
    expect(run.written.map((p) => relative(ota, p)).sort()).toEqual(['index.html', 'releases/2026.48.0/index.html']);
    expect(pages().get('releases/2026.48.0/index.html')).toContain('crash units &lt;b&gt;low&lt;/b&gt; 39');
    await expectSameAsCold();
  });

  it('makes the same pages as a run from the start after a log was truncated and written again', async () => {
    await site();
    const text = readFileSync(log('beta'), 'utf8');
    truncateSync(log('beta'), text.lastIndexOf('\n', text.length - 2) + 1);
    appendChecks('beta', 50, 'after the truncation');
    await site();
    expect(pages().get('releases/2026.48.0/index.html')).toContain('after the truncation 49');
    await expectSameAsCold();
  });

  it('makes the same pages as a run from the start when the cache is damaged', async () => {
    await site();
    appendChecks('beta', 2);
    const cache = join(cacheDir, 'site-beta.cache');
    const bytes = readFileSync(cache);
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 1;
    writeFileSync(cache, bytes);
    writeFileSync(join(cacheDir, 'site-pages.cache'), '{"format":');
    await site();
    await expectSameAsCold();
  });

  it('still makes the pages when nothing can be kept', async () => {
    rmSync(cacheDir, { recursive: true, force: true });
    writeFileSync(cacheDir, 'not a folder');
    try {
      appendChecks('stable', 2, 'nothing kept');
      const run = await site();
      expect(run.written.map((p) => relative(ota, p)).sort()).toEqual(['index.html', 'releases/2026.48.0/index.html']);
      expect(pages().get('releases/2026.48.0/index.html')).toContain('nothing kept 1');
    } finally {
      rmSync(cacheDir, { force: true });
    }
    await expectSameAsCold();
  });

  it('writes no cache under --dry-run', async () => {
    rmSync(cacheDir, { recursive: true, force: true });
    const run = await site('--dry-run');
    expect(run.written).toEqual([]);
    expect(existsSync(cacheDir)).toBe(false);
  });
});
