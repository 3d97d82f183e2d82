/**
 * Reading a WHEP offer (RFC 9725 §4.2) and choosing what we answer with.
 *
 * H.264 in SDP (RFC 6184 §8.1): a=fmtp:<pt> profile-level-id=PPCCLL;packetization-mode=1;...
 *   PP = profile_idc, CC = profile-iop (constraint_set0..5 flags, MSB first), LL = level_idc.
 *   The *profile* is PP plus a pattern over CC (constrained baseline is 42e0 / 4240 / 4d80 / 58c0 …);
 *   with level-asymmetry-allowed=1 the two sides may use different levels of the same profile.
 * Chrome offers several H.264 payload types (42001f, 42e01f, 4d001f, 640034 …), each with both
 * packetization modes; we pick the one whose profile matches the camera's, with packetization-mode=1.
 */
import { ProtocolError, UnsupportedError } from '../errors.js';
import { attributeValue, attributeValues, parseSdp } from '../../codecs/sdp/parse.js';

/** One codec of an offered m= section. */
export interface OfferedCodec {
  payloadType: number;
  /** Upper-case encoding name: H264, VP8, OPUS, PCMA … */
  name: string;
  clockRate: number;
  channels?: number;
  /** fmtp parameters, keys lower-cased. */
  fmtp: Record<string, string>;
  /** a=rtcp-fb values for this payload type ('nack', 'nack pli', 'ccm fir' …). */
  rtcpFb: string[];
}

/** One offered m= section. */
export interface OfferedMedia {
  kind: string;
  mid?: string;
  /** a=sendrecv / sendonly / recvonly / inactive (sendrecv when absent, RFC 8866 §6.7). */
  direction: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
  /** m= port 0: the section is rejected or disabled. */
  disabled: boolean;
  codecs: OfferedCodec[];
}

/**
 * Parses and sanity-checks a WHEP offer. Throws ProtocolError when it is not a usable WebRTC offer
 * (not SDP, no m= line, no ICE credentials or DTLS fingerprint).
 */
