/**
 * SDP <-> Track mapping for RTSP: RFC 2326 appendix C (SDP usage, C.1.1 control URLs),
 * RFC 6184 8.1 (H.264 fmtp), RFC 7798 7.1 (H.265 fmtp), RFC 3640 (MPEG4-GENERIC), RFC 7587 (Opus),
 * RFC 3551 table 4 (static payload types).
 *
 *   m=video 0 RTP/AVP 96
 *   a=rtpmap:96 H264/90000                      <encoding>/<clock rate>[/<channels>]
 *   a=fmtp:96 packetization-mode=1;profile-level-id=4d401f;sprop-parameter-sets=<b64 SPS>,<b64 PPS>
 *   a=control:trackID=1                          absolute, relative to Content-Base, or '*'
 *
 *   profile-level-id = SPS bytes 1..3 as hex:  | profile_idc | constraint flags | level_idc |
 */

import type { AudioTrack, Track, VideoTrack } from '../access-unit.js';
import { attributeValue, attributeValues } from './parse.js';
import type { MediaDescription, SessionDescription } from './parse.js';

/** RFC 3551 static payload types we map without an rtpmap. */
const STATIC_PT: Readonly<Record<string, { codec: string; clockRate: number; channels: number }>> = {
  '0': { codec: 'PCMU', clockRate: 8000, channels: 1 },
  '8': { codec: 'PCMA', clockRate: 8000, channels: 1 },
};

/** Static payload types that name codecs we do not carry (reported, not guessed). */
const STATIC_UNSUPPORTED: Readonly<Record<string, string>> = {
  '3': 'GSM', '4': 'G723', '9': 'G722', '10': 'L16', '11': 'L16', '14': 'MPA', '15': 'G728', '18': 'G729',
  '26': 'JPEG', '31': 'H261', '32': 'MPV', '33': 'MP2T', '34': 'H263',
};

/** Parses an fmtp parameter list `k=v; k2=v2` into a record with lower-cased keys. */
export function parseFmtp(params: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of params.split(';')) {
    const p = part.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    const key = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    // Values keep '=' (base64 padding); quotes some encoders add around values are stripped.
    let value = eq < 0 ? '' : p.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (key !== '') out[key] = value;
  }
  return out;
}

/**
 * Resolves an `a=control` value against the base URL (Content-Base, else the DESCRIBE URL), RFC 2326 C.1.1.
 * Relative controls are appended after a '/' rather than resolved by RFC 3986 rules: cameras (Dahua's
 * `...?channel=1&subtype=0/` base) and clients (ffmpeg, live555) agree on concatenation.
 */
export function resolveControl(baseUrl: string, control: string | undefined): string {
  const c = control?.trim() ?? '';
  if (c === '' || c === '*') return baseUrl;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(c)) return c; // rtsp://, rtsps://, rtspu://
  if (c.startsWith('/')) {
    const origin = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(baseUrl);
    return origin ? origin[0] + c : c;
  }
  return baseUrl.endsWith('/') ? baseUrl + c : `${baseUrl}/${c}`;
}

/** A pt's rtpmap/fmtp lines in one media section. */
function formatInfo(m: MediaDescription, pt: string): { rtpmap?: string; fmtp?: string } {
  let rtpmap: string | undefined;
  let fmtp: string | undefined;
  for (const v of attributeValues(m.attributes, 'rtpmap')) {
    const [p, rest] = splitPt(v);
    if (p === pt) rtpmap ??= rest;
  }
  const fmtps = attributeValues(m.attributes, 'fmtp');
  for (const v of fmtps) {
    const [p, rest] = splitPt(v);
    if (p === pt) fmtp ??= rest;
  }
  // Quirk: some cameras number the fmtp line differently from the m= line's single format.
  if (fmtp === undefined && m.formats.length === 1 && fmtps.length === 1) fmtp = splitPt(fmtps[0]!)[1];
  return { rtpmap, fmtp };
}

function splitPt(v: string): [string, string] {
  const m = /^(\d+)\s*(.*)$/.exec(v.trim());
  return m ? [m[1]!, m[2]!] : ['', v];
}

/** Decodes a base64 parameter set; undefined when empty. */
function b64(s: string | undefined): Uint8Array | undefined {
  if (s === undefined) return undefined;
  const bytes = Buffer.from(s.trim(), 'base64');
  return bytes.length > 0 ? new Uint8Array(bytes) : undefined;
}

