/** `friday init`: the configuration, the default channel policies and the publish root. */
import { promises as fs } from 'node:fs';
import { basename, join, relative } from 'node:path';
import type { Context, Outcome } from '../context.js';
import { usageError } from '../errors.js';
import { validateConfig } from '../core/config.js';
import { packageRoot } from '../io/package.js';
import { createStore, pathExists, toJsonText } from '../io/store.js';

export interface InitOptions {
  product?: string;
  devices?: string;
  force?: boolean;
}

export async function run(ctx: Context, opts: InitOptions): Promise<Outcome> {
  const product =
    opts.product ??
    (basename(ctx.cwd)
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 63) ||
      'firmware');
  const devices = opts.devices
    ? opts.devices
        .split(',')
        .map((d) => d.trim())
        .filter(Boolean)
    : ['mydevice'];
  const config = {
    product,
    devices,
    versioning: { scheme: 'calver-week', tagPrefix: 'v' },
    build: { command: 'node build.mjs', artifacts: 'out/{device}/*.zip', timeoutMinutes: 120 },
    issues: { source: 'file', path: 'issues.json' },
    votes: { weights: { default: 1, tester: 2, lead: 3 } },
    publish: { dir: 'ota' },
    feedback: { path: 'feedback/crashes.ndjson' },
  };
  const v = validateConfig(config);
  if (!v.ok)
    throw usageError(
      'E_USAGE',
      `init: ${v.problems[0]!.replace(/^product: /, '--product: ').replace(/^devices(\.\d+)?: /, '--devices: ')}`,
    );

  const shipped = join(packageRoot(), 'channels');
  const files: { path: string; text: string }[] = [
    { path: ctx.configPath, text: toJsonText(config) },
    { path: join(ctx.cwd, 'channels/beta.json'), text: await fs.readFile(join(shipped, 'beta.json'), 'utf8') },
    { path: join(ctx.cwd, 'channels/stable.json'), text: await fs.readFile(join(shipped, 'stable.json'), 'utf8') },
  ];
  const existing = [];
  for (const f of files) if (await pathExists(f.path)) existing.push(relative(ctx.cwd, f.path));
  if (existing.length && !opts.force) {
    throw usageError(
      'E_EXISTS',
      `init: ${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}`,
      'pass --force to overwrite',
    );
  }

  const store = createStore(ctx);
  for (const f of files) await store.writeFile(f.path, f.text);
  const publishDir = join(ctx.cwd, config.publish.dir);
  await store.mkdir(publishDir);
  // The publish root and the build output are outputs: keep them out of `git status`.
  const ignorePath = join(ctx.cwd, '.gitignore');
  const ignore = (await pathExists(ignorePath)) ? await fs.readFile(ignorePath, 'utf8') : '';
  const wanted = [`/${config.publish.dir}/`, '/out/'].filter(
    (l) => !ignore.split('\n').some((x) => x.trim() === l || x.trim() === l.slice(1)),
  );
  if (wanted.length)
    await store.writeFile(ignorePath, (ignore && !ignore.endsWith('\n') ? ignore + '\n' : ignore) + wanted.join('\n') + '\n');

  const written = store.written.map((p) => relative(ctx.cwd, p) || '.');
  return {
    result: { product, devices, written, dryRun: ctx.dryRun },
    text: [
      `${ctx.dryRun ? 'would initialise' : 'initialised'} ${product} for ${devices.join(', ')}: ${written.join(', ')}`,
      'next: edit build.command and build.artifacts in friday.config.json, then `friday keys generate <name>` and `friday keys trust <name>.pub`',
    ].join('\n'),
  };
}
