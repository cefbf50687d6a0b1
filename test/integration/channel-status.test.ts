/**
 * `friday status`: it reads the config, the policies, trust.json and each channel's manifests, and
 * validates them all as every other command does (a broken one names file and field: exit 2 for
 * the user's own input — config, policies, trust.json —, exit 1 for a damaged managed manifest);
 * the last watch verdict comes from the end of events.ndjson, which grows with every check.
 */
import { promises as fs, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../src/cli/context.js';
import { run } from '../../src/commands/status.js';
import { lastWatch, stageTail } from '../../src/io/audit-tail.js';
import { FridayError } from '../../src/errors.js';
import { ROOT, tmpDir } from '../helpers/index.js';

const line = (i: number, action: string, verdict?: string) =>
  JSON.stringify({
    at: `2026-11-27T17:${String(i % 60).padStart(2, '0')}:00Z`,
    action,
    serial: 1,
    version: `v${i}`,
    actor: 'x',
    detail: verdict ? { verdict } : { n: 'x'.repeat(200) },
  });

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

describe('the audit log read from its end', () => {
  it('reads a line whose multi-byte characters straddle a 64 KiB chunk boundary intact', async () => {
    const path = join(tmpDir(), 'events.ndjson');
    // A reason of "ü" (2 bytes each) long enough to cross a chunk start at every alignment.
    const watchLine = JSON.stringify({
      at: '2026-11-27T17:00:00Z',
      action: 'watch',
      serial: 1,
      version: 'v1',
      actor: 'x',
      detail: { verdict: 'unhealthy', reason: 'ü'.repeat(40_000) },
    });
    for (const pad of [0, 1, 2, 3]) {
      const filler = JSON.stringify({
        at: '2026-11-27T18:00:00Z',
        action: 'publish',
        serial: 1,
        version: 'v1',
        actor: 'x',
        detail: { p: 'x'.repeat(70_000 + pad) },
      });
      await fs.writeFile(path, `${watchLine}\n${filler}\n`);
      const found = lastWatch(path);
      expect(found?.verdict).toBe('unhealthy');
      const tail = stageTail(path);
      expect((tail[0]?.detail as { reason: string }).reason).toBe('ü'.repeat(40_000));
    }
  });
});

describe('stageTail', () => {
  it('reads back to the last stage or rollout that went live, keeping the unhealthy checks and the last one', async () => {
    const path = join(tmpDir(), 'events.ndjson');
    expect(stageTail(path)).toEqual([]);
    const ev = (at: string, action: string, serial: number | null, detail: object = {}) =>
      JSON.stringify({ at, action, serial, version: '2026.48.0', actor: 'x', detail });
    const check = (at: string, verdict: string) => ev(at, 'watch', 3, { verdict, candidate: { stageDevices: 1 }, pad: 'x'.repeat(400) });
    const lines = [
      ev('2026-11-20T10:00:00Z', 'stage', 1, { rollout: 10 }),
      ev('2026-11-20T10:00:00Z', 'publish', 1, { rollout: 10 }),
      ev('2026-11-21T10:00:00Z', 'rollout', 2, { from: 10, to: 50, staged: true }),
      ev('2026-11-21T11:00:00Z', 'rollout', 2, { from: 10, to: 50, by: 'watch' }),
      ev('2026-11-21T11:00:00Z', 'publish', 2, { rollout: 50, via: 'rollout' }),
      check('2026-11-21T12:00:00Z', 'unhealthy'),
    ];
    // A thousand healthy checks (several 64 KiB chunks) around a renewal and the last check.
    for (let i = 0; i < 1000; i++) lines.push(check('2026-11-22T00:00:00Z', 'healthy'));
    lines.push(ev('2026-11-25T10:00:00Z', 'renew', 3), ev('2026-11-25T10:00:00Z', 'publish', 3, { rollout: 50, via: 'renew' }));
    for (let i = 0; i < 1000; i++) lines.push(check('2026-11-26T00:00:00Z', 'healthy'));
    lines.push(check('2026-11-27T00:00:00Z', 'insufficient-data'));
    await fs.writeFile(path, lines.join('\n') + '\n');
    const tail = stageTail(path);
    expect(tail.map((e) => `${e.action} ${e.at}`)).toEqual([
      'rollout 2026-11-21T11:00:00Z',
      'publish 2026-11-21T11:00:00Z',
      'watch 2026-11-21T12:00:00Z',
      'renew 2026-11-25T10:00:00Z',
      'publish 2026-11-25T10:00:00Z',
      'watch 2026-11-27T00:00:00Z',
    ]);
  });
});

const corpus = (dir: string, file: string) => readFileSync(join(ROOT, 'test/corpus', dir, file), 'utf8');
const expected = (dir: string) => JSON.parse(corpus(dir, 'expected.json')) as Record<string, { code: string | null; message?: string }>;

/** A repository as `friday init` leaves it: config and the shipped policies, nothing published. */
async function repo(files: Record<string, string> = {}): Promise<string> {
  const dir = tmpDir();
  const all: Record<string, string> = {
    'friday.config.json': JSON.stringify({ product: 'aurora', devices: ['umi'], build: { artifacts: 'out/{device}/*.zip' } }),
    'channels/beta.json': readFileSync(join(ROOT, 'channels/beta.json'), 'utf8'),
    'channels/stable.json': readFileSync(join(ROOT, 'channels/stable.json'), 'utf8'),
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    await fs.mkdir(join(dir, path, '..'), { recursive: true });
    await fs.writeFile(join(dir, path), text);
  }
  return dir;
}

const status = (dir: string, opts: { channel?: string } = {}) => {
  const warnings: string[] = [];
  const ctx = createContext({ cwd: dir, now: '2026-11-28T12:00:00Z' }, {}, { write: (s: string) => warnings.push(s) });
  return run(ctx, opts).then((outcome) => ({ ...(outcome.result as any), warnings }));
};

/**
 * A refusal: the user's own input is an error (exit 2) before anything is shown; a damaged managed
 * manifest is exit 1 after every channel was shown, with the damage named in its channel.
 */
async function refusal(dir: string, exit = 2): Promise<{ code?: string; message: string; hint?: string | undefined; channels?: any[] }> {
  const ctx = createContext({ cwd: dir, now: '2026-11-28T12:00:00Z' }, {}, { write: () => {} });
  const r = await run(ctx, {}).then(
    (outcome) => ({ outcome, err: null }),
    (err: unknown) => ({ outcome: null, err }),
  );
  if (exit === 2) {
    expect(r.err).toBeInstanceOf(FridayError);
    expect((r.err as FridayError).exit).toBe(2);
    expect((r.err as FridayError).message.split('\n')).toHaveLength(1);
    return r.err as FridayError;
  }
  expect(r.err).toBeNull();
  expect(r.outcome!.exit).toBe(1);
  const problem = r.outcome!.problem!;
  expect(problem.message.split('\n')).toHaveLength(1);
  return { ...problem, channels: (r.outcome!.result as any).channels };
}

describe('friday status', () => {
  it('works on a project with nothing published yet', async () => {
    const r = await status(await repo());
    expect(r).toMatchObject({ product: 'aurora', releases: [] });
    expect(r.channels.map((c: any) => [c.name, c.live, c.staged, c.lastWatch])).toEqual([
      ['beta', null, null, null],
      ['stable', null, null, null],
    ]);
    expect(r.warnings).toEqual([]);
  });

  it('shows a published channel, counting trusted signatures against the threshold', async () => {
    const r = await status(
      await repo({
        'ota/trust.json': corpus('manifests', 'trust.json'),
        'ota/channels/beta/manifest.json': corpus('manifests', 'good.json'),
      }),
      { channel: 'beta' },
    );
    expect(r.channels).toHaveLength(1);
    expect(r.channels[0]).toMatchObject({
      name: 'beta',
      live: { version: '2026.48.0', serial: 7, rollout: 12.5, signatures: { signers: 1, threshold: 1 } },
      staged: null,
    });
  });

  it('lists the releases cut, newest first, and warns about a build record it cannot read', async () => {
    const build = (v: string, product = 'aurora') =>
      JSON.stringify({
        type: 'friday.build/v1',
        product,
        version: v,
        tag: `v${v}`,
        commit: 'c'.repeat(40),
        previousTag: null,
        builtAt: '2026-11-27T16:40:00Z',
        artifacts: [{ device: 'umi', file: `aurora-umi-${v}.zip`, size: 1, sha256: 'd'.repeat(64) }],
      });
    const r = await status(
      await repo({
        'ota/releases/2026.47.0/build.json': build('2026.47.0'),
        'ota/releases/2026.48.0/build.json': build('2026.48.0'),
        'ota/releases/2026.49.0/build.json': '{"type":',
        'ota/releases/2026.50.0/x.zip': '',
        'ota/releases/2026.51.0/build.json': build('2026.51.0', 'other'),
      }),
    );
    expect(r.releases).toEqual([
      { version: '2026.48.0', tag: 'v2026.48.0', builtAt: '2026-11-27T16:40:00Z' },
      { version: '2026.47.0', tag: 'v2026.47.0', builtAt: '2026-11-27T16:40:00Z' },
    ]);
    expect(r.warnings).toHaveLength(2);
    expect(r.warnings[0]).toMatch(
      /^friday: warning: ota\/releases\/2026\.49\.0\/build\.json: not valid JSON .*; release 2026\.49\.0 not listed\n$/,
    );
    expect(r.warnings[1]).toBe(
      'friday: warning: ota/releases/2026.51.0/build.json: product: must be "aurora"; release 2026.51.0 not listed\n',
    );
  });

  it('refuses a config or policy the loader refuses', async () => {
    expect((await refusal(await repo({ 'friday.config.json': '{"product": "aurora"' }))).message).toMatch(
      /^friday\.config\.json: not valid JSON/,
    );
    expect(
      (await refusal(await repo({ 'channels/stable.json': corpus('policy', 'not-ascending.json').replace('"beta"', '"stable"') }))).message,
    ).toBe('channels/stable.json: rollout: must be ascending');
  });

  for (const [file, want] of Object.entries(expected('trust'))) {
    it(`refuses a broken trust.json (${file}), naming the file and field`, async () => {
      const err = await refusal(await repo({ 'ota/trust.json': corpus('trust', file) }));
      expect(err.code).toBe('E_TRUST');
      expect(err.message).toContain('ota/trust.json: ');
      expect(err.message).toContain(want.message);
    });
  }

  it('refuses a trust.json of another product: devices would refuse every manifest', async () => {
    const other = JSON.stringify({ ...JSON.parse(corpus('manifests', 'trust.json')), product: 'borealis' });
    expect((await refusal(await repo({ 'ota/trust.json': other }))).message).toBe(
      'ota/trust.json: product "borealis" is not the configuration\'s "aurora"',
    );
  });

  for (const [file, want] of Object.entries(expected('manifests')).filter(([, w]) => w.code === 'E_FORMAT')) {
    it(`refuses a broken live or staged manifest (${file}), naming the file`, async () => {
      for (const name of ['manifest.json', 'staged.json']) {
        const err = await refusal(
          await repo({ 'ota/trust.json': corpus('manifests', 'trust.json'), [`ota/channels/beta/${name}`]: corpus('manifests', file) }),
          1,
        );
        expect(err.message).toMatch(new RegExp(`^ota/channels/beta/${name.replace('.', '\\.')}: not a manifest`));
        expect(err.message).toContain(want.message);
      }
    });
  }

  it('names the field of a broken manifest', async () => {
    const doc = JSON.parse(corpus('manifests', 'good.json'));
    doc.signed.expiresAt = 'next week';
    const err = await refusal(await repo({ 'ota/channels/stable/manifest.json': JSON.stringify(doc) }), 1);
    expect(err.message).toBe('ota/channels/stable/manifest.json: not a manifest: signed.expiresAt: must be an ISO 8601 UTC time');
    expect(err.hint).toContain('history/');
    // Every other channel is still shown; the damaged one says so.
    expect(err.channels!.map((c) => [c.name, c.error?.code ?? null])).toEqual([
      ['beta', null],
      ['stable', 'E_STATE'],
    ]);
  });
});
