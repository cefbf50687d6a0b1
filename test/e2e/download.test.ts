/**
 * docs/client.md "friday pull --download: resumable, patient, visible": the download against a server
 * on 127.0.0.1 that cuts, stalls, ignores ranges, changes files, redirects and fails on demand.
 * Each test runs `friday pull` as a tester would and checks what lands in the folder.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ManifestBody } from '../../src/client/manifest.js';
import { BIN, cleanEnv, runFriday, tmpDir } from '../helpers/index.js';
import { startServer, type TestServer } from '../helpers/http-server.js';
import { makeKey, manifestBody, signDoc, trustDoc, type TestKey } from '../integration/channel-fixture.js';

const NOW = '2026-11-28T12:00:00Z';
const MiB = 1024 * 1024;
// Not a repetition of one line: a resume from the wrong offset must change the hash.
const IMAGE = Buffer.alloc(3 * MiB);
for (let i = 0; i < IMAGE.length; i += 4) IMAGE.writeUInt32LE((i * 2654435761) >>> 0, i);
const FILE = 'aurora-umi-2026.48.0.zip';
const URL_PATH = `releases/2026.48.0/${FILE}`;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let server: TestServer;
let key: TestKey;
let mallory: TestKey;
let root: string;
let trustPath: string;

const body = (over: Partial<ManifestBody> = {}, image: Buffer = IMAGE): ManifestBody => manifestBody(image, over);

/** A publish root at `<server>/<prefix>`: its manifest, and its artifact unless `image` is null. */
function publish(prefix = 'ota', b: ManifestBody = body(), image: Buffer | null = IMAGE, signer: TestKey = key) {
  server.file(`/${prefix}/channels/beta/manifest.json`, Buffer.from(JSON.stringify(signDoc(b, [signer]))));
  if (image) server.file(`/${prefix}/${URL_PATH}`, image);
}

const artifactHits = (prefix = 'ota') => server.hits(`/${prefix}/${URL_PATH}`);

beforeAll(async () => {
  root = tmpDir('friday-dl-');
  key = await makeKey(join(root, 'keys'), 'alice');
  mallory = await makeKey(join(root, 'keys'), 'mallory');
  trustPath = join(root, 'trust.json');
  await fs.writeFile(trustPath, JSON.stringify(trustDoc('aurora', [key])));
  server = await startServer();
});
afterAll(async () => {
  await server.close();
  await fs.rm(root, { recursive: true, force: true });
});
beforeEach(() => server.clear());

interface Device {
  dir: string;
  dl: string;
  state: string;
  /** The arguments of `friday pull` for this device. */
  args(extra?: string[], sources?: string[]): string[];
  pull(extra?: string[], sources?: string[]): ReturnType<typeof runFriday>;
}

function device(): Device {
  const dir = tmpDir();
  const d: Device = {
    dir,
    dl: join(dir, 'dl'),
    state: join(dir, 'state.json'),
    args: (extra = [], sources = [`${server.base}/ota`]) => [
      'pull',
      '--channel',
      'beta',
      ...sources.flatMap((s) => ['--source', s]),
      '--trust',
      trustPath,
      '--device',
      'umi',
      '--state',
      d.state,
      '--download',
      d.dl,
      ...extra,
    ],
    pull: (extra = [], sources) => runFriday(d.args(['--json', ...extra], sources), { env: { FRIDAY_NOW: NOW } }),
  };
  return d;
}

const listing = (dir: string) => fs.readdir(dir).then((names) => names.sort());

