import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { AudioTrack, Track, VideoTrack } from '../access-unit.js';
import { attributeValue, parseSdp } from './parse.js';
import {
  h264ProfileLevelId, parseFmtp, resolveControl, sdpForTracks, trackIndexFromUrl, tracksFromSdp,
} from './tracks.js';

const fixture = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const load = (name: string, base: string) => tracksFromSdp(parseSdp(fixture(name)), base);
const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : undefined);

// Real x264 main-profile 1280x720 parameter sets used by most fixtures.
const SPS_4D401F = Buffer.from('Z01AH+ygKALdgIgAAAMACAAAAwGQeMGMsA==', 'base64');
const PPS = Buffer.from('aOvjyyA=', 'base64');

describe('tracksFromSdp', () => {
  it('Hikvision: absolute controls kept, sprop decoded, PCMA', () => {
    const { tracks, unsupported } = load('hikvision.sdp', 'rtsp://192.168.1.64:554/Streaming/Channels/101/');
    assert.deepEqual(unsupported, []);
    const [v, a] = tracks as [VideoTrack, AudioTrack];
    assert.equal(v.kind, 'video');
    assert.equal(v.codec, 'H264');
    assert.equal(v.payloadType, 96);
    assert.equal(v.clockRate, 90000);
    assert.equal(v.control, 'rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1?transportmode=unicast');
    assert.equal(hex(v.sps), SPS_4D401F.toString('hex'));
    assert.equal(hex(v.pps), PPS.toString('hex'));
    assert.equal(v.fmtp['packetization-mode'], '1');
    assert.deepEqual(
      { codec: a.codec, pt: a.payloadType, rate: a.clockRate, ch: a.channels },
      { codec: 'PCMA', pt: 8, rate: 8000, ch: 1 },
    );
    assert.equal(a.control, 'rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=2?transportmode=unicast');
  });

  it('Dahua: relative controls after a query-string base, ONVIF metadata reported', () => {
    const base = 'rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0/';
    const { tracks, unsupported } = load('dahua.sdp', base);
    assert.deepEqual(tracks.map((t) => t.control), [`${base}trackID=0`, `${base}trackID=1`]);
    assert.equal(hex((tracks[0] as VideoTrack).sps)?.slice(0, 8), '67640016');
    assert.equal(unsupported.length, 1);
    assert.match(unsupported[0]!, /application.*vnd\.onvif\.metadata/);
  });

  it('Axis, GStreamer and ffmpeg: stream=N / streamid=N controls, OPUS, AAC', () => {
    const axis = load('axis.sdp', 'rtsp://192.168.0.90/axis-media/media.amp?videocodec=h264');
    assert.equal(axis.tracks[0]!.control, 'rtsp://192.168.0.90/axis-media/media.amp/stream=0?videocodec=h264');

    const gst = load('gstreamer.sdp', 'rtsp://127.0.0.1:8554/test/');
    assert.deepEqual(gst.tracks.map((t) => t.control), ['rtsp://127.0.0.1:8554/test/stream=0', 'rtsp://127.0.0.1:8554/test/stream=1']);
    const opus = gst.tracks[1] as AudioTrack;
    assert.deepEqual([opus.codec, opus.clockRate, opus.channels], ['OPUS', 48000, 2]);
    assert.equal(opus.fmtp['sprop-stereo'], '0');

    const ff = load('ffmpeg.sdp', 'rtsp://127.0.0.1:8554/live');
    assert.equal(ff.tracks[0]!.control, 'rtsp://127.0.0.1:8554/live/streamid=0');
    const aac = ff.tracks[1] as AudioTrack;
    assert.deepEqual([aac.codec, aac.clockRate, aac.channels], ['AAC', 44100, 2]);
    assert.equal(aac.fmtp['config'], '121056E500');
    assert.equal(aac.fmtp['mode'], 'AAC-hbr');
  });

  it('H.265 + PCMA + ONVIF metadata: sprop-vps/sps/pps by NAL type, metadata unsupported', () => {
    const { tracks, unsupported } = load('h265-pcma-onvif.sdp', 'rtsp://10.0.0.20/live');
    assert.equal(tracks.length, 2);
    const v = tracks[0] as VideoTrack;
    assert.equal(v.codec, 'H265');
    assert.equal(v.payloadType, 98);
    assert.equal((v.vps![0]! >> 1) & 0x3f, 32);
    assert.equal((v.sps![0]! >> 1) & 0x3f, 33);
    assert.equal((v.pps![0]! >> 1) & 0x3f, 34);
    assert.equal(v.fmtp['profile-id'], '1');
    assert.equal(v.control, 'rtsp://10.0.0.20/live/trackID=1');
    assert.equal((tracks[1] as AudioTrack).codec, 'PCMA');
    assert.deepEqual(unsupported.length, 1);
  });

  it('static payload type 0 without rtpmap, no c= line', () => {
    const { tracks } = load('no-c-line.sdp', 'rtsp://192.168.1.10/');
    const a = tracks[1] as AudioTrack;
    assert.deepEqual([a.codec, a.payloadType, a.clockRate, a.channels], ['PCMU', 0, 8000, 1]);
    assert.equal(a.control, 'rtsp://192.168.1.10/track2');
  });

  it('lower-case encoding names and mixed-case fmtp keys', () => {
    const { tracks } = load('lowercase-h264.sdp', 'rtsp://10.1.1.1/h264');
    const v = tracks[0] as VideoTrack;
    assert.equal(v.codec, 'H264');
    assert.equal(v.fmtp['profile-level-id'], '4d401f');
    assert.equal(hex(v.pps), PPS.toString('hex'));
    assert.equal((tracks[1] as AudioTrack).codec, 'PCMU');
  });

  it('weird o=, no sprop-parameter-sets: track without parameter sets', () => {
    const weird = load('weird-origin.sdp', 'rtsp://cam/x');
    assert.equal(weird.tracks.length, 1);
    assert.deepEqual(weird.tracks[0]!.fmtp, {});
    const { tracks } = load('no-sprop.sdp', 'rtsp://192.168.2.20/live.264');
    const v = tracks[0] as VideoTrack;
    assert.equal(v.sps, undefined);
    assert.equal(v.pps, undefined);
    assert.equal(v.fmtp['profile-level-id'], '42E01F');
    assert.equal(v.control, 'rtsp://192.168.2.20/live.264/track1');
  });

  it('MP2T and MJPEG are unsupported, not thrown', () => {
    const { tracks, unsupported } = load('mp2t-mjpeg.sdp', 'rtsp://10.0.0.9/ts');
    assert.deepEqual(tracks, []);
    assert.equal(unsupported.length, 2);
    assert.match(unsupported[0]!, /MP2T/);
    assert.match(unsupported[1]!, /JPEG/);
  });

  it('takes the first carried format of a multi-format section and tolerates a mismatched fmtp pt', () => {
    const d = parseSdp(
      'v=0\r\nm=audio 0 RTP/AVP 101 0 8\r\na=rtpmap:101 telephone-event/8000\r\n' +
        'm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:97 packetization-mode=1\r\n',
    );
    const { tracks } = tracksFromSdp(d, 'rtsp://x/');
    // telephone-event is an audio rtpmap: carried as-is (reported unplayable by WebRTC later)
    assert.equal((tracks[0] as AudioTrack).codec, 'TELEPHONE-EVENT');
    assert.equal(tracks[1]!.fmtp['packetization-mode'], '1');
  });
});

