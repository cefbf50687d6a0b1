/**
 * The embeddable update client: everything a device updater needs to check a friday channel
 * manifest and fetch its artifact safely. It depends on node: builtins and `canonicalize` only,
 * never on the rest of the CLI. The format and the checks are described in docs/manifest.md,
 * this API in docs/client.md.
 */
export { ClientError, isClientError, type ClientErrorCode, type RefusalCode } from './errors.js';
export { canonicalBytes, canonicalString } from './canonical.js';
export { bucketOf, inRollout } from './rollout.js';
export {
  checkTrustLink,
  decodeBase64,
  highestThreshold,
  keyidOfRaw,
  weakKeyProblem,
  parseTrust,
  publicKeyFromRaw,
  readTrustFile,
  thresholdFor,
  TRUST_TYPE,
  type Trust,
  type TrustedKey,
} from './trust.js';
export {
  bodyProblems,
  isPercent,
  isPlainFileName,
  isSafeRelativeUrl,
  MANIFEST_TYPE,
  MANIFEST_TYPE_V1,
  MAX_FILE_NAME_BYTES,
  parseManifest,
  parseManifestBytes,
  parseManifestWithBytes,
  splitManifest,
  timeOf,
  type DeviceRelease,
  type ManifestArtifact,
  type ManifestBody,
  type Signature,
  type SignedManifest,
} from './manifest.js';
export { followTrustChain } from './chain.js';
export { checkSignatures, verifyManifest, type SignatureCheck, type Verified, type VerifyOptions } from './verify.js';
export { checkReplay, compareVersions, decide, offerFor, type Decision, type DecideInput, type DecideResult } from './decide.js';
export { defaultStatePath, readState, recordSerial, stateKey, updateState, writeState, STATE_TYPE, type DeviceState } from './state.js';
export { locate, MANIFEST_LIMIT, parseSource, readManifestBytes, type ReadOptions, type Source } from './source.js';
export { downloadArtifact, type DownloadOptions, type Downloaded } from './download.js';
export type { OnEvent, PullEvent } from './events.js';
export { printable } from './printable.js';
export { pull, type PullOptions, type PullResult } from './pull.js';
