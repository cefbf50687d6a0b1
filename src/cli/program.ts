/**
 * The command tree: commander wiring only, and `runCli`, which parses argv, runs the command and
 * turns its outcome or error into output and an exit code, without touching the process (so the
 * whole CLI can be tested in-process). Every command is imported lazily by its action, so
 * `friday --version` loads nothing but commander. src/cli/main.ts is the process entry.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { printProblem, reportError } from './report.js';
import { createContext, type Context, type GlobalOptions, type Outcome } from './context.js';

type Run<O> = (ctx: Context, opts: O) => Promise<Outcome>;

const GLOBAL_KEYS = ['cwd', 'config', 'json', 'dryRun', 'now', 'quiet'] as const;

/** The commands that change a channel, a release or the trusted keys: each rewrites the release page (docs/site.md). */
const REGENERATES_SITE = new Set([
  'cut',
  'stage',
  'sign',
  'publish',
  'rollout',
  'promote',
  'rollback',
  'renew',
  'watch',
  'awards',
  'prune',
  'keys trust',
  'keys rotate',
]);

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return '0.0.0';
  }
}

/**
 * Global options are accepted before and after the command (docs/cli.md). A command gets them after
 * its own options, under their own heading, so its help leads with what is particular to it.
 */
function addGlobals(cmd: Command, opts: { version?: boolean; heading?: string } = {}): Command {
  if (opts.heading) cmd.optionsGroup(opts.heading);
  cmd
    .option('-C, --cwd <dir>', 'the ROM repository (default: the current directory)')
    .option('--config <file>', 'configuration file (default friday.config.json in the repository)')
    .option('--json', 'print one JSON document with the result on stdout')
    .option('--dry-run', 'do everything but write: no tag, no file, no push')
    .option('--now <iso>', 'the clock for every time read or recorded (also FRIDAY_NOW)')
    .option('-q, --quiet', 'errors only');
  if (opts.version) cmd.version(packageVersion(), '--version', 'print the version of friday');
  return cmd;
}

const GLOBAL_HEADING = 'Global options:';

/** What `friday --help` says after the commands: where to begin, and a week in three commands. */
const PROGRAM_HELP_END = `
Examples:
  $ friday demo
  $ friday cut --push
  $ friday stage --channel beta --key ~/.config/friday/keys/alice.key --publish

First time here: start with \`friday demo\`, a whole week (cut, changelog,
beta, stable, a crash and its rollback) in a sandbox folder.
\`friday <command> --help\` shows a command's options and an example.
`;
const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** The command as typed (`keys generate`); empty for the program itself. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Which command a commander error came from, so it reads `friday: <command>: <why>` like ours. */
const origin = new WeakMap<CommanderError, Command>();

export interface Printer {
  out(s: string): void;
  err(s: string): void;
}

