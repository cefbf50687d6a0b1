/**
 * Following the trust chain (docs/security.md "Signed trust rotation"): from the version a device holds,
 * fetch `<source>/trust/<k+1>.json`, `<k+2>.json`, … until one is missing, each accepted only if
 * the version before it and its own keys both sign it. A broken link is E_TRUST: whoever serves
 * it cannot sign with the keys the device trusts, so nothing from it is believed.
 */
import { ClientError } from './errors.js';
import { readPublished, type ReadOptions, type Source } from './source.js';
import { recordTrust, type DeviceState } from './state.js';
import { checkTrustLink, parseTrust, parseTrustBytes, TRUST_LIMIT, type Trust } from './trust.js';

/**
 * The newest trust version `source` leads to from `trust` (itself when the source has no newer
 * one). `exit` is 2 when the source is the caller's own publish folder, 1 for what a server sent.
 */
export async function followTrustChain(trust: Trust, source: Source, opts: ReadOptions & { exit?: 1 | 2 } = {}): Promise<Trust> {
  const exit = opts.exit ?? 1;
  let current = trust;
  for (;;) {
    const { bytes, location } = await readPublished(source, `trust/${current.version + 1}.json`, {
      ...opts,
      limit: TRUST_LIMIT,
      missingOk: true,
    });
    if (bytes === null) return current;
    const next = parseTrustBytes(bytes, location, exit);
    checkTrustLink(current, next, location, exit);
    current = next;
  }
}

/** The trust document a state file keeps for `product`, validated, or null when it keeps none. */
function heldVersion(state: DeviceState, product: string, statePath: string): Trust | null {
  const doc = state.trust?.[product];
  if (doc === undefined) return null;
  let held: Trust;
  try {
    held = parseTrust(doc, `${statePath}: trust.${product}`);
  } catch (err) {
    throw new ClientError('E_STATE', (err as Error).message, 2);
  }
  if (held.product !== product) throw new ClientError('E_STATE', `${statePath}: trust.${product}: holds product "${held.product}"`, 2);
  return held;
}

/** Where a device starts the chain: the newest trust it accepted before, else the file it shipped with. */
export function heldTrust(shipped: Trust, state: DeviceState, statePath: string): Trust {
  const held = heldVersion(state, shipped.product, statePath);
  return held && held.version > shipped.version ? held : shipped;
}

/** The state with `newest` kept as the product's trust, when it is newer than what the state holds. */
export function keepNewestTrust(state: DeviceState, newest: Trust, statePath: string): DeviceState {
  if (newest.version < 2) return state;
  const held = heldVersion(state, newest.product, statePath);
  return held && held.version >= newest.version ? state : recordTrust(state, newest.product, newest.document);
}
