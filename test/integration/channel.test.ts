/** src/io/channel.ts on a temp folder: the publish order, the audit log, the dry-run gate. */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrust } from '../../src/client/trust.js';
import { stageBody } from '../../src/core/manifest.js';
import {
  historyPath,
  livePath,
  publishLocked,
  readEvents,
  readHistory,
  readLiveManifest,
  reconcileEvents,
  signAndRelease,
  stagedPath,
  type AuditEvent,
} from '../../src/io/channel.js';
import { createStore } from '../../src/io/store.js';
import { tmpDir } from '../helpers/index.js';
import { keyFromPrivate, signDoc, trustDoc } from './channel-fixture.js';
import { generateKeyPairSync } from 'node:crypto';

const key = keyFromPrivate('alice', generateKeyPairSync('ed25519').privateKey);
const trust = parseTrust(trustDoc('aurora', [key]));
const NOW = new Date('2026-11-27T17:00:00Z');
const build = {
  type: 'friday.build/v1' as const,
  product: 'aurora',
  version: '2026.48.0',
  tag: 'v2026.48.0',
  commit: 'c'.repeat(40),
  previousTag: null,
  builtAt: '2026-11-27T16:40:00Z',
  artifacts: [{ device: 'umi', file: 'a.zip', size: 1, sha256: 'd'.repeat(64) }],
};
const body = (serial: number) => ({
  ...stageBody({
    product: 'aurora',
    channel: 'beta',
    live: null,
    build,
    notes: { popcorn: null, changelog: null },
    percent: 100,
    freshSalt: 'f'.repeat(32),
    now: NOW,
    expiresDays: 14,
  }),
  serial,
});
const ctx = (dir: string, dryRun = false) => ({ dryRun, cwd: dir, info: () => {} });
const ev = (serial: number, action: AuditEvent['action'] = 'publish'): AuditEvent => ({
  at: '2026-11-27T17:00:00Z',
  action,
  serial,
  version: '2026.48.0',
  actor: 't',
  detail: null,
});

describe('channel files', () => {
  it('publishes history first, then the live file, removes staged.json and appends the lines', async () => {
    const ota = tmpDir();
    const store = createStore(ctx(ota));
    await fs.mkdir(join(ota, 'channels/beta'), { recursive: true });
    await fs.writeFile(stagedPath(ota, 'beta'), '{}');
    const doc = signDoc(body(1), [key]);
    await publishLocked(store, ota, doc, [ev(1)], { removeStaged: true });
    expect(store.written.map((p) => p.slice(ota.length + 1))).toEqual([
      'channels/beta/history/00000001.json',
      'channels/beta/manifest.json',
      'channels/beta/staged.json',
      'channels/beta/events.ndjson',
    ]);
    expect(await readLiveManifest(ota, 'beta')).toEqual(doc);
    expect(await readHistory(ota, 'beta')).toEqual([doc]);
    await expect(fs.access(stagedPath(ota, 'beta'))).rejects.toThrow();
    expect(JSON.parse(await fs.readFile(historyPath(ota, 'beta', 1), 'utf8'))).toEqual(doc);
  });

  it('skips a torn audit line, and logs a publish the log missed (a run killed before appending)', async () => {
    const ota = tmpDir();
    const store = createStore(ctx(ota));
    const doc = signDoc(body(2), [key]);
    await publishLocked(store, ota, doc, [ev(1)], { removeStaged: false });
    await fs.appendFile(join(ota, 'channels/beta/events.ndjson'), '{"at":"2026-11-27T17:0');
    expect((await readEvents(ota, 'beta')).map((e) => e.serial)).toEqual([1]);
    await fs.appendFile(join(ota, 'channels/beta/events.ndjson'), '\n');
    const events = await reconcileEvents(store, ota, doc, await readEvents(ota, 'beta'), 'bot');
    expect(events.map((e) => [e.action, e.serial, (e.detail as any)?.recovered ?? null])).toEqual([
      ['publish', 1, null],
      ['publish', 2, true],
    ]);
    expect(await reconcileEvents(store, ota, doc, events, 'bot')).toBe(events); // nothing more to add
  });

  it('signAndRelease publishes at the threshold and stages below it; --dry-run writes nothing', async () => {
    const ota = tmpDir();
    const live = signDoc(body(1), [key]);
    await publishLocked(createStore(ctx(ota)), ota, live, [ev(1)], { removeStaged: false });
    const twoNeeded = parseTrust({ ...trustDoc('aurora', [key]), channels: { beta: { threshold: 2 } } });
    const staged = await signAndRelease({ now: NOW }, createStore(ctx(ota)), ota, body(2), [key], twoNeeded, 'renew', {}, 'bot');
    expect(staged).toMatchObject({ published: false, valid: 1, threshold: 2 });
    expect((await readLiveManifest(ota, 'beta'))?.signed.serial).toBe(1);
    expect(JSON.parse(await fs.readFile(stagedPath(ota, 'beta'), 'utf8')).signed.serial).toBe(2);

    const before = await fs.readFile(livePath(ota, 'beta'), 'utf8');
    const dry = createStore(ctx(ota, true));
    const r = await signAndRelease({ now: NOW }, dry, ota, body(2), [key], trust, 'renew', {}, 'bot');
    expect(r.published).toBe(true);
    expect(dry.written.length).toBe(5);
    expect(await fs.readFile(livePath(ota, 'beta'), 'utf8')).toBe(before);

    const done = await signAndRelease({ now: NOW }, createStore(ctx(ota)), ota, body(2), [key], trust, 'renew', {}, 'bot');
    expect(done.published).toBe(true);
    expect((await readLiveManifest(ota, 'beta'))?.signed.serial).toBe(2);
    expect((await readEvents(ota, 'beta')).map((e) => e.action)).toEqual(['publish', 'renew', 'renew', 'publish']);
  });
});

describe('signAndRelease and staged.json', () => {
  it('leaves a staged manifest of another release in place, and removes the one it publishes', async () => {
    const ota = tmpDir();
    await publishLocked(createStore(ctx(ota)), ota, signDoc(body(1), [key]), [ev(1)], { removeStaged: false });
    const other = signDoc({ ...body(2), release: { ...body(2).release, version: '2026.49.0' } }, [key]);
    await fs.writeFile(stagedPath(ota, 'beta'), JSON.stringify(other));
    const store = createStore(ctx(ota));
    const r = await signAndRelease({ now: NOW }, store, ota, body(2), [key], trust, 'renew', {}, 'bot');
    expect(r.published).toBe(true);
    expect(store.written).not.toContain(stagedPath(ota, 'beta'));
    expect(JSON.parse(await fs.readFile(stagedPath(ota, 'beta'), 'utf8'))).toEqual(other);

    // Staged below the threshold, then published by a run with enough keys: that staged file goes.
    const twoNeeded = parseTrust({ ...trustDoc('aurora', [key]), channels: { beta: { threshold: 2 } } });
    const warnings: string[] = [];
    await signAndRelease(
      { now: NOW, warn: (l) => warnings.push(l) },
      createStore(ctx(ota)),
      ota,
      body(3),
      [key],
      twoNeeded,
      'renew',
      {},
      'bot',
    );
    expect(warnings).toEqual(['beta: this replaces the staged 2026.49.0 (serial 2); stage it again once this one is live']);
    await signAndRelease({ now: NOW }, createStore(ctx(ota)), ota, body(3), [key], trust, 'renew', {}, 'bot');
    await expect(fs.access(stagedPath(ota, 'beta'))).rejects.toThrow();
  });
});
