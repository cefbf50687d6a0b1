/**
 * Re-issuing the live release (docs/cli.md `renew`, `rollout`): the same release and salt under
 * the next serial and a fresh expiry, with a wider or narrower rollout for `rollout`.
 */
import { nextStage, reissueBody, renewDue } from '../core/manifest.js';
import { failure } from '../errors.js';
import type { Channel } from './channel.js';
import { signAndRelease } from './release.js';

export interface RenewResult {
  renewed: boolean;
  serial: number;
  expiresAt: string;
}

/** Renew once less than a third of the validity is left (or with `force`); not due needs no key. */
export async function renew(ch: Channel, req: { force: boolean }): Promise<RenewResult> {
  const { ctx, name, policy } = ch;
  const notLive = () => failure('E_NOTHING', `renew ${name}: nothing is live`);
  const live0 = await ch.live();
  if (!live0) throw notLive();
  // Not due: nothing to sign, so no key is needed (the scheduled job may run this every few minutes).
  if (!req.force && !renewDue(live0.signed, ctx.now))
    return { renewed: false, serial: live0.signed.serial, expiresAt: live0.signed.expiresAt };
  const signers = await ch.signers(`renew ${name}`);
  return ch.locked(async () => {
    const live = await ch.live();
    if (!live) throw notLive();
    if (!req.force && !renewDue(live.signed, ctx.now))
      return { renewed: false, serial: live.signed.serial, expiresAt: live.signed.expiresAt };
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

/** The live release at `percent` (or the policy's next stage when null); nothing to do when it is there already. */
export async function setRollout(ch: Channel, percent: number | null): Promise<RolloutResult> {
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
    if (to === null || to === from)
      return { changed: false, channel: name, serial: live.signed.serial, version: live.signed.release.version, rollout: from };
    const body = reissueBody(live.signed, ctx.now, policy.expiresDays, { percent: to });
    const r = await signAndRelease(ch, body, signers, 'rollout', { from, to });
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