function buildProgram(io: Printer, env: NodeJS.ProcessEnv, finish: (outcome: Outcome, ctx: Context) => void): Command {
  const program = addGlobals(new Command('friday'), { version: true })
    .description(
      'Weekly release pipeline for community-built firmware: cut, fan-voted changelog, signed OTA channels, crash-watch rollback.',
    )
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .addHelpText('after', PROGRAM_HELP_END);

  /** Output through `io`, and errors thrown (not exited) with the command they came from. */
  const wire = (cmd: Command): Command =>
    cmd.configureOutput({ writeOut: io.out, writeErr: io.err, outputError: () => {} }).exitOverride((err) => {
      origin.set(err, cmd);
      throw err;
    });
  wire(program);

  /** A command (of the program or of a group) with an example in its help; `runWith` adds the global options after its own. */
  const commandOf = (parent: Command, name: string, summary: string, example: string): Command => {
    const cmd = wire(parent.command(name).description(summary));
    cmd.addHelpText('after', `\nExample:\n  $ ${example}\n`);
    return cmd;
  };
  const command = (name: string, summary: string, example: string) => commandOf(program, name, summary, example);

  const runWith = <O>(cmd: Command, load: () => Promise<Run<O>>, extra: (args: unknown[]) => Partial<O> = () => ({})) =>
    addGlobals(cmd, { heading: GLOBAL_HEADING }).action(async (...args: unknown[]) => {
      const self = args[args.length - 1] as Command;
      const merged: Record<string, unknown> = { ...self.opts() };
      // A global option may be given to the command, to its group (`keys`) or to the program:
      // the nearest one wins.
      for (const key of GLOBAL_KEYS) {
        let value: unknown;
        for (let c: Command | null = self; c && value === undefined; c = c.parent) value = (c.opts() as Record<string, unknown>)[key];
        merged[key] = value;
      }
      const ctx = createContext(merged as GlobalOptions, env);
      const run = await load();
      const outcome = await run(ctx, { ...(merged as O), ...extra(args.slice(0, -2)) });
      // The one hook of the release page (docs/site.md): after any command that may have changed a
      // channel or a release, whatever its exit; loaded only then, to keep start-up lean.
      if (REGENERATES_SITE.has(commandPath(self)) && !ctx.dryRun) await (await import('../workflow/site.js')).regenerateSite(ctx);
      finish(outcome, ctx);
    });

  runWith(
    command(
      'init',
      'write friday.config.json, the channel policies and the publish root',
      'friday init --product aurora --devices cepheus,umi',
    )
      .option('--product <name>', 'product name')
      .option('--devices <list>', 'comma-separated device codenames')
      .option('--force', 'overwrite existing files'),
    async () => (await import('../commands/init.js')).run,
  );

  // A group has no options of its own: its global ones need no heading.
  const keys = addGlobals(
    command(
      'keys',
      'manage Ed25519 signing keys and the trust file',
      'friday keys generate alice && friday keys trust ~/.config/friday/keys/alice.pub',
    ),
  );
  const keysCommand = (name: string, summary: string, example: string) => commandOf(keys, name, summary, example);
  runWith(
    keysCommand(
      'generate',
      'create an Ed25519 key pair <dir>/<name>.key (0600) and <name>.pub',
      'friday keys generate alice --out ~/.config/friday/keys',
    )
      .argument('<name>', 'key name')
      .option('--out <dir>', 'folder for the key files (default $FRIDAY_KEYS_DIR, else ~/.config/friday/keys)'),
    async () => (await import('../commands/keys.js')).runGenerate,
    ([name]) => ({ name: name as string }),
  );
  runWith(
    keysCommand(
      'trust',
      'add public keys to <publish>/trust.json and set the threshold',
      'friday keys trust alice.pub bob.pub --threshold 2 --channel stable',
    )
      .argument('<pubfile...>', 'SPKI PEM public key files')
      .option('--threshold <n>', 'signatures needed (for one channel with --channel)')
      .option('--channel <name>', 'set the threshold of this channel only'),
    async () => (await import('../commands/keys.js')).runTrust,
    ([files]) => ({ pubfiles: files as string[] }),
  );
  runWith(
    keysCommand(
      'rotate',
      'write the next signed trust version: add or remove keys, change a threshold',
      'friday keys rotate --add carol.pub --remove alice --key alice.key --key carol.key',
    )
      .option('--add <pubfile>', 'SPKI PEM public key file to add (repeatable)', collect)
      .option('--remove <keyid|name>', 'key to remove, by keyid or name (repeatable)', collect)
      .option('--threshold <n>', 'signatures needed (for one channel with --channel)')
      .option('--channel <name>', 'set the threshold of this channel only')
      .option('--key <file>', 'private key file (repeatable; default FRIDAY_SIGNING_KEY)', collect),
    async () => (await import('../commands/keys.js')).runRotate,
  );

  runWith(
    command('cut', 'the weekly cut: version, build, artifact hashes, changelog, annotated tag', 'friday cut --push')
      .option('--version <v>', 'use this version instead of computing it')
      .addOption(new Option('--bump <part>', 'semver: force this bump').choices(['major', 'minor', 'patch']))
      .option('--skip-build', 'use the files already at build.artifacts')
      .option('--allow-dirty', 'cut from a dirty working tree')
      .option('--push [remote]', 'push the tag (default remote origin)')
      .option(
        '--unshallow [remote]',
        'in a shallow clone, fetch the whole history and the tags first (default: the --push remote, else origin)',
      )
      .option('--force', 'cut a tagged HEAD anyway, as the next version'),
    async () => (await import('../commands/cut.js')).run,
  );
  runWith(
    command(
      'changelog',
      'print or write the changelog of a range, ranked by fan votes',
      'friday changelog --from v2026.47.0 --to v2026.48.0 --format md',
    )
      .option('--from <ref>', 'start after this ref (default: the previous release tag)')
      .option('--to <ref>', 'end at this ref (default: HEAD, or the latest tag when HEAD is tagged)')
      .addOption(new Option('--format <format>', 'output format').choices(['md', 'json']).default('md'))
      .option('--out <file>', 'write to this file instead of stdout')
      .option('--unshallow [remote]', 'in a shallow clone, fetch the whole history and the tags first (default remote origin)'),
    async () => (await import('../commands/changelog.js')).run,
  );
  runWith(
    command(
      'stage',
      "build and sign the channel's next manifest into staged.json",
      'friday stage --channel beta --key ~/.config/friday/keys/alice.key --publish',
    )
      .requiredOption('--channel <name>', 'channel')
      .option('--version <v>', 'release to stage (default: newest cut, or the one live on the `from` channel)')
      .option('--rollout <percent>', 'rollout percent (default: the policy first stage)')
      .option('--key <file>', 'private key file (repeatable; default FRIDAY_SIGNING_KEY)', collect)
      .option('--publish', 'publish right after staging')
      .option('--force', 'stage a release blocked on this channel anyway (never skips the soak)'),
    async () => (await import('../commands/stage.js')).run,
  );
  runWith(
    command('sign', 'add a signature to the staged manifest', 'friday sign --channel stable --key bob.key')
      .requiredOption('--channel <name>', 'channel')
      .option('--key <file>', 'private key file (repeatable; default FRIDAY_SIGNING_KEY)', collect),
    async () => (await import('../commands/sign.js')).run,
  );
  runWith(
    command('publish', 'make the staged manifest live, atomically', 'friday publish --channel stable').requiredOption(
      '--channel <name>',
      'channel',
    ),
    async () => (await import('../commands/publish.js')).run,
  );
  runWith(
    command(
      'rollout',
      'publish the live release again with a wider or narrower rollout',
      'friday rollout --channel stable --next --key alice.key',
    )
      .requiredOption('--channel <name>', 'channel')
      .option('--percent <p>', 'rollout percent, 0 to 100')
      .option('--next', 'the next stage of the policy')
      .option('--key <file>', 'private key file (repeatable; default FRIDAY_SIGNING_KEY)', collect),
    async () => (await import('../commands/rollout.js')).run,
  );
  runWith(
    command(
      'promote',
      'stage the release live on one channel onto another',
      'friday promote --from beta --to stable --key alice.key --publish',
    )
      .requiredOption('--from <channel>', 'source channel')
      .requiredOption('--to <channel>', 'target channel')
      .option('--key <file>', 'private key file (repeatable; default FRIDAY_SIGNING_KEY)', collect)
      .option('--publish', 'publish right after staging')
      .option('--force', 'promote a release blocked on --to anyway (never skips the soak)'),
    async () => (await import('../commands/promote.js')).run,
  );
  runWith(
    command(
      'rollback',
      'publish the last good release at once and block the bad one',
      'friday rollback --channel beta --reason "bootloop on umi" --key alice.key',
    )
      .requiredOption('--channel <name>', 'channel')
      .option('--to <version>', 'release to go back to (default: the last good one)')
      .option('--model <device>', 'roll back this device model alone (repeatable): the others keep the release', collect)
      .requiredOption('--reason <text>', 'why, written into the signed manifest')
      .option('--key <file>', 'private key file (repeatable; default FRIDAY_SIGNING_KEY)', collect),
    async () => (await import('../commands/rollback.js')).run,
  );
  runWith(
    command(
      'renew',
      're-sign the live manifest with a fresh expiry when a third of its validity is left',
      'friday renew --channel stable --key alice.key',
    )
      .requiredOption('--channel <name>', 'channel')
      .option('--key <file>', 'private key file (repeatable; default FRIDAY_SIGNING_KEY)', collect)
      .option('--force', 'renew now, whatever the expiry'),
    async () => (await import('../commands/renew.js')).run,
  );
  runWith(
    command(
      'watch',
      'judge the live release from the crash feed; roll back on a spike (exit 3)',
      'friday watch --channel beta --feed feedback/crashes.ndjson --key alice.key',
    )
      .requiredOption('--channel <name>', 'channel')
      .option('--feed <file>', 'crash feed (default feedback.path of the config)')
      .option('--key <file>', 'private key file (repeatable; default FRIDAY_SIGNING_KEY)', collect),
    async () => (await import('../commands/watch.js')).run,
  );
  runWith(
    command(
      'fans',
      "grade the fans by participation: points, grade, the grades file (--explain: one fan's page)",
      'friday fans --explain mifan_42',
    )
      .option('--explain <user>', "one fan's activities, points and the way to the next grade; writes nothing")
      .option('--feed <file>', 'crash feed for the tested weeks (default feedback.path of the config)'),
    async () => (await import('../commands/fans.js')).run,
  );
  runWith(
    command(
      'awards',
      "the Tuesday ceremony: the fans' Popcorn Award, Bug Hunter and Tester of the Week for a release",
      'friday awards --channel beta --release 2026.48.0',
    )
      .option('--release <version>', 'release (default: the one live on the channel)')
      .option('--channel <name>', 'channel whose fans vote (default beta)')
      .option('--force', 'hold the ceremony again when it was already held'),
    async () => (await import('../commands/awards.js')).run,
  );
  runWith(
    command(
      'status',
      'releases and channels: live version, serial, rollout, expiry, staged, blocked, last verdict',
      'friday status --channel beta',
    ).option('--channel <name>', 'one channel only'),
    async () => (await import('../commands/status.js')).run,
  );
  runWith(
    command(
      'verify',
      'verify a manifest offline: signatures and threshold, expiry, channel',
      'friday verify ota/channels/beta/manifest.json --trust ota/trust.json --channel beta',
    )
      .argument('<manifest-file>', 'the manifest to verify')
      .requiredOption('--trust <file>', 'trust file')
      .option('--channel <name>', 'expected channel')
      .option('--source <dir-or-url>', 'publish root whose trust chain (trust/<n>.json) to follow from --trust'),
    async () => (await import('../commands/verify.js')).run,
    ([file]) => ({ manifest: file as string }),
  );
  runWith(
    command(
      'pull',
      "fetch and verify a channel manifest as a tester's device does",
      'friday pull --channel beta --source https://ota.example.org --trust trust.json --device umi --device-id 8c1f --download ./updates',
    )
      .requiredOption('--channel <name>', 'channel')
      .requiredOption('--source <dir-or-url>', 'publish root: a folder or an http(s) URL; repeat it for mirrors', collect)
      .requiredOption('--trust <file>', 'trust file')
      .requiredOption('--device <codename>', 'device codename')
      .option('--device-id <id>', 'this device (for the rollout bucket)')
      .option('--current <version>', 'the version installed now')
      .option('--download <dir>', 'download and check the artifact into this folder')
      .option('--state <file>', 'state file (default under the user state directory)')
      .option('--stall-timeout <seconds>', 'give up on a request after this long without a byte (default 30)')
      .option('--retries <n>', 'failed requests in a row before the download gives up (default 5)'),
    async () => (await import('../commands/pull.js')).run,
  );
  runWith(
    command(
      'export-tuf',
      "write the channel's live manifest as a signed TUF repository, for TUF updaters",
      'friday export-tuf --channel stable --key alice.key',
    )
      .requiredOption('--channel <name>', 'channel')
      .option('--key <file>', 'private key file (repeatable; default FRIDAY_SIGNING_KEY)', collect)
      .option('--out <dir>', 'where to write it (default <publish>/tuf/<channel>/)'),
    async () => (await import('../commands/export-tuf.js')).run,
  );
  runWith(
    command('prune', 'remove release folders no channel carries, beyond the newest n', 'friday prune --keep 8 --dry-run').requiredOption(
      '--keep <n>',
      'how many of the newest releases to keep whatever happens',
    ),
    async () => (await import('../commands/prune.js')).run,
  );
  runWith(
    command('site', 'write the release page: ota/index.html and one page per release', 'friday site'),
    async () => (await import('../commands/site.js')).run,
  );
  runWith(
    command('demo', 'run a whole weekly cycle in a sandbox repository', 'friday demo --dir /tmp/friday-demo').option(
      '--dir <dir>',
      'sandbox folder (default: a new temporary folder)',
    ),
    async () => (await import('../commands/demo.js')).run,
  );

  return program;
}

function wantsJson(argv: readonly string[]): boolean {
  return argv.includes('--json');
}

/** Run friday with `argv` (the arguments after the program name); returns the exit code. */
export async function runCli(argv: readonly string[], io: Printer, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let exit = 0;
  const program = buildProgram(io, env, (outcome, ctx) => {
    if (ctx.json) io.out(JSON.stringify(outcome.result, null, 2) + '\n');
    else if (!ctx.quiet && outcome.text) io.out(outcome.text.endsWith('\n') ? outcome.text : outcome.text + '\n');
    if (outcome.problem) printProblem(outcome.problem, io);
    exit = outcome.exit ?? 0;
  });
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return 2;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exit;
  } catch (err) {
    return reportError(err, { json: wantsJson(argv), debug: env.FRIDAY_DEBUG === '1', io, origin: (e) => origin.get(e), commandPath });
  }
}