export function parseOffer(sdp: string): OfferedMedia[] {
  if (typeof sdp !== 'string' || !/^\s*v=0\s*$/m.test(sdp)) throw new ProtocolError('offer is not an SDP document (no v=0 line)');
  const d = parseSdp(sdp);
  const has = (name: string): boolean =>
    attributeValue(d.attributes, name) !== undefined || d.media.some((m) => attributeValue(m.attributes, name) !== undefined);
  if (!has('ice-ufrag') || !has('ice-pwd')) throw new ProtocolError('offer has no ICE credentials (a=ice-ufrag / a=ice-pwd)');
  if (!has('fingerprint')) throw new ProtocolError('offer has no DTLS fingerprint (a=fingerprint)');
  return d.media.map((m) => {
    const codecs: OfferedCodec[] = [];
    for (const fmt of m.formats) {
      const pt = Number(fmt);
      if (!Number.isInteger(pt)) continue;
      const rtpmap = attributeValues(m.attributes, 'rtpmap').find((v) => v.split(/\s+/)[0] === fmt);
      const enc = /^\d+\s+([^/\s]+)\/(\d+)(?:\/(\d+))?/.exec(rtpmap ?? '');
      if (!enc) continue;
      const fmtpLine = attributeValues(m.attributes, 'fmtp').find((v) => v.split(/\s+/)[0] === fmt);
      const fmtp: Record<string, string> = {};
      for (const kv of (fmtpLine?.replace(/^\S+\s*/, '') ?? '').split(';')) {
        const i = kv.indexOf('=');
        if (i > 0) fmtp[kv.slice(0, i).trim().toLowerCase()] = kv.slice(i + 1).trim();
      }
      const rtcpFb = attributeValues(m.attributes, 'rtcp-fb')
        .filter((v) => v.split(/\s+/)[0] === fmt)
        .map((v) => v.replace(/^\S+\s+/, '').trim());
      codecs.push({
        payloadType: pt,
        name: enc[1]!.toUpperCase(),
        clockRate: Number(enc[2]),
        channels: enc[3] ? Number(enc[3]) : undefined,
        fmtp,
        rtcpFb,
      });
    }
    const dirs = ['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const;
    const direction = dirs.find((d) => m.attributes.some((a) => a.name.toLowerCase() === d)) ?? 'sendrecv';
    return { kind: m.type, mid: attributeValue(m.attributes, 'mid'), direction, disabled: m.port === 0, codecs };
  });
}

/** Chrome's (and RFC 6184's) profile table: profile_idc, iop mask, iop value → profile name. */
const PROFILE_PATTERNS: ReadonlyArray<[number, number, number, string]> = [
  [0x42, 0x4f, 0x40, 'constrained-baseline'],
  [0x4d, 0x8f, 0x80, 'constrained-baseline'],
  [0x58, 0xcf, 0xc0, 'constrained-baseline'],
  [0x42, 0x4f, 0x00, 'baseline'],
  [0x58, 0xcf, 0x80, 'baseline'],
  [0x4d, 0xaf, 0x00, 'main'],
  [0x64, 0xff, 0x00, 'high'],
  [0x64, 0xff, 0x0c, 'constrained-high'],
  [0xf4, 0xff, 0x00, 'high-444'],
];

/** The H.264 profile named by a profile-level-id ('42e01f' → 'constrained-baseline'), or undefined. */
export function h264Profile(profileLevelId: string | undefined): string | undefined {
  if (!profileLevelId || !/^[0-9a-f]{6}$/i.test(profileLevelId)) return undefined;
  const idc = parseInt(profileLevelId.slice(0, 2), 16);
  const iop = parseInt(profileLevelId.slice(2, 4), 16);
  for (const [p, mask, value, name] of PROFILE_PATTERNS) if (p === idc && (iop & mask) === value) return name;
  return `idc-${idc}`;
}

/** The H.264 payload type we answer with, and the fmtp line that goes with it. */
export interface H264Choice {
  codec: OfferedCodec;
  /** fmtp for the answer: the camera's profile-level-id when the profiles match, else the offered one. */
  fmtp: string;
  /** True when the offered profile is the camera's. */
  profileMatch: boolean;
}

/**
 * Picks the offered H.264 payload type for a camera whose SPS gives `cameraProfileLevelId`:
 * same profile and packetization-mode=1 first (level-asymmetry-allowed preferred), else a
 * constrained-baseline one (every browser decoder accepts the higher profiles in practice), else
 * any packetization-mode=1 one. Throws UnsupportedError when the offer has no usable H.264.
 */
export function chooseH264(video: OfferedMedia, cameraProfileLevelId: string): H264Choice {
  const h264 = video.codecs.filter((c) => c.name === 'H264' && c.clockRate === 90000);
  if (h264.length === 0) throw new UnsupportedError('the offer has no H.264 payload type (the camera sends H.264)');
  // A profile-level-id that is not 6 hex digits names no profile, and would be echoed into our answer as is.
  const mode1 = h264.filter((c) => c.fmtp['packetization-mode'] === '1' && (c.fmtp['profile-level-id'] ?? '42001f').match(/^[0-9a-f]{6}$/i));
  if (mode1.length === 0) throw new UnsupportedError('the offer has no H.264 with packetization-mode=1 and a valid profile-level-id');
  const asym = (c: OfferedCodec): number => (c.fmtp['level-asymmetry-allowed'] === '1' ? 0 : 1);
  const byAsym = [...mode1].sort((a, b) => asym(a) - asym(b));
  const want = h264Profile(cameraProfileLevelId);
  const same = byAsym.find((c) => h264Profile(c.fmtp['profile-level-id'] ?? '42001f') === want);
  const chosen = same ?? byAsym.find((c) => h264Profile(c.fmtp['profile-level-id'] ?? '42001f') === 'constrained-baseline') ?? byAsym[0]!;
  const offeredPlid = chosen.fmtp['profile-level-id'] ?? '42001f';
  // Same profile: our level may differ when asymmetry is allowed; otherwise echo the offered one.
  const plid = same && chosen.fmtp['level-asymmetry-allowed'] === '1' ? cameraProfileLevelId.toLowerCase() : offeredPlid;
  return {
    codec: chosen,
    fmtp: `level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=${plid}`,
    profileMatch: same !== undefined,
  };
}

/** The offered payload type for a pass-through audio codec (PCMA, PCMU, OPUS), or undefined. */
export function chooseAudio(audio: OfferedMedia | undefined, codec: string, clockRate: number): OfferedCodec | undefined {
  const name = codec.toUpperCase();
  return audio?.codecs.find((c) => c.name === name && (name === 'OPUS' || c.clockRate === clockRate));
}