describe('resolveControl (RFC 2326 C.1.1)', () => {
  const cases: Array<[string, string | undefined, string]> = [
    ['rtsp://cam/live', 'trackID=1', 'rtsp://cam/live/trackID=1'],
    ['rtsp://cam/live/', 'trackID=1', 'rtsp://cam/live/trackID=1'],
    ['rtsp://cam/live/', '*', 'rtsp://cam/live/'],
    ['rtsp://cam/live', undefined, 'rtsp://cam/live'],
    ['rtsp://cam/live', 'rtsp://other:8554/x/trackID=2', 'rtsp://other:8554/x/trackID=2'],
    ['rtsp://cam/live', 'RTSP://other/x', 'RTSP://other/x'],
    ['rtsp://user:pw@cam:554/a/b', '/media/track3', 'rtsp://user:pw@cam:554/media/track3'],
  ];
  for (const [base, control, want] of cases) {
    it(`${base} + ${control} → ${want}`, () => assert.equal(resolveControl(base, control), want));
  }
});

describe('parseFmtp', () => {
  it('lower-cases keys, keeps base64 padding, strips quotes, skips empty parts', () => {
    assert.deepEqual(parseFmtp(' Packetization-Mode=1;; sprop-parameter-sets="Z0I=,aM4=" ;flag'), {
      'packetization-mode': '1', 'sprop-parameter-sets': 'Z0I=,aM4=', flag: '',
    });
  });
});

