/**
 * What the relay bench's feed and viewers agree on to match an access unit across processes:
 * a fingerprint of its last NAL unit (a relay may add, drop or reorder parameter sets and SEI, but
 * forwards slices byte for byte) and the machine's monotonic clock.
 */

/** FNV-1a over the NAL's length and first 64 bytes, as an unsigned 32-bit number. */
export function auFingerprint(lastNal: Uint8Array): number {
  let h = 0x811c9dc5 ^ lastNal.byteLength;
  const n = Math.min(64, lastNal.byteLength);
  for (let i = 0; i < n; i++) {
    h ^= lastNal[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** CLOCK_MONOTONIC in µs: process.hrtime reads the same clock in every process on the machine. */
export function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}
