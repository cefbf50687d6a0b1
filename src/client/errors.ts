/**
 * The client's one error class. `code` names the check that refused (docs/cli.md, `pull`): a device
 * updater switches on it, the CLI turns it into its own error with the same code and exit.
 */
import { printable } from './printable.js';

export type RefusalCode =
  | 'E_FETCH' // cannot read the manifest or artifact (after the retries), or the manifest is over 1 MiB
  | 'E_FORMAT' // not a manifest
  | 'E_SIGNATURE' // fewer valid trusted signatures than the threshold
  | 'E_CHANNEL'
  | 'E_PRODUCT'
  | 'E_EXPIRED'
  | 'E_REPLAY' // serial below the highest accepted
  | 'E_DEVICE' // this device is not in `artifacts`
  | 'E_SIZE'
  | 'E_HASH'
  | 'E_PATH'; // an unsafe file name or url

/**
 * Refusals, plus the caller's own input (a broken or weak trust file, an unreadable state file, a
 * bad option), and what stops a download without refusing it: another process holding the
 * download or the state (E_LOCK), the download folder failing (E_IO), the caller's AbortSignal
 * (E_INTERRUPTED; the `.part` and its record are kept for the next run).
 */
export type ClientErrorCode = RefusalCode | 'E_TRUST' | 'E_STATE' | 'E_USAGE' | 'E_LOCK' | 'E_IO' | 'E_INTERRUPTED';

export class ClientError extends Error {
  readonly code: ClientErrorCode;
  /** 1: refused or failed (the fetched data, the network or the disk); 2: the caller's own input is at fault. */
  readonly exit: 1 | 2;

  constructor(code: ClientErrorCode, message: string, exit: 1 | 2 = 1) {
    // Messages quote what servers and files said: made printable here, so none can reach a terminal raw.
    super(printable(message));
    this.name = 'ClientError';
    this.code = code;
    this.exit = exit;
  }
}

export function isClientError(err: unknown): err is ClientError {
  return err instanceof ClientError;
}
