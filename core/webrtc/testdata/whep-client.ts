/**
 * A WHEP client for the tests: a werift RTCPeerConnection that offers what Chromium offers for
 * video (several H.264 payload types plus VP8), host candidates on 127.0.0.1 only and no STUN,
 * hands its offer to a WhepService and collects the RTP it receives.
 */
import assert from 'node:assert/strict';
import { RTCPeerConnection, RTCRtpCodecParameters, type RTCRtpTransceiver, type RtpPacket as WeriftRtp } from 'werift';
import { H264Depacketizer } from '../../../codecs/h264/depacketizer.js';
import type { RtpPacket } from '../../../codecs/rtp/packet.js';
import { guardPeerConnection, iceConfig } from '../ice.js';

const fb = [
  { type: 'goog-remb' }, { type: 'transport-cc' }, { type: 'ccm', parameter: 'fir' }, { type: 'nack' }, { type: 'nack', parameter: 'pli' },
];

function h264(pt: number, params: string): RTCRtpCodecParameters {
  return new RTCRtpCodecParameters({ mimeType: 'video/H264', clockRate: 90000, payloadType: pt, rtcpFeedback: fb, parameters: params });
}

/** Chromium's video codec list (order and payload types as Chrome 120 offers them, trimmed). */
export function chromeVideoCodecs(): RTCRtpCodecParameters[] {
  return [
    new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, payloadType: 96, rtcpFeedback: fb }),
    h264(102, 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f'),
    h264(104, 'level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f'),
    h264(106, 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f'),
    h264(108, 'level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f'),
    h264(127, 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f'),
    h264(39, 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=f4001f'),
    h264(112, 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f'),
  ];
}

/** Converts a werift packet to the codecs/rtp shape the depacketizers take. */
export function toRtp(p: WeriftRtp): RtpPacket {
  const h = p.header;
  return {
    marker: h.marker, payloadType: h.payloadType, sequenceNumber: h.sequenceNumber, timestamp: h.timestamp,
    ssrc: h.ssrc, csrcs: [], padding: false, payload: new Uint8Array(p.payload),
  };
}

/** A recvonly client peer. */
export class TestWhepClient {
  readonly pc: RTCPeerConnection;
  readonly video: RTCRtpTransceiver;
  readonly packets: RtpPacket[] = [];
  /** Audio RTP, when the client offered audio. */
  readonly audioPackets: RtpPacket[] = [];
  /** performance.now() when each packet arrived. */
  readonly arrivals: number[] = [];
  connectedAt?: number;
  onPacket?: (p: RtpPacket) => void;

  constructor(videoCodecs: RTCRtpCodecParameters[] = chromeVideoCodecs(), audio = false) {
    this.pc = new RTCPeerConnection({
      ...iceConfig({ hostAddresses: ['127.0.0.1'], iceServers: [] }),
      codecs: {
        video: videoCodecs,
        audio: [new RTCRtpCodecParameters({ mimeType: 'audio/PCMA', clockRate: 8000, payloadType: 8 })],
      },
      headerExtensions: { audio: [], video: [] },
      // With max-compat, werift's offerer gathers a transport per m= line and never closes the one
      // BUNDLE makes redundant (its socket keeps the test process alive).
      bundlePolicy: 'max-bundle',
    });
    guardPeerConnection(this.pc, []);
    this.video = this.pc.addTransceiver('video', { direction: 'recvonly' });
    if (audio) {
      const at = this.pc.addTransceiver('audio', { direction: 'recvonly' });
      at.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => this.audioPackets.push(toRtp(rtp))));
    }
    this.video.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        const p = toRtp(rtp);
        this.packets.push(p);
        this.arrivals.push(performance.now());
        this.onPacket?.(p);
      });
    });
    this.pc.connectionStateChange.subscribe((s) => {
      if (s === 'connected') this.connectedAt ??= performance.now();
    });
  }

  /** Creates the offer and waits for ICE gathering (non-trickle). */
  async offer(): Promise<string> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this.pc.localDescription!.sdp;
  }

  /** Applies the answer and waits until DTLS is connected (bounded). */
  async accept(answerSdp: string, timeoutMs = 10_000): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answerSdp });
    if (this.pc.connectionState !== 'connected') {
      await this.pc.connectionStateChange.watch((s) => s === 'connected', timeoutMs);
    }
  }

  /** Sends a PLI for the video SSRC we receive. */
  async sendPli(mediaSsrc: number): Promise<void> {
    await this.video.receiver.sendRtcpPLI(mediaSsrc);
  }

  /** Closes the peer connection. */
  async close(): Promise<void> {
    await this.pc.close();
  }
}

/** A WHEP viewer over HTTP that counts the access units (frames) and keyframes it can depacketize. */
export class Viewer {
  readonly client = new TestWhepClient();
  readonly depacketizer = new H264Depacketizer();
  keyframes = 0;
  units = 0;
  location = '';

  constructor() {
    this.client.onPacket = (p) => {
      for (const unit of this.depacketizer.push(p)) {
        this.units++;
        if (unit.keyframe) this.keyframes++;
      }
    };
  }

  /** POSTs the offer to `{base}whep/{camera}` and waits until connected (at most `timeoutMs`). */
  async connect(base: string, camera: string, timeoutMs = 10_000): Promise<void> {
    const res = await fetch(`${base}whep/${camera}`, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp' },
      body: await this.client.offer(),
    });
    assert.equal(res.status, 201, await res.clone().text());
    this.location = res.headers.get('location')!;
    await this.client.accept(await res.text(), timeoutMs);
  }

  /** DELETEs the session and closes the peer connection. */
  async close(base: string): Promise<void> {
    if (this.location) await fetch(new URL(this.location, base), { method: 'DELETE' });
    await this.client.close();
  }
}