describe('resuming', () => {
  it('resumes a broken connection with Range and If-Range, and says so in JSON', async () => {
    publish();
    server.file(`/ota/${URL_PATH}`, IMAGE, { fault: (n) => (n === 1 ? { cutAfter: MiB + 123 } : undefined) });
    const d = device();
    const r = await d.pull();
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ decision: 'update', downloaded: join(d.dl, FILE), attempts: 2 });
    const [first, second] = artifactHits();
    expect(first!.headers.range).toBeUndefined();
    expect(second!.headers.range).toBe(`bytes=${r.json.resumedFrom}-`);
    expect(second!.headers['if-range']).toMatch(/^"[0-9a-f]{16}"$/);
    expect(r.json.resumedFrom).toBeGreaterThan(0);
    expect(r.json.resumedFrom).toBeLessThanOrEqual(MiB + 123);
    expect(sha(await fs.readFile(join(d.dl, FILE)))).toBe(sha(IMAGE));
    expect(await listing(d.dl)).toEqual([FILE]);
  });

  it('a pull that gives up keeps the .part and its record; the next one resumes from there', async () => {
    publish();
    server.file(`/ota/${URL_PATH}`, IMAGE, { fault: (n) => (n === 1 ? { stallAfter: 2 * MiB } : undefined) });
    const d = device();
    const failed = await d.pull(['--stall-timeout', '0.5', '--retries', '0']);
    expect(failed.code).toBe(1);
    expect(failed.json.error.code).toBe('E_FETCH');
    expect(failed.json.error.message).toContain('stalled');
    expect(await listing(d.dl)).toEqual([`${FILE}.part`, `${FILE}.part.json`]);
    expect((await fs.stat(join(d.dl, `${FILE}.part`))).size).toBe(2 * MiB);
    const record = JSON.parse(await fs.readFile(join(d.dl, `${FILE}.part.json`), 'utf8'));
    expect(record).toMatchObject({
      type: 'friday.download/v1',
      url: URL_PATH,
      size: IMAGE.length,
      sha256: sha(IMAGE),
      from: `${server.base}/ota/${URL_PATH}`,
      offset: 2 * MiB,
    });
    expect(record.etag).toMatch(/^"/);
    expect(existsSync(d.state)).toBe(false); // nothing accepted yet

    const r = await d.pull();
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ attempts: 1, resumedFrom: 2 * MiB });
    expect(artifactHits()[1]!.headers).toMatchObject({ range: `bytes=${2 * MiB}-`, 'if-range': record.etag });
    expect(sha(await fs.readFile(join(d.dl, FILE)))).toBe(sha(IMAGE));
    expect(await listing(d.dl)).toEqual([FILE]);
  });

  it('starts over when the server answers a range with the whole file (200)', async () => {
    publish();
    server.file(`/ota/${URL_PATH}`, IMAGE, { fault: (n) => (n === 1 ? { cutAfter: MiB } : { ignoreRange: true }) });
    const d = device();
    const r = await d.pull();
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ attempts: 2, resumedFrom: 0 });
    expect(artifactHits()[1]!.headers.range).toBeDefined();
    expect(r.stderr).toContain('starting over from zero');
    expect(sha(await fs.readFile(join(d.dl, FILE)))).toBe(sha(IMAGE));
  });

  it('starts over when the file changed on the server (If-Range no longer matches)', async () => {
    publish();
    server.file(`/ota/${URL_PATH}`, IMAGE, { fault: (n) => (n === 1 ? { stallAfter: MiB } : undefined) });
    const d = device();
    expect((await d.pull(['--stall-timeout', '0.5', '--retries', '0'])).code).toBe(1);
    server.file(`/ota/${URL_PATH}`, IMAGE, { etag: '"rebuilt"' });
    const r = await d.pull();
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.resumedFrom).toBe(0);
    expect(artifactHits()[1]!.headers.range).toBe(`bytes=${MiB}-`);
    expect(sha(await fs.readFile(join(d.dl, FILE)))).toBe(sha(IMAGE));
  });

  it('discards a .part whose record is for another artifact', async () => {
    publish();
    const d = device();
    await fs.mkdir(d.dl);
    await fs.writeFile(join(d.dl, `${FILE}.part`), Buffer.alloc(MiB, 7));
    const record = { type: 'friday.download/v1', url: URL_PATH, size: IMAGE.length, sha256: 'e'.repeat(64) };
    await fs.writeFile(
      join(d.dl, `${FILE}.part.json`),
      JSON.stringify({ ...record, from: null, etag: null, lastModified: null, offset: MiB }),
    );
    const r = await d.pull();
    expect(r.code, r.stderr).toBe(0);
    expect(artifactHits()[0]!.headers.range).toBeUndefined();
    expect(sha(await fs.readFile(join(d.dl, FILE)))).toBe(sha(IMAGE));
    expect(await listing(d.dl)).toEqual([FILE]);
  });

  it('a .part that fails the hash is removed and the download starts over once', async () => {
    publish();
    const d = device();
    await fs.mkdir(d.dl);
    const wrong = Buffer.from(IMAGE.subarray(0, MiB));
    wrong[10] = wrong[10]! ^ 0xff;
    await fs.writeFile(join(d.dl, `${FILE}.part`), wrong);
    const record = { type: 'friday.download/v1', url: URL_PATH, size: IMAGE.length, sha256: sha(IMAGE) };
    await fs.writeFile(
      join(d.dl, `${FILE}.part.json`),
      JSON.stringify({ ...record, from: null, etag: null, lastModified: null, offset: MiB }),
    );
    const r = await d.pull();
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ attempts: 2, resumedFrom: MiB });
    expect(artifactHits().map((h) => h.headers.range)).toEqual([`bytes=${MiB}-`, undefined]);
    expect(r.stderr).toMatch(/SHA-256 [0-9a-f]{64}, the signed one is .*starting over from zero/);
    expect(sha(await fs.readFile(join(d.dl, FILE)))).toBe(sha(IMAGE));
  });

  it('after a second hash failure: E_HASH, and the folder holds nothing new', async () => {
    const evil = Buffer.from(IMAGE);
    evil[MiB] = evil[MiB]! ^ 1;
    publish('ota', body(), evil);
    const d = device();
    const r = await d.pull();
    expect(r.code).toBe(1);
    expect(r.json.error.code).toBe('E_HASH');
    expect(artifactHits()).toHaveLength(2);
    expect(existsSync(d.dl)).toBe(false); // the folder it created is gone too
    expect(existsSync(d.state)).toBe(false);
  });
});

