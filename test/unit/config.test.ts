/**
 * Config and policy validation over the corpus of broken files in test/corpus/, loaded through
 * the real loader on an in-memory file system (memfs): each names the file and the field, exit 2.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fs as memfs, vol } from 'memfs';

vi.mock('node:fs', () => ({ ...memfs, default: memfs }));

const real = await vi.importActual<typeof import('node:fs')>('node:fs');
const { loadProject } = await import('../../src/io/project.js');
const { FridayError } = await import('../../src/errors.js');

const corpus = (dir: string) => new URL(`../corpus/${dir}/`, import.meta.url);
const read = (dir: string, f: string) => real.readFileSync(new URL(f, corpus(dir)), 'utf8');
const expected = (dir: string) => JSON.parse(read(dir, 'expected.json')) as Record<string, string>;

const GOOD_CONFIG = JSON.stringify({
  product: 'aurora',
  devices: ['cepheus', 'umi'],
  build: { command: 'node build.mjs', artifacts: 'out/{device}/*.zip' },
});
const ctx = { cwd: '/repo', root: '/repo', configPath: '/repo/friday.config.json' };

async function failure(files: Record<string, string>): Promise<InstanceType<typeof FridayError>> {
  vol.fromJSON(files);
  const err = await loadProject(ctx).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FridayError);
  return err as InstanceType<typeof FridayError>;
}

beforeEach(() => vol.reset());

describe('friday.config.json corpus', () => {
  for (const [file, message] of Object.entries(expected('config'))) {
    it(`${file} → exit 2: ${message}`, async () => {
      const err = await failure({ '/repo/friday.config.json': read('config', file) });
      expect(err.exit).toBe(2);
      expect(err.message).toContain(message);
      expect(err.message.split('\n')).toHaveLength(1);
    });
  }

  it('reports every problem at once', async () => {
    const err = await failure({
      '/repo/friday.config.json': JSON.stringify({ product: 'X', devices: [], build: { artifacts: 'out.zip' } }),
    });
    expect(err.message).toMatch(/^friday\.config\.json: 3 problems: /);
    expect(err.message).toContain('product:');
    expect(err.message).toContain('devices:');
    expect(err.message).toContain('build.artifacts:');
  });

  it('accepts a config without a build section: only cut needs one', async () => {
    vol.fromJSON({ '/repo/friday.config.json': JSON.stringify({ product: 'aurora', devices: ['umi'] }) });
    const p = await loadProject(ctx);
    expect(p.config.build).toBeUndefined();
    expect(p.config.product).toBe('aurora');
  });

  it('says how to start when there is no config', async () => {
    const err = await failure({ '/repo/README': 'x' });
    expect(err.message).toBe('friday.config.json: no such file');
    expect(err.hint).toContain('friday init');
  });

  it('fills the documented defaults', async () => {
    vol.fromJSON({ '/repo/friday.config.json': GOOD_CONFIG, '/repo/channels/beta.json': JSON.stringify({ name: 'beta' }) });
    const p = await loadProject(ctx);
    expect(p.config.versioning).toEqual({ scheme: 'calver-week', tagPrefix: 'v' });
    expect(p.config.build?.timeoutMinutes).toBe(120);
    expect(p.config.votes.weights.default).toBe(1);
    expect(p.config.publish.dir).toBe('ota');
    expect(p.config.fans).toMatchObject({
      windowDays: 100,
      points: { report: 2, confirmed: 10, votingWeek: 1, testedWeek: 5 },
      grades: [
        { name: 'tester', points: 10 },
        { name: 'lead', points: 60 },
      ],
      devices: 'fans/devices.json',
      output: 'fans/grades.json',
      ceremony: { afterHours: 96, testersOnly: false },
    });
    expect(p.config.fans.awards.map((a) => a.kind)).toEqual(['popcorn', 'bug-hunter', 'tester']);
    expect(p.publishDir).toBe('/repo/ota');
    expect(p.channels.beta).toMatchObject({ from: null, rollout: [100], expiresDays: 14, advance: null });
    expect(p.channels.beta!.health).toEqual({
      windowHours: 24,
      baselineHours: 168,
      minDevices: 200,
      maxCrashRate: 0.05,
      maxIncrease: 1.5,
      tolerance: 1,
      alpha: 0.01,
      confidence: 0.999,
      consecutive: 1,
      models: true,
    });
  });
});

describe('channels/<name>.json corpus', () => {
  for (const [file, message] of Object.entries(expected('policy'))) {
    it(`${file} → exit 2: ${message}`, async () => {
      const err = await failure({ '/repo/friday.config.json': GOOD_CONFIG, '/repo/channels/beta.json': read('policy', file) });
      expect(err.exit).toBe(2);
      expect(err.message).toContain(message);
    });
  }

  it('reports only the real problem when a policy names a broken one in `from`', async () => {
    const stable = JSON.stringify({ name: 'stable', from: 'beta' });
    const invalid = await failure({
      '/repo/friday.config.json': GOOD_CONFIG,
      '/repo/channels/beta.json': read('policy', 'not-ascending.json'),
      '/repo/channels/stable.json': stable,
    });
    expect(invalid.message).toBe('channels/beta.json: rollout: must be ascending');
    const unparsable = await failure({
      '/repo/friday.config.json': GOOD_CONFIG,
      '/repo/channels/beta.json': '{"name": "beta",',
      '/repo/channels/stable.json': stable,
    });
    expect(unparsable.message).toMatch(/^channels\/beta\.json: not valid JSON \(/);
    expect(unparsable.message).not.toContain('unknown channel');
  });

  it('names the file in front of several problems, or says which files', async () => {
    const one = await failure({
      '/repo/friday.config.json': GOOD_CONFIG,
      '/repo/channels/beta.json': JSON.stringify({ name: 'beta', rollout: [50, 10, 100], expiresDays: 0 }),
    });
    expect(one.message).toMatch(/^channels\/beta\.json: 2 problems: rollout: must be ascending; expiresDays: must be above 0$/);
    const two = await failure({
      '/repo/friday.config.json': GOOD_CONFIG,
      '/repo/channels/beta.json': JSON.stringify({ name: 'beta', expiresDays: 0 }),
      '/repo/channels/stable.json': JSON.stringify({ name: 'stable', from: 'nightly' }),
    });
    expect(two.exit).toBe(2);
    expect(two.message).toBe(
      'channel policies: 2 problems: channels/beta.json: expiresDays: must be above 0; channels/stable.json: from: unknown channel "nightly" (no channels/nightly.json)',
    );
  });

  it('refuses policies whose `from` links loop', async () => {
    const err = await failure({
      '/repo/friday.config.json': GOOD_CONFIG,
      '/repo/channels/beta.json': JSON.stringify({ name: 'beta', from: 'stable' }),
      '/repo/channels/nightly.json': JSON.stringify({ name: 'nightly', from: 'beta' }),
      '/repo/channels/stable.json': JSON.stringify({ name: 'stable', from: 'beta' }),
    });
    expect(err.exit).toBe(2);
    expect(err.message).toBe('channels/beta.json: from: the channels loop (beta ← stable ← beta)');
  });

  it('accepts the policies the CLI ships', async () => {
    vol.fromJSON({
      '/repo/friday.config.json': GOOD_CONFIG,
      '/repo/channels/beta.json': real.readFileSync(new URL('../../channels/beta.json', import.meta.url), 'utf8'),
      '/repo/channels/stable.json': real.readFileSync(new URL('../../channels/stable.json', import.meta.url), 'utf8'),
    });
    const p = await loadProject(ctx);
    expect(Object.keys(p.channels).sort()).toEqual(['beta', 'stable']);
    expect(p.channels.stable).toMatchObject({ from: 'beta', soakHours: 168, rollout: [10, 50, 100], expiresDays: 30 });
  });
});