describe('sdpForTracks', () => {
  const h264: VideoTrack = {
    kind: 'video', codec: 'H264', payloadType: 96, clockRate: 90000, fmtp: {}, sps: SPS_4D401F, pps: PPS,
  };
  const h265: VideoTrack = {
    kind: 'video', codec: 'H265', payloadType: 97, clockRate: 90000, fmtp: {},
    vps: new Uint8Array([0x40, 0x01, 0x0c]), sps: new Uint8Array([0x42, 0x01, 0x01]), pps: new Uint8Array([0x44, 0x01, 0xc1]),
  };
  const pcma: AudioTrack = { kind: 'audio', codec: 'PCMA', payloadType: 8, clockRate: 8000, channels: 1, fmtp: {} };
  const opus: AudioTrack = { kind: 'audio', codec: 'OPUS', payloadType: 111, clockRate: 48000, channels: 2, fmtp: { minptime: '10' } };

  it('writes the exact DESCRIBE answer for H.264 + PCMA', () => {
    const text = sdpForTracks([h264, pcma], { sessionName: 'gate1', address: '10.0.0.1', sessionId: '42' });
    assert.equal(
      text,
      [
        'v=0', 'o=- 42 1 IN IP4 10.0.0.1', 's=gate1', 'c=IN IP4 0.0.0.0', 't=0 0', 'a=tool:streamsight', 'a=control:*',
        'm=video 0 RTP/AVP 96', 'a=rtpmap:96 H264/90000',
        'a=fmtp:96 packetization-mode=1;profile-level-id=4d401f;sprop-parameter-sets=Z01AH+ygKALdgIgAAAMACAAAAwGQeMGMsA==,aOvjyyA=',
        'a=control:trackID=0',
        'm=audio 0 RTP/AVP 8', 'a=rtpmap:8 PCMA/8000', 'a=control:trackID=1', '',
      ].join('\r\n'),
    );
  });

  it('round-trips through parseSdp/tracksFromSdp for H.265 and Opus', () => {
    const tracks: Track[] = [h265, opus];
    const text = sdpForTracks(tracks, { sessionName: 'cam' });
    const back = tracksFromSdp(parseSdp(text), 'rtsp://127.0.0.1:8554/cam/');
    assert.deepEqual(back.unsupported, []);
    const v = back.tracks[0] as VideoTrack;
    assert.equal(v.codec, 'H265');
    assert.equal(hex(v.vps), '40010c');
    assert.equal(hex(v.sps), '420101');
    assert.equal(hex(v.pps), '4401c1');
    assert.equal(v.control, 'rtsp://127.0.0.1:8554/cam/trackID=0');
    const a = back.tracks[1] as AudioTrack;
    assert.deepEqual([a.codec, a.clockRate, a.channels, a.fmtp['minptime']], ['OPUS', 48000, 2, '10']);
    assert.match(text, /a=rtpmap:111 opus\/48000\/2\r\n/);
    assert.equal(attributeValue(parseSdp(text).attributes, 'control'), '*');
    assert.equal(trackIndexFromUrl(a.control!), 1);
  });

  it('computes profile-level-id from SPS bytes 1..3', () => {
    assert.equal(h264ProfileLevelId(SPS_4D401F), '4d401f');
    assert.equal(h264ProfileLevelId(new Uint8Array([0x67, 0x64])), undefined);
    const noSps = sdpForTracks([{ ...h264, sps: undefined, pps: undefined, fmtp: { 'profile-level-id': '42e01f' } }], {
      sessionName: 's', sessionId: '1',
    });
    assert.match(noSps, /a=fmtp:96 packetization-mode=1;profile-level-id=42e01f\r\n/);
  });

  it('trackIndexFromUrl reads what SETUP requests carry', () => {
    assert.equal(trackIndexFromUrl('rtsp://h/cam/trackID=3'), 3);
    assert.equal(trackIndexFromUrl('rtsp://h/cam/trackID=0/'), 0);
    assert.equal(trackIndexFromUrl('rtsp://h/cam?x=1/trackID=2'), 2);
    assert.equal(trackIndexFromUrl('rtsp://h/cam'), undefined);
  });
});
