import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { describe, it } from 'node:test';
import { LossyUdpProxy, type LossyProxyOptions } from './lossy-proxy.js';
import { waitUntil } from './wait.js';

const COUNT = 400;

/** Sends COUNT numbered datagrams through a proxy with `opts`; returns what arrived, in order, and the proxy's counters. */
async function through(opts: Omit<LossyProxyOptions, 'target'>): Promise<{ got: number[]; proxy: LossyUdpProxy; echoed: number }> {
  const target = dgram.createSocket('udp4');
  const sender = dgram.createSocket('udp4');
  await new Promise<void>((r) => target.bind(0, '127.0.0.1', r));
  await new Promise<void>((r) => sender.bind(0, '127.0.0.1', r));
  const proxy = new LossyUdpProxy({ ...opts, target: { port: target.address().port } });
  const { inPort, outPort } = await proxy.listen();
  const got: number[] = [];
  let echoed = 0;
  target.on('message', (m, rinfo) => {
    assert.equal(rinfo.port, outPort, 'forwarded from the out port');
    got.push(m.readUInt32BE(0));
    if (got.length === 1) target.send(Buffer.from('rr'), rinfo.port, rinfo.address); // the way back
  });
  sender.on('message', () => echoed++);
  try {
    for (let i = 0; i < COUNT; i++) {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(i);
      sender.send(b, inPort, '127.0.0.1');
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 2));
    }
    // At most one datagram stays held at the end: nothing came after it to overtake it.
    await waitUntil(() => proxy.stats.received === COUNT && proxy.pending.queued === 0 && got.length === proxy.stats.forwarded, 5000, 'all datagrams through');
    assert.equal(proxy.stats.forwarded + proxy.stats.dropped + proxy.pending.held, COUNT);
    await waitUntil(() => echoed === 1, 2000, 'the reply relayed back');
    return { got, proxy, echoed };
  } finally {
    proxy.close();
    target.close();
    sender.close();
  }
}

/** Datagrams that arrived after a higher-numbered one. */
function lateArrivals(got: number[]): number {
  let max = -1;
  let late = 0;
  for (const n of got) {
    if (n < max) late++;
    max = Math.max(max, n);
  }
  return late;
}

describe('LossyUdpProxy', () => {
  it('drops, reorders and delays as counted; jitter alone never reorders; replies go back', async () => {
    const { got, proxy } = await through({ loss: 0.1, reorder: 0.05, reorderDepth: 2, jitterMs: 4, seed: 7 });
    const s = proxy.stats;
    assert.ok(s.dropped > 10 && s.dropped < 80, `dropped ${s.dropped}`);
    assert.ok(s.reordered > 3, `reordered ${s.reordered}`);
    assert.ok(s.delayed > 100, `delayed ${s.delayed}`);
    assert.equal(got.length, s.forwarded);
    assert.equal(lateArrivals(got), s.reordered, 'every late arrival is one the proxy counted as reordered');
    assert.equal(new Set(got).size, got.length, 'no duplicates');
    assert.equal(s.returned, 1);
  });

  it('replays the same pattern from the same seed', async () => {
    const a = await through({ loss: 0.2, reorder: 0.1, seed: 99 });
    const b = await through({ loss: 0.2, reorder: 0.1, seed: 99 });
    assert.deepEqual(a.got, b.got);
    const c = await through({ loss: 0.2, reorder: 0.1, seed: 100 });
    assert.notDeepEqual(a.got, c.got);
  });

  it('passes everything in order while inactive', async () => {
    const { got, proxy } = await through({ loss: 0.5, reorder: 0.5, jitterMs: 10, active: () => false });
    assert.deepEqual(got, Array.from({ length: COUNT }, (_, i) => i));
    assert.equal(proxy.stats.dropped + proxy.stats.reordered + proxy.stats.delayed, 0);
  });
});
