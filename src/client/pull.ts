/**
 * `pull`, what a tester's device runs: state → fetch from every source (bounded) → verify →
 * newest valid manifest → replay → device and decision → download into a `.part` (checked before
 * it is moved into place) → state. The serial is compared again under the state file's lock, and
 * the file moved into place there, so two pulls at once never lower the serial and a refusal
 * leaves no trace on the device.
 */
import { followTrustChain, heldTrust, keepNewestTrust } from './chain.js';
import { ClientError } from './errors.js';
import { checkReplay, decide, type Decision } from './decide.js';
import { DEFAULT_RETRIES, prepareArtifact, type Prepared } from './download.js';
import type { OnEvent } from './events.js';
import { parseManifestWithBytes, type ManifestBody } from './manifest.js';
import { DEFAULT_STALL_MS, parseSource, readManifestBytes, sourceName, type Source } from './source.js';
import { readState, recordSerial, stateKey, updateState, type DeviceState } from './state.js';
import type { Trust } from './trust.js';
import { verifyManifest } from './verify.js';

export interface PullOptions {
  channel: string;
  /** The publish root: a folder or an http(s) URL; several are mirrors of one another. */
  source: string | string[];
  /** The trust file the device shipped with; the chain is followed from it (or from the newest the state keeps). */
  trust: Trust;
  device: string;
  deviceId?: string;
  current?: string;
  /** Download the artifact into this folder when the decision is `update`. */
  download?: string;
  statePath: string;
  now: Date;
  cwd?: string;
  /** Check everything, download nothing, remember nothing. */
  dryRun?: boolean;
  /** No byte for this long (ms) is a stall. Default 30 000; it also bounds each source's manifest fetch. */
  stallTimeoutMs?: number;
  /** Failed requests in a row before the download gives up. Default 5. */
  retries?: number;
  /** Stops the pull (E_INTERRUPTED); a download's `.part` and its record are kept for the next run. */
  signal?: AbortSignal;
  /** Progress, retries, restarts and failing mirrors, as they happen. */
  onEvent?: OnEvent;
}

export interface PullResult {
  decision: Decision;
  channel: string;
  serial: number;
  version: string;
  rollback: boolean;
  /** A closed beta's grade and how many devices it offers the release to; absent when offered to every device. */
  audience?: { minGrade: string; devices: number };
  artifact: { file: string; url: string; size: number; sha256: string };
  downloaded: string | null;
  /** HTTP requests (or folder reads) made for the artifact in this run. */
  attempts: number;
  /** The offset of the last request that resumed a `.part`, 0 if none did. */
  resumedFrom: number;
  /** The trust version the manifest was checked against (the newest the chain led to). */
  trustVersion: number;
}

const CHANNEL = /^[a-z0-9][a-z0-9-]{0,62}$/;

interface Candidate {
  source: Source;
  location: string;
  body: ManifestBody;
}

function checkOptions(opts: PullOptions): void {
  if (!CHANNEL.test(opts.channel))
    throw new ClientError('E_USAGE', `--channel ${opts.channel}: not a channel name ([a-z0-9][a-z0-9-]{0,62})`, 2);
  const stall = opts.stallTimeoutMs;
  if (stall !== undefined && !(Number.isFinite(stall) && stall > 0))
    throw new ClientError('E_USAGE', `--stall-timeout: must be a positive number of seconds`, 2);
  const retries = opts.retries;
  if (retries !== undefined && !(Number.isSafeInteger(retries) && retries >= 0))
    throw new ClientError('E_USAGE', `--retries ${retries}: must be a whole number of 0 or more`, 2);
}

