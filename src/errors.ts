import { isClientError, type ClientErrorCode } from './client/errors.js';

/**
 * Every code a user or a script can see in `error.code` (docs/cli.md "Error codes"): the client's
 * refusals and input errors, and the CLI's own.
 */
export type ErrorCode =
  | ClientErrorCode
  | 'E_AUDIENCE' // stage: a closed beta's audience that a client could not read
  | 'E_AWARDS' // awards: the ceremony cannot be held (not live, ballot open, already held)
  | 'E_ARTIFACT' // cut: no artifact, several, or one that changed while it was copied
  | 'E_BLOCKED' // stage: the release is blocked on the channel
  | 'E_BUILD' // cut: the build failed or timed out
  | 'E_CONFIG' // friday.config.json
  | 'E_CUT' // cut: the repository's releases are not as a cut expects
  | 'E_DEMO'
  | 'E_DIRTY' // cut: uncommitted changes
  | 'E_EXISTS' // a file or folder that would be overwritten
  | 'E_FANS' // the fans' devices or grades file
  | 'E_FEED' // watch: the crash feed
  | 'E_GIT'
  | 'E_INPUT' // a JSON file the user gave
  | 'E_INTERRUPTED' // cut: friday was interrupted (Ctrl-C, SIGTERM) while the build ran
  | 'E_INTERNAL'
  | 'E_IO' // a failed system call
  | 'E_ISSUES' // the issues source
  | 'E_KEY' // a key file or FRIDAY_SIGNING_KEY
  | 'E_LOCK' // another friday holds the lock
  | 'E_NOTHING' // nothing to do that was asked (nothing live, staged, cut…)
  | 'E_POLICY' // channels/<name>.json
  | 'E_PUSH'
  | 'E_RELEASE' // a release's build record or files
  | 'E_SHALLOW' // a shallow clone cuts the range's history short
  | 'E_SOAK' // stage: not soaked on the `from` channel
  | 'E_STALE' // a staged manifest whose serial is not live + 1
  | 'E_THRESHOLD'; // fewer trusted signatures than the channel's threshold

/** 130 and 143: stopped by SIGINT (Ctrl-C) or SIGTERM, 128 + the signal's number as a shell reports it. */
export type ErrorExit = 1 | 2 | 3 | 130 | 143;

/**
 * One error class for everything the user should see. `message` reads "<what failed>: <why>";
 * the CLI prints it as `friday: <message>`, the hint on a second line, and exits with `exit`.
 * Only the CLI entry point turns errors into exit codes (docs/cli.md, "Exit codes").
 */
export class FridayError extends Error {
  readonly code: ErrorCode;
  readonly exit: ErrorExit;
  readonly hint?: string;
  /** A result to print with --json instead of the error document (watch's exit 3). */
  result?: unknown;

  constructor(code: ErrorCode, message: string, exit: ErrorExit = 1, hint?: string) {
    super(message);
    this.name = 'FridayError';
    this.code = code;
    this.exit = exit;
    if (hint !== undefined) this.hint = hint;
  }
}

/** Bad usage or bad input: the user's own flags, config, policy, issues file or key file (exit 2). */
export function usageError(code: ErrorCode, message: string, hint?: string): FridayError {
  return new FridayError(code, message, 2, hint);
}

/** The operation failed: git, build, I/O, a refused verification (exit 1). */
export function failure(code: ErrorCode, message: string, hint?: string): FridayError {
  return new FridayError(code, message, 1, hint);
}

export function isFridayError(err: unknown): err is FridayError {
  return err instanceof FridayError;
}

/** Node's own errno errors carry `code` (ENOENT, EACCES…). */
export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/** A client refusal (src/client) becomes the CLI's error, its code and exit kept; anything else as it is. */
export function fromClient(err: unknown): unknown {
  return isClientError(err) ? new FridayError(err.code, err.message, err.exit) : err;
}
