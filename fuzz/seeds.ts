/**
 * Valid inputs the mutations start from: the repo's recordings, SDPs and config files, and crafted
 * messages shaped like what cameras and browsers send. Loaded once per process.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readRecording } from '../codecs/h264/testdata/recording.js';
import { parseRtp } from '../codecs/rtp/packet.js';

const root = new URL('../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');
const dir = (path: string, ext: string): string[] =>
  readdirSync(new URL(path, root)).filter((f) => f.endsWith(ext)).sort().map((f) => read(`${path}${f}`));

/** Every RTP packet of the H.264 recording (single NAL, STAP-A, FU-A). */
export const h264Rtp: readonly Uint8Array[] = readRecording(new URL('codecs/h264/testdata/h264-640x360.bin', root).pathname);
/** Every RTP packet of the H.265 recording (single NAL, AP, FU). */
export const h265Rtp: readonly Uint8Array[] = readRecording(new URL('codecs/h265/testdata/h265-640x360.bin', root).pathname);

/** The SDPs of codecs/sdp/testdata (Axis, Dahua, Hikvision, ONVIF...) and of the recordings. */
export const sdps: readonly string[] = [
  ...dir('codecs/sdp/testdata/', '.sdp'),
  read('codecs/h264/testdata/h264-640x360.sdp'),
  read('codecs/h265/testdata/h265-640x360.sdp'),
];

/** config/streamsight.yaml and config/testdata/*.yaml (valid and invalid ones). */
export const configs: readonly string[] = [read('config/streamsight.yaml'), ...dir('config/testdata/', '.yaml')];

/** The parameter sets a camera sends in band, taken from the recordings (first FU-A/AP/single NALs). */
export function parameterSets(codec: 'H264' | 'H265'): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const raw of codec === 'H264' ? h264Rtp : h265Rtp) {
    const p = parseRtp(raw)!.payload;
    if (codec === 'H264') {
      if ((p[0]! & 0x1f) === 24) for (let o = 1; o + 2 <= p.length;) { const n = (p[o]! << 8) | p[o + 1]!; out.push(p.slice(o + 2, o + 2 + n)); o += 2 + n; }
    } else if (((p[0]! >> 1) & 0x3f) === 48) for (let o = 2; o + 2 <= p.length;) { const n = (p[o]! << 8) | p[o + 1]!; out.push(p.slice(o + 2, o + 2 + n)); o += 2 + n; }
  }
  return out;
}

/** H.264 SPS NAL units: from the recording, and from sprop-parameter-sets of the camera SDPs. */
export function h264Sps(): Uint8Array[] {
  const out = parameterSets('H264').filter((n) => (n[0]! & 0x1f) === 7);
  for (const sdp of sdps) {
    for (const m of sdp.matchAll(/sprop-parameter-sets=([A-Za-z0-9+/=]+)/g)) {
      const nal = new Uint8Array(Buffer.from(m[1]!, 'base64'));
      if ((nal[0]! & 0x1f) === 7) out.push(nal);
    }
  }
  return out;
}

/** H.265 SPS NAL units: from the recording and sprop-sps of the camera SDPs. */
export function h265Sps(): Uint8Array[] {
  const out = parameterSets('H265').filter((n) => ((n[0]! >> 1) & 0x3f) === 33);
  for (const sdp of sdps) {
    for (const m of sdp.matchAll(/sprop-sps=([A-Za-z0-9+/=]+)/g)) out.push(new Uint8Array(Buffer.from(m[1]!, 'base64')));
  }
  return out;
}
