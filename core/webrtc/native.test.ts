import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { ProtectionProfileAeadAes128Gcm, SrtpSession } from 'werift';
import { NATIVE_SRTP_PATH, nativeSrtp, nativeSrtpStatus, socketHandle } from './native.js';

/** werift sessions of both ends sharing one master key, as DTLS-SRTP sets them up. */
function sessions(): { sender: SrtpSession; receiver: SrtpSession } {
  const [key, salt, key2, salt2] = [randomBytes(16), randomBytes(12), randomBytes(16), randomBytes(12)];
  const profile = ProtectionProfileAeadAes128Gcm;
  return {
    sender: new SrtpSession({ keys: { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: key2, remoteMasterSalt: salt2 }, profile }),
    receiver: new SrtpSession({ keys: { localMasterKey: key2, localMasterSalt: salt2, remoteMasterKey: key, remoteMasterSalt: salt }, profile }),
  };
}

describe('native SRTP send path', () => {
  it('is built and loads (npm install builds it with node-gyp)', () => {
    assert.equal(nativeSrtpStatus, 'native', `${NATIVE_SRTP_PATH}: ${nativeSrtpStatus}`);
  });

  it("protects packets werift's receiver decrypts and authenticates, across a sequence wrap", () => {
    const n = nativeSrtp!;
    const { sender, receiver } = sessions();
    const gcm = n.createGcm(sender.localContext.srtpSessionKey, sender.localContext.srtpSessionSalt);
    const slab = Buffer.alloc(8192);
    let offset = 7;
    for (const [i, seq] of [65534, 65535, 0, 1].entries()) {
      const payload = randomBytes(300 + i * 250);
      const roc = seq < 2 ? 1 : 0;
      const length = n.protectRtp(gcm, slab, offset, payload, 102 | (i === 3 ? 0x80 : 0), seq, 0xfffffff0 + i, 0xcafe0001, roc);
      assert.equal(length, 12 + payload.length + 16);
      const plain = receiver.decrypt(slab.subarray(offset, offset + length));
      assert.deepEqual(plain.subarray(12), payload);
      assert.equal(plain.readUInt16BE(2), seq);
      assert.equal(plain[1], 102 | (i === 3 ? 0x80 : 0));
      assert.equal(plain.readUInt32BE(8), 0xcafe0001);
      offset += length;
    }
    assert.equal(n.protectRtp(gcm, slab, slab.length - 100, randomBytes(200), 96, 1, 1, 1, 0), 0, 'no room: nothing written');
    assert.throws(() => n.createGcm(randomBytes(15), randomBytes(12)), /16-byte key/);
  });

  it('sends a batch of datagrams in one sendmmsg, each arriving whole and in order', async () => {
    const n = nativeSrtp!;
    const rx = createSocket('udp4');
    const tx = createSocket('udp4');
    try {
      rx.bind(0, '127.0.0.1');
      tx.bind(0, '127.0.0.1');
      await Promise.all([once(rx, 'listening'), once(tx, 'listening')]);
      const got: Buffer[] = [];
      rx.on('message', (m) => got.push(m));
      const sizes = [1228, 40, 700, 1228, 1];
      const slab = Buffer.alloc(8192);
      const lengths = new Uint32Array(64);
      let off = 0;
      for (const [i, size] of sizes.entries()) {
        slab.fill(i + 1, off, off + size);
        lengths[i] = size;
        off += size;
      }
      const fd = socketHandle(tx)!.fd;
      assert.equal(n.sendBatch(fd, '127.0.0.1', rx.address().port, slab, lengths, sizes.length), sizes.length);
      const deadline = Date.now() + 2000;
      while (got.length < sizes.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(got.map((m) => m.length), sizes);
      for (const [i, m] of got.entries()) assert.ok(m.every((b) => b === i + 1));
      assert.ok(n.sendBatch(-1, '127.0.0.1', 9, slab, lengths, 1) < 0, 'a bad fd gives -errno');
      assert.throws(() => n.sendBatch(fd, 'not-an-ip', 9, slab, lengths, 1), /not an IP address/);
    } finally {
      rx.close();
      tx.close();
    }
  });
});
