// minisign signatures on a 1 GiB artifact (docs/quality.md: at most 0.2× added to the stage that writes
// them). `stage --publish` of a release whose artifact has no .minisig yet (its BLAKE2b-512 read and
// signed) beside the same stage when the artifact's .minisig is by a current key already (skipped).
// Both rehash the artifact (SHA-256) as every stage does. BENCH_MINISIGN_GIB sets the size.
import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alternate, BIN, fmt, ROOT, row, timeOnce } from './lib.mjs';

const gib = Number(process.env.BENCH_MINISIGN_GIB ?? 1);
const dir = mkdtempSync(join(tmpdir(), 'friday-bench-minisign-'));
try {
  const git = (...a) => execFileSync('git', a, { cwd: dir, stdio: 'ignore' });
  const friday = (...a) => execFileSync(process.execPath, [BIN, '-C', dir, ...a], { stdio: ['ignore', 'ignore', 'inherit'] });
  git('init', '-q', '-b', 'main');
  writeFileSync(
    join(dir, 'friday.config.json'),
    JSON.stringify({ product: 'aurora', devices: ['umi'], build: { command: 'true', artifacts: 'out/{device}/*.zip' } }),
  );
  mkdirSync(join(dir, 'channels'));
  copyFileSync(join(ROOT, 'channels', 'beta.json'), join(dir, 'channels', 'beta.json'));
  writeFileSync(join(dir, '.gitignore'), 'out/\nota/\nkeys/\n');
  git('add', '-A');
  git('-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-qm', 'init');
  mkdirSync(join(dir, 'out/umi'), { recursive: true });
  const fd = openSync(join(dir, 'out/umi/aurora-umi.zip'), 'w');
  const chunk = Buffer.alloc(16 * 1024 * 1024);
  for (let i = 0; i < chunk.length; i += 8) chunk.writeUInt32LE((i * 2654435761) >>> 0, i);
  for (let i = 0; i < gib * 64; i++) writeSync(fd, chunk);
  closeSync(fd);
  friday('keys', 'generate', 'alice', '--out', join(dir, 'keys'));
  friday('keys', 'trust', join(dir, 'keys', 'alice.pub'));
  friday('cut', '--skip-build', '--version', '1.0.0', '-q');
  const release = join(dir, 'ota', 'releases', '1.0.0');
  const stage = () =>
    timeOnce(process.execPath, [
      BIN,
      '-C',
      dir,
      'stage',
      '--channel',
      'beta',
      '--version',
      '1.0.0',
      '--force',
      '--publish',
      '--key',
      join(dir, 'keys', 'alice.key'),
      '-q',
    ]);
  const t = alternate(
    [
      {
        name: 'fresh',
        run: () => {
          for (const n of readdirSync(release)) if (n.endsWith('.minisig')) rmSync(join(release, n));
          return stage();
        },
      },
      { name: 'kept', run: stage },
    ],
    Number(process.env.BENCH_RUNS ?? 5),
    1,
  );
  const added = (t.fresh - t.kept) / t.kept;
  console.log(
    `stage --publish, ${gib} GiB: ${fmt(t.fresh, 0)} ms writing the .minisig vs ${fmt(t.kept, 0)} ms with it kept: ${added < 0 ? '' : '+'}${fmt(added)}× (target ≤ 0.2×)`,
  );
  row({
    what: 'minisign',
    workload: `stage --publish, ${gib} GiB artifact, .minisig written`,
    ours: `${fmt(t.fresh, 0)} ms`,
    reference: `the same stage, .minisig kept: ${fmt(t.kept, 0)} ms`,
    ratio: `${added < 0 ? '' : '+'}${fmt(added)}`,
    target: '≤ +0.2×',
    pass: added <= 0.2,
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
