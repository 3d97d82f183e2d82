import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { g711Format, g711Track, g711Units } from './audio.js';

describe('G.711 from FLV audio tags', () => {
  it('splits a tag of 1024 A-law samples (what ffmpeg sends) into 20 ms units with their own pts', () => {
    const body = new Uint8Array(1025);
    body[0] = 0x72; // A-law, 16-bit flag, mono
    for (let i = 1; i < body.length; i++) body[i] = i & 0xff;
    const units = g711Units(body, 128, 5);
    assert.deepEqual(units.map((u) => u.payload.length), [160, 160, 160, 160, 160, 160, 64]);
    assert.deepEqual(units.map((u) => u.pts), [1024, 1184, 1344, 1504, 1664, 1824, 1984]);
    assert.ok(units.every((u) => u.codec === 'PCMA' && u.clockRate === 8000 && u.receivedAt === 5));
    assert.equal(units[1]!.payload[0], 161 & 0xff);
    body[1] = 0;
    assert.equal(units[0]!.payload[0], 1, 'samples are copied out of the (reused) message buffer');
  });
  it('stereo µ-law: 160 samples per channel per unit', () => {
    const units = g711Units(Uint8Array.from([0x83, ...new Uint8Array(640)]), 0, 0);
    assert.deepEqual(units.map((u) => [u.codec, u.payload.length, u.pts]), [['PCMU', 320, 0], ['PCMU', 320, 160]]);
    assert.deepEqual(g711Track('PCMU', 2), { kind: 'audio', codec: 'PCMU', payloadType: 0, clockRate: 8000, channels: 2, fmtp: {} });
  });
  it('other formats and empty tags give nothing', () => {
    assert.deepEqual(g711Units(Uint8Array.from([0xaf, 1, 2, 3]), 0, 0), []);
    assert.deepEqual(g711Units(new Uint8Array(0), 0, 0), []);
    assert.deepEqual(g711Units(Uint8Array.from([0x72]), 0, 0), []);
    assert.equal(g711Format(Uint8Array.from([0x2f])), undefined);
  });
});
