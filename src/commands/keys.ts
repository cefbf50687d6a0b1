import type { Context, Outcome } from '../cli/context.js';
import { failure } from '../errors.js';
export async function runGenerate(_ctx: Context, _opts: Record<string, unknown>): Promise<Outcome> {
  throw failure('E_NOT_IMPLEMENTED', 'keys generate: not implemented yet');
}
export async function runTrust(_ctx: Context, _opts: Record<string, unknown>): Promise<Outcome> {
  throw failure('E_NOT_IMPLEMENTED', 'keys trust: not implemented yet');
}
