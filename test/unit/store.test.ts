/** The store on an in-memory file system: atomic replacement, appends, the dry-run gate. */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fs as memfs, vol } from 'memfs';

vi.mock('node:fs', () => ({ ...memfs, default: memfs }));

const { createStore, writeFileAtomic } = await import('../../src/io/store.js');
const { readJsonFile } = await import('../../src/io/json.js');
const { copyAndHash } = await import('../../src/io/hashcopy.js');
const { createHash } = await import('node:crypto');

const lines: string[] = [];
const ctx = (dryRun: boolean) => ({ dryRun, cwd: '/repo', info: (l: string) => lines.push(l) });

beforeEach(() => {
  vol.reset();
  lines.length = 0;
});

describe('store', () => {
  it('replaces a file whole and leaves no temporary file behind', async () => {
    vol.fromJSON({ '/repo/ota/channels/beta/manifest.json': '{"old":true}' });
    await writeFileAtomic('/repo/ota/channels/beta/manifest.json', '{"new":true}\n');
    expect(vol.toJSON()).toEqual({ '/repo/ota/channels/beta/manifest.json': '{"new":true}\n' });
  });

  it('creates folders, writes JSON with a final newline, and honours a private mode', async () => {
    const store = createStore(ctx(false));
    await store.writeJson('/repo/ota/trust.json', { a: 1 });
    await store.writeFile('/keys/a.key', 'secret', { mode: 0o600 });
    expect(memfs.readFileSync('/repo/ota/trust.json', 'utf8')).toBe('{\n  "a": 1\n}\n');
    expect(memfs.statSync('/keys/a.key').mode & 0o777).toBe(0o600);
    expect(store.written).toEqual(['/repo/ota/trust.json', '/keys/a.key']);
  });

  it('only appends to an audit log', async () => {
    const store = createStore(ctx(false));
    await store.appendLine('/repo/ota/events.ndjson', '{"n":1}');
    await store.appendLine('/repo/ota/events.ndjson', '{"n":2}\n');
    expect(memfs.readFileSync('/repo/ota/events.ndjson', 'utf8')).toBe('{"n":1}\n{"n":2}\n');
  });

  it('writes nothing under --dry-run and says what it would write', async () => {
    vol.fromJSON({ '/repo/keep.txt': 'x' });
    const store = createStore(ctx(true));
    await store.writeJson('/repo/ota/trust.json', {});
    await store.appendLine('/repo/ota/events.ndjson', '{}');
    await store.mkdir('/repo/ota/releases');
    await store.remove('/repo/keep.txt');
    expect(vol.toJSON()).toEqual({ '/repo/keep.txt': 'x' });
    expect(lines).toEqual([
      'would write ota/trust.json',
      'would append to ota/events.ndjson',
      'would create ota/releases',
      'would remove keep.txt',
    ]);
  });

  it('names the file when JSON is broken (exit 2)', async () => {
    vol.fromJSON({ '/repo/issues.json': '[{"id": 1,' });
    await expect(readJsonFile('/repo/issues.json', 'issues.json')).rejects.toMatchObject({
      exit: 2,
      message: expect.stringMatching(/^issues\.json: not valid JSON/),
    });
    await expect(readJsonFile('/repo/none.json', 'none.json')).rejects.toMatchObject({ exit: 2, message: 'none.json: no such file' });
  });
});

describe('copyAndHash', () => {
  it('copies any size exactly and hashes the same bytes in one pass', async () => {
    const data = Buffer.alloc(8 * 1024 * 1024 * 2 + 12345);
    for (let i = 0; i < data.length; i += 4096) data[i] = i % 251;
    vol.fromJSON({ '/out/x.zip': '' });
    memfs.writeFileSync('/out/x.zip', data);
    memfs.mkdirSync('/rel', { recursive: true });
    const r = await copyAndHash('/out/x.zip', '/rel/x.zip');
    expect(r.size).toBe(data.length);
    expect(r.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    expect(Buffer.compare(memfs.readFileSync('/rel/x.zip') as Buffer, data)).toBe(0);
    expect(memfs.readdirSync('/rel')).toEqual(['x.zip']);
  });

  it('copies in one read-write pass where the file system cannot copy in the kernel', async () => {
    const data = Buffer.alloc(8 * 1024 * 1024 * 2 + 777);
    for (let i = 0; i < data.length; i += 1000) data[i] = (i / 1000) % 256;
    memfs.mkdirSync('/out', { recursive: true });
    memfs.mkdirSync('/rel', { recursive: true });
    memfs.writeFileSync('/out/x.zip', data);
    const copyFile = vi
      .spyOn(memfs.promises, 'copyFile')
      .mockRejectedValue(Object.assign(new Error('copyfile: not supported'), { code: 'ENOSYS' }));
    try {
      const seen: number[] = [];
      const r = await copyAndHash('/out/x.zip', '/rel/x.zip', (done) => seen.push(done));
      expect(copyFile).toHaveBeenCalled();
      expect(r).toEqual({
        size: data.length,
        sha256: createHash('sha256').update(data).digest('hex'),
      });
      expect(Buffer.compare(memfs.readFileSync('/rel/x.zip') as Buffer, data)).toBe(0);
      expect(memfs.readdirSync('/rel')).toEqual(['x.zip']);
      expect(seen[seen.length - 1]).toBe(data.length);
    } finally {
      copyFile.mockRestore();
    }
  });

  it('reports a failed copy and leaves no temporary file', async () => {
    memfs.mkdirSync('/out', { recursive: true });
    memfs.mkdirSync('/rel', { recursive: true });
    memfs.writeFileSync('/out/x.zip', Buffer.alloc(1024, 1));
    // The kernel wrote part of the copy, then the disk filled up.
    const copyFile = vi.spyOn(memfs.promises, 'copyFile').mockImplementation(async (_src, dest) => {
      memfs.writeFileSync(String(dest), 'partial');
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    });
    try {
      await expect(copyAndHash('/out/x.zip', '/rel/x.zip')).rejects.toMatchObject({ code: 'ENOSPC' });
      expect(memfs.readdirSync('/rel')).toEqual([]);
    } finally {
      copyFile.mockRestore();
    }
  });
});
