import { isClientError } from './client/errors.js';

/**
 * One error class for everything the user should see. `message` reads "<what failed>: <why>";
 * the CLI prints it as `friday: <message>`, the hint on a second line, and exits with `exit`.
 * Only the CLI entry point turns errors into exit codes (cli.md, "Exit codes").
 */
export class FridayError extends Error {
  readonly code: string;
  readonly exit: 1 | 2 | 3;
  readonly hint?: string;
  /** A result to print with --json instead of the error document (watch's exit 3). */
  result?: unknown;

  constructor(code: string, message: string, exit: 1 | 2 | 3 = 1, hint?: string) {
    super(message);
    this.name = 'FridayError';
    this.code = code;
    this.exit = exit;
    if (hint !== undefined) this.hint = hint;
  }
}

/** Bad usage or bad input: the user's own flags, config, policy, issues file or key file (exit 2). */
export function usageError(code: string, message: string, hint?: string): FridayError {
  return new FridayError(code, message, 2, hint);
}

/** The operation failed: git, build, I/O, a refused verification (exit 1). */
export function failure(code: string, message: string, hint?: string): FridayError {
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
