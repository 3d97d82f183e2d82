/**
 * WHEP offers (core/webrtc/offer.ts): parseOffer on a POSTed body, then the negotiation the WHEP
 * endpoint runs on it (chooseH264 for the camera's profile, chooseAudio), without a peer connection.
 *
 * Checks: parseOffer throws only ProtocolError, the choosers only UnsupportedError; a chosen H.264
 * payload type is one the offer listed with packetization-mode=1, and the answer fmtp names a
 * 6-hex-digit profile-level-id.
 */
import { ProtocolError, UnsupportedError } from '../../core/errors.js';
import { chooseAudio, chooseH264, h264Profile, parseOffer } from '../../core/webrtc/offer.js';
import { allowing, invariant, type FuzzTarget } from '../harness.js';
import { mutatedText } from '../mutate.js';
import { SDP_TOKENS } from './sdp.js';

const session = ['v=0', 'o=- 4611731400430051336 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0 1', 'a=extmap-allow-mixed', 'a=msid-semantic: WMS'];
const ice = ['c=IN IP4 0.0.0.0', 'a=rtcp:9 IN IP4 0.0.0.0', 'a=ice-ufrag:Xo2c', 'a=ice-pwd:RgBwLhpPq4L1LqVLKJtDr8Gj', 'a=ice-options:trickle',
  'a=fingerprint:sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:4C:22:0C:E0:E6:2A:1C:8B:B4:5F:3A:8C', 'a=setup:actpass'];

/** A Chromium recvonly WHEP offer: Opus/G.711 audio, VP8 and four H.264 profiles with RTX. */
const CHROME = [
  ...session,
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126', ...ice, 'a=mid:0', 'a=recvonly', 'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2', 'a=rtcp-fb:111 transport-cc', 'a=fmtp:111 minptime=10;useinbandfec=1', 'a=rtpmap:63 red/48000/2', 'a=fmtp:63 111/111',
  'a=rtpmap:9 G722/8000', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:13 CN/8000', 'a=rtpmap:110 telephone-event/48000', 'a=rtpmap:126 telephone-event/8000',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 106 107 127 125 112 113', ...ice, 'a=mid:1', 'a=recvonly', 'a=rtcp-mux', 'a=rtcp-rsize',
  'a=rtpmap:96 VP8/90000', 'a=rtcp-fb:96 goog-remb', 'a=rtcp-fb:96 nack', 'a=rtcp-fb:96 nack pli', 'a=rtpmap:97 rtx/90000', 'a=fmtp:97 apt=96',
  'a=rtpmap:102 H264/90000', 'a=rtcp-fb:102 ccm fir', 'a=rtcp-fb:102 nack', 'a=rtcp-fb:102 nack pli', 'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
  'a=rtpmap:103 rtx/90000', 'a=fmtp:103 apt=102',
  'a=rtpmap:106 H264/90000', 'a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f', 'a=rtpmap:107 rtx/90000', 'a=fmtp:107 apt=106',
  'a=rtpmap:127 H264/90000', 'a=fmtp:127 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f', 'a=rtpmap:125 rtx/90000', 'a=fmtp:125 apt=127',
  'a=rtpmap:112 H264/90000', 'a=fmtp:112 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640034', 'a=rtpmap:113 rtx/90000', 'a=fmtp:113 apt=112', '',
].join('\r\n');

/** A Firefox-shaped offer: session-level ICE credentials, packetization-mode 0 and 1. */
const FIREFOX = [
  'v=0', 'o=mozilla...THIS_IS_SDPARTA-99.0 5219736520349741049 0 IN IP4 0.0.0.0', 's=-', 't=0 0',
  'a=fingerprint:sha-256 1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A',
  'a=group:BUNDLE 0 1', 'a=ice-options:trickle', 'a=msid-semantic:WMS *',
  'm=video 9 UDP/TLS/RTP/SAVPF 126 97', 'c=IN IP4 0.0.0.0', 'a=recvonly', 'a=ice-pwd:d8a9a1d1b1c3d2e2f9a0b5c6d7e8f901', 'a=ice-ufrag:5c1f3a2b', 'a=mid:0',
  'a=fmtp:126 profile-level-id=42e01f;level-asymmetry-allowed=1;packetization-mode=1', 'a=fmtp:97 profile-level-id=42e01f;level-asymmetry-allowed=1',
  'a=rtcp-fb:126 nack', 'a=rtcp-fb:126 nack pli', 'a=rtcp-fb:126 ccm fir', 'a=rtpmap:126 H264/90000', 'a=rtpmap:97 H264/90000', 'a=setup:actpass',
  'm=audio 0 UDP/TLS/RTP/SAVPF 109 0 8', 'c=IN IP4 0.0.0.0', 'a=bundle-only', 'a=inactive', 'a=mid:1', 'a=rtpmap:109 opus/48000/2', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', '',
].join('\r\n');

/** Camera profiles streamsight relays: constrained baseline, main, high. */
const CAMERA_PLIDS = ['42e01f', '4d401f', '640028', '420029'];

/** WHEP offer parsing and codec choice. */
export function whepTarget(): FuzzTarget<string> {
  let n = 0;
  return {
    name: 'whep-offer',
    covers: 'parseOffer (WHEP POST body), chooseH264 for the camera profile, chooseAudio',
    arbitrary: mutatedText([CHROME, FIREFOX], { tokens: [...SDP_TOKENS, 'a=ice-ufrag:', 'a=ice-pwd:', 'a=fingerprint:', 'level-asymmetry-allowed=1', 'a=recvonly'] }),
    run(offer) {
      const media = allowing([ProtocolError], () => parseOffer(offer));
      if (!media) return;
      const video = media.find((m) => m.kind === 'video');
      const audio = media.find((m) => m.kind === 'audio');
      if (video) {
        const camera = CAMERA_PLIDS[n++ % CAMERA_PLIDS.length]!;
        const choice = allowing([UnsupportedError], () => chooseH264(video, camera));
        if (choice) {
          invariant(video.codecs.includes(choice.codec) && choice.codec.name === 'H264', 'chose a payload type the offer did not list as H.264');
          invariant(choice.codec.fmtp['packetization-mode'] === '1', 'chose packetization-mode other than 1');
          const plid = /profile-level-id=([^;]*)$/.exec(choice.fmtp)?.[1];
          invariant(plid !== undefined && /^[0-9a-f]{6}$/i.test(plid), `answer fmtp has profile-level-id "${plid}": ${choice.fmtp}`);
          invariant(h264Profile(plid) !== undefined, 'answer profile unknown');
        }
      }
      for (const [codec, rate] of [['PCMA', 8000], ['PCMU', 8000], ['OPUS', 48000]] as const) {
        const c = chooseAudio(audio, codec, rate);
        invariant(c === undefined || audio?.codecs.includes(c), 'chooseAudio returned a codec not offered');
      }
    },
  };
}
