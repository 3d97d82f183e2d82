/**
 * SRTP protection of outgoing RTP packets, the relay's own send path beside werift's.
 *
 * werift's SrtpSession parses and re-serializes a header object, concatenates header, ciphertext
 * and tag into a new buffer, and keeps per-SSRC state in a map; here the caller hands a 12-byte
 * header it wrote itself and gets back the three pieces of the SRTP packet to pass to one
 * scatter/gather `dgram.send`, with no copy of the payload beyond the cipher's own output.
 *
 *   AEAD_AES_128_GCM (RFC 7714 §8):
 *     IV (12 bytes) = (00 00 | SSRC | ROC | SEQ) XOR session salt
 *     packet        = header (AAD) | AES-GCM(payload) | 16-byte tag
 *   AES_CM_128_HMAC_SHA1_80 (RFC 3711 §4.1.1, §4.2):
 *     IV (16 bytes) = (salt · 2^16) XOR (SSRC · 2^64) XOR (index · 2^16), index = ROC · 2^16 + SEQ
 *     packet        = header | AES-CTR(payload) | HMAC-SHA1(auth key, header | ciphertext | ROC)[0..10)
 *
 * The session keys come from the DTLS-SRTP exporter (RFC 5764 §4.2) through werift's KDF
 * (`core/webrtc/fast-send.ts`); this file is pure crypto and is tested against werift's decrypt.
 */
import { createCipheriv, createHmac } from 'node:crypto';

/** The SRTP protection profiles WebRTC negotiates (RFC 5764 §4.1.2, RFC 7714 §14.2). */
export type SrtpProfile = 'AEAD_AES_128_GCM' | 'AES_CM_128_HMAC_SHA1_80';

/** Session keys of one direction, after the SRTP key derivation (RFC 3711 §4.3). */
export interface SrtpSessionKeys {
  profile: SrtpProfile;
  /** 16-byte session encryption key. */
  key: Buffer;
  /** Session salt: 12 bytes are used for GCM, 14 for AES-CM. */
  salt: Buffer;
  /** 20-byte session authentication key (AES-CM only). */
  authKey?: Buffer;
}

/** Writes the fixed 12-byte RTP header (RFC 3550 §5.1: V=2, no padding, extension or CSRC). */
export function writeRtpHeader(out: Buffer, payloadType: number, marker: boolean, seq: number, timestamp: number, ssrc: number): Buffer {
  out[0] = 0x80;
  out[1] = (marker ? 0x80 : 0) | (payloadType & 0x7f);
  out.writeUInt16BE(seq & 0xffff, 2);
  out.writeUInt32BE(timestamp >>> 0, 4);
  out.writeUInt32BE(ssrc >>> 0, 8);
  return out;
}

/** Protects RTP packets of any SSRC under one direction's session keys. */
export interface SrtpProtector {
  readonly profile: SrtpProfile;
  /** Bytes the protection adds after the payload (16 for GCM, 10 for AES-CM). */
  readonly tagLength: number;
  /**
   * The SRTP packet for `header` (written by writeRtpHeader; not modified) and `payload`, as
   * buffers to send in order. `roc` is the sender's rollover counter for this packet's SEQ.
   */
  protect(header: Buffer, payload: Buffer, ssrc: number, seq: number, roc: number): Buffer[];
}

/** AEAD_AES_128_GCM: one cipher object per packet (node:crypto cannot re-key an IV in place). */
class GcmProtector implements SrtpProtector {
  readonly profile = 'AEAD_AES_128_GCM' as const;
  readonly tagLength = 16;
  readonly #key: Buffer;
  readonly #salt: Buffer;
  /** Reused: createCipheriv copies the IV into the cipher context. */
  readonly #iv = Buffer.alloc(12);

  constructor(keys: SrtpSessionKeys) {
    if (keys.key.length !== 16 || keys.salt.length < 12) throw new RangeError('AES-128-GCM SRTP needs a 16-byte key and a 12-byte salt');
    this.#key = keys.key;
    this.#salt = keys.salt;
  }

  protect(header: Buffer, payload: Buffer, ssrc: number, seq: number, roc: number): Buffer[] {
    const iv = this.#iv;
    const salt = this.#salt;
    iv.writeUInt16BE(0, 0);
    iv.writeUInt32BE(ssrc >>> 0, 2);
    iv.writeUInt32BE(roc >>> 0, 6);
    iv.writeUInt16BE(seq & 0xffff, 10);
    for (let i = 0; i < 12; i++) iv[i]! ^= salt[i]!;
    const cipher = createCipheriv('aes-128-gcm', this.#key, iv);
    cipher.setAAD(header);
    const enc = cipher.update(payload);
    cipher.final();
    return [header, enc, cipher.getAuthTag()];
  }
}

/** AES_CM_128_HMAC_SHA1_80: AES-128 in counter mode and an 80-bit HMAC-SHA1 tag. */
class CmHmacProtector implements SrtpProtector {
  readonly profile = 'AES_CM_128_HMAC_SHA1_80' as const;
  readonly tagLength = 10;
  readonly #key: Buffer;
  readonly #salt: Buffer;
  readonly #authKey: Buffer;
  readonly #iv = Buffer.alloc(16);

  constructor(keys: SrtpSessionKeys) {
    if (keys.key.length !== 16 || keys.salt.length < 14 || !keys.authKey) {
      throw new RangeError('AES-CM SRTP needs a 16-byte key, a 14-byte salt and an auth key');
    }
    this.#key = keys.key;
    this.#salt = keys.salt;
    this.#authKey = keys.authKey;
  }

  protect(header: Buffer, payload: Buffer, ssrc: number, seq: number, roc: number): Buffer[] {
    const iv = this.#iv;
    const salt = this.#salt;
    iv.fill(0);
    iv.writeUInt32BE(ssrc >>> 0, 4);
    iv.writeUInt32BE(roc >>> 0, 8);
    iv.writeUInt16BE(seq & 0xffff, 12);
    for (let i = 0; i < 14; i++) iv[i]! ^= salt[i]!;
    const enc = createCipheriv('aes-128-ctr', this.#key, iv).update(payload);
    const rocBytes = Buffer.allocUnsafe(4);
    rocBytes.writeUInt32BE(roc >>> 0, 0);
    const tag = createHmac('sha1', this.#authKey).update(header).update(enc).update(rocBytes).digest().subarray(0, 10);
    return [header, enc, tag];
  }
}

/** The protector for `keys.profile`. */
export function srtpProtector(keys: SrtpSessionKeys): SrtpProtector {
  return keys.profile === 'AEAD_AES_128_GCM' ? new GcmProtector(keys) : new CmHmacProtector(keys);
}

/**
 * Per-SSRC sequence numbering with its rollover counter (RFC 3711 §3.3.1): the sender's own
 * packet index, so ROC is exact rather than estimated.
 */
export class SrtpSequence {
  seq: number;
  roc = 0;

  constructor(firstSeq: number) {
    this.seq = firstSeq & 0xffff;
  }

  /** Advances to the next sequence number, bumping ROC when SEQ wraps to 0. */
  next(): void {
    this.seq = (this.seq + 1) & 0xffff;
    if (this.seq === 0) this.roc = (this.roc + 1) >>> 0;
  }
}
