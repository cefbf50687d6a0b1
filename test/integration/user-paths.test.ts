/**
 * Writing at a path the user named (`--out`, `--state`) on the real file system: a symlink keeps
 * pointing at the file written, a FIFO and a character device stay what they are, a regular file
 * is replaced atomically with its mode, and a folder is refused.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeUserFile } from '../../src/client/state.js';
import { createStore } from '../../src/io/store.js';
import { charDevice, fifoReader, fileKind as kind, tmpDir } from '../helpers/index.js';

describe('writeUserFile', () => {
  it('writes through a symlink to the file it names, and the link stays', async () => {
    const dir = tmpDir();
    await fs.mkdir(join(dir, 'docs'));
    await fs.writeFile(join(dir, 'docs/CHANGELOG.md'), 'old\n');
    await fs.symlink('docs/CHANGELOG.md', join(dir, 'CHANGELOG.md'));
    await fs.symlink('CHANGELOG.md', join(dir, 'NOTES.md')); // a chain of two links

    expect(await writeUserFile(join(dir, 'NOTES.md'), 'new\n')).toBe(join(dir, 'docs/CHANGELOG.md'));
    expect(await kind(join(dir, 'NOTES.md'))).toBe('link');
    expect(await kind(join(dir, 'CHANGELOG.md'))).toBe('link');
    expect(await fs.readFile(join(dir, 'docs/CHANGELOG.md'), 'utf8')).toBe('new\n');
    expect((await fs.readdir(join(dir, 'docs'))).sort()).toEqual(['CHANGELOG.md']); // no temp file left
  });

  it('creates the file a dangling symlink names', async () => {
    const dir = tmpDir();
    await fs.symlink(join(dir, 'docs/CHANGELOG.md'), join(dir, 'CHANGELOG.md'));
    await writeUserFile(join(dir, 'CHANGELOG.md'), 'first\n');
    expect(await kind(join(dir, 'CHANGELOG.md'))).toBe('link');
    expect(await fs.readFile(join(dir, 'docs/CHANGELOG.md'), 'utf8')).toBe('first\n');
  });

  it('writes into a FIFO, for the reader at its other end, and leaves the FIFO', async () => {
    const dir = tmpDir();
    const fifo = join(dir, 'pipe');
    const read = fifoReader(fifo);
    const text = 'line\n'.repeat(50_000); // more than a pipe's buffer
    await writeUserFile(fifo, text);
    expect(await read).toBe(text);
    expect(await kind(fifo)).toBe('fifo');
    expect(await fs.readdir(dir)).toEqual(['pipe']);
  });

  it('writes into a character device and leaves it a character device', async (ctx) => {
    const dir = tmpDir();
    const device = charDevice(dir);
    if (device === null) return ctx.skip(); // root without the right to make a device node
    await writeUserFile(device, 'discarded\n');
    expect(await kind(device)).toBe('char');
    expect(await fs.readdir(dir)).toEqual(device.startsWith(dir) ? ['null'] : []);
  });

  it('replaces a regular file atomically and keeps its mode', async () => {
    const dir = tmpDir();
    const path = join(dir, 'state.json');
    await fs.writeFile(path, 'old\n', { mode: 0o600 });
    await fs.chmod(path, 0o600);
    await writeUserFile(path, 'new\n');
    expect(await fs.readFile(path, 'utf8')).toBe('new\n');
    expect((await fs.stat(path)).mode & 0o777).toBe(0o600);
    expect(await fs.readdir(dir)).toEqual(['state.json']);
    await writeUserFile(join(dir, 'new/sub/file.md'), 'x');
    expect(await fs.readFile(join(dir, 'new/sub/file.md'), 'utf8')).toBe('x');
  });

  it('refuses a folder, a link to a folder and a loop of links (exit 2), writing nothing', async () => {
    const dir = tmpDir();
    await fs.mkdir(join(dir, 'docs'));
    await fs.symlink('docs', join(dir, 'to-docs'));
    await fs.symlink('b', join(dir, 'a'));
    await fs.symlink('a', join(dir, 'b'));
    await expect(writeUserFile(join(dir, 'docs'), 'x', '--out docs')).rejects.toMatchObject({
      code: 'E_USAGE',
      exit: 2,
      message: '--out docs: is a folder, not a file',
    });
    await expect(writeUserFile(join(dir, 'to-docs'), 'x', '--out to-docs')).rejects.toMatchObject({
      message: `--out to-docs: ${join(dir, 'docs')} is a folder, not a file`,
    });
    await expect(writeUserFile(join(dir, 'a'), 'x', '--out a')).rejects.toMatchObject({
      message: '--out a: too many levels of symbolic links',
    });
    expect((await fs.readdir(dir)).sort()).toEqual(['a', 'b', 'docs', 'to-docs']);
    expect(await fs.readdir(join(dir, 'docs'))).toEqual([]);
  });

  it("in the store: the CLI's error, and nothing written under --dry-run", async () => {
    const dir = tmpDir();
    const lines: string[] = [];
    const store = (dryRun: boolean) => createStore({ dryRun, cwd: dir, info: (l) => lines.push(l) });
    await expect(store(false).writeUserFile(dir, 'x', '--out .')).rejects.toMatchObject({ name: 'FridayError', code: 'E_USAGE', exit: 2 });
    await fs.symlink('real.md', join(dir, 'link.md'));
    await store(true).writeUserFile(join(dir, 'link.md'), 'x', '--out link.md');
    expect(lines).toEqual(['would write link.md']);
    expect(await kind(join(dir, 'link.md'))).toBe('link');
    await expect(fs.access(join(dir, 'real.md'))).rejects.toThrow();
  });
});