export async function pull(opts: PullOptions): Promise<PullResult> {
  checkOptions(opts);
  const texts = Array.isArray(opts.source) ? opts.source : [opts.source];
  if (texts.length === 0) throw new ClientError('E_USAGE', '--source: at least one is needed', 2);
  const sources = texts.map((t) => parseSource(t, opts.cwd));
  const state = await readState(opts.statePath);
  const key = stateKey(opts.trust.product, opts.channel);
  const stallMs = opts.stallTimeoutMs ?? DEFAULT_STALL_MS;
  const { signal, onEvent } = opts;
  const readOpts = { stallMs, ...(signal ? { signal } : {}) };

  // The trust chain first: every source's, the newest wins. A link that does not verify refuses
  // the pull whichever source served it (someone without the trusted keys is at work); a source
  // that cannot be read for the chain is left to fail (or not) on its manifest.
  const held = heldTrust(opts.trust, state, opts.statePath);
  const chains = await Promise.all(
    sources.map((source) =>
      followTrustChain(held, source, readOpts).catch((err: unknown) => {
        if (err instanceof ClientError && err.code === 'E_FETCH') return held;
        throw err;
      }),
    ),
  );
  const trust = chains.reduce((a, b) => (b.version > a.version ? b : a), held);

  // Every source is asked (at once, each within the stall timeout); the newest valid manifest
  // wins, so a lagging mirror can neither hold the pull nor hide a newer one, a signed rollback
  // included.
  const results = await Promise.all(
    sources.map(async (source): Promise<Candidate | ClientError> => {
      try {
        const { bytes, location } = await readManifestBytes(source, opts.channel, readOpts);
        const { doc, signedBytes } = parseManifestWithBytes(bytes, location);
        const { manifest } = verifyManifest(doc, trust, { channel: opts.channel, now: opts.now, label: location, signedBytes });
        return { source, location, body: manifest.signed };
      } catch (err) {
        if (err instanceof ClientError) return err;
        throw err;
      }
    }),
  );
  if (signal?.aborted) throw new ClientError('E_INTERRUPTED', `${opts.channel}: interrupted while fetching the manifest`);
  const valid = results.filter((r): r is Candidate => !(r instanceof ClientError));
  const failed = results.flatMap((r, i) => (r instanceof ClientError ? [{ source: sources[i]!, err: r }] : []));
  const best = valid.reduce<Candidate | null>((b, c) => (b === null || c.body.serial > b.body.serial ? c : b), null);
  if (sources.length > 1) {
    for (const f of failed) onEvent?.({ type: 'source', source: sourceName(f.source), problem: f.err.message });
    for (const c of valid)
      if (best && c.body.serial < best.body.serial)
        onEvent?.({
          type: 'source',
          source: sourceName(c.source),
          problem: `serves serial ${c.body.serial}, older than serial ${best.body.serial} from ${sourceName(best.source)} (lagging)`,
        });
  }
  if (!best) throw failed[0]!.err;

  const { body, location } = best;
  checkReplay(body, state.serials[key], location);
  const { decision, artifact, version, rollback } = decide(
    body,
    {
      device: opts.device,
      ...(opts.deviceId !== undefined ? { deviceId: opts.deviceId } : {}),
      ...(opts.current !== undefined ? { current: opts.current } : {}),
    },
    location,
  );

  let prepared: Prepared | null = null;
  if (decision === 'update' && opts.download !== undefined && !opts.dryRun) {
    // The artifact may come from any source: the one whose manifest won first, then the others.
    const order = [best.source, ...sources.filter((s) => s !== best.source)];
    prepared = await prepareArtifact(order, artifact, opts.download, {
      stallTimeoutMs: stallMs,
      retries: opts.retries ?? DEFAULT_RETRIES,
      ...(signal ? { signal } : {}),
      ...(onEvent ? { onEvent } : {}),
    });
  }
  // Nothing to record and nothing to move (the serial was seen before): no lock, no write.
  const accept = (s: DeviceState) => recordSerial(keepNewestTrust(s, trust, opts.statePath), key, body.serial);
  if (!opts.dryRun && (prepared || accept(state) !== state)) {
    try {
      // Not interruptible: the lock is held for milliseconds, and a verified download is not lost to a late Ctrl-C.
      await updateState(opts.statePath, async (current) => {
        // Another pull may have accepted a newer manifest since this one read the state.
        checkReplay(body, current.serials[key], location);
        await prepared?.commit();
        return accept(current);
      });
    } catch (err) {
      await prepared?.discard();
      throw err;
    }
  }
  return {
    decision,
    channel: body.channel,
    serial: body.serial,
    version,
    rollback,
    ...(body.audience ? { audience: { minGrade: body.audience.minGrade, devices: body.audience.devices.length } } : {}),
    artifact: { file: artifact.file, url: artifact.url, size: artifact.size, sha256: artifact.sha256 },
    downloaded: prepared?.path ?? null,
    attempts: prepared?.attempts ?? 0,
    resumedFrom: prepared?.resumedFrom ?? 0,
    trustVersion: trust.version,
  };
}