describe('patience', () => {
  it('a stall drops the request and the retry resumes', async () => {
    publish();
    server.file(`/ota/${URL_PATH}`, IMAGE, { fault: (n) => (n === 1 ? { stallAfter: MiB / 2 } : undefined) });
    const d = device();
    const r = await d.pull(['--stall-timeout', '0.5']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ attempts: 2, resumedFrom: MiB / 2 });
    expect(r.stderr).toMatch(/no bytes for 0\.5 s \(stalled\); retrying in \d\.\d s/);
  });

  it('retries a 503 with backoff, and gives up after --retries failures in a row', async () => {
    publish();
    server.file(`/ota/${URL_PATH}`, IMAGE, { fault: (n) => (n <= 2 ? { status: 503 } : undefined) });
    const d = device();
    const ok = await d.pull(['--retries', '2']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.json.attempts).toBe(3);

    server.clear();
    publish();
    server.file(`/ota/${URL_PATH}`, IMAGE, { fault: () => ({ status: 503 }) });
    const e = device();
    const gaveUp = await e.pull(['--retries', '1']);
    expect(gaveUp.code).toBe(1);
    expect(gaveUp.json.error).toMatchObject({ code: 'E_FETCH' });
    expect(gaveUp.json.error.message).toContain('HTTP 503');
    expect(gaveUp.json.error.message).toContain('gave up after 2 requests');
    expect(artifactHits()).toHaveLength(2);
    expect(existsSync(e.dl)).toBe(false); // no byte arrived: nothing kept
  });

  it('a retry that brought bytes resets the count', async () => {
    publish();
    // Every request but the last breaks after 256 KiB more: three failures with --retries 1.
    server.file(`/ota/${URL_PATH}`, IMAGE, { fault: (n) => (n <= 3 ? { cutAfter: 256 * 1024 } : undefined) });
    const d = device();
    const r = await d.pull(['--retries', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.attempts).toBe(4);
    expect(sha(await fs.readFile(join(d.dl, FILE)))).toBe(sha(IMAGE));
  });

  it('a second pull into the same folder while one downloads is refused, and touches nothing', async () => {
    publish();
    server.file(`/ota/${URL_PATH}`, IMAGE, { fault: (n) => (n === 1 ? { stallAfter: 2 * MiB } : undefined) });
    const d = device();
    const first = d.pull(['--stall-timeout', '5', '--retries', '0']);
    // Bytes reach the .part in writes of 512 KiB: one on disk means the first pull is mid-transfer.
    await waitFor(async () => ((await fs.stat(join(d.dl, `${FILE}.part`)).catch(() => null))?.size ?? 0) >= MiB / 2);
    const second = await d.pull();
    expect(second.code).toBe(1);
    expect(second.json.error.code).toBe('E_LOCK');
    expect(second.json.error.message).toContain(`${FILE}.part.lock`);
    expect(artifactHits()).toHaveLength(1);
    expect((await first).json.error.code).toBe('E_FETCH');
    expect(await listing(d.dl)).toEqual([`${FILE}.part`, `${FILE}.part.json`]);
  });
});

