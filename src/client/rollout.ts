/**
 * The rollout bucket (docs/formats.md "manifest.json"): bucket = first 4 bytes of SHA-256 of the
 * UTF-8 string `<salt>:<deviceId>`, big-endian unsigned, modulo 10000. A device is in the rollout
 * when bucket < round(percent × 100). A fresh salt per release means a different tenth of the
 * fleet goes first each week; keeping it while the rollout widens means nobody drops out.
 */
import { createHash } from 'node:crypto';

export function bucketOf(salt: string, deviceId: string): number {
  const digest = createHash('sha256').update(`${salt}:${deviceId}`, 'utf8').digest();
  return digest.readUInt32BE(0) % 10000;
}

export function inRollout(percent: number, salt: string, deviceId: string): boolean {
  return bucketOf(salt, deviceId) < Math.round(percent * 100);
}

/**
 * A device's entry in a closed beta's audience (docs/fans.md): the first 8 bytes, lowercase hex,
 * of SHA-256 of `<salt>:<deviceId>`. Salted per release, so the lists of two releases cannot be
 * matched up; it hides an id only as well as the id is random.
 */
export function audienceEntry(salt: string, deviceId: string): string {
  return createHash('sha256').update(`${salt}:${deviceId}`, 'utf8').digest().subarray(0, 8).toString('hex');
}
