/** src/io/channel.ts and src/workflow/release.ts on a temp folder: the publish order, the audit log, the dry-run gate. */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrust } from '../../src/client/trust.js';
import { stageBody } from '../../src/core/manifest.js';
import type { Trust } from '../../src/client/trust.js';
import type { Context } from '../../src/context.js';
import {
  completePublish,
  historyPath,
  livePath,
  publishManifest,
  readEvents,
  readHistory,
  readLiveManifest,
  readStagedManifest,
  stagedPath,
  type AuditEvent,
} from '../../src/io/channel.js';
import { createStore } from '../../src/io/store.js';
import type { Channel } from '../../src/workflow/channel.js';
import { signAndRelease } from '../../src/workflow/release.js';
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

/** The channel `beta` of a project whose publish root is `ota`, as src/workflow/channel.ts opens it. */
function channelAt(ota: string, t: Trust, opts: { dryRun?: boolean; warn?: (line: string) => void } = {}): Channel {
  const run = { ...ctx(ota, opts.dryRun), now: NOW, env: {}, warn: opts.warn ?? (() => {}) } as unknown as Context;
  return {
    ctx: run,
    project: {
      root: ota,
      configPath: join(ota, 'friday.config.json'),
      publishDir: ota,
      channels: {},
      config: { product: 'aurora', publish: { dir: 'ota', tuf: false } },
    } as never,
    name: 'beta',
    policy: {} as never,
    trust: t,
    store: createStore(run),
    actor: async () => 'bot',
    signers: async () => [key],
    live: () => readLiveManifest(ota, 'beta'),
    staged: () => readStagedManifest(ota, 'beta'),
    history: () => readHistory(ota, 'beta'),
    events: () => readEvents(ota, 'beta'),
    locked: (fn) => fn(),
  };
}
const ev = (serial: number, action: AuditEvent['action'] = 'publish'): AuditEvent => ({
  at: '2026-11-27T17:00:00Z',
  action,
  serial,
  version: '2026.48.0',
  actor: 't',
  detail: null,
});

