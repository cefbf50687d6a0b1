/**
 * The command tree in-process (src/cli/program.ts `runCli`): every command documented in
 * docs/cli.md is in the help with its flags, global options work before and after the command,
 * and commander's own errors read like friday's with the documented exit codes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { gitRepo, initProject, ROOT } from '../helpers/index.js';

async function cli(argv: string[], env: NodeJS.ProcessEnv = { CI: 'true' }) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (s) => void (out += s), err: (s) => void (err += s) }, env);
  return { code, out, err };
}

/** `### \`friday keys generate <name> [--out <dir>]\`` → ['keys', 'generate'] and its long flags. */
const documented = readFileSync(join(ROOT, 'docs/cli.md'), 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('### `friday '))
  .map((l) => {
    const synopsis = l.slice('### `friday '.length, l.lastIndexOf('`'));
    const words = synopsis.split(' ');
    const end = words.findIndex((w) => !/^[a-z][a-z-]*$/.test(w));
    return { path: end === -1 ? words : words.slice(0, end), flags: [...synopsis.matchAll(/--[a-z-]+/g)].map((m) => m[0]) };
  })
  .filter((c) => c.path[0] !== 'help');

describe('the command tree', () => {
  it('has every command of docs/cli.md, each with its documented flags in its --help', async () => {
    expect(documented.map((c) => c.path.join(' '))).toContain('keys generate');
    expect(documented.length).toBeGreaterThanOrEqual(17);
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const c of documented) {
      expect(top.out, `friday --help lists ${c.path[0]}`).toMatch(new RegExp(`^  ${c.path[0]}\\b`, 'm'));
      const help = await cli([...c.path, '--help']);
      expect(help.code, c.path.join(' ')).toBe(0);
      for (const flag of c.flags) expect(help.out, `${c.path.join(' ')} --help: ${flag}`).toContain(flag);
    }
  });

  it('takes the global options before or after the command, with the same result', async () => {
    const repo = await gitRepo();
    await initProject(repo);
    const after = await cli(['status', '--json', '-C', repo.dir, '--now', '2026-11-27T17:00:00Z']);
    const before = await cli(['--json', '-C', repo.dir, '--now', '2026-11-27T17:00:00Z', 'status']);
    expect(after.code, after.err).toBe(0);
    expect(before).toEqual(after);
    expect(JSON.parse(after.out)).toMatchObject({ product: 'aurora', releases: [] });
  });

  it("says commander's errors as friday's: one line naming the command, a hint, exit 2; --json gets the error document", async () => {
    const bogus = await cli(['status', '--bogus']);
    expect(bogus.code).toBe(2);
    expect(bogus.err.split('\n')[0]).toBe("friday: status: unknown option '--bogus'");
    expect(bogus.err.split('\n')[1]).toMatch(/^ {2}\S/);

    const group = await cli(['keys', '--json']);
    expect(group.code).toBe(2);
    expect(JSON.parse(group.out)).toEqual({
      ok: false,
      error: { code: 'E_USAGE', message: 'keys: missing command (generate, trust, rotate)' },
    });

    const missing = await cli(['stage']);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^friday: stage: required option '--channel <name>' not specified/);
  });

  it('prints the version and exits 0; no arguments is the help on stderr and exit 2', async () => {
    const v = await cli(['--version']);
    expect(v).toMatchObject({ code: 0, out: `${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}\n` });
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.err).toContain('Usage: friday');
  });
});
