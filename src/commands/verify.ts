import type { Context, Outcome } from '../cli/context.js';
import { failure } from '../errors.js';

export async function run(_ctx: Context, _opts: Record<string, unknown>): Promise<Outcome> {
  throw failure('E_NOT_IMPLEMENTED', 'verify: not implemented yet');
}
