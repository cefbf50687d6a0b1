/** `friday verify`: verify a manifest file offline: signatures and threshold, expiry, channel (docs/cli.md). Exit 0 valid, 1 refused. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Context, Outcome } from '../context.js';
import {
  ClientError,
  followTrustChain,
  parseManifestWithBytes,
  parseSource,
  MANIFEST_LIMIT,
  readTrustFile,
  verifyManifest,
} from '../client/index.js';
import { fromClient } from '../errors.js';

export async function run(ctx: Context, opts: { manifest: string; trust: string; channel?: string; source?: string }): Promise<Outcome> {
  try {
    const shipped = await readTrustFile(resolve(ctx.cwd, opts.trust), opts.trust);
    // --source: the chain of signed trust versions there is followed from --trust, as a device does.
    const trust = opts.source === undefined ? shipped : await followTrustChain(shipped, parseSource(opts.source, ctx.cwd));
    const path = resolve(ctx.cwd, opts.manifest);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (err) {
      throw new ClientError('E_FETCH', `${opts.manifest}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    if (bytes.length > MANIFEST_LIMIT) throw new ClientError('E_FETCH', `${opts.manifest}: over ${MANIFEST_LIMIT} bytes`);
    const { doc, signedBytes } = parseManifestWithBytes(bytes, opts.manifest);
    const v = verifyManifest(doc, trust, {
      ...(opts.channel !== undefined ? { channel: opts.channel } : {}),
      now: ctx.now,
      label: opts.manifest,
      signedBytes,
    });
    const s = v.manifest.signed;
    const names = v.signatures.valid.map((id) => trust.keys.get(id)?.name ?? id.slice(0, 12));
    const result = {
      valid: true,
      type: s.type,
      product: s.product,
      channel: s.channel,
      serial: s.serial,
      version: s.release.version,
      trustVersion: trust.version,
      issuedAt: s.issuedAt,
      expiresAt: s.expiresAt,
      rollout: s.rollout.percent,
      rollback: s.rollback,
      blocked: s.blocked,
      signatures: { valid: v.signatures.valid, threshold: v.signatures.threshold, unknown: v.signatures.unknown, bad: v.signatures.bad },
    };
    return {
      result,
      text: `${opts.manifest}: valid: ${s.product}/${s.channel} serial ${s.serial}, ${s.release.version} at ${s.rollout.percent}%, expires ${s.expiresAt}; signed by ${names.join(', ')} (${v.signatures.valid.length} of ${v.signatures.threshold})${s.rollback ? `; rollback from ${s.rollback.from}` : ''}${trust.version > 1 ? `; trust version ${trust.version}` : ''}`,
    };
  } catch (err) {
    // The client's refusal keeps its code (E_SIGNATURE, E_REPLAY…) and exit (1, or 2 for the trust file).
    throw fromClient(err);
  }
}
