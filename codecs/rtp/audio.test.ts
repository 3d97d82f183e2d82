import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RtpPacket } from './packet.js';
import { AudioDepacketizer } from './audio.js';

const rtp = (seq: number, ts: number, payload = Uint8Array.of(seq & 0xff)): RtpPacket => ({
  marker: false, payloadType: 8, sequenceNumber: seq & 0xffff, timestamp: ts >>> 0, ssrc: 3, csrcs: [], padding: false, payload,
});

describe('AudioDepacketizer', () => {
  it('emits one unit per payload with a copied payload and unwrapped pts', () => {
    const d = new AudioDepacketizer('PCMA', 8000);
    const source = Uint8Array.of(1, 2, 3);
    const [u] = d.push(rtp(1, 0xffffff00, source), 42);
    source[0] = 9;
    assert.deepEqual(u, { kind: 'audio', codec: 'PCMA', clockRate: 8000, pts: 0xffffff00, payload: Uint8Array.of(1, 2, 3), receivedAt: 42 });
    assert.equal(d.push(rtp(2, 0x60), 43)[0]!.pts, 0x100000060);
  });

  it('reorders, drops duplicates and counts empty payloads', () => {
    const d = new AudioDepacketizer('OPUS', 48000);
    const out = [rtp(10, 0), rtp(12, 1920), rtp(11, 960), rtp(11, 960), rtp(13, 2880, new Uint8Array(0))].flatMap((p) => d.push(p, 0));
    assert.deepEqual(out.map((u) => u.pts), [0, 960, 1920]);
    assert.deepEqual({ ...d.stats }, { packets: 5, units: 3, malformed: 1, lostPackets: 0, duplicates: 1, reordered: 1 });
  });
});
