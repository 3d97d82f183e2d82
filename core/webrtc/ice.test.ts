/**
 * ICE must not talk to anything the config does not name: werift 0.24.4 falls back to
 * stun.l.google.com even with `iceServers: []` (ice Connection's constructor). These tests spy on
 * every UDP datagram (dgram's and the native send path's sendmmsg) and DNS lookup the process
 * makes during a full WHEP gather + connect + media flow, and block (rather than forward) anything not addressed to loopback, so a regression fails
 * without leaking a packet.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import dns from 'node:dns';
import { after, before, describe, it } from 'node:test';
import { RTCPeerConnection } from 'werift';
import { setLogLevel } from '../log.js';
import { Stream } from '../stream/index.js';
import { nativeSrtp } from './native.js';
import { configuredStunServer, guardPeerConnection, iceConfig, resolveHostAddresses, stripMdnsCandidates, stunServersOf } from './ice.js';
import { feedLoop, testVideoUnits, videoTrack } from './testdata/h264-units.js';
import { TestWhepClient } from './testdata/whep-client.js';
import { WhepService } from './whep.js';

setLogLevel('warn');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Every datagram destination and DNS lookup while installed; non-loopback sends are dropped. */
class NetworkSpy {
  readonly sends: string[] = [];
  readonly blocked: string[] = [];
  readonly lookups: string[] = [];
  #restore: Array<() => void> = [];

  install(): void {
    const proto = dgram.Socket.prototype as unknown as { send: (...args: unknown[]) => void };
    const send = proto.send;
    const spy = this;
    proto.send = function (this: dgram.Socket, ...args: unknown[]) {
      // send(msg, port, address, cb) or send(msg, offset, length, port, address, cb)
      const long = typeof args[1] === 'number' && typeof args[2] === 'number' && args.length >= 5;
      const port = (long ? args[3] : args[1]) as number;
      const address = String(long ? args[4] : args[2]);
      spy.sends.push(`${address}:${port}`);
      if (address !== '127.0.0.1') {
        spy.blocked.push(`${address}:${port}`);
        return;
      }
      return send.apply(this, args);
    };
    // The relay's native send path (fast-send.ts) writes media with sendmmsg, beside dgram.
    const native = nativeSrtp;
    if (native) {
      const sendBatch = native.sendBatch;
      native.sendBatch = (fd, host, port, slab, lengths, count) => {
        for (let i = 0; i < count; i++) spy.sends.push(`${host}:${port}`);
        if (host !== '127.0.0.1') {
          spy.blocked.push(`${host}:${port}`);
          return count;
        }
        return sendBatch(fd, host, port, slab, lengths, count);
      };
      this.#restore.push(() => (native.sendBatch = sendBatch));
    }
    // Names other than loopback are recorded and refused, never resolved (no query leaves the machine).
    const refused = (host: string): NodeJS.ErrnoException =>
      Object.assign(new Error(`blocked lookup of ${host}`), { code: 'ENOTFOUND' });
    const lookup = dns.lookup;
    (dns as { lookup: unknown }).lookup = (host: string, ...rest: unknown[]) => {
      spy.lookups.push(host);
      if (host !== '127.0.0.1') {
        const cb = rest.at(-1) as (err: Error) => void;
        process.nextTick(() => cb(refused(host)));
        return;
      }
      return (lookup as (...a: unknown[]) => void)(host, ...rest);
    };
    const plookup = dns.promises.lookup;
    (dns.promises as { lookup: unknown }).lookup = (host: string, ...rest: unknown[]) => {
      spy.lookups.push(host);
      if (host !== '127.0.0.1') return Promise.reject(refused(host));
      return (plookup as (...a: unknown[]) => Promise<unknown>)(host, ...rest);
    };
    this.#restore.push(() => {
      proto.send = send;
      (dns as { lookup: unknown }).lookup = lookup;
      (dns.promises as { lookup: unknown }).lookup = plookup;
    });
  }

  uninstall(): void {
    for (const r of this.#restore) r();
    this.#restore = [];
  }
}

describe('ice config', () => {
  it('offers the configured host addresses only, with interface discovery off', () => {
    const c = iceConfig({ hostAddresses: ['127.0.0.1'], portRange: [40000, 40100], iceServers: [] });
    assert.deepEqual(c.iceAdditionalHostAddresses, ['127.0.0.1']);
    assert.equal(c.iceUseIpv4, false);
    assert.equal(c.iceUseIpv6, false);
    assert.deepEqual(c.iceInterfaceAddresses, { udp4: '127.0.0.1' });
    assert.deepEqual(c.icePortRange, [40000, 40100]);
    assert.deepEqual(c.iceServers, []);
  });

  it('reads the STUN server out of the configured iceServers', () => {
    assert.equal(configuredStunServer([]), undefined);
    assert.deepEqual(configuredStunServer([{ urls: 'stun:stun.example.org:3479' }]), ['stun.example.org', 3479]);
    assert.deepEqual(configuredStunServer([{ urls: ['turn:t.example.org', 'stun:10.0.0.1'] }]), ['10.0.0.1', 3478]);
  });

  it('drops mDNS candidates from an offer and keeps the rest', () => {
    const sdp = [
      'a=candidate:1 1 udp 2122260223 4b1c5d0a-1d2e-4f3a-9b8c-7d6e5f4a3b2c.local 54321 typ host generation 0',
      'a=candidate:2 1 udp 2122260223 192.168.1.20 54322 typ host generation 0',
    ].join('\r\n');
    assert.equal(stripMdnsCandidates(sdp), 'a=candidate:2 1 udp 2122260223 192.168.1.20 54322 typ host generation 0');
  });
});

