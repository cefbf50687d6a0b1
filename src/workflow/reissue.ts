/**
 * Re-issuing the live release (docs/cli.md `renew`, `rollout`): the same release and salt under
 * the next serial and a fresh expiry, with a wider or narrower rollout for `rollout`.
 */
import { nextStage, reissueBody, renewDue } from '../core/manifest.js';
import { thresholdFor, type SignedManifest } from '../client/index.js';
import { failure } from '../errors.js';
import type { Channel } from './channel.js';
import { signAndRelease } from './release.js';
import { signatureCount } from './signers.js';

export interface RenewResult {
  renewed: boolean;
  serial: number;
  expiresAt: string;
}

/**
 * Renew once less than a third of the validity is left (or with `force`), or at once when the
 * live manifest no longer meets the newest trust version's threshold and the keys given can meet
 * it (after a rotation, devices that followed the chain refuse it however young it is; keys that
 * cannot meet it would only stage a manifest as short, over whatever waits in staged.json).
 * Not due needs no key.
 */
export async function renew(ch: Channel, req: { force: boolean }): Promise<RenewResult> {
  const { ctx, name, policy } = ch;
  const short = (live: SignedManifest) => {
    const c = signatureCount(live, ch.trust);
    return c.valid < c.threshold;
  };
  const due = (live: SignedManifest) => req.force || renewDue(live.signed, ctx.now) || short(live);
  const notLive = () => failure('E_NOTHING', `renew ${name}: nothing is live`);
  const live0 = await ch.live();
  if (!live0) throw notLive();
  const notDue = (live: SignedManifest) => ({ renewed: false, serial: live.signed.serial, expiresAt: live.signed.expiresAt });
  // Not due: nothing to sign, so no key is needed (the scheduled job may run this every few minutes).
  if (!due(live0)) return notDue(live0);
  const signers = await ch.signers(`renew ${name}`);
  if (!req.force && !renewDue(live0.signed, ctx.now)) {
    const threshold = thresholdFor(ch.trust, name);
    const trusted = signers.filter((s) => ch.trust.keys.has(s.keyid)).length;
    if (trusted < threshold) {
      ctx.warn(
        `renew ${name}: the live manifest has fewer trusted signatures than the threshold (${threshold}) now needs, and ${trusted} trusted key${trusted === 1 ? ' was' : 's were'} given: re-sign it with ${threshold}: friday renew --channel ${name} --force${' --key <file>'.repeat(threshold)}`,
      );
      return notDue(live0);
    }
  }
  return ch.locked(async () => {
    const live = await ch.live();
    if (!live) throw notLive();
    if (!due(live)) return notDue(live);
    const body = reissueBody(live.signed, ctx.now, policy.expiresDays);
    const r = await signAndRelease(ch, body, signers, 'renew', { previousExpiresAt: live.signed.expiresAt, expiresAt: body.expiresAt });
    if (!r.published) {
      throw failure(
        'E_THRESHOLD',
        `renew ${name}: serial ${body.serial} has ${r.valid} of the ${r.threshold} signatures needed; it is staged, not live (the live one expires ${live.signed.expiresAt})`,
        `co-sign it: friday sign --channel ${name} --key <file>, then friday publish --channel ${name}`,
      );
    }
    return { renewed: true, serial: body.serial, expiresAt: body.expiresAt };
  });
}

export type RolloutResult =
  | { changed: false; channel: string; serial: number; version: string; rollout: number }
  | {
      changed: true;
      channel: string;
      serial: number;
      version: string;
      rollout: number;
      from: number;
      published: boolean;
      signatures: number;
      threshold: number;
    };

/**
 * The live release at `percent` (or the policy's next stage when null); nothing to do when it is
 * there already, or when the live serial is no longer `opts.ifSerial` (`watch` widens only the
 * rollout it judged: a rollout by hand in between wins). `opts.detail` goes into the audit line.
 */
export async function setRollout(
  ch: Channel,
  percent: number | null,
  opts: { ifSerial?: number; detail?: Record<string, unknown> } = {},
): Promise<RolloutResult> {
  const { ctx, name, policy } = ch;
  const signers = await ch.signers(`rollout ${name}`);
  return ch.locked(async () => {
    const live = await ch.live();
    if (!live)
      throw failure(
        'E_NOTHING',
        `rollout ${name}: nothing is live`,
        `stage and publish a release first: friday stage --channel ${name} --publish`,
      );
    const from = live.signed.rollout.percent;
    const to = percent ?? nextStage(policy.rollout, from);
    if (to === null || to === from || (opts.ifSerial !== undefined && live.signed.serial !== opts.ifSerial))
      return { changed: false, channel: name, serial: live.signed.serial, version: live.signed.release.version, rollout: from };
    const body = reissueBody(live.signed, ctx.now, policy.expiresDays, { percent: to });
    const r = await signAndRelease(ch, body, signers, 'rollout', { from, to, ...opts.detail });
    return {
      changed: true,
      channel: name,
      serial: body.serial,
      version: body.release.version,
      rollout: to,
      from,
      published: r.published,
      signatures: r.valid,
      threshold: r.threshold,
    };
  });
}
