/** Load and validate the ROM repository's configuration and channel policies, all problems at once. */
import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Context } from '../context.js';
import { checkAudiences, checkChannelGraph, validateConfig, validatePolicy, type ChannelPolicy, type Config } from '../core/config.js';
import { errnoCode, usageError, type ErrorCode } from '../errors.js';
import { displayPath } from './display.js';
import { readJsonFile } from './json.js';

export interface Project {
  root: string;
  configPath: string;
  config: Config;
  channels: Record<string, ChannelPolicy>;
  /** Absolute publish root (config publish.dir, default ota/). */
  publishDir: string;
}

export async function loadConfig(ctx: Pick<Context, 'cwd' | 'configPath'>): Promise<Config> {
  const label = displayPath(ctx.cwd, ctx.configPath);
  let raw: unknown;
  try {
    raw = await readJsonFile(ctx.configPath, label);
  } catch (err) {
    if ((err as Error).message.endsWith('no such file')) {
      throw usageError('E_CONFIG', `${label}: no such file`, 'run `friday init` in the repository, or pass -C <repo> / --config <file>');
    }
    throw Object.assign(err as Error, { code: 'E_CONFIG' });
  }
  const v = validateConfig(raw);
  if (!v.ok)
    throw problemsError(
      'E_CONFIG',
      'friday.config.json',
      v.problems.map((problem) => ({ file: label, problem })),
    );
  return v.value;
}

export async function loadChannels(root: string): Promise<Record<string, ChannelPolicy>> {
  const dir = join(root, 'channels');
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return {};
    throw err;
  }
  const channels: Record<string, ChannelPolicy> = {};
  const problems: Problem[] = [];
  for (const file of names) {
    const label = `channels/${file}`;
    let raw: unknown;
    try {
      raw = await readJsonFile(join(dir, file), label);
    } catch (err) {
      problems.push({ file: label, problem: (err as Error).message.replace(`${label}: `, '') });
      continue;
    }
    const v = validatePolicy(raw, file.slice(0, -'.json'.length));
    if (v.ok) channels[v.value.name] = v.value;
    else problems.push(...v.problems.map((problem) => ({ file: label, problem })));
  }
  // Every file's name, valid or not: a broken policy is one problem, not one more per channel naming it.
  const files = names.map((n) => n.slice(0, -'.json'.length));
  for (const p of checkChannelGraph(channels, files)) {
    const at = p.indexOf(': ');
    problems.push({ file: `channels/${p.slice(0, at)}.json`, problem: p.slice(at + 2) });
  }
  if (problems.length) throw problemsError('E_POLICY', 'channel policies', problems);
  return channels;
}

interface Problem {
  file: string;
  problem: string;
}

/**
 * One line whatever the count (docs/cli.md: errors print one line `friday: <what failed>: <why>`), so
 * a CI log shows every problem: the file when they are all in one, else `what` and each file.
 */
function problemsError(code: ErrorCode, what: string, problems: Problem[]) {
  const files = new Set(problems.map((p) => p.file));
  let message: string;
  if (problems.length === 1) message = `${problems[0]!.file}: ${problems[0]!.problem}`;
  else if (files.size === 1) message = `${problems[0]!.file}: ${problems.length} problems: ${problems.map((p) => p.problem).join('; ')}`;
  else message = `${what}: ${problems.length} problems: ${problems.map((p) => `${p.file}: ${p.problem}`).join('; ')}`;
  return usageError(code, message, `fix the file${files.size > 1 ? 's' : ''} and run again; nothing was written`);
}

export async function loadProject(ctx: Pick<Context, 'cwd' | 'root' | 'configPath'>): Promise<Project> {
  const config = await loadConfig(ctx);
  const channels = await loadChannels(ctx.root);
  const audience = checkAudiences(config, channels);
  if (audience.length)
    throw problemsError(
      'E_POLICY',
      'channel policies',
      audience.map((p) => ({ file: `channels/${p.slice(0, p.indexOf(': '))}.json`, problem: p.slice(p.indexOf(': ') + 2) })),
    );
  return { root: ctx.root, configPath: ctx.configPath, config, channels, publishDir: resolve(ctx.root, config.publish.dir) };
}

export function channelPolicy(project: Project, name: string, flag = '--channel'): ChannelPolicy {
  const p = project.channels[name];
  if (!p) {
    const known = Object.keys(project.channels);
    throw usageError(
      'E_USAGE',
      `${flag} ${name}: unknown channel (no channels/${name}.json)`,
      known.length ? `known channels: ${known.join(', ')}` : 'run `friday init` to write the default channels',
    );
  }
  return p;
}
