/**
 * The one unit type that crosses from codecs/ into core/ (mediamtx's `Unit`).
 *
 * A video unit is one access unit: every NAL unit of one picture, without start
 * codes or length prefixes. An audio unit is one RTP payload of a pass-through
 * codec. Units are immutable once emitted: the stream hub hands the same object
 * to every reader, so no reader may modify it.
 */

/** Video codecs the depacketizers understand. */
export type VideoCodec = 'H264' | 'H265';

/** Audio codecs; PCMA, PCMU and OPUS pass through to WebRTC, the rest are reported unplayable. */
export type AudioCodec = 'PCMA' | 'PCMU' | 'OPUS' | 'AAC' | (string & {});

/** One picture's worth of NAL units. */
export interface VideoUnit {
  readonly kind: 'video';
  readonly codec: VideoCodec;
  /** Presentation time in 90 kHz ticks, unwrapped across RTP timestamp wrap-around. */
  readonly pts: number;
  /** True when the unit starts a GOP (IDR for H.264, IRAP for H.265); parameter sets are included. */
  readonly keyframe: boolean;
  /** NAL units in decoding order, no start codes. */
  readonly nalus: readonly Uint8Array[];
  /** performance.now() when the unit's last packet arrived, for latency accounting. */
  readonly receivedAt: number;
}

/** One audio RTP payload passed through unchanged. */
export interface AudioUnit {
  readonly kind: 'audio';
  readonly codec: AudioCodec;
  /** Clock rate of `pts` (8000 for G.711, 48000 for Opus). */
  readonly clockRate: number;
  /** Presentation time in `clockRate` ticks, unwrapped. */
  readonly pts: number;
  readonly payload: Uint8Array;
  readonly receivedAt: number;
}

/** What the stream hub carries. */
export type Unit = VideoUnit | AudioUnit;

/** A video track as described by SDP (or learned in-band). */
export interface VideoTrack {
  readonly kind: 'video';
  readonly codec: VideoCodec;
  /** RTP payload type used by the source. */
  readonly payloadType: number;
  readonly clockRate: number;
  /** SDP `a=control` value resolved to an absolute URL, or a bare value for our own sessions. */
  readonly control?: string;
  /** fmtp parameters, keys lower-cased. */
  readonly fmtp: Readonly<Record<string, string>>;
  /** Parameter sets from sprop-* fmtp parameters, when the camera sent them. */
  readonly vps?: Uint8Array;
  readonly sps?: Uint8Array;
  readonly pps?: Uint8Array;
}

/** An audio track as described by SDP. */
export interface AudioTrack {
  readonly kind: 'audio';
  readonly codec: AudioCodec;
  readonly payloadType: number;
  readonly clockRate: number;
  readonly channels: number;
  readonly control?: string;
  readonly fmtp: Readonly<Record<string, string>>;
}

/** A media track of a stream. */
export type Track = VideoTrack | AudioTrack;

/** Audio codecs a browser plays over WebRTC without transcoding. */
export const WEBRTC_AUDIO_CODECS: ReadonlySet<string> = new Set(['PCMA', 'PCMU', 'OPUS']);
