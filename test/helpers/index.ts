/** Test helpers: temp dirs that clean themselves up, real git repos, and the CLI as a child process. */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
// @ts-expect-error: a plain ES module without types, shared with the demo and the benchmarks
import { prng as mulberry32 } from '../../fixtures/feeds/generate.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = join(ROOT, 'bin/friday.js');

/** A fresh temp folder, removed when the current test finishes. */
export function tmpDir(prefix = 'friday-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    onTestFinished(() => fs.rm(dir, { recursive: true, force: true }));
  } catch {
    // outside a test (beforeAll): the caller cleans up
  }
  return dir;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  json?: any;
}

/** The environment a spawned friday sees: the parent's, minus anything that would change its behaviour. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of [
    'FRIDAY_NOW',
    'FRIDAY_SIGNING_KEY',
    'FRIDAY_DEBUG',
    'FRIDAY_KEYS_DIR',
    'FRIDAY_ACTOR',
    'FRIDAY_TEST_KILL_AFTER',
    'GITHUB_TOKEN',
    'GITHUB_API_URL',
  ])
    delete env[k];
  env.CI = 'true';
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function runFriday(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string | undefined>; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: cleanEnv(opts.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const result: RunResult = { code: code ?? (signal ? 128 : 1), stdout, stderr };
      if (args.includes('--json')) {
        try {
          result.json = JSON.parse(stdout);
        } catch {
          // left undefined: the test asserts on it
        }
      }
      resolvePromise(result);
    });
    child.stdin.end(opts.input ?? '');
  });
}

export function git(cwd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile('git', args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`git ${args.join(' ')}: ${stderr || err.message}`));
      else resolvePromise(stdout.trim());
    });
  });
}

export interface TestRepo {
  dir: string;
  git(args: string[], env?: Record<string, string>): Promise<string>;
  /** Write files (paths relative to the repo), stage everything and commit with a pinned date. */
  commit(message: string, opts?: { files?: Record<string, string>; date?: string }): Promise<string>;
  tag(name: string, message?: string, date?: string): Promise<void>;
  head(): Promise<string>;
}

/** A real git repository in a temp folder, with its own identity (CI may have none). */
export async function gitRepo(dir: string = tmpDir('friday-repo-')): Promise<TestRepo> {
  await fs.mkdir(dir, { recursive: true });
  await git(dir, ['init', '-q', '-b', 'main']);
  for (const [k, v] of [
    ['user.name', 'Release Bot'],
    ['user.email', 'bot@example.org'],
    ['commit.gpgsign', 'false'],
    ['tag.gpgsign', 'false'],
  ] as const) {
    await git(dir, ['config', k, v]);
  }
  let n = 0;
  const repo: TestRepo = {
    dir,
    git: (args, env) => git(dir, args, env),
    async commit(message, opts = {}) {
      n += 1;
      const files = opts.files ?? { [`notes/change-${n}.txt`]: `${message}\n` };
      for (const [p, content] of Object.entries(files)) {
        await fs.mkdir(dirname(join(dir, p)), { recursive: true });
        await fs.writeFile(join(dir, p), content);
      }
      await git(dir, ['add', '-A']);
      const date = opts.date ?? `2026-11-${String(10 + (n % 15)).padStart(2, '0')}T12:00:00Z`;
      await git(dir, ['commit', '-q', '--allow-empty', '-m', message], { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });
      return git(dir, ['rev-parse', 'HEAD']);
    },
    async tag(name, message = name, date = '2026-11-20T12:00:00Z') {
      await git(dir, ['tag', '-a', name, '-m', message], { GIT_COMMITTER_DATE: date });
    },
    head: () => git(dir, ['rev-parse', 'HEAD']),
  };
  return repo;
}