/** Builds a Track for one payload type, or a reason string when it is not something we carry. */
function trackFor(m: MediaDescription, pt: string, control: string): Track | string {
  const { rtpmap, fmtp: fmtpText } = formatInfo(m, pt);
  const fmtp = fmtpText !== undefined ? parseFmtp(fmtpText) : {};
  const payloadType = Number(pt);
  let codec: string;
  let clockRate: number;
  let channels: number;
  if (rtpmap !== undefined) {
    const parts = rtpmap.trim().split('/');
    codec = (parts[0] ?? '').trim().toUpperCase();
    clockRate = Number.parseInt(parts[1] ?? '', 10);
    channels = Number.parseInt(parts[2] ?? '', 10);
    if (!Number.isFinite(clockRate) || clockRate <= 0) clockRate = codec === 'OPUS' ? 48000 : 90000;
    if (!Number.isFinite(channels) || channels <= 0) channels = codec === 'OPUS' ? 2 : 1;
  } else if (STATIC_PT[pt]) {
    ({ codec, clockRate, channels } = STATIC_PT[pt]!);
  } else {
    return `${m.type} payload type ${pt}${STATIC_UNSUPPORTED[pt] ? ` (${STATIC_UNSUPPORTED[pt]})` : ''} has no rtpmap we support`;
  }
  if (codec === 'MPEG4-GENERIC') codec = 'AAC';
  if (m.type === 'video') {
    if (codec !== 'H264' && codec !== 'H265') return `video codec ${codec} (payload type ${pt})`;
    const video: { -readonly [K in keyof VideoTrack]: VideoTrack[K] } = {
      kind: 'video', codec, payloadType, clockRate, control, fmtp,
    };
    if (codec === 'H264') {
      for (const ps of (fmtp['sprop-parameter-sets'] ?? '').split(',')) {
        const nal = b64(ps);
        if (!nal) continue;
        const type = nal[0]! & 0x1f;
        if (type === 7) video.sps ??= nal;
        else if (type === 8) video.pps ??= nal;
      }
    } else {
      const vps = b64(fmtp['sprop-vps']?.split(',')[0]);
      const sps = b64(fmtp['sprop-sps']?.split(',')[0]);
      const pps = b64(fmtp['sprop-pps']?.split(',')[0]);
      if (vps) video.vps = vps;
      if (sps) video.sps = sps;
      if (pps) video.pps = pps;
    }
    return video;
  }
  if (m.type === 'audio') {
    if (codec === '' || codec === 'MP2T') return `audio codec ${codec || '?'} (payload type ${pt})`;
    const audio: AudioTrack = { kind: 'audio', codec, payloadType, clockRate, channels, control, fmtp };
    return audio;
  }
  return `${m.type} media ${codec} (payload type ${pt})`;
}

/**
 * Maps an SDP to tracks; `baseUrl` is the response's Content-Base (else Content-Location, else the request URL).
 * Media we cannot carry (ONVIF metadata, MP2T, MJPEG, ...) are listed in `unsupported`, never thrown.
 */
export function tracksFromSdp(d: SessionDescription, baseUrl: string): { tracks: Track[]; unsupported: string[] } {
  const tracks: Track[] = [];
  const unsupported: string[] = [];
  for (const m of d.media) {
    const control = resolveControl(baseUrl, attributeValue(m.attributes, 'control'));
    if (!/^RTP\/S?AVPF?(\/(UDP|TCP))?$/i.test(m.protocol)) {
      unsupported.push(`${m.type} over ${m.protocol}`);
      continue;
    }
    if (m.type !== 'video' && m.type !== 'audio') {
      const map = m.formats.map((pt) => formatInfo(m, pt).rtpmap).find((r) => r !== undefined);
      unsupported.push(`${m.type} media${map ? ` ${map.split('/')[0]}` : ''}`);
      continue;
    }
    // A section may list several formats (e.g. `m=audio 0 RTP/AVP 0 8 101`): take the first we carry.
    let reason = `${m.type} media with no format`;
    let found: Track | undefined;
    for (const pt of m.formats) {
      if (!/^\d+$/.test(pt) || Number(pt) > 127) continue;
      const r = trackFor(m, pt, control);
      if (typeof r === 'string') {
        reason = r;
        continue;
      }
      found = r;
      break;
    }
    if (found) tracks.push(found);
    else unsupported.push(reason);
  }
  return { tracks, unsupported };
}

