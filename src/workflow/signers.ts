/** The signing keys a command was given, and what to say when they will not do. */
import { checkSignatures, thresholdFor, type SignedManifest, type Trust } from '../client/index.js';
import type { Context } from '../context.js';
import { usageError } from '../errors.js';
import { loadSigners, type Signer } from '../io/keys.js';

/**
 * The `--key` signers, or FRIDAY_SIGNING_KEY; at least one is required. `what` names the action
 * (`rollout beta`) so the error says which private key to provide and how; a key that trust.json
 * does not list is said before it signs for nothing.
 */
export async function requireSigners(
  ctx: Pick<Context, 'cwd' | 'env' | 'warn'>,
  keyFiles: string[] | undefined,
  need: { what: string; channel: string; trust: Trust },
): Promise<Signer[]> {
  const signers = await loadSigners(keyFiles ?? [], ctx.env, ctx.cwd);
  const { trust, channel } = need;
  if (signers.length === 0) {
    const env = ctx.env.FRIDAY_SIGNING_KEY === undefined ? 'FRIDAY_SIGNING_KEY is not set' : 'FRIDAY_SIGNING_KEY is empty';
    const names = [...trust.keys.values()].map((k) => k.name ?? `${k.keyid.slice(0, 12)}…`);
    const which = names.length ? ` (${channel} needs ${thresholdFor(trust, channel)} of the trusted keys ${names.join(', ')})` : '';
    throw usageError(
      'E_KEY',
      `${need.what}: no signing key: no --key <file> given and ${env}${which}`,
      'pass the private key with --key <file>, or put its PEM text in FRIDAY_SIGNING_KEY; no key yet? `friday keys generate <name>`, then `friday keys trust <name>.pub`',
    );
  }
  const untrusted = signers.filter((s) => !trust.keys.has(s.keyid));
  // Nothing signed by these keys would count: refused before anything is written.
  if (untrusted.length === signers.length) {
    const names = [...trust.keys.values()].map((k) => k.name ?? `${k.keyid.slice(0, 12)}…`);
    throw usageError(
      'E_KEY',
      `${need.what}: no key given is trusted (${untrusted.map((s) => `${s.keyid.slice(0, 12)}…`).join(', ')} ${untrusted.length === 1 ? 'is' : 'are'} not in trust.json${names.length ? `, which lists ${names.join(', ')}` : ''})`,
      'pass the private key of a trusted key with --key <file>, or trust this one first: friday keys trust <name>.pub',
    );
  }
  for (const s of untrusted) ctx.warn(`key ${s.keyid.slice(0, 12)}… is not in trust.json: its signature will not count`);
  return signers;
}

/** How many distinct trusted keys signed, against the channel's threshold. */
export function signatureCount(doc: SignedManifest, trust: Trust): { valid: number; threshold: number } {
  const c = checkSignatures(doc, trust, doc.signed.channel);
  return { valid: c.valid.length, threshold: thresholdFor(trust, doc.signed.channel) };
}
