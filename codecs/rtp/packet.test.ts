import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isRtcpPacket, parseRtp, serializeRtp, type RtpPacket } from './packet.js';

function packet(over: Partial<RtpPacket> = {}): RtpPacket {
  return {
    marker: true, payloadType: 96, sequenceNumber: 0xfffe, timestamp: 0xfffffff0, ssrc: 0xdeadbeef,
    csrcs: [], padding: false, payload: Uint8Array.of(1, 2, 3), ...over,
  };
}

describe('parseRtp / serializeRtp', () => {
  it('round-trips the fixed header', () => {
    const bytes = serializeRtp(packet());
    assert.deepEqual([...bytes.subarray(0, 12)], [0x80, 0xe0, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xf0, 0xde, 0xad, 0xbe, 0xef]);
    const p = parseRtp(bytes)!;
    assert.equal(p.marker, true);
    assert.equal(p.payloadType, 96);
    assert.equal(p.sequenceNumber, 0xfffe);
    assert.equal(p.timestamp, 0xfffffff0);
    assert.equal(p.ssrc, 0xdeadbeef);
    assert.deepEqual([...p.payload], [1, 2, 3]);
  });

  it('returns the payload as a view into the input', () => {
    const bytes = serializeRtp(packet());
    const p = parseRtp(bytes)!;
    assert.equal(p.payload.buffer, bytes.buffer);
    assert.equal(p.payload.byteOffset, bytes.byteOffset + 12);
  });

  it('round-trips CSRCs and a header extension', () => {
    const ext = { profile: 0xbede, data: Uint8Array.of(0x10, 0xaa, 0, 0) };
    const bytes = serializeRtp(packet({ csrcs: [1, 0xffffffff], extension: ext }));
    assert.equal(bytes.length, 12 + 8 + 4 + 4 + 3);
    const p = parseRtp(bytes)!;
    assert.deepEqual(p.csrcs, [1, 0xffffffff]);
    assert.equal(p.extension?.profile, 0xbede);
    assert.deepEqual([...p.extension!.data], [0x10, 0xaa, 0, 0]);
    assert.deepEqual([...p.payload], [1, 2, 3]);
  });

  it('strips padding', () => {
    const bytes = new Uint8Array([...serializeRtp(packet()), 0, 0, 3]);
    bytes[0]! |= 0x20;
    const p = parseRtp(bytes)!;
    assert.equal(p.padding, true);
    assert.deepEqual([...p.payload], [1, 2, 3]);
  });

  it('rejects malformed packets with null', () => {
    const good = serializeRtp(packet({ csrcs: [7], extension: { profile: 1, data: new Uint8Array(4) } }));
    const cases: Array<[string, Uint8Array]> = [
      ['too short', good.subarray(0, 11)],
      ['version 1', Uint8Array.from(good, (b, i) => (i === 0 ? (b & 0x3f) | 0x40 : b))],
      ['CSRC count past end', Uint8Array.from(good.subarray(0, 16), (b, i) => (i === 0 ? b | 0x0f : b))],
      ['extension length past end', Uint8Array.from(good, (b, i) => (i === 18 ? 0xff : b))],
      ['extension header cut', good.subarray(0, 18)],
      ['padding count 0', Uint8Array.from([...good, 0], (b, i) => (i === 0 ? b | 0x20 : b))],
      ['padding longer than payload', Uint8Array.from([...good, 200], (b, i) => (i === 0 ? b | 0x20 : b))],
    ];
    for (const [name, bytes] of cases) assert.equal(parseRtp(bytes), null, name);
  });

  it('never throws on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      const p = parseRtp(b);
      if (p) assert.ok(p.payload.length <= b.length - 12);
    }), { numRuns: 2000 });
  });
});

describe('isRtcpPacket', () => {
  it('separates RTCP (PT 192..223) from RTP', () => {
    assert.equal(isRtcpPacket(Uint8Array.of(0x80, 200, 0, 6)), true);
    assert.equal(isRtcpPacket(Uint8Array.of(0x81, 206, 0, 2)), true);
    assert.equal(isRtcpPacket(Uint8Array.of(0x80, 224, 0, 2)), false);
    assert.equal(isRtcpPacket(serializeRtp(packet())), false); // PT 96 + marker = 0xe0 = 224
    assert.equal(isRtcpPacket(serializeRtp(packet({ marker: true, payloadType: 72 }))), true); // the RFC 5761 clash
    assert.equal(isRtcpPacket(Uint8Array.of(0x80, 200)), false);
  });
});
