/**
 * SDP from cameras (codecs/sdp/parse.ts parseSdp, codecs/sdp/tracks.ts tracksFromSdp/parseFmtp)
 * and the SDP our RTSP server writes back from those tracks (sdpForTracks, writeSdp).
 *
 * Checks: only ProtocolError escapes parseSdp; every track has a payload type 0..127 and a positive
 * clock rate; what we re-serve (sdpForTracks) parses back to the same codecs, and writeSdp output
 * parses back with the same media sections.
 */
import { ProtocolError } from '../../core/errors.js';
import { parseSdp } from '../../codecs/sdp/parse.js';
import { parseFmtp, sdpForTracks, tracksFromSdp } from '../../codecs/sdp/tracks.js';
import { writeSdp } from '../../codecs/sdp/write.js';
import { allowing, invariant, type FuzzTarget } from '../harness.js';
import { mutatedText } from '../mutate.js';
import { sdps } from '../seeds.js';

/** Camera-shaped SDP keywords worth splicing in. */
export const SDP_TOKENS = [
  '\r\n', '\n', '\r', '=', ':', ' ', '/', ';', ',', 'v=0\r\n', 'm=video 0 RTP/AVP 96\r\n', 'm=audio 0 RTP/AVP 0 8 101\r\n', 'm=application 0 RTP/AVP 107\r\n',
  'a=rtpmap:96 H264/90000\r\n', 'a=rtpmap:96 H265/90000\r\n', 'a=rtpmap:', 'a=fmtp:96 ', 'a=control:', 'a=control:*', 'c=IN IP4 0.0.0.0\r\n',
  'sprop-parameter-sets=', 'sprop-vps=', 'sprop-sps=', 'sprop-pps=', 'packetization-mode=1', 'profile-level-id=', 'Z01AH+ygKALdgIgAAAMACAAAAwGQeMGMsA==',
  'MPEG4-GENERIC/16000/2', 'opus/48000/2', '/0', '/-1', '99999999999', 'trackID=', 'rtsp://', '\uFEFF', '128', 'a=sendonly\r\n',
];

/** Camera SDP → tracks → our own DESCRIBE answer. */
export function sdpTarget(): FuzzTarget<string> {
  return {
    name: 'sdp',
    covers: 'parseSdp, tracksFromSdp, parseFmtp, sdpForTracks/writeSdp round trip',
    arbitrary: mutatedText(sdps, { tokens: SDP_TOKENS }),
    run(text) {
      const d = allowing([ProtocolError], () => parseSdp(text));
      if (!d) return;
      invariant(d.media.length > 0, 'parseSdp returned no media without throwing');
      const again = parseSdp(writeSdp(d));
      invariant(again.media.length === d.media.length, `writeSdp/parseSdp: ${d.media.length} media became ${again.media.length}`);
      const { tracks } = tracksFromSdp(d, 'rtsp://192.168.1.64:554/Streaming/Channels/101/');
      for (const t of tracks) {
        invariant(Number.isInteger(t.payloadType) && t.payloadType >= 0 && t.payloadType <= 127, `payload type ${t.payloadType}`);
        invariant(Number.isFinite(t.clockRate) && t.clockRate > 0, `clock rate ${t.clockRate}`);
      }
      for (const m of d.media) for (const a of m.attributes) if (a.name.toLowerCase() === 'fmtp' && a.value) parseFmtp(a.value);
      if (tracks.length === 0) return;
      // Our RTSP server re-serves these tracks: the answer must be an SDP we (and so ffmpeg) read back.
      const served = sdpForTracks(tracks, { sessionName: d.sessionName, sessionId: '1' });
      const back = tracksFromSdp(parseSdp(served), 'rtsp://127.0.0.1:8554/cam/').tracks;
      invariant(back.length === tracks.length, `re-served SDP gives ${back.length} tracks instead of ${tracks.length}`);
      back.forEach((t, i) => invariant(t.codec === tracks[i]!.codec, `track ${i}: ${tracks[i]!.codec} re-served as ${t.codec}`));
    },
  };
}