describe('no implicit STUN', () => {
  const spy = new NetworkSpy();
  let stream: Stream;
  let service: WhepService;
  let feeder: ReturnType<typeof feedLoop> | undefined;
  let stunServer: dgram.Socket | undefined;
  const clients: TestWhepClient[] = [];

  before(() => {
    spy.install();
    const units = testVideoUnits(25, 'baseline');
    stream = new Stream('cam');
    stream.setTracks([videoTrack(units)]);
    feeder = feedLoop(stream, units);
  });

  after(async () => {
    feeder?.stop();
    service?.close();
    await Promise.all(clients.map((c) => c.close()));
    stream.close();
    stunServer?.close();
    spy.uninstall();
  });

  it('werift, unguarded, would query stun.l.google.com even with iceServers: [] (why the guard exists)', async () => {
    const pc = new RTCPeerConnection({ iceServers: [] });
    pc.addTransceiver('video', { direction: 'recvonly' });
    assert.deepEqual(stunServersOf(pc), [['stun.l.google.com', 19302]]);
    guardPeerConnection(pc, []);
    assert.deepEqual(stunServersOf(pc), [undefined]);
    await pc.close();
  });

  it('sends nothing but loopback datagrams and looks up no name during gather, connect and media', async () => {
    service = new WhepService({ hostAddresses: ['127.0.0.1'], iceServers: [] }, { get: () => stream });
    const client = new TestWhepClient();
    clients.push(client);
    const { id, answerSdp } = await service.createSession('cam', await client.offer());
    await client.accept(answerSdp);
    const session = service.sessions.get(id)!;
    const end = performance.now() + 3000;
    while (client.packets.length < 20 && performance.now() < end) await sleep(20);
    assert.ok(client.packets.length >= 20, 'media flowed');
    assert.ok(spy.sends.length > 20, 'the spy saw the traffic');
    assert.deepEqual(spy.blocked, []);
    // dgram resolves even literal IPs through dns.lookup (no network); any name would show here.
    assert.deepEqual(spy.lookups.filter((h) => h !== '127.0.0.1'), []);
    assert.ok(spy.sends.every((d) => d.startsWith('127.0.0.1:')));
    assert.deepEqual(stunServersOf(session.pc), [undefined]);
    assert.deepEqual(stunServersOf(client.pc), [undefined]);
  });

  it('uses exactly the configured STUN server when there is one', async () => {
    const received: string[] = [];
    stunServer = dgram.createSocket('udp4');
    stunServer.on('message', (_m, rinfo) => received.push(`${rinfo.address}:${rinfo.port}`));
    await new Promise<void>((r) => stunServer!.bind(0, '127.0.0.1', r));
    const port = stunServer.address().port;
    const sendsBefore = spy.sends.length;
    const svc = new WhepService({ hostAddresses: ['127.0.0.1'], iceServers: [{ urls: `stun:127.0.0.1:${port}` }] }, { get: () => stream });
    const client = new TestWhepClient();
    clients.push(client);
    const { id } = await svc.createSession('cam', await client.offer());
    assert.deepEqual(stunServersOf(svc.sessions.get(id)!.pc), [['127.0.0.1', port]]);
    assert.ok(received.length > 0, 'the configured STUN server was queried');
    assert.ok(spy.sends.slice(sendsBefore).includes(`127.0.0.1:${port}`));
    assert.deepEqual(spy.blocked, []);
    svc.close();
  });
});

describe('resolveHostAddresses', () => {
  const ifaces = {
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
    eth0: [
      { address: '192.168.7.20', family: 'IPv4', internal: false },
      { address: 'fe80::1', family: 'IPv6', internal: false },
    ],
  } as unknown as ReturnType<typeof import('node:os').networkInterfaces>;

  it('uses the configured addresses as they are', () => {
    assert.deepEqual(resolveHostAddresses(['10.1.2.3'], ifaces), ['10.1.2.3']);
  });

  it('falls back to every external IPv4 address plus loopback when none is configured', () => {
    // Guards the demo config (hostAddresses: []): without this, no host candidate at all.
    assert.deepEqual(resolveHostAddresses([], ifaces), ['192.168.7.20', '127.0.0.1']);
  });
});
