/**
 * `<publish>/trust.json` for the commands that sign or show a channel: the client's own reader
 * (so friday and every device read the file the same way), plus the one check only the publisher
 * can make: the product is the configuration's. The chain in `<publish>/trust/` is followed from
 * it as a device follows it, so a rotation killed after its new version was written but before
 * trust.json moved reads as done (devices already follow it). The client's parser (and node:crypto with it) is
 * loaded only when there is a file, which keeps `friday status` on its start-up budget.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Trust } from '../client/trust.js';
import { fromClient, usageError } from '../errors.js';
import { displayPath } from './display.js';

export interface TrustPlace {
  publishDir: string;
  root: string;
  product: string;
}

/** trust.json validated, or null before any key is trusted. */
export async function readTrustIfAny(p: TrustPlace): Promise<Trust | null> {
  const path = join(p.publishDir, 'trust.json');
  if (!existsSync(path)) return null;
  const label = displayPath(p.root, path);
  const { readTrustFile } = await import('../client/trust.js');
  const { followTrustChain } = await import('../client/chain.js');
  const trust = await readTrustFile(path, label)
    .then((t) => followTrustChain(t, { kind: 'dir', root: p.publishDir }, { exit: 2 }))
    .catch((err: unknown) => {
      throw fromClient(err); // the user's input: exit 2
    });
  if (trust.product !== p.product) {
    throw usageError(
      'E_TRUST',
      `${label}: product "${trust.product}" is not the configuration's "${p.product}"`,
      'devices would refuse every manifest (E_PRODUCT); fix trust.json',
    );
  }
  return trust;
}

/** trust.json validated; a missing one says how to create it. */
export async function readTrust(p: TrustPlace): Promise<Trust> {
  const trust = await readTrustIfAny(p);
  if (trust) return trust;
  throw usageError(
    'E_TRUST',
    `${displayPath(p.root, join(p.publishDir, 'trust.json'))}: no such file`,
    'add the signing keys with `friday keys trust <pubfile>...`',
  );
}