/** A tiny zx-free build script: writes one image per device, named after FRIDAY_VERSION. */
export const BUILD_SCRIPT = `import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
const version = process.env.FRIDAY_VERSION;
const product = process.env.FRIDAY_PRODUCT;
for (const device of process.env.FRIDAY_DEVICES.split(',')) {
  rmSync(\`out/\${device}\`, { recursive: true, force: true });
  mkdirSync(\`out/\${device}\`, { recursive: true });
  writeFileSync(\`out/\${device}/\${product}-\${device}-\${version}.zip\`, \`image of \${product} \${version} for \${device}\\n\`);
  console.log(\`built \${device}\`);
}
`;

/**
 * Write a ROM repository's friday files (config, channels, build script, .gitignore) into `dir`
 * and commit them. Returns the config written.
 */
export async function initProject(
  repo: TestRepo,
  opts: { product?: string; devices?: string[]; config?: Record<string, unknown>; date?: string } = {},
) {
  const config = {
    product: opts.product ?? 'aurora',
    devices: opts.devices ?? ['cepheus', 'umi'],
    versioning: { scheme: 'calver-week', tagPrefix: 'v' },
    build: { command: 'node build.mjs', artifacts: 'out/{device}/*.zip', timeoutMinutes: 5 },
    issues: { source: 'file', path: 'issues.json' },
    votes: { weights: { default: 1, tester: 2, lead: 3 } },
    publish: { dir: 'ota' },
    feedback: { path: 'feedback/crashes.ndjson' },
    ...opts.config,
  };
  await repo.commit('chore: set up friday', {
    files: {
      'friday.config.json': JSON.stringify(config, null, 2) + '\n',
      'channels/beta.json': await fs.readFile(join(ROOT, 'channels/beta.json'), 'utf8'),
      'channels/stable.json': await fs.readFile(join(ROOT, 'channels/stable.json'), 'utf8'),
      'build.mjs': BUILD_SCRIPT,
      'issues.json': '[]\n',
      '.gitignore': 'out/\nota/\nfeedback/\n',
    },
    ...(opts.date ? { date: opts.date } : {}),
  });
  return config;
}

/**
 * The tests' one seeded generator, so a failing randomized run can be replayed with its seed: the
 * mulberry32 of the feed fixtures (which the demo ships), typed here. Floats in [0, 1).
 */
export const prng: (seed: number) => () => number = mulberry32;

/** What a path names, without following a link: `link`, `fifo`, `char`, `file`, `dir` or `other`. */
export async function fileKind(p: string): Promise<string> {
  const st = await fs.lstat(p);
  if (st.isSymbolicLink()) return 'link';
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice()) return 'char';
  return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
}

/**
 * A FIFO at `path` (made with mkfifo) and a reader at its other end (`cat`, a separate process):
 * resolves to all it read once the writer closed. The reader is killed when the test finishes, in
 * case nothing ever writes.
 */
export function fifoReader(path: string): Promise<string> {
  const made = spawnSync('mkfifo', [path]);
  if (made.status !== 0) throw new Error(`mkfifo ${path}: ${made.stderr}`);
  const reader = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'inherit'] });
  onTestFinished(() => void reader.kill());
  let got = '';
  reader.stdout.setEncoding('utf8').on('data', (d: string) => (got += d));
  return new Promise((ok) => reader.on('close', () => ok(got)));
}

/**
 * A character device a test may write into: as root, a private null device in `dir` (so a bug
 * that replaced it would replace only that), else /dev/null, which only root could replace. Null
 * when root may not make device nodes here: the test skips.
 */
export function charDevice(dir: string): string | null {
  if (process.getuid?.() !== 0) return '/dev/null';
  const path = join(dir, 'null');
  return spawnSync('mknod', [path, 'c', '1', '3']).status === 0 ? path : null;
}

/** Run friday in `dir`; SIGKILL it after `killAfterMs` unless it ends first (null: let it finish). */
export function runAndKill(
  dir: string,
  args: string[],
  killAfterMs: number | null,
  env: Record<string, string> = {},
): Promise<{ code: number | null; signal: string | null; ms: number; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [BIN, '-C', dir, ...args], { env: cleanEnv(env), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = killAfterMs === null ? null : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolvePromise({ code, signal, ms: Date.now() - started, stderr });
    });
  });
}
