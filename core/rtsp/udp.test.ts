import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { describe, it } from 'node:test';
import { UdpPortAllocator, type UdpPortPair } from './udp.js';

describe('UdpPortAllocator', () => {
  it('binds an RTP/RTCP pair on adjacent ephemeral ports that receive datagrams', async () => {
    const pair = await new UdpPortAllocator('127.0.0.1').allocate();
    try {
      assert.equal(pair.rtcpPort, pair.rtpPort + 1);
      const got = new Promise<string>((resolve) => pair.rtcp.once('message', (m) => resolve(m.toString())));
      const tx = dgram.createSocket('udp4');
      tx.send('hi', pair.rtcpPort, '127.0.0.1', () => tx.close());
      assert.equal(await got, 'hi');
    } finally {
      pair.close();
      pair.close(); // idempotent
    }
  });

  it('stays inside a configured range, on even RTP ports, and fails when it is exhausted', async () => {
    const base = 42000 + 2 * Math.floor(Math.random() * 5000);
    const alloc = new UdpPortAllocator('127.0.0.1', [base, base + 5]);
    const pairs: UdpPortPair[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        try {
          pairs.push(await alloc.allocate());
        } catch {
          break; // a port of the range may be taken by another process
        }
      }
      assert.ok(pairs.length >= 1);
      for (const p of pairs) {
        assert.equal(p.rtpPort % 2, 0);
        assert.ok(p.rtpPort >= base && p.rtcpPort <= base + 5, `${p.rtpPort}-${p.rtcpPort}`);
      }
      await assert.rejects(alloc.allocate(), /no free UDP port pair/);
      pairs.pop()!.close();
      const again = await alloc.allocate();
      pairs.push(again);
      assert.ok(again.rtpPort >= base && again.rtpPort <= base + 4);
    } finally {
      for (const p of pairs) p.close();
    }
  });
});
