import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ProtectionProfileAeadAes128Gcm, ProtectionProfileAes128CmHmacSha1_80, SrtpSession } from 'werift';
import { SrtpSequence, srtpProtector, writeRtpHeader, type SrtpProfile } from './srtp.js';

/** A sender and a receiver session of werift sharing one master key, as DTLS-SRTP sets them up. */
function sessions(profile: number): { sender: SrtpSession; receiver: SrtpSession } {
  const saltLength = profile === ProtectionProfileAeadAes128Gcm ? 12 : 14;
  const key = randomBytes(16);
  const salt = randomBytes(saltLength);
  const other = randomBytes(16);
  const otherSalt = randomBytes(saltLength);
  const sender = new SrtpSession({ keys: { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: other, remoteMasterSalt: otherSalt }, profile });
  const receiver = new SrtpSession({ keys: { localMasterKey: other, localMasterSalt: otherSalt, remoteMasterKey: key, remoteMasterSalt: salt }, profile });
  return { sender, receiver };
}

const cases: Array<[SrtpProfile, number]> = [
  ['AEAD_AES_128_GCM', ProtectionProfileAeadAes128Gcm],
  ['AES_CM_128_HMAC_SHA1_80', ProtectionProfileAes128CmHmacSha1_80],
];

describe('srtpProtector', () => {
  for (const [name, profile] of cases) {
    it(`${name}: werift's receiver decrypts and authenticates what it protects, across a sequence wrap`, () => {
      const { sender, receiver } = sessions(profile);
      const ctx = sender.localContext;
      const protector = srtpProtector({ profile: name, key: ctx.srtpSessionKey, salt: ctx.srtpSessionSalt, authKey: ctx.srtpSessionAuthTag });
      const ssrc = 0x1234abcd;
      const seq = new SrtpSequence(65533);
      for (let i = 0; i < 6; i++) {
        const payload = randomBytes(100 + i * 200);
        const header = writeRtpHeader(Buffer.alloc(12), 102, i % 2 === 1, seq.seq, 90000 * i, ssrc);
        const packet = Buffer.concat(protector.protect(header, payload, ssrc, seq.seq, seq.roc));
        assert.equal(packet.length, 12 + payload.length + protector.tagLength);
        const plain = receiver.decrypt(packet);
        assert.deepEqual(plain.subarray(12), payload, `packet ${i} (seq ${seq.seq}, roc ${seq.roc})`);
        assert.deepEqual(plain.subarray(0, 12), header);
        seq.next();
      }
      assert.equal(seq.roc, 1, 'SEQ wrapped once');
    });

    it(`${name}: a flipped ciphertext bit fails authentication`, () => {
      const { sender, receiver } = sessions(profile);
      const ctx = sender.localContext;
      const protector = srtpProtector({ profile: name, key: ctx.srtpSessionKey, salt: ctx.srtpSessionSalt, authKey: ctx.srtpSessionAuthTag });
      const header = writeRtpHeader(Buffer.alloc(12), 96, true, 1, 3000, 7);
      const packet = Buffer.concat(protector.protect(header, randomBytes(500), 7, 1, 0));
      packet[40]! ^= 1;
      assert.throws(() => receiver.decrypt(packet), /authenticate/i);
    });
  }

  it('writes the fixed RTP header (RFC 3550 §5.1)', () => {
    const h = writeRtpHeader(Buffer.alloc(12), 102, true, 0x1_0005, 0x1_0000_0007, 0xdeadbeef);
    assert.equal(h.toString('hex'), '80e6000500000007deadbeef');
  });
});
