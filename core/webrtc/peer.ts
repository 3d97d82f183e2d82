/**
 * Answering one WHEP offer with a werift RTCPeerConnection (RFC 9725 §4.2, non-trickle): a
 * sendonly H.264 transceiver forced to the offered payload type that matches the camera's profile,
 * an optional sendonly audio transceiver for a pass-through codec, and an answer returned only
 * once ICE gathering is complete, so every candidate is in it.
 *
 * werift, as answerer, keeps every offered codec whose MIME type it knows and sends with the first
 * one; we override the transceiver's codec list with the one payload type we chose, carrying the
 * camera's profile-level-id and only the feedback we act on: NACK (werift retransmits from its
 * per-sender history of the last 128 packets), PLI and FIR; no REMB/TWCC.
 */
import { RTCPeerConnection, RTCRtpCodecParameters, useH264, useOPUS, usePCMU } from 'werift';
import type { RTCRtpSender, RTCRtpTransceiver } from 'werift';
import { ProtocolError, UnsupportedError } from '../errors.js';
import { guardPeerConnection, iceConfig, stripMdnsCandidates, type IceOptions } from './ice.js';
import { chooseAudio, chooseH264, parseOffer, type H264Choice, type OfferedCodec } from './offer.js';

/** What the camera sends, as far as the answer needs it. */
export interface CameraMedia {
  /** profile-level-id of the camera's SPS, e.g. '64001f'. */
  videoProfileLevelId: string;
  /** A pass-through audio track (PCMA, PCMU, OPUS), if the camera has one. */
  audio?: { codec: string; clockRate: number };
}

/** A negotiated peer connection, ready to send once connected. */
export interface NegotiatedPeer {
  pc: RTCPeerConnection;
  answerSdp: string;
  video: { sender: RTCRtpSender; payloadType: number; h264: H264Choice };
  audio?: { sender: RTCRtpSender; payloadType: number; codec: string };
}

const FEEDBACK_WE_ANSWER = new Set(['nack', 'nack pli', 'ccm fir']);

function forceCodec(t: RTCRtpTransceiver, offered: OfferedCodec, mimeType: string, parameters: string | undefined): void {
  const codec = new RTCRtpCodecParameters({
    mimeType,
    clockRate: offered.clockRate,
    channels: offered.channels,
    payloadType: offered.payloadType,
    parameters,
    rtcpFeedback: offered.rtcpFb
      .filter((fb) => FEEDBACK_WE_ANSWER.has(fb))
      .map((fb) => ({ type: fb.split(' ')[0]!, parameter: fb.split(' ')[1] })),
  });
  t.codecs = [codec];
  t.sender.codec = codec;
}

function fmtpString(fmtp: Record<string, string>): string | undefined {
  const parts = Object.entries(fmtp).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(';') : undefined;
}

/**
 * Negotiates a viewer's peer connection. Throws ProtocolError for an unusable offer and
 * UnsupportedError when the offer cannot receive the camera's H.264.
 */
export async function answerOffer(offerSdp: string, media: CameraMedia, ice: IceOptions): Promise<NegotiatedPeer> {
  const offered = parseOffer(offerSdp);
  const videoMedia = offered.find((m) => m.kind === 'video' && !m.disabled);
  if (!videoMedia) throw new UnsupportedError('the offer has no video m= section');
  if (videoMedia.direction === 'sendonly' || videoMedia.direction === 'inactive') {
    throw new UnsupportedError(`the offer's video is ${videoMedia.direction}; WHEP viewers receive (recvonly)`);
  }
  const h264 = chooseH264(videoMedia, media.videoProfileLevelId);
  const audioCodec = media.audio ? chooseAudio(offered.find((m) => m.kind === 'audio'), media.audio.codec, media.audio.clockRate) : undefined;

  const pc = new RTCPeerConnection({
    ...iceConfig(ice),
    codecs: {
      video: [useH264()],
      // Every browser audio codec, so an audio m= line never fails werift's negotiation; an
      // unused one ends up inactive.
      audio: [useOPUS(), usePCMU(), new RTCRtpCodecParameters({ mimeType: 'audio/PCMA', clockRate: 8000, payloadType: 8 })],
    },
    headerExtensions: { audio: [], video: [] },
    // One transport from the start: with max-compat werift creates one per transceiver before it
    // knows the offer is bundled, and the orphaned one is never closed (WHEP clients bundle anyway).
    bundlePolicy: 'max-bundle',
  });
  guardPeerConnection(pc, ice.iceServers);
  try {
    const vt = pc.addTransceiver('video', { direction: 'sendonly' });
    const at = audioCodec ? pc.addTransceiver('audio', { direction: 'sendonly' }) : undefined;
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: stripMdnsCandidates(offerSdp) });
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (/negotiate codecs/i.test(msg)) throw new UnsupportedError(`offer codecs not supported: ${msg}`);
      throw new ProtocolError(`offer rejected: ${msg}`);
    }
    if (vt.mid == null) throw new UnsupportedError('the offer has no video m= section we can send on');
    forceCodec(vt, h264.codec, 'video/H264', h264.fmtp);
    if (at && audioCodec) {
      const mime = audioCodec.name === 'OPUS' ? 'audio/opus' : `audio/${audioCodec.name}`;
      forceCodec(at, audioCodec, mime, fmtpString(audioCodec.fmtp));
    }
    const answer = await pc.createAnswer();
    // werift gathers every candidate inside setLocalDescription (non-trickle WHEP needs them all).
    await pc.setLocalDescription(answer);
    if (pc.iceGatheringState !== 'complete') {
      await pc.iceGatheringStateChange.watch((s) => s === 'complete', 10_000);
    }
    const answerSdp = pc.localDescription?.sdp;
    if (!answerSdp) throw new ProtocolError('no local description after negotiation');
    return {
      pc,
      answerSdp,
      video: { sender: vt.sender, payloadType: h264.codec.payloadType, h264 },
      audio: at && audioCodec && media.audio ? { sender: at.sender, payloadType: audioCodec.payloadType, codec: media.audio.codec } : undefined,
    };
  } catch (err) {
    await pc.close().catch(() => undefined);
    throw err;
  }
}