describe('channel files', () => {
  it('publishes the live file first, then its history copy, removes staged.json and appends the lines', async () => {
    const ota = tmpDir();
    const store = createStore(ctx(ota));
    await fs.mkdir(join(ota, 'channels/beta'), { recursive: true });
    await fs.writeFile(stagedPath(ota, 'beta'), '{}');
    const doc = signDoc(body(1), [key]);
    await publishManifest(store, ota, doc, [ev(1)], { removeStaged: true });
    expect(store.written.map((p) => p.slice(ota.length + 1))).toEqual([
      'channels/beta/manifest.json',
      'channels/beta/history/00000001.json',
      'channels/beta/staged.json',
      'channels/beta/events.ndjson',
    ]);
    expect(await readLiveManifest(ota, 'beta')).toEqual(doc);
    expect(await readHistory(ota, 'beta')).toEqual([doc]);
    await expect(fs.access(stagedPath(ota, 'beta'))).rejects.toThrow();
    expect(JSON.parse(await fs.readFile(historyPath(ota, 'beta', 1), 'utf8'))).toEqual(doc);
  });

  it('never rewrites a history file: other bytes under a published serial are refused before the live file moves', async () => {
    const ota = tmpDir();
    await publishManifest(createStore(ctx(ota)), ota, signDoc(body(1), [key]), [ev(1)], { removeStaged: false });
    // A signed manifest for serial 2 that never went live, left in history/ by an older publish order.
    const orphan = signDoc({ ...body(2), rollout: { ...body(2).rollout, percent: 5 } }, [key]);
    await fs.writeFile(historyPath(ota, 'beta', 2), JSON.stringify(orphan));
    const before = await fs.readFile(livePath(ota, 'beta'), 'utf8');
    const err = await publishManifest(createStore(ctx(ota)), ota, signDoc(body(2), [key]), [ev(2)], { removeStaged: false }).catch(
      (e) => e,
    );
    expect(err).toMatchObject({ code: 'E_INTERNAL', exit: 1 });
    expect(err.message).toContain('history files are never rewritten');
    expect(await fs.readFile(livePath(ota, 'beta'), 'utf8')).toBe(before);
    expect(JSON.parse(await fs.readFile(historyPath(ota, 'beta', 2), 'utf8'))).toEqual(orphan);
    // The same bytes again is nothing to do.
    const store = createStore(ctx(ota));
    await publishManifest(store, ota, signDoc(body(1), [key]), [], { removeStaged: false });
    expect(store.written.map((p) => p.slice(ota.length + 1))).toEqual(['channels/beta/manifest.json']);
  });

  it('completes a publish killed after the live file moved: history copy, staged.json, audit line', async () => {
    const ota = tmpDir();
    const store = createStore(ctx(ota));
    const doc = signDoc(body(2), [key]);
    await publishManifest(store, ota, signDoc(body(1), [key]), [ev(1)], { removeStaged: false });
    // A run killed right after the rename: live is serial 2, nothing else was written.
    await fs.writeFile(stagedPath(ota, 'beta'), JSON.stringify(doc));
    await fs.writeFile(livePath(ota, 'beta'), JSON.stringify(doc));
    await fs.appendFile(join(ota, 'channels/beta/events.ndjson'), '{"at":"2026-11-27T17:0');
    expect((await readEvents(ota, 'beta')).map((e) => e.serial)).toEqual([1]);
    await fs.appendFile(join(ota, 'channels/beta/events.ndjson'), '\n');
    const events = await completePublish(store, ota, 'beta', async () => 'bot');
    expect(events.map((e) => [e.action, e.serial, (e.detail as any)?.recovered ?? null])).toEqual([
      ['publish', 1, null],
      ['publish', 2, true],
    ]);
    expect((await readHistory(ota, 'beta')).map((m) => m.signed.serial)).toEqual([1, 2]);
    await expect(fs.access(stagedPath(ota, 'beta'))).rejects.toThrow();
    const again = createStore(ctx(ota));
    expect(await completePublish(again, ota, 'beta', async () => 'bot')).toEqual(events); // nothing more to add
    expect(again.written).toEqual([]);
  });

  it('signAndRelease publishes at the threshold and stages below it; --dry-run writes nothing', async () => {
    const ota = tmpDir();
    const live = signDoc(body(1), [key]);
    await publishManifest(createStore(ctx(ota)), ota, live, [ev(1)], { removeStaged: false });
    const twoNeeded = parseTrust({ ...trustDoc('aurora', [key]), channels: { beta: { threshold: 2 } } });
    const staged = await signAndRelease(channelAt(ota, twoNeeded), body(2), [key], 'renew', {});
    expect(staged).toMatchObject({ published: false, valid: 1, threshold: 2 });
    expect((await readLiveManifest(ota, 'beta'))?.signed.serial).toBe(1);
    expect(JSON.parse(await fs.readFile(stagedPath(ota, 'beta'), 'utf8')).signed.serial).toBe(2);

    const before = await fs.readFile(livePath(ota, 'beta'), 'utf8');
    const dry = channelAt(ota, trust, { dryRun: true });
    const r = await signAndRelease(dry, body(2), [key], 'renew', {});
    expect(r.published).toBe(true);
    // The manifest's .minisig joins the five writes of a publish, and the staged one goes with staged.json.
    expect(dry.store.written.length).toBe(7);
    expect(dry.store.written.some((w) => w.endsWith('manifest.json.minisig'))).toBe(true);
    expect(dry.store.written.some((w) => w.endsWith('staged.json.minisig'))).toBe(true);
    expect(await fs.readFile(livePath(ota, 'beta'), 'utf8')).toBe(before);

    const done = await signAndRelease(channelAt(ota, trust), body(2), [key], 'renew', {});
    expect(done.published).toBe(true);
    expect((await readLiveManifest(ota, 'beta'))?.signed.serial).toBe(2);
    expect((await readEvents(ota, 'beta')).map((e) => e.action)).toEqual(['publish', 'renew', 'renew', 'publish']);
  });
});

describe('signAndRelease and staged.json', () => {
  it('leaves a staged manifest of another release in place, and removes the one it publishes', async () => {
    const ota = tmpDir();
    await publishManifest(createStore(ctx(ota)), ota, signDoc(body(1), [key]), [ev(1)], { removeStaged: false });
    const other = signDoc({ ...body(2), release: { ...body(2).release, version: '2026.49.0' } }, [key]);
    await fs.writeFile(stagedPath(ota, 'beta'), JSON.stringify(other));
    const ch = channelAt(ota, trust);
    const r = await signAndRelease(ch, body(2), [key], 'renew', {});
    expect(r.published).toBe(true);
    expect(ch.store.written).not.toContain(stagedPath(ota, 'beta'));
    expect(JSON.parse(await fs.readFile(stagedPath(ota, 'beta'), 'utf8'))).toEqual(other);

    // Staged below the threshold, then published by a run with enough keys: that staged file goes.
    const twoNeeded = parseTrust({ ...trustDoc('aurora', [key]), channels: { beta: { threshold: 2 } } });
    const warnings: string[] = [];
    await signAndRelease(channelAt(ota, twoNeeded, { warn: (l) => warnings.push(l) }), body(3), [key], 'renew', {});
    expect(warnings).toEqual(['beta: this replaces the staged 2026.49.0 (serial 2); stage it again once this one is live']);
    await signAndRelease(channelAt(ota, trust), body(3), [key], 'renew', {});
    await expect(fs.access(stagedPath(ota, 'beta'))).rejects.toThrow();
  });
});