describe('mirrors', () => {
  it('asks every source, takes the newest valid manifest, names each failing or lagging one, fetches from any', async () => {
    publish('a', body({ serial: 8 })); // lagging, but serves the artifact
    publish('b', body({ serial: 9 }), null); // newest; its artifact is missing
    publish('c', body({ serial: 10 }), IMAGE, mallory); // newer, but not signed by a trusted key
    // d serves nothing at all
    const d = device();
    const sources = ['a', 'b', 'c', 'd'].map((p) => `${server.base}/${p}`);
    const r = await d.pull([], sources);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ decision: 'update', serial: 9, downloaded: join(d.dl, FILE) });
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('friday: warning: '));
    expect(warnings.find((l) => l.includes('/a/'))).toMatch(/serves serial 8, older than serial 9 .*\(lagging\)/);
    expect(warnings.find((l) => l.includes('/c/'))).toMatch(/0 valid trusted signatures/);
    expect(warnings.find((l) => l.includes('/d/'))).toMatch(/HTTP 404/);
    expect(warnings.find((l) => l.includes(`/b/${URL_PATH}`))).toMatch(/HTTP 404/);
    expect(artifactHits('a')).toHaveLength(1);
    expect(sha(await fs.readFile(join(d.dl, FILE)))).toBe(sha(IMAGE));
    expect(JSON.parse(await fs.readFile(d.state, 'utf8')).serials['aurora/beta']).toBe(9);
  });

  it('fails with the first source’s refusal when no source has a valid manifest', async () => {
    publish('a', body(), null, mallory);
    const d = device();
    const r = await d.pull([], [`${server.base}/a`, `${server.base}/nowhere`]);
    expect(r.code).toBe(1);
    expect(r.json.error.code).toBe('E_SIGNATURE');
    expect(r.stderr).toMatch(/warning: .*\/nowhere\/.*HTTP 404/);
  });
});

