import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtocolError, UnsupportedError } from '../errors.js';
import { chooseAudio, chooseH264, h264Profile, parseOffer } from './offer.js';

/** The video and audio sections of a Chromium 120 recvonly offer (trimmed), as a WHEP player sends it. */
const CHROME_OFFER = [
  'v=0', 'o=- 4611731400430051336 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0 1',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 0 8', 'c=IN IP4 0.0.0.0',
  'a=ice-ufrag:abcd', 'a=ice-pwd:abcdefghijklmnopqrstuvwx', 'a=fingerprint:sha-256 00:11', 'a=setup:actpass', 'a=mid:0',
  'a=recvonly', 'a=rtpmap:111 opus/48000/2', 'a=fmtp:111 minptime=10;useinbandfec=1', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 105 106 107 108 109 127 125 39 40 112 113', 'c=IN IP4 0.0.0.0',
  'a=ice-ufrag:abcd', 'a=ice-pwd:abcdefghijklmnopqrstuvwx', 'a=fingerprint:sha-256 00:11', 'a=setup:actpass', 'a=mid:1', 'a=recvonly',
  'a=rtpmap:96 VP8/90000', 'a=rtcp-fb:96 nack', 'a=rtpmap:97 rtx/90000', 'a=fmtp:97 apt=96',
  'a=rtpmap:102 H264/90000', 'a=rtcp-fb:102 goog-remb', 'a=rtcp-fb:102 transport-cc', 'a=rtcp-fb:102 ccm fir', 'a=rtcp-fb:102 nack', 'a=rtcp-fb:102 nack pli',
  'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
  'a=rtpmap:103 rtx/90000', 'a=fmtp:103 apt=102',
  'a=rtpmap:104 H264/90000', 'a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f',
  'a=rtpmap:105 rtx/90000', 'a=fmtp:105 apt=104',
  'a=rtpmap:106 H264/90000', 'a=fmtp:106 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  'a=rtpmap:107 rtx/90000', 'a=fmtp:107 apt=106',
  'a=rtpmap:108 H264/90000', 'a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f',
  'a=rtpmap:109 rtx/90000', 'a=fmtp:109 apt=108',
  'a=rtpmap:127 H264/90000', 'a=fmtp:127 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f',
  'a=rtpmap:125 rtx/90000', 'a=fmtp:125 apt=127',
  'a=rtpmap:39 H264/90000', 'a=fmtp:39 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=4d001f',
  'a=rtpmap:40 rtx/90000', 'a=fmtp:40 apt=39',
  'a=rtpmap:112 H264/90000', 'a=fmtp:112 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640034',
  'a=rtpmap:113 rtx/90000', 'a=fmtp:113 apt=112', '',
].join('\r\n');

describe('parseOffer', () => {
  it('lists every codec of every section with fmtp and rtcp-fb', () => {
    const media = parseOffer(CHROME_OFFER);
    assert.deepEqual(media.map((m) => [m.kind, m.mid, m.direction, m.disabled]), [['audio', '0', 'recvonly', false], ['video', '1', 'recvonly', false]]);
    const h = media[1]!.codecs.find((c) => c.payloadType === 102)!;
    assert.equal(h.name, 'H264');
    assert.equal(h.fmtp['profile-level-id'], '42001f');
    assert.deepEqual(h.rtcpFb, ['goog-remb', 'transport-cc', 'ccm fir', 'nack', 'nack pli']);
    assert.equal(media[0]!.codecs[0]!.channels, 2);
  });
  it('rejects garbage, an SDP without m=, and one without ICE credentials or fingerprint', () => {
    assert.throws(() => parseOffer('hello world'), ProtocolError);
    assert.throws(() => parseOffer('v=0\r\ns=-\r\n'), ProtocolError);
    assert.throws(() => parseOffer(CHROME_OFFER.replace(/a=ice-pwd:.*\r\n/g, '')), ProtocolError);
    assert.throws(() => parseOffer(CHROME_OFFER.replace(/a=fingerprint:.*\r\n/g, '')), ProtocolError);
  });
});

