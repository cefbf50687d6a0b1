/**
 * `friday init` (docs/cli.md `init`): the configuration, the default channel policies, an empty
 * issues file and the publish root, in a ROM repository that is not a friday project yet; then
 * the steps to a first Friday. Read (the folder, the shipped policies) → decide (the config) →
 * write.
 */
import { existsSync, promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PLACEHOLDER_BUILD, PLACEHOLDER_DEVICE, validateConfig } from '../core/config.js';
import type { Context, Outcome } from '../context.js';
import { usageError } from '../errors.js';
import { displayPath } from '../io/display.js';
import { packageRoot } from '../io/package.js';
import { createStore, pathExists, toJsonText } from '../io/store.js';

export interface InitOptions {
  product?: string;
  devices?: string;
  force?: boolean;
}

export async function run(ctx: Context, opts: InitOptions): Promise<Outcome> {
  // Read.
  if (ctx.root !== ctx.cwd) {
    throw usageError(
      'E_EXISTS',
      `init: ${ctx.root} is already a friday project (${displayPath(ctx.cwd, ctx.configPath)}), and this folder is inside it`,
      `every friday command works from anywhere inside it; to start another project, run init in a repository of its own`,
    );
  }
  const inGit = insideGit(ctx.cwd);

  // Decide.
  const derived = basename(ctx.cwd)
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
  const product = opts.product ?? (derived || 'firmware');
  const devices = opts.devices
    ? opts.devices
        .split(',')
        .map((d) => d.trim())
        .filter(Boolean)
    : [PLACEHOLDER_DEVICE];
  const config = {
    product,
    devices,
    versioning: { scheme: 'calver-week', tagPrefix: 'v' },
    build: { command: PLACEHOLDER_BUILD, artifacts: 'out/{device}/*.zip', timeoutMinutes: 120 },
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
  const files: { path: string; text: string; keep?: boolean }[] = [
    { path: ctx.configPath, text: toJsonText(config) },
    { path: join(ctx.cwd, 'channels/beta.json'), text: await fs.readFile(join(shipped, 'beta.json'), 'utf8') },
    { path: join(ctx.cwd, 'channels/stable.json'), text: await fs.readFile(join(shipped, 'stable.json'), 'utf8') },
    // The fans' issues: an existing file is theirs, never overwritten (not even with --force).
    { path: join(ctx.cwd, 'issues.json'), text: '[]\n', keep: true },
  ];
  const existing = [];
  for (const f of files) if (!f.keep && (await pathExists(f.path))) existing.push(displayPath(ctx.cwd, f.path));
  if (existing.length && !opts.force) {
    throw usageError(
      'E_EXISTS',
      `init: ${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}`,
      'pass --force to overwrite',
    );
  }
  // Outputs stay out of `git status`: the publish root, the build output, the crash feed, and
  // the node_modules of a repository that installs friday as a dev dependency.
  const ignorePath = join(ctx.cwd, '.gitignore');
  const ignore = (await pathExists(ignorePath)) ? await fs.readFile(ignorePath, 'utf8') : '';
  const wanted = [`/${config.publish.dir}/`, '/out/', `/${dirname(config.feedback.path)}/`, '/node_modules/'].filter(
    (l) => !ignore.split('\n').some((x) => x.trim() === l || x.trim() === l.slice(1) || x.trim() === l.slice(1, -1)),
  );

  // Write.
  const store = createStore(ctx);
  for (const f of files) if (!(f.keep && (await pathExists(f.path)))) await store.writeFile(f.path, f.text);
  await store.mkdir(join(ctx.cwd, config.publish.dir));
  if (wanted.length)
    await store.writeFile(ignorePath, (ignore && !ignore.endsWith('\n') ? ignore + '\n' : ignore) + wanted.join('\n') + '\n');

  if (!inGit) ctx.warn(`${ctx.cwd} is not in a git repository: \`friday cut\` tags releases in git; run \`git init\` here first`);
  if (opts.product === undefined)
    ctx.warn(
      `product "${product}" (from the folder's name): devices check it in every manifest; to choose: friday init --product <name> --force`,
    );
  const written = store.written.map((p) => displayPath(ctx.cwd, p) || '.');
  const devicesNext = opts.devices ? [] : ['   devices: your device codenames, e.g. ["cepheus", "umi"]'];
  return {
    result: { product, devices, written, dryRun: ctx.dryRun },
    text: [
      `${ctx.dryRun ? 'would initialise' : 'initialised'} ${product}${opts.devices ? ` for ${devices.join(', ')}` : ''}: ${written.join(', ')}`,
      '',
      'next steps:',
      '1. edit friday.config.json:',
      ...devicesNext,
      '   build.command: the command that builds your ROM; build.artifacts: where it leaves one image per {device}',
      '2. a signing key, trusted in the publish root:',
      '   npx friday keys generate <you>',
      '   npx friday keys trust ~/.config/friday/keys/<you>.pub',
      '3. commit the setup (a cut refuses uncommitted changes):',
      '   git add friday.config.json channels issues.json .gitignore && git commit -m "chore: release with friday"',
      '4. every Friday:',
      '   npx friday cut',
      '   npx friday stage --channel beta --key ~/.config/friday/keys/<you>.key --publish',
    ].join('\n'),
  };
}

/** Whether `dir` is inside a git working tree (a `.git` here or above). */
function insideGit(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return true;
    if (dirname(d) === d) return false;
  }
}
