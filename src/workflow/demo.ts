/**
 * The demo's week (docs/cli.md `demo`): a whole Orange Friday week in a sandbox, on the local
 * disk. Every step runs the real CLI as a child process (exactly what a user or CI would type)
 * with `--now` moving the clock, then checks that the step did what it should.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, promises as fs, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { Context } from '../context.js';
import { failure } from '../errors.js';
import { packageRoot } from '../io/package.js';

interface Commit {
  date: string;
  message: string;
}

interface Step {
  step: string;
  ok: boolean;
  detail: string;
}

const PRODUCT = 'aurora';
const DEVICES = ['cepheus', 'umi'];

export interface DemoWeek {
  dir: string;
  repo: string;
  steps: Step[];
  text: string;
}

/** Run the week in `sandbox` (an empty or new folder); fails (E_DEMO) at the first check that does not hold. */
export async function demoWeek(ctx: Context, sandbox: string): Promise<DemoWeek> {
  const pkg = packageRoot();
  const fixtures = join(pkg, 'fixtures/demo');
  const repo = join(sandbox, 'repo');
  const keys = join(sandbox, 'keys');
  const device = join(sandbox, 'device');
  await fs.mkdir(repo, { recursive: true });
  await fs.mkdir(device, { recursive: true });

  const steps: Step[] = [];
  const say = (step: string, ok: boolean, detail: string) => {
    steps.push({ step, ok, detail });
    ctx.info(`${ok ? '✔' : '✘'} ${step}: ${detail}`);
    if (!ok) throw failure('E_DEMO', `demo: ${step}: ${detail}`, `the sandbox is kept for a look: ${sandbox}`);
  };
  const bin = join(pkg, 'bin/friday.js');
  const env = { ...ctx.env, CI: 'true', FRIDAY_KEYS_DIR: keys, FRIDAY_SIGNING_KEY: '', FRIDAY_NOW: '', GIT_CONFIG_NOSYSTEM: '1' };
  const git = (args: string[], date?: string) => {
    const r = spawnSync('git', args, {
      cwd: repo,
      encoding: 'utf8',
      env: date ? { ...env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : env,
    });
    if (r.status !== 0) throw failure('E_DEMO', `demo: git ${args.join(' ')}: ${r.stderr.trim()}`);
    return r.stdout.trim();
  };
  /** Run friday with --json in the sandbox repository; returns exit code and parsed result. */
  const friday = (now: string, ...args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args, '--json', '--now', now, '-C', repo], {
      encoding: 'utf8',
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each step reads the fields of its own JSON result
    let json: any = null;
    try {
      json = JSON.parse(r.stdout);
    } catch {
      // checked by the caller
    }
    return { code: r.status ?? 1, json, stderr: r.stderr };
  };
  const expectOk = (step: string, r: ReturnType<typeof friday>, code = 0) => {
    if (r.code !== code)
      say(step, false, `exit ${r.code}, expected ${code}: ${r.json?.error?.message ?? r.stderr.trim().split('\n').pop()}`);
    return r.json;
  };
  const commits = JSON.parse(readFileSync(join(fixtures, 'commits.json'), 'utf8')) as Record<string, Commit[]>;
  const commitWeek = (week: string) => {
    for (const c of commits[week] ?? []) {
      const file = `src/changes/${c.date.slice(0, 10)}.txt`;
      mkdirSync(join(repo, 'src/changes'), { recursive: true });
      appendFileSync(join(repo, file), `${c.message}\n`);
      git(['add', '-A']);
      git(['commit', '-q', '-m', c.message], c.date);
    }
    return (commits[week] ?? []).length;
  };
  const require = createRequire(import.meta.url);

  ctx.info(`orange-friday demo: a week of the "${PRODUCT}" ROM for ${DEVICES.join(' and ')} in ${sandbox}`);

  // 1. A ROM repository with a zx build script and fan-voted issues.
  git(['init', '-q', '-b', 'main']);
  git(['config', 'user.name', 'Aurora Release Bot']);
  git(['config', 'user.email', 'release@aurora.example']);
  git(['config', 'commit.gpgsign', 'false']);
  git(['config', 'tag.gpgsign', 'false']);
  for (const f of ['build.mjs', 'issues.json', 'tiers.json']) await fs.copyFile(join(fixtures, f), join(repo, f));
  const init = friday('2026-11-09T09:00:00Z', 'init', '--product', PRODUCT, '--devices', DEVICES.join(','));
  expectOk('init', init);
  const configPath = join(repo, 'friday.config.json');
  const config = JSON.parse(readFileSync(configPath, 'utf8'));
  const zxCli = require.resolve('zx/cli');
  config.build = { command: `"${process.execPath}" "${zxCli}" build.mjs`, artifacts: 'out/{device}/*.zip', timeoutMinutes: 5 };
  config.votes = { weights: { default: 1, tester: 2, lead: 3 }, tiers: 'tiers.json' };
  await fs.writeFile(configPath, JSON.stringify(config, null, 2) + '\n');
  await fs.appendFile(join(repo, '.gitignore'), '/feedback/\n');
  git(['add', '-A']);
  git(['commit', '-q', '-m', 'chore: aurora ROM sources, released with friday'], '2026-11-09T09:00:00Z');
  say('init', true, `ROM repository with friday.config.json, channels/beta.json, channels/stable.json (${repo})`);

  // 2. The release key and the root of trust.
  const gen = expectOk('keys', friday('2026-11-09T09:05:00Z', 'keys', 'generate', 'alice', '--out', keys));
  expectOk('keys', friday('2026-11-09T09:06:00Z', 'keys', 'trust', join(keys, 'alice.pub')));
  const key = join(keys, 'alice.key');
  say('keys', true, `Ed25519 key alice ${String(gen.keyid).slice(0, 16)}… (0600) trusted in ota/trust.json`);

  // 3. Week 47: the first Friday cut, published to beta.
  commitWeek('week47');
  const cut47 = expectOk('cut week 47', friday('2026-11-20T17:00:00Z', 'cut'));
  const tag47 = git(['tag', '--points-at', 'HEAD']);
  say(
    'cut week 47',
    tag47 === `v${cut47.version}` && cut47.artifacts.length === DEVICES.length,
    `${cut47.tag} with ${cut47.artifacts.length} images, ota/releases/${cut47.version}/`,
  );
  const st47 = expectOk('beta', friday('2026-11-20T17:30:00Z', 'stage', '--channel', 'beta', '--key', key, '--publish'));
  say('beta', st47.published === true, `${st47.version} live on beta (serial ${st47.serial}, ${st47.rollout}% rollout)`);

  // 4. Week 48: the cut with its fan-ranked changelog and the Popcorn Award.
  commitWeek('week48');
  const cut48 = expectOk('cut week 48', friday('2026-11-27T17:00:00Z', 'cut'));
  const changelog = JSON.parse(readFileSync(join(repo, 'ota/releases', cut48.version, 'changelog.json'), 'utf8'));
  say(
    'cut week 48',
    cut48.previousTag === cut47.tag,
    `${cut48.tag}: ${changelog.commits} commits since ${cut48.previousTag}, ${changelog.entries.length} fan issues`,
  );
  const pop = changelog.popcorn;
  const popEntry = pop && changelog.entries.find((e: { id: number }) => e.id === pop.id);
  say(
    'popcorn award',
    Boolean(pop),
    pop
      ? `#${pop.id} "${pop.title}" (score ${pop.score}, reported by ${popEntry?.author}); ota/releases/${cut48.version}/CHANGELOG.md`
      : 'no feature was voted up',
  );
  const st48 = expectOk('beta', friday('2026-11-27T17:30:00Z', 'stage', '--channel', 'beta', '--key', key, '--publish'));
  say('beta', st48.published === true && st48.serial === st47.serial + 1, `${st48.version} live on beta (serial ${st48.serial})`);

  // 5. A tester's device pulls beta, verifies it and downloads its image.
  const trust = join(repo, 'ota/trust.json');
  const state = join(device, 'state.json');
  const pullArgs = [
    'pull',
    '--channel',
    'beta',
    '--source',
    join(repo, 'ota'),
    '--trust',
    trust,
    '--device',
    'umi',
    '--device-id',
    'tester-0042',
    '--state',
    state,
  ];
  const pulled = expectOk('tester pull', friday('2026-11-27T18:00:00Z', ...pullArgs, '--current', cut47.version, '--download', device));
  const image = pulled.downloaded ? readFileSync(pulled.downloaded) : Buffer.alloc(0);
  const hashOk = pulled.downloaded && createHash('sha256').update(image).digest('hex') === pulled.artifact.sha256;
  say(
    'tester pull',
    pulled.decision === 'update' && Boolean(hashOk),
    `umi ${cut47.version} → ${pulled.version}: signature, expiry, serial, device and SHA-256 checked; ${pulled.downloaded}`,
  );
  const verified = friday(
    '2026-11-27T18:00:00Z',
    'verify',
    join(repo, 'ota/channels/beta/manifest.json'),
    '--trust',
    trust,
    '--channel',
    'beta',
  );
  say('verify', verified.code === 0, 'ota/channels/beta/manifest.json verifies offline against ota/trust.json');

  // 6. A week later: promote the soaked build to stable, then widen its rollout.
  const promoted = expectOk(
    'promote',
    friday('2026-12-04T17:45:00Z', 'promote', '--from', 'beta', '--to', 'stable', '--key', key, '--publish'),
  );
  say(
    'promote',
    promoted.version === cut48.version && promoted.published === true,
    `${promoted.version} soaked 168 h on beta → stable at ${promoted.rollout}%`,
  );
  const widened = expectOk('rollout', friday('2026-12-05T09:00:00Z', 'rollout', '--channel', 'stable', '--next', '--key', key));
  const stable = JSON.parse(readFileSync(join(repo, 'ota/channels/stable/manifest.json'), 'utf8'));
  say(
    'rollout',
    stable.signed.rollout.percent === 50,
    `stable widened to ${stable.signed.rollout.percent}% (serial ${widened.serial ?? stable.signed.serial}, same salt)`,
  );

  // 7. Week 49 goes to beta and starts crashing.
  commitWeek('week49');
  const cut49 = expectOk('cut week 49', friday('2026-12-04T17:00:00Z', 'cut'));
  const st49 = expectOk('beta', friday('2026-12-04T18:00:00Z', 'stage', '--channel', 'beta', '--key', key, '--publish'));
  say('cut week 49', st49.version === cut49.version, `${cut49.tag} live on beta (serial ${st49.serial})`);
  const feed = join(repo, 'feedback/crashes.ndjson');
  const { writeFeed } = (await import(pathToFileURL(join(pkg, 'fixtures/feeds/generate.mjs')).href)) as {
    writeFeed(path: string, opts: unknown): unknown;
  };
  await fs.mkdir(join(repo, 'feedback'), { recursive: true });
  writeFeed(feed, {
    start: '2026-12-04T12:00:00Z',
    hours: 24,
    devices: 600,
    active: 0.6,
    seed: 49,
    versions: [
      { version: cut48.version, fromHour: 0, toHour: 6, crashRate: 0.01 },
      {
        version: cut49.version,
        fromHour: 6,
        toHour: 24,
        crashRate: 0.12,
        signatures: ['SIGSEGV libcamera.so (hdr_pipeline)', 'ANR com.android.camera'],
      },
    ],
  });
  const watched = friday('2026-12-05T12:00:00Z', 'watch', '--channel', 'beta', '--key', key);
  const report = watched.json;
  if (watched.code !== 3)
    say('watch', false, `expected a rollback (exit 3), got exit ${watched.code}: ${report?.verdict ?? watched.stderr.trim()}`);
  const beta = JSON.parse(readFileSync(join(repo, 'ota/channels/beta/manifest.json'), 'utf8'));
  say(
    'watch',
    report.rolledBack === true && beta.signed.rollback?.from === cut49.version && beta.signed.blocked.includes(cut49.version),
    `beta rolled back to ${beta.signed.release.version} and ${cut49.version} blocked, signed, no one awake — ${beta.signed.rollback?.reason ?? `rule ${report.rule}`}`,
  );
  const back = expectOk('tester pull', friday('2026-12-05T12:10:00Z', ...pullArgs, '--current', cut49.version));
  say(
    'tester pull',
    back.decision === 'update' && back.rollback === true,
    `a device on ${cut49.version} is offered ${back.version} (a signed rollback)`,
  );

  // 9. Tuesday: the fans are graded, and the ceremony for the week-48 build runs on the votes of
  // those who used it (docs/fans.md): Friday's changelog named the nominees, the fans pick the winner.
  await fs.mkdir(join(repo, 'fans'), { recursive: true });
  await fs.writeFile(
    join(repo, 'fans/devices.json'),
    JSON.stringify({ mifan_42: ['d-000001', 'd-000002'], orange_tester: ['d-000042'], nightowl: ['d-000007'] }, null, 2) + '\n',
  );
  const graded = expectOk('fans', friday('2026-12-05T12:20:00Z', 'fans'));
  const gradedFans = Object.entries(graded.fans as Record<string, { grade: string | null; points: number }>).filter(
    ([, f]) => f.grade !== null,
  );
  say(
    'fans',
    gradedFans.length > 0,
    `${Object.keys(graded.fans).length} fans graded: ${gradedFans.map(([u, f]) => `${u} ${f.grade} (${f.points})`).join(', ')}; fans/grades.json`,
  );
  const held = expectOk('awards', friday('2026-12-05T12:25:00Z', 'awards', '--channel', 'beta', '--release', cut48.version));
  const won = (held.awards as { name: string; kind: string; winner: { id?: number; title?: string; user?: string } | null }[]).map((a) =>
    a.winner === null
      ? `${a.name}: none`
      : `${a.name}: ${a.winner.user !== undefined ? `@${a.winner.user}` : `#${a.winner.id} "${a.winner.title}"`}`,
  );
  say('awards', held.awards[0]?.winner !== null, `${won.join('; ')}; ota/releases/${cut48.version}/AWARDS.md`);

  // 8. Where things stand.
  const status = friday('2026-12-05T12:15:00Z', 'status');
  say('status', status.code === 0, 'friday status reads every channel');

  const look = [
    '',
    'Look around:',
    `  friday status -C ${repo}`,
    `  cat ${join(repo, 'ota/releases', cut48.version, 'CHANGELOG.md')}`,
    `  cat ${join(repo, 'ota/releases', cut48.version, 'AWARDS.md')}`,
    `  cat ${join(repo, 'ota/channels/beta/manifest.json')}`,
    `  cat ${join(repo, 'ota/channels/beta/events.ndjson')}`,
    `  git -C ${repo} tag -n3`,
  ].join('\n');
  return { dir: sandbox, repo, steps, text: `a whole Orange Friday week ran in ${sandbox}: ${steps.length} checks passed${look}` };
}