describe('h264Profile', () => {
  it('classifies profile-level-ids the way RFC 6184 / Chrome do', () => {
    assert.equal(h264Profile('42e01f'), 'constrained-baseline');
    assert.equal(h264Profile('42c01e'), 'constrained-baseline');
    assert.equal(h264Profile('4d801f'), 'constrained-baseline');
    assert.equal(h264Profile('42001f'), 'baseline');
    assert.equal(h264Profile('4d001f'), 'main');
    assert.equal(h264Profile('4d401e'), 'main');
    assert.equal(h264Profile('640034'), 'high');
    assert.equal(h264Profile('640c1f'), 'constrained-high');
    assert.equal(h264Profile('zz'), undefined);
  });
});

describe('chooseH264', () => {
  const video = parseOffer(CHROME_OFFER)[1]!;
  it('picks the payload type with the camera profile and packetization-mode=1', () => {
    assert.equal(chooseH264(video, '64001e').codec.payloadType, 112);
    assert.equal(chooseH264(video, '4d401e').codec.payloadType, 127);
    assert.equal(chooseH264(video, '42c01e').codec.payloadType, 106);
    assert.equal(chooseH264(video, '42001e').codec.payloadType, 102);
  });
  it("answers with the camera's profile-level-id when the profiles match", () => {
    const c = chooseH264(video, '640028');
    assert.equal(c.fmtp, 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640028');
    assert.equal(c.profileMatch, true);
  });
  it('falls back to constrained baseline, echoing the offered profile-level-id', () => {
    const noHigh = { ...video, codecs: video.codecs.filter((c) => c.payloadType !== 112) };
    const c = chooseH264(noHigh, '640028');
    assert.equal(c.codec.payloadType, 106);
    assert.equal(c.profileMatch, false);
    assert.match(c.fmtp, /profile-level-id=42e01f/);
  });
  it('throws UnsupportedError without H.264 or without packetization-mode=1', () => {
    const vp8 = { ...video, codecs: video.codecs.filter((c) => c.name !== 'H264') };
    assert.throws(() => chooseH264(vp8, '42e01f'), UnsupportedError);
    const mode0 = { ...video, codecs: video.codecs.filter((c) => c.fmtp['packetization-mode'] !== '1') };
    assert.throws(() => chooseH264(mode0, '42e01f'), UnsupportedError);
  });
  // Found by fuzz/targets/whep.ts: the fallback echoed whatever the offer sent (`4\xff\xff01f`) into the answer SDP.
  it('never echoes a malformed offered profile-level-id into the answer', () => {
    const bad = (plid: string) => ({
      ...video,
      codecs: video.codecs.filter((c) => c.name !== 'H264' || c.payloadType === 102 || c.payloadType === 127)
        .map((c) => (c.payloadType === 102 ? { ...c, fmtp: { ...c.fmtp, 'profile-level-id': plid } } : c)),
    });
    for (const plid of ['4\xff\xff01f', '42e01f;x=1', '42e0', '']) {
      const c = chooseH264(bad(plid), '640028');
      assert.equal(c.codec.payloadType, 127, plid);
      assert.equal(c.fmtp, 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f', plid);
    }
    const onlyBad = { ...video, codecs: bad('zzzzzz').codecs.filter((c) => c.payloadType !== 127) };
    assert.throws(() => chooseH264(onlyBad, '42e01f'), UnsupportedError);
  });
});

describe('chooseAudio', () => {
  const audio = parseOffer(CHROME_OFFER)[0];
  it('finds the offered payload type of a pass-through codec', () => {
    assert.equal(chooseAudio(audio, 'PCMA', 8000)?.payloadType, 8);
    assert.equal(chooseAudio(audio, 'opus', 48000)?.payloadType, 111);
    assert.equal(chooseAudio(audio, 'AAC', 48000), undefined);
    assert.equal(chooseAudio(undefined, 'PCMA', 8000), undefined);
  });
});
