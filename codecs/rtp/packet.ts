/**
 * RTP fixed header, RFC 3550 §5.1 (header extension §5.3.1), RTP/RTCP demux RFC 5761 §4.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                           timestamp                           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           synchronization source (SSRC) identifier            |
 *   +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *   |       CSRC list (CC x 32 bits)  ...                           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  extension profile (X=1)      |   length (32-bit words)       |
 *   |  extension data ...                                           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  payload ...                  | padding ... | pad count (P=1) |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/** One RTP packet. `payload` and `extension.data` are views into the parsed buffer. */
export interface RtpPacket {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcs: number[];
  /** True when the packet carried padding (already stripped from `payload`). */
  padding: boolean;
  extension?: { profile: number; data: Uint8Array };
  /** A view into the input buffer, not a copy. */
  payload: Uint8Array;
}

/** Size of the fixed RTP header without CSRCs or extension. */
export const RTP_HEADER_SIZE = 12;

const NO_CSRCS: number[] = [];

/** Parses one RTP packet; returns null when it is malformed (the caller counts it). Never throws. */
export function parseRtp(buf: Uint8Array): RtpPacket | null {
  const len = buf.length;
  if (len < RTP_HEADER_SIZE) return null;
  const b0 = buf[0]!;
  if (b0 >> 6 !== 2) return null;
  const b1 = buf[1]!;
  const cc = b0 & 0x0f;
  let offset = RTP_HEADER_SIZE + cc * 4;
  if (offset > len) return null;

  let csrcs = NO_CSRCS;
  if (cc > 0) {
    csrcs = new Array<number>(cc);
    for (let i = 0; i < cc; i++) csrcs[i] = readU32(buf, RTP_HEADER_SIZE + i * 4);
  }

  let extension: RtpPacket['extension'];
  if (b0 & 0x10) {
    if (offset + 4 > len) return null;
    const profile = (buf[offset]! << 8) | buf[offset + 1]!;
    const words = (buf[offset + 2]! << 8) | buf[offset + 3]!;
    const end = offset + 4 + words * 4;
    if (end > len) return null;
    extension = { profile, data: buf.subarray(offset + 4, end) };
    offset = end;
  }

  let end = len;
  const padding = (b0 & 0x20) !== 0;
  if (padding) {
    const pad = buf[len - 1]!;
    // §5.1: the last octet counts itself, so 0 is invalid; padding may not eat into the header.
    if (pad === 0 || offset + pad > len) return null;
    end = len - pad;
  }

  const packet: RtpPacket = {
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequenceNumber: (buf[2]! << 8) | buf[3]!,
    timestamp: readU32(buf, 4),
    ssrc: readU32(buf, 8),
    csrcs,
    padding,
    payload: buf.subarray(offset, end),
  };
  if (extension) packet.extension = extension;
  return packet;
}

/** Serializes an RTP packet (no padding is written; `padding` is ignored). */
export function serializeRtp(p: RtpPacket): Uint8Array {
  const cc = Math.min(p.csrcs.length, 15);
  const extData = p.extension?.data;
  const extWords = extData ? Math.ceil(extData.length / 4) : 0;
  const headerLen = RTP_HEADER_SIZE + cc * 4 + (p.extension ? 4 + extWords * 4 : 0);
  const out = new Uint8Array(headerLen + p.payload.length);
  writeRtpHeader(out, p, cc);
  let offset = RTP_HEADER_SIZE + cc * 4;
  if (p.extension) {
    out[offset] = p.extension.profile >> 8;
    out[offset + 1] = p.extension.profile & 0xff;
    out[offset + 2] = extWords >> 8;
    out[offset + 3] = extWords & 0xff;
    if (extData) out.set(extData, offset + 4);
    offset += 4 + extWords * 4;
  }
  out.set(p.payload, offset);
  return out;
}

function writeRtpHeader(out: Uint8Array, p: RtpPacket, cc: number): void {
  out[0] = 0x80 | (p.extension ? 0x10 : 0) | cc;
  out[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  out[2] = (p.sequenceNumber >> 8) & 0xff;
  out[3] = p.sequenceNumber & 0xff;
  writeU32(out, 4, p.timestamp);
  writeU32(out, 8, p.ssrc);
  for (let i = 0; i < cc; i++) writeU32(out, RTP_HEADER_SIZE + i * 4, p.csrcs[i]!);
}

/** RFC 5761 §4: an RTCP packet on a muxed port has version 2 and a second octet in 192..223. */
export function isRtcpPacket(buf: Uint8Array): boolean {
  if (buf.length < 4 || buf[0]! >> 6 !== 2) return false;
  const pt = buf[1]!;
  return pt >= 192 && pt <= 223;
}

/** Reads a big-endian unsigned 32-bit integer. */
export function readU32(buf: Uint8Array, offset: number): number {
  return ((buf[offset]! << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!) >>> 0;
}

/** Writes a big-endian unsigned 32-bit integer. */
export function writeU32(buf: Uint8Array, offset: number, v: number): void {
  buf[offset] = (v >>> 24) & 0xff;
  buf[offset + 1] = (v >>> 16) & 0xff;
  buf[offset + 2] = (v >>> 8) & 0xff;
  buf[offset + 3] = v & 0xff;
}
