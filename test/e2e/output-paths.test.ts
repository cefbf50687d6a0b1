/**
 * Every flag naming a path to write (`changelog --out`, `pull --state` and `--download`,
 * `keys generate --out`, `demo --dir`) leaves what the path names what it was: a symlink still
 * a link to the file written, a FIFO or a character device still one; a key file is never
 * written through a link.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, charDevice, cleanEnv, fifoReader, fileKind, gitRepo, initProject, runFriday, tmpDir } from '../helpers/index.js';
import { makeKey, manifestBody, signDoc, trustDoc } from '../integration/channel-fixture.js';

const NOW = '2026-11-27T17:00:00Z';

async function project(): Promise<string> {
  const repo = await gitRepo();
  await initProject(repo, { date: '2026-11-16T09:00:00Z' });
  await fs.writeFile(join(repo.dir, 'issues.json'), JSON.stringify([{ id: 3, title: 'Faster boot', type: 'feature', votes: 4 }]));
  await repo.commit('feat: boot (#3)', { date: '2026-11-20T10:00:00Z' });
  return repo.dir;
}

const changelog = (dir: string, out: string) => runFriday(['changelog', '-C', dir, '--out', out, '--now', NOW]);

describe('friday changelog --out', () => {
  it('writes through a symlink to its target, and the link stays', async () => {
    const dir = await project();
    await fs.mkdir(join(dir, 'docs'));
    await fs.symlink('docs/CHANGELOG.md', join(dir, 'CHANGELOG.md'));
    const r = await changelog(dir, 'CHANGELOG.md');
    expect(r.code, r.stderr).toBe(0);
    expect(await fileKind(join(dir, 'CHANGELOG.md'))).toBe('link');
    expect(await fs.readFile(join(dir, 'docs/CHANGELOG.md'), 'utf8')).toContain('Faster boot');
  });

  it('writes into a FIFO for the reader at its other end', async () => {
    const dir = await project();
    const fifo = join(tmpDir(), 'changelog.pipe');
    const read = fifoReader(fifo);
    const r = await changelog(dir, fifo);
    expect(r.code, r.stderr).toBe(0);
    expect(await read).toContain('Faster boot');
    expect(await fileKind(fifo)).toBe('fifo');
  });

  it('writes into a character device and leaves it one', async (ctx) => {
    const dir = await project();
    const device = charDevice(tmpDir());
    if (device === null) return ctx.skip(); // root without the right to make a device node
    const r = await changelog(dir, device);
    expect(r.code, r.stderr).toBe(0);
    expect(await fileKind(device)).toBe('char');
  });

  it('writes to /dev/stdout, a link to the pipe a shell reads', async () => {
    const dir = await project();
    const line = `"${process.execPath}" "${BIN}" changelog -C "${dir}" --out /dev/stdout --now ${NOW} | cat`;
    const r = spawnSync('sh', ['-c', line], { env: cleanEnv(), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Faster boot[\s\S]*\nwrote \/dev\/stdout: 1 issue from 2 commits\n$/);
  });

  it('refuses a folder (exit 2, naming the flag)', async () => {
    const dir = await project();
    await fs.mkdir(join(dir, 'docs'));
    const r = await changelog(dir, 'docs');
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('friday: --out docs: is a folder, not a file');
    expect(await fs.readdir(join(dir, 'docs'))).toEqual([]);
  });
});

describe('friday keys generate', () => {
  it('refuses a symlink where a key file would go, and writes no key', async () => {
    const dir = tmpDir();
    const keys = join(dir, 'keys');
    await fs.mkdir(keys);
    await fs.symlink(join(dir, 'elsewhere.key'), join(keys, 'alice.key')); // a link to nothing yet
    const r = await runFriday(['keys', 'generate', 'alice', '--out', keys]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`friday: keys generate: ${join(keys, 'alice.key')} is a symbolic link`);
    expect((await fs.readdir(dir)).sort()).toEqual(['keys']);
    expect(await fs.readdir(keys)).toEqual(['alice.key']);
    expect(await fileKind(join(keys, 'alice.key'))).toBe('link');
  });
});

describe('friday pull', () => {
  async function publishRoot() {
    const root = tmpDir();
    const key = await makeKey(join(root, 'keys'), 'alice');
    await fs.writeFile(join(root, 'trust.json'), JSON.stringify(trustDoc('aurora', [key])));
    await fs.mkdir(join(root, 'ota/channels/beta'), { recursive: true });
    await fs.writeFile(join(root, 'ota/channels/beta/manifest.json'), JSON.stringify(signDoc(manifestBody(Buffer.from('image')), [key])));
    const pull = (...args: string[]) =>
      runFriday(
        ['pull', '--channel', 'beta', '--source', join(root, 'ota'), '--trust', join(root, 'trust.json'), '--device', 'umi', ...args],
        {
          env: { FRIDAY_NOW: '2026-11-28T12:00:00Z' },
        },
      );
    return { root, pull };
  }

  it('--state through a symlink keeps the link and writes the file it names', async () => {
    const { root, pull } = await publishRoot();
    await fs.mkdir(join(root, 'dotfiles'));
    // The state a device kept so far (a link to nothing is refused: the serials seen are not reset silently).
    await fs.writeFile(join(root, 'dotfiles/state.json'), JSON.stringify({ type: 'friday.state/v1', serials: { 'aurora/beta': 2 } }));
    await fs.symlink(join(root, 'dotfiles/state.json'), join(root, 'state.json'));
    const r = await pull('--state', join(root, 'state.json'), '--current', '2026.48.0');
    expect(r.code, r.stderr).toBe(0);
    expect(await fileKind(join(root, 'state.json'))).toBe('link');
    expect(JSON.parse(await fs.readFile(join(root, 'dotfiles/state.json'), 'utf8'))).toEqual({
      type: 'friday.state/v1',
      serials: { 'aurora/beta': 3 },
    });
  });

  it('--download naming a file is refused before anything is fetched (exit 2)', async () => {
    const { root, pull } = await publishRoot();
    await fs.writeFile(join(root, 'image.zip'), 'mine');
    const r = await pull('--state', join(root, 'state.json'), '--download', join(root, 'image.zip'));
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`friday: --download ${join(root, 'image.zip')}: not a folder`);
    expect(await fs.readFile(join(root, 'image.zip'), 'utf8')).toBe('mine');
    await expect(fs.access(join(root, 'state.json'))).rejects.toThrow();
  });
});

describe('friday demo --dir', () => {
  it('refuses a path that is not a folder (exit 2), leaving it alone', async () => {
    const dir = tmpDir();
    await fs.writeFile(join(dir, 'week'), 'a file');
    const r = await runFriday(['demo', '--dir', join(dir, 'week')]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`friday: demo: --dir ${join(dir, 'week')}: not a folder`);
    expect(await fs.readFile(join(dir, 'week'), 'utf8')).toBe('a file');
  });
});
