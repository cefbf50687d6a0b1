/**
 * One entry to a channel for every command that changes one: the project and the channel's
 * policy, trust.json, the signing keys (asked for only when something is to be signed), the
 * store (the dry-run gate), who is acting, and the lock under which whatever a killed run left
 * undone is completed first (src/io/channel.ts `completePublish`).
 */
import type { Trust } from '../client/index.js';
import type { ChannelPolicy } from '../core/config.js';
import type { Context } from '../context.js';
import {
  completePublish,
  lockChannel,
  readEvents,
  readHistory,
  readLiveManifest,
  readStagedManifest,
  type AuditEvent,
  type SignedManifest,
} from '../io/channel.js';
import { gitUserName } from '../io/git.js';
import type { Signer } from '../io/keys.js';
import { channelPolicy, loadProject, type Project } from '../io/project.js';
import { createStore, type Store } from '../io/store.js';
import { readTrust } from '../io/trust-file.js';
import { requireSigners } from './signers.js';

export interface Channel {
  ctx: Context;
  project: Project;
  name: string;
  policy: ChannelPolicy;
  trust: Trust;
  store: Store;
  /** Who is acting, for the audit log (`actorOf`; asked once, when first needed). */
  actor(): Promise<string>;
  /** The `--key` signers (or FRIDAY_SIGNING_KEY); a clear error naming `what` when there is none. */
  signers(what: string): Promise<Signer[]>;
  live(): Promise<SignedManifest | null>;
  staged(): Promise<SignedManifest | null>;
  history(): Promise<SignedManifest[]>;
  events(): Promise<AuditEvent[]>;
  /** Run `fn` under the channel lock, after completing a killed publish. Under --dry-run nothing is locked or completed. */
  locked<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * Who is acting, as the audit log (served with the publish root) names them: FRIDAY_ACTOR (a CI
 * job's role), else the configuration's `publish.actor`, else the git user name, else $USER.
 */
async function actorOf(ctx: Context, project: Project): Promise<string> {
  return (
    ctx.env.FRIDAY_ACTOR || project.config.publish.actor || (await gitUserName(ctx.cwd)) || ctx.env.USER || ctx.env.USERNAME || 'unknown'
  );
}

export interface OpenOptions {
  /** The flag that named the channel, for the error when it does not exist (`--from`). */
  flag?: string;
  /** `--key` files, relative to the repository. */
  keyFiles?: string[] | undefined;
  /** An already loaded project (promote opens two channels). */
  project?: Project;
}

export async function openChannel(ctx: Context, name: string, opts: OpenOptions = {}): Promise<Channel> {
  const project = opts.project ?? (await loadProject(ctx));
  const policy = channelPolicy(project, name, opts.flag);
  const trust = await readTrust({ publishDir: project.publishDir, root: project.root, product: project.config.product });
  const store = createStore(ctx);
  const { publishDir, root } = project;
  let actor: Promise<string> | undefined;
  let signers: Signer[] | undefined;
  const ch: Channel = {
    ctx,
    project,
    name,
    policy,
    trust,
    store,
    actor: () => (actor ??= actorOf(ctx, project)),
    signers: async (what) => (signers ??= await requireSigners(ctx, opts.keyFiles, { what, channel: name, trust })),
    live: () => readLiveManifest(publishDir, name, root),
    staged: () => readStagedManifest(publishDir, name, root),
    history: () => readHistory(publishDir, name, root),
    events: () => readEvents(publishDir, name),
    locked: async (fn) => {
      if (ctx.dryRun) return fn();
      return lockChannel(publishDir, name, async () => {
        await completePublish(store, publishDir, name, ch.actor);
        return fn();
      });
    },
  };
  return ch;
}
