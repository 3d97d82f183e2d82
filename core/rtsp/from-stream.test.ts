import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AudioTrack, AudioUnit, VideoTrack, VideoUnit } from '../../codecs/access-unit.js';
import { parseRtp } from '../../codecs/rtp/packet.js';
import { parseRtcp } from '../../codecs/rtp/rtcp.js';
import { RTSP_MAX_PAYLOAD, SessionPacketizer, TrackSender } from './from-stream.js';

const video: VideoTrack = { kind: 'video', codec: 'H264', payloadType: 96, clockRate: 90000, fmtp: {} };
const audio: AudioTrack = { kind: 'audio', codec: 'PCMA', payloadType: 8, clockRate: 8000, channels: 1, fmtp: {} };

function videoUnit(pts: number, idrSize: number, keyframe = true): VideoUnit {
  const idr = new Uint8Array(idrSize).fill(7);
  idr[0] = keyframe ? 0x65 : 0x41;
  const nalus = keyframe ? [Uint8Array.of(0x67, 0x42, 0xc0, 0x1e), Uint8Array.of(0x68, 0xce, 0x0f, 0xc8), idr] : [idr];
  return { kind: 'video', codec: 'H264', pts, keyframe, nalus, receivedAt: performance.now() };
}

describe('SessionPacketizer', () => {
  it('maps units to the first track of their kind and codec', () => {
    const p = new SessionPacketizer([video, audio]);
    assert.equal(p.trackIndexFor(videoUnit(0, 10)), 0);
    const a: AudioUnit = { kind: 'audio', codec: 'PCMA', clockRate: 8000, pts: 0, payload: new Uint8Array(160), receivedAt: 0 };
    assert.equal(p.trackIndexFor(a), 1);
    assert.equal(p.trackIndexFor({ ...videoUnit(0, 10), codec: 'H265' }), -1);
  });

  it('gives every session its own SSRC, sequence and time base', () => {
    const a = new SessionPacketizer([video]).senders[0]!;
    const b = new SessionPacketizer([video]).senders[0]!;
    assert.notEqual(a.ssrc, b.ssrc);
    assert.ok(a.firstSeq !== b.firstSeq || a.firstRtpTime !== b.firstRtpTime);
  });
});

describe('TrackSender', () => {
  it('packetizes an access unit: consecutive seq, one timestamp, marker on the last packet only', () => {
    const s = new TrackSender(video, RTSP_MAX_PAYLOAD);
    const packets = s.packetize(videoUnit(1_000_000, 5000)).map((b) => parseRtp(b)!);
    assert.ok(packets.length >= 4, `${packets.length} packets`); // STAP-A(SPS,PPS) + FU-A fragments
    packets.forEach((p, i) => {
      assert.equal(p.sequenceNumber, (s.firstSeq + i) & 0xffff);
      assert.equal(p.timestamp, s.firstRtpTime, 'first unit carries the RTP-Info rtptime');
      assert.equal(p.ssrc, s.ssrc);
      assert.equal(p.payloadType, 96);
      assert.equal(p.marker, i === packets.length - 1);
      assert.ok(p.payload.length <= RTSP_MAX_PAYLOAD);
    });
    const next = s.packetize(videoUnit(1_003_600, 100, false)).map((b) => parseRtp(b)!);
    assert.equal(next.length, 1);
    assert.equal(next[0]!.timestamp, (s.firstRtpTime + 3600) >>> 0);
    assert.equal(next[0]!.sequenceNumber, (s.firstSeq + packets.length) & 0xffff);
  });

  it('wraps timestamps modulo 2^32 for large unwrapped pts', () => {
    const s = new TrackSender(video, RTSP_MAX_PAYLOAD);
    s.packetize(videoUnit(2 ** 40, 100));
    const p = parseRtp(s.packetize(videoUnit(2 ** 40 + 2 ** 32 + 90, 100, false))[0]!)!;
    assert.equal(p.timestamp, (s.firstRtpTime + 90) >>> 0);
  });

  it('continues the RTP clock after a source restart instead of jumping', () => {
    const s = new TrackSender(video, RTSP_MAX_PAYLOAD);
    const first = parseRtp(s.packetize(videoUnit(5_000_000, 100))[0]!)!;
    s.rebase();
    const after = parseRtp(s.packetize(videoUnit(12, 100))[0]!)!; // the new source starts its clock near 0
    assert.equal(after.timestamp, (first.timestamp + 9000) >>> 0);
    const next = parseRtp(s.packetize(videoUnit(12 + 3600, 100, false))[0]!)!;
    assert.equal(next.timestamp, (after.timestamp + 3600) >>> 0);
  });

  it('announces in next() exactly what the next packet carries, before and after a pause', () => {
    const s = new TrackSender(video, RTSP_MAX_PAYLOAD);
    const before = s.next();
    const first = parseRtp(s.packetize(videoUnit(777, 100))[0]!)!;
    assert.deepEqual([first.sequenceNumber, first.timestamp], [before.seq, before.rtptime]);
    const resume = s.next();
    const later = parseRtp(s.packetize(videoUnit(777 + 90_000 * 60, 100))[0]!)!; // a minute later
    assert.deepEqual([later.sequenceNumber, later.timestamp], [resume.seq, resume.rtptime]);
  });

  it('passes audio payloads through unchanged without a marker (G.711)', () => {
    const s = new TrackSender(audio, RTSP_MAX_PAYLOAD);
    const payload = Uint8Array.from({ length: 160 }, (_, i) => i);
    const out = s.packetize({ kind: 'audio', codec: 'PCMA', clockRate: 8000, pts: 160, payload, receivedAt: 0 });
    assert.equal(out.length, 1);
    const p = parseRtp(out[0]!)!;
    assert.deepEqual([...p.payload], [...payload]);
    assert.equal(p.payloadType, 8);
    assert.equal(p.marker, false);
  });

  it('builds a sender report (SR + SDES) extrapolated from the last unit', () => {
    const s = new TrackSender(video, RTSP_MAX_PAYLOAD);
    assert.equal(s.senderReport(performance.now(), Date.now()), undefined);
    const u = videoUnit(90_000, 2000);
    const sent = s.packetize(u).length;
    const rtcp = parseRtcp(s.senderReport(u.receivedAt + 1000, Date.now())!);
    assert.equal(rtcp[0]!.type, 'sr');
    assert.equal(rtcp[1]!.type, 'sdes');
    const sr = rtcp[0]!;
    if (sr.type !== 'sr') return;
    assert.equal(sr.ssrc, s.ssrc);
    assert.equal(sr.packetCount, sent);
    assert.equal(sr.rtpTimestamp, (s.firstRtpTime + 90_000) >>> 0, 'one second later is 90000 ticks later');
    assert.ok(Math.abs(sr.ntpSec - 2208988800 - Date.now() / 1000) < 5);
  });
});
