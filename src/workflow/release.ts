/**
 * Putting a signed manifest live: at once when it carries enough trusted signatures (rollout,
 * rollback, renew), else staged for co-signers; and publishing what waits in staged.json.
 * The channel lock is held by the caller.
 */
import { canonicalBytes, verifyManifest, type ManifestBody, type SignedManifest } from '../client/index.js';
import { expiredStaged, releaseStep, staleStaged } from '../core/channel.js';
import { signBody } from '../core/manifest.js';
import { formatTime } from '../core/time.js';
import { failure, fromClient } from '../errors.js';
import { appendEvent, publishManifest, writeStaged, type AuditEvent } from '../io/channel.js';
import type { Signer } from '../io/keys.js';
import { withAudience } from './audience.js';
import type { Channel } from './channel.js';
import { signatureCount } from './signers.js';
import { planPublishExport, stagedExportFor, stageExport, writeTufExport } from './tuf.js';

export interface ReleaseOutcome {
  published: boolean;
  doc: SignedManifest;
  valid: number;
  threshold: number;
}

/**
 * Sign `body` and publish it with the `action` line and a `publish` line; short of the threshold,
 * stage it instead, so a co-signer can finish with `friday sign` and `friday publish`.
 *
 * A staged.json that is not `body` (a release staged and waiting for `publish`) is left in place
 * when publishing: the serial moves past it, so a later `publish` refuses it as stale (E_STALE)
 * instead of it vanishing without a word.
 */
export async function signAndRelease(
  ch: Channel,
  body: ManifestBody,
  signers: Signer[],
  action: AuditEvent['action'],
  detail: Record<string, unknown>,
): Promise<ReleaseOutcome> {
  const { store, project, trust, ctx } = ch;
  await warnIfClockBehind(ch);
  body = await withAudience(ch, body);
  const doc: SignedManifest = { signed: body, signatures: signBody(body, signers) };
  const { valid, threshold } = signatureCount(doc, trust);
  const base = { at: formatTime(ctx.now), serial: body.serial, version: body.release.version, actor: await ch.actor() };
  // A staged file that cannot be read must not stop this (an urgent rollback least of all).
  const pending = await ch.staged().catch(() => null);
  if (releaseStep(valid, threshold) === 'publish') {
    const same = pending !== null && canonicalBytes(pending.signed).equals(canonicalBytes(body));
    const tuf = await planPublishExport(ch, doc, signers);
    await publishManifest(
      store,
      project.publishDir,
      doc,
      [
        { ...base, action, detail },
        { ...base, action: 'publish', detail: { rollout: body.rollout.percent, signatures: valid, via: action } },
      ],
      { removeStaged: same, minisign: minisignPlan(ch, signers) },
    );
    if (tuf) await writeTufExport(store, tuf);
    return { published: true, doc, valid, threshold };
  }
  // One staged.json per channel: say so when this pushes out a different release waiting there.
  if (pending && pending.signed.release.version !== body.release.version) {
    ctx.warn(
      `${body.channel}: this replaces the staged ${pending.signed.release.version} (serial ${pending.signed.serial}); stage it again once this one is live`,
    );
  }
  await stageManifest(ch, doc, signers);
  await appendEvent(store, project.publishDir, body.channel, {
    ...base,
    action,
    detail: { ...detail, staged: true, signatures: valid, threshold },
  });
  return { published: false, doc, valid, threshold };
}

/**
 * A signed manifest into staged.json, with what `friday publish` (no key) will put in place with
 * it: its `.minisig` files (io/channel.ts `writeStaged`) and, with `publish.tuf`, its TUF export.
 */
export async function stageManifest(ch: Channel, doc: SignedManifest, signers: Signer[]): Promise<void> {
  await stageExport(ch, doc, signers);
  await writeStaged(ch.store, ch.project.publishDir, doc, minisignPlan(ch, signers));
}

/**
 * A clock earlier than the live manifest's `issuedAt` is allowed (an old `--now` replayed on
 * purpose, a CI job re-run), with a warning: a wrong clock is the likeliest cause (docs/cli.md "--now").
 */
export async function warnIfClockBehind(ch: Channel, known?: SignedManifest | null): Promise<void> {
  const live = known !== undefined ? known : await ch.live().catch(() => null);
  if (live && Date.parse(live.signed.issuedAt) > ch.ctx.now.getTime())
    ch.ctx.warn(
      `${ch.name}: the clock (${formatTime(ch.ctx.now)}) is earlier than the live manifest's issuedAt (${live.signed.issuedAt}, serial ${live.signed.serial}): check --now, FRIDAY_NOW or the system clock`,
    );
}

/** The signers whose keys the trust file lists: only their minisign signatures mean anything to a tester. */
export const minisignPlan = (ch: Channel, signers: readonly Signer[]) => ({
  signers: signers.filter((s) => ch.trust.keys.has(s.keyid)),
  current: [...ch.trust.keys.keys()],
});

/**
 * Check a staged manifest against trust.json (threshold, expiry, serial = live + 1) and make it
 * live. With `signers` (stage --publish), they sign its `.minisig` files; `friday publish` has no
 * key, so it puts in place those `stage` and `sign` made beside staged.json over the same bytes.
 */
export async function publishStaged(
  ch: Channel,
  staged: SignedManifest,
  live: SignedManifest | null,
  signers: readonly Signer[] = [],
): Promise<void> {
  const { ctx, trust, name } = ch;
  const s = staged.signed;
  try {
    verifyManifest(staged, trust, { channel: name, now: ctx.now, label: `channels/${name}/staged.json` });
  } catch (err) {
    const e = fromClient(err) as Error & { code?: string };
    if (e.code === 'E_SIGNATURE') {
      const { valid, threshold } = signatureCount(staged, trust);
      throw failure(
        'E_THRESHOLD',
        `publish ${name}: serial ${s.serial} has ${valid} of the ${threshold} trusted signatures needed`,
        `add one with: friday sign --channel ${name} --key <file>`,
      );
    }
    if (e.code === 'E_EXPIRED') throw expiredStaged('publish', s, ctx.now) ?? e;
    throw e;
  }
  const problem = staleStaged('publish', s, live?.signed.serial ?? null);
  if (problem) throw problem;
  const { valid } = signatureCount(staged, trust);
  const tuf = signers.length ? await planPublishExport(ch, staged, signers) : await stagedExportFor(ch, staged);
  await publishManifest(
    ch.store,
    ch.project.publishDir,
    staged,
    [
      {
        at: formatTime(ctx.now),
        action: 'publish',
        serial: s.serial,
        version: s.release.version,
        actor: await ch.actor(),
        detail: { rollout: s.rollout.percent, signatures: valid, expiresAt: s.expiresAt },
      },
    ],
    { removeStaged: true, minisign: minisignPlan(ch, signers) },
  );
  if (tuf) await writeTufExport(ch.store, tuf);
  else if (ch.project.config.publish.tuf)
    ctx.warn(
      `${name}: the TUF export still names serial ${live?.signed.serial ?? 'none'}: publish has no key, and the keys that staged it could not sign it alone; run friday export-tuf --channel ${name} --key <file>`,
    );
  ctx.info(`${name}: serial ${s.serial} live (${s.release.version}, ${s.rollout.percent}%)`);
}
