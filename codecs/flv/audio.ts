/**
 * FLV audio tags carrying G.711 (FLV spec v10.1 §E.4.2.1: SoundFormat 7 = A-law, 8 = µ-law,
 * always 8 kHz) → audio units of 20 ms, the packet time RTP and WebRTC expect (RFC 3551 §4.5.14).
 *
 *   SoundFormat(4) SoundRate(2) SoundSize(1) SoundType(1) | samples ... (1 byte per sample per channel)
 *
 * Other formats (AAC, MP3, Speex...) are not carried: the hub passes only what WebRTC plays.
 */
import type { AudioTrack, AudioUnit } from '../access-unit.js';

/** G.711 runs at 8 kHz whatever the SoundRate bits say. */
const CLOCK = 8000;
/** Samples per unit: 20 ms. */
const SAMPLES_PER_UNIT = 160;

/** The G.711 flavour and channel count of an audio tag, or undefined when it is not G.711. */
export function g711Format(body: Uint8Array): { codec: 'PCMA' | 'PCMU'; channels: number } | undefined {
  if (body.length < 1) return undefined;
  const format = body[0]! >> 4;
  if (format !== 7 && format !== 8) return undefined;
  return { codec: format === 7 ? 'PCMA' : 'PCMU', channels: (body[0]! & 1) + 1 };
}

/** The audio track for a G.711 stream (static payload types 8 and 0, RFC 3551 table 4). */
export function g711Track(codec: 'PCMA' | 'PCMU', channels: number): AudioTrack {
  return { kind: 'audio', codec, payloadType: codec === 'PCMA' ? 8 : 0, clockRate: CLOCK, channels, fmtp: {} };
}

/**
 * One G.711 audio tag → units of 20 ms (the last one shorter), samples copied out of `body`.
 * `dtsMs` is the tag's RTMP timestamp. A tag of another format, or with no samples, gives none.
 */
export function g711Units(body: Uint8Array, dtsMs: number, receivedAt: number): AudioUnit[] {
  const format = g711Format(body);
  if (!format) return [];
  const step = SAMPLES_PER_UNIT * format.channels;
  const samples = body.slice(1);
  const out: AudioUnit[] = [];
  const pts0 = Math.round(dtsMs * (CLOCK / 1000));
  for (let o = 0; o < samples.length; o += step) {
    out.push({
      kind: 'audio', codec: format.codec, clockRate: CLOCK, pts: pts0 + o / format.channels,
      payload: samples.subarray(o, Math.min(o + step, samples.length)), receivedAt,
    });
  }
  return out;
}
