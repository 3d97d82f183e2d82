import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { RtpPacket } from './packet.js';
import {
  buildBye, buildFir, buildNack, buildPli, buildReceiverReport, buildSdes, buildSenderReport, compoundRtcp,
  ntpFromUnixMs, ntpMiddle32, parseRtcp, ReceptionStats, type ReportBlock,
} from './rtcp.js';

const block = (over: Partial<ReportBlock> = {}): ReportBlock => ({
  ssrc: 0x11223344, fractionLost: 42, cumulativeLost: 1000, highestSeq: 0x1fffe, jitter: 77, lsr: 0x56789abc, dlsr: 32768,
  ...over,
});

describe('RTCP build/parse', () => {
  it('round-trips a sender report with blocks (negative cumulative loss too)', () => {
    const sr = { ssrc: 5, ntpSec: 0xe1234567, ntpFrac: 0x80000000, rtpTimestamp: 0xfffffff0, packetCount: 10, octetCount: 12000 };
    const reports = [block(), block({ ssrc: 9, cumulativeLost: -3, fractionLost: 0 })];
    const parsed = parseRtcp(buildSenderReport({ ...sr, reports }));
    assert.deepEqual(parsed, [{ type: 'sr', ...sr, reports }]);
  });

  it('round-trips a compound RR + SDES CNAME + BYE', () => {
    const buf = compoundRtcp([buildReceiverReport(7, [block()]), buildSdes(7, 'streamsight@host'), buildBye(7)]);
    assert.equal(buf.length % 4, 0);
    assert.deepEqual(parseRtcp(buf), [
      { type: 'rr', ssrc: 7, reports: [block()] },
      { type: 'sdes', chunks: [{ ssrc: 7, items: [{ type: 1, text: 'streamsight@host' }] }] },
      { type: 'bye', ssrcs: [7] },
    ]);
  });

  it('round-trips PLI, FIR and generic NACK', () => {
    assert.deepEqual(parseRtcp(buildPli(1, 2)), [{ type: 'pli', senderSsrc: 1, mediaSsrc: 2 }]);
    assert.deepEqual(parseRtcp(buildFir(1, 2, 9)), [{ type: 'fir', senderSsrc: 1, entries: [{ ssrc: 2, seq: 9 }] }]);
    const lost = [100, 101, 116, 117, 65535, 0];
    const nack = buildNack(1, 2, lost);
    assert.equal(nack.length, 12 + 3 * 4); // (100: +101,+116) (117) (65535: +0)
    assert.deepEqual(parseRtcp(nack), [{ type: 'nack', senderSsrc: 1, mediaSsrc: 2, lost }]);
  });

  it('keeps unknown packets as other and honours padding', () => {
    const app = Uint8Array.of(0x81, 204, 0, 2, 0, 0, 0, 7, 0x41, 0x42, 0x43, 0x44);
    const paddedRr = Uint8Array.of(0xa0, 201, 0, 2, 0, 0, 0, 9, 0, 0, 0, 4);
    assert.deepEqual(parseRtcp(compoundRtcp([app, paddedRr])), [
      { type: 'other', packetType: 204, count: 1, data: app.subarray(4) },
      { type: 'rr', ssrc: 9, reports: [] },
    ]);
  });

  it('stops at a truncated or bad packet and keeps what came before', () => {
    const rr = buildReceiverReport(7, [block()]);
    const buf = compoundRtcp([rr, buildPli(1, 2).subarray(0, 8)]);
    assert.deepEqual(parseRtcp(buf).map((p) => p.type), ['rr']);
    assert.deepEqual(parseRtcp(Uint8Array.of(0x41, 201, 0, 1, 0, 0, 0, 0)), []); // version 1
    const lyingCount = Uint8Array.from(rr, (b, i) => (i === 0 ? 0x82 : b)); // RC 2, room for 1
    assert.deepEqual(parseRtcp(lyingCount), []);
  });

  it('never throws on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (b) => { parseRtcp(b); }), { numRuns: 2000 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 60 }), (b) => {
      parseRtcp(Uint8Array.from([0x81, 202, 0, (b.length + 3) >> 2, ...b, 0, 0, 0].slice(0, 4 + ((b.length + 3) & ~3))));
    }), { numRuns: 1000 });
  });

  it('converts Unix time to NTP and LSR', () => {
    const { ntpSec, ntpFrac } = ntpFromUnixMs(1_500);
    assert.equal(ntpSec, 2208988801);
    assert.equal(ntpFrac, 0x80000000);
    assert.equal(ntpMiddle32(0x12345678, 0x9abcdef0), 0x56789abc);
  });
});

describe('ReceptionStats', () => {
  const rtp = (seq: number, ts: number): RtpPacket => ({
    marker: false, payloadType: 0, sequenceNumber: seq, timestamp: ts >>> 0, ssrc: 1, csrcs: [], padding: false,
    payload: new Uint8Array(1),
  });

  it('computes expected, lost, fraction lost and extended highest seq across the wrap (A.3)', () => {
    const s = new ReceptionStats(1000);
    let t = 0;
    for (const seq of [65534, 65535, 0, 2, 3]) s.update(rtp(seq, t), (t += 10));
    assert.equal(s.expected, 6);
    assert.equal(s.lost, 1);
    let r = s.report(99, 0);
    assert.deepEqual([r.ssrc, r.highestSeq, r.cumulativeLost, r.fractionLost], [99, 65536 + 3, 1, Math.floor(256 / 6)]);
    s.update(rtp(1, 30), 200); // late arrival of the missing one
    s.update(rtp(4, 60), 210);
    r = s.report(99, 0);
    assert.deepEqual([r.highestSeq, r.cumulativeLost, r.fractionLost], [65536 + 4, 0, 0]);
  });

  it('computes interarrival jitter (A.8)', () => {
    const s = new ReceptionStats(1000); // 1 tick = 1 ms
    s.update(rtp(1, 0), 1000);
    s.update(rtp(2, 10), 1010); // D = 0
    assert.equal(s.jitter, 0);
    s.update(rtp(3, 20), 1180); // D = 160 -> J = 10
    assert.equal(s.jitter, 10);
    s.update(rtp(4, 30), 1030 + 160); // D = 0 -> J = 9.375
    assert.equal(s.jitter, 9.375);
    assert.equal(s.report(1, 0).jitter, 9);
  });

  it('reports LSR/DLSR from the last sender report', () => {
    const s = new ReceptionStats(90000);
    s.update(rtp(1, 0), 0);
    assert.deepEqual([s.report(1, 0).lsr, s.report(1, 0).dlsr], [0, 0]);
    s.onSenderReport({ type: 'sr', ssrc: 1, ntpSec: 0x12345678, ntpFrac: 0x9abcdef0, rtpTimestamp: 0, packetCount: 0, octetCount: 0, reports: [] }, 1000);
    const r = s.report(1, 1500);
    assert.equal(r.lsr, 0x56789abc);
    assert.equal(r.dlsr, 32768);
  });

  it('restarts after a confirmed sequence jump and ignores a single stray', () => {
    const s = new ReceptionStats(90000);
    for (const seq of [10, 11, 12]) s.update(rtp(seq, 0), 0);
    s.update(rtp(30000, 0), 0); // stray
    s.update(rtp(13, 0), 0);
    assert.equal(s.expected, 4);
    assert.equal(s.received, 4);
    s.update(rtp(50000, 0), 0);
    s.update(rtp(50001, 0), 0); // confirmed: new base
    assert.equal(s.expected, 1);
    assert.equal(s.received, 1);
  });
});