/** H.264 profile-level-id (`4d401f`) from SPS bytes 1..3 (RFC 6184 8.1); undefined for a short SPS. */
export function h264ProfileLevelId(sps: Uint8Array | undefined): string | undefined {
  if (!sps || sps.length < 4) return undefined;
  return Buffer.from(sps.subarray(1, 4)).toString('hex');
}

/** The `a=control` value our server gives track `index`, and that SETUP URLs end with. */
export function trackControl(index: number): string {
  return `trackID=${index}`;
}

/** The track index a SETUP URL addresses (`.../trackID=1` → 1), or undefined. */
export function trackIndexFromUrl(url: string): number | undefined {
  const m = /(?:^|[/?&;])trackID=(\d+)\/?(?:[?#].*)?$/i.exec(url);
  return m ? Number(m[1]) : undefined;
}

/**
 * The SDP our RTSP server answers to DESCRIBE: one m= section per track, `a=control:trackID=<index>`,
 * rtpmap and fmtp carrying the track's parameter sets. `sessionId` defaults to the current NTP seconds.
 */
export function sdpForTracks(
  tracks: readonly Track[],
  opts: { sessionName: string; address?: string; sessionId?: string },
): string {
  const id = opts.sessionId ?? String(Math.floor(Date.now() / 1000) + 2208988800);
  const lines = [
    'v=0',
    `o=- ${id} 1 IN IP4 ${opts.address ?? '127.0.0.1'}`,
    `s=${opts.sessionName.replace(/[\r\n]+/g, ' ') || ' '}`,
    'c=IN IP4 0.0.0.0',
    't=0 0',
    'a=tool:streamsight',
    'a=control:*',
  ];
  tracks.forEach((t, i) => {
    const pt = Number.isInteger(t.payloadType) && t.payloadType >= 0 && t.payloadType <= 127 ? t.payloadType : 96 + i;
    lines.push(`m=${t.kind} 0 RTP/AVP ${pt}`);
    const fmtp = t.kind === 'video' ? videoFmtp(t) : audioFmtp(t);
    if (t.kind === 'video') lines.push(`a=rtpmap:${pt} ${t.codec}/${t.clockRate || 90000}`);
    else lines.push(`a=rtpmap:${pt} ${audioRtpmap(t)}`);
    if (fmtp) lines.push(`a=fmtp:${pt} ${fmtp}`);
    lines.push(`a=control:${trackControl(i)}`);
  });
  return lines.join('\r\n') + '\r\n';
}

function b64s(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

function videoFmtp(t: VideoTrack): string {
  if (t.codec === 'H264') {
    const parts = ['packetization-mode=1'];
    const pli = h264ProfileLevelId(t.sps) ?? t.fmtp['profile-level-id'];
    if (pli) parts.push(`profile-level-id=${pli}`);
    if (t.sps && t.pps) parts.push(`sprop-parameter-sets=${b64s(t.sps)},${b64s(t.pps)}`);
    else if (t.fmtp['sprop-parameter-sets']) parts.push(`sprop-parameter-sets=${t.fmtp['sprop-parameter-sets']}`);
    return parts.join(';');
  }
  const parts: string[] = [];
  if (t.vps) parts.push(`sprop-vps=${b64s(t.vps)}`);
  if (t.sps) parts.push(`sprop-sps=${b64s(t.sps)}`);
  if (t.pps) parts.push(`sprop-pps=${b64s(t.pps)}`);
  return parts.join(';');
}

function audioRtpmap(t: AudioTrack): string {
  if (t.codec === 'OPUS') return 'opus/48000/2'; // RFC 7587 6.1: always 48000/2
  const name = t.codec === 'AAC' ? 'MPEG4-GENERIC' : t.codec;
  return t.channels > 1 ? `${name}/${t.clockRate}/${t.channels}` : `${name}/${t.clockRate}`;
}

function audioFmtp(t: AudioTrack): string {
  return Object.entries(t.fmtp)
    .map(([k, v]) => (v === '' ? k : `${k}=${v}`))
    .join(';');
}