describe('visible', () => {
  it('shows progress on stderr when not on a terminal, also with --json', async () => {
    publish();
    const d = device();
    const r = await d.pull();
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.downloaded).toBe(join(d.dl, FILE)); // stdout is still one JSON document
    expect(r.stderr).toContain(`downloading ${FILE} (3.0 MiB) from ${server.base}/ota/${URL_PATH}`);
    expect(r.stderr).toMatch(new RegExp(`${FILE.replace(/\./g, '\\.')}: 100% \\(3\\.0 of 3\\.0 MiB\\) at [0-9.]+ MiB/s`));
    expect(r.stderr).not.toContain('\r');
  });

  // util-linux `script` gives the pull a terminal of its own.
  it.skipIf(!existsSync('/usr/bin/script'))('on a terminal, one live line: bytes of total, rate, time left', async () => {
    publish();
    const d = device();
    const args = [process.execPath, BIN, ...d.args()];
    const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
    const out = await new Promise<string>((ok, fail) => {
      const child = spawn('script', ['-qfec', args.map(quote).join(' '), '/dev/null'], {
        env: cleanEnv({ FRIDAY_NOW: NOW, CI: undefined, NO_COLOR: undefined, TERM: 'xterm' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (text += s));
      child.on('error', fail);
      child.on('close', () => ok(text));
    });
    // eslint-disable-next-line no-control-regex
    expect(out).toMatch(/\r\x1b\[K(checking )?aurora-umi-2026\.48\.0\.zip {2}[\d.]+ MiB of 3\.0 MiB {2}[\d.]+ MiB\/s/);
    expect(out).toMatch(/MiB\/s {2}\d+:\d\d left/);
    expect(out).toContain(`downloaded ${join(d.dl, FILE)}`);
    expect(sha(await fs.readFile(join(d.dl, FILE)))).toBe(sha(IMAGE));
  });

  it('--quiet shows no progress', async () => {
    publish();
    const r = await device().pull(['--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
  });
});

describe('what is already there', () => {
  it('a verified file in the folder is not fetched again; a damaged one is replaced', async () => {
    publish();
    const d = device();
    expect((await d.pull()).code).toBe(0);
    const again = await d.pull();
    expect(again.code, again.stderr).toBe(0);
    expect(again.json).toMatchObject({ downloaded: join(d.dl, FILE), attempts: 0, resumedFrom: 0 });
    expect(artifactHits()).toHaveLength(1);

    const damaged = Buffer.from(IMAGE);
    damaged[0] = damaged[0]! ^ 1;
    await fs.writeFile(join(d.dl, FILE), damaged);
    const fixed = await d.pull();
    expect(fixed.json.attempts).toBe(1);
    expect(sha(await fs.readFile(join(d.dl, FILE)))).toBe(sha(IMAGE));
  });
});

describe('encodings and redirects', () => {
  it('asks for identity and checks an image sent with Content-Encoding: gzip as the bytes sent', async () => {
    const gz = gzipSync(IMAGE);
    publish('ota', body({}, gz), null);
    server.file(`/ota/${URL_PATH}`, gz, { encoding: 'gzip' });
    const d = device();
    const r = await d.pull();
    expect(r.code, r.stderr).toBe(0);
    expect(artifactHits()[0]!.headers['accept-encoding']).toBe('identity');
    expect(sha(await fs.readFile(join(d.dl, FILE)))).toBe(sha(gz));
  });

  it('reads a manifest that a server compresses anyway', async () => {
    server.file('/ota/channels/beta/manifest.json', gzipSync(JSON.stringify(signDoc(body(), [key]))), { encoding: 'gzip' });
    server.file(`/ota/${URL_PATH}`, IMAGE);
    const r = await device().pull();
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.serial).toBe(3);
  });

  it('follows up to 5 redirects to another host, and checks the bytes wherever they come from', async () => {
    const other = await startServer();
    try {
      publish('ota', body(), null);
      server.redirect(`/ota/${URL_PATH}`, `${other.base}/hop/1`);
      for (let i = 1; i < 5; i++) other.redirect(`/hop/${i}`, `/hop/${i + 1}`, 301 + (i % 2) * 6);
      other.file('/hop/5', IMAGE);
      const d = device();
      const r = await d.pull();
      expect(r.code, r.stderr).toBe(0);
      expect(sha(await fs.readFile(join(d.dl, FILE)))).toBe(sha(IMAGE));

      const evil = Buffer.from(IMAGE);
      evil[0] = evil[0]! ^ 1;
      other.file('/hop/5', evil);
      const e = device();
      const refused = await e.pull();
      expect(refused.json.error.code).toBe('E_HASH');
      expect(existsSync(e.dl)).toBe(false);

      other.redirect('/hop/5', '/hop/6');
      other.file('/hop/6', IMAGE);
      const far = await device().pull();
      expect(far.json.error).toMatchObject({ code: 'E_FETCH' });
      expect(far.json.error.message).toContain('more than 5 redirects');
    } finally {
      await other.close();
    }
  });
});

describe('https', () => {
  it.skipIf(!existsSync('/usr/bin/openssl'))(
    'downloads over TLS when the server certificate is trusted, and refuses it when not',
    async () => {
      const dir = tmpDir();
      const [keyPem, certPem] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
      const subject = ['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1'];
      const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
      execFileSync('openssl', ['req', '-x509', ...newKey, '-keyout', keyPem, '-out', certPem, ...subject], { stdio: 'ignore' });
      const secure = await startServer({ key: await fs.readFile(keyPem), cert: await fs.readFile(certPem) });
      try {
        secure.file('/ota/channels/beta/manifest.json', Buffer.from(JSON.stringify(signDoc(body(), [key]))));
        secure.file(`/ota/${URL_PATH}`, IMAGE, { chunked: true });
        const d = device();
        const args = ['pull', '--channel', 'beta', '--source', `${secure.base}/ota`, '--trust', trustPath, '--device', 'umi'];
        args.push('--state', d.state, '--download', d.dl, '--json');
        const refused = await runFriday(args, { env: { FRIDAY_NOW: NOW } });
        expect(refused.json.error.code).toBe('E_FETCH');
        expect(refused.json.error.message).toMatch(/cannot fetch \(.*(SELF_SIGNED|UNABLE_TO_VERIFY)/);
        const ok = await runFriday(args, { env: { FRIDAY_NOW: NOW, NODE_EXTRA_CA_CERTS: certPem } });
        expect(ok.code, ok.stderr).toBe(0);
        expect(sha(await fs.readFile(join(d.dl, FILE)))).toBe(sha(IMAGE));
      } finally {
        await secure.close();
      }
    },
  );
});

/** Poll until `check` holds (the test's own deadline is vitest's timeout). */
async function waitFor(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20));
}

describe('Ctrl-C and SIGTERM', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal}: exit ${code}, the .part and its record kept and nothing else; the next pull resumes`, async () => {
      publish();
      server.file(`/ota/${URL_PATH}`, IMAGE, { fault: (n) => (n === 1 ? { stallAfter: 2 * MiB } : undefined) });
      const d = device();
      const child = spawn(process.execPath, [BIN, ...d.args(['--json'])], {
        env: cleanEnv({ FRIDAY_NOW: NOW }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      const exited = new Promise<number | null>((ok) => child.on('close', (c) => ok(c)));
      // Mid-transfer: bytes on disk, more pending, the server silent (the stall timeout is 30 s).
      await waitFor(async () => ((await fs.stat(join(d.dl, `${FILE}.part`)).catch(() => null))?.size ?? 0) >= MiB / 2);
      child.kill(signal);
      expect(await exited, stderr).toBe(code);
      expect(JSON.parse(stdout).error.code).toBe('E_INTERRUPTED');
      expect(stderr).toContain(`stopped by ${signal}`);
      expect(await listing(d.dir)).toEqual(['dl']); // no state file
      expect(await listing(d.dl)).toEqual([`${FILE}.part`, `${FILE}.part.json`]);
      // What arrived before the signal was written out, and the record says how far it got.
      // (All of it, up to the 2 MiB the server sent before falling silent: how much had arrived
      // when the signal came depends on the machine's load.)
      const kept = (await fs.stat(join(d.dl, `${FILE}.part`))).size;
      expect(kept).toBeGreaterThanOrEqual(MiB / 2);
      expect(kept).toBeLessThanOrEqual(2 * MiB);
      expect(JSON.parse(await fs.readFile(join(d.dl, `${FILE}.part.json`), 'utf8')).offset).toBe(kept);

      const r = await d.pull();
      expect(r.code, r.stderr).toBe(0);
      expect(r.json).toMatchObject({ attempts: 1, resumedFrom: kept });
      expect(sha(await fs.readFile(join(d.dl, FILE)))).toBe(sha(IMAGE));
    });
  }
});
