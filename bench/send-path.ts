/**
 * What one relayed RTP packet costs per viewer, piece by piece, on this CPU (issue 7's groundwork):
 * the building blocks of a send path beside werift's, against werift's own `encryptRtp`.
 *
 *   node --import tsx bench/send-path.ts [--packets 20000] [--json]
 *
 * For a 1200-byte H.264 payload, µs of CPU per packet:
 *   - werift's SRTP encryption as its sender calls it (a fresh header serialized, cipher created,
 *     output concatenated), AES-CM + HMAC-SHA1-80 and AES-128-GCM;
 *   - the same ciphers from node:crypto with a header rewritten in place in a preallocated buffer
 *     (SSRC, sequence number, timestamp: no parse, no object per packet beyond the cipher);
 *   - the UDP send: one dgram.send per packet to a loopback socket, its completion awaited (the
 *     process CPU includes the receiving socket's, on loopback);
 *   - the sum for a viewer: header rewrite + AES-GCM + send.
 * The relay's goal is to beat Janus's ~32 µs per packet per viewer (werift's whole path: ~46).
 */
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { parseArgs } from 'node:util';
import { RtpHeader, RtpPacket } from 'werift';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// werift's SRTP session (not exported from its index): the class its RTCDtlsTransport encrypts with.
const requireCjs = createRequire(import.meta.url);
const { SrtpSession } = requireCjs(join(dirname(requireCjs.resolve('werift')), '../../rtp/src/srtp/srtp.js')) as { SrtpSession: new (c: unknown) => { encrypt(payload: Buffer, header: RtpHeader): Buffer } };

const { values } = parseArgs({ options: { packets: { type: 'string', default: '20000' }, json: { type: 'boolean', default: false } } });
const N = Number(values.packets);
if (!(N >= 100)) throw new Error(`--packets must be ≥ 100, got ${values.packets}`);

const payload = randomBytes(1200);
const key = randomBytes(16);
const salt12 = randomBytes(12);
const salt14 = randomBytes(14);
const authKey = randomBytes(20);

/** µs of process CPU per iteration of `fn`, the best of 3 runs of N iterations. */
function time(fn: (i: number) => void): number {
  for (let i = 0; i < 500; i++) fn(i);
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < N; i++) fn(i);
    const d = process.cpuUsage(t0);
    best = Math.min(best, (d.user + d.system) / N);
  }
  return best;
}

const rows: { what: string; us: number }[] = [];
const row = (what: string, us: number) => rows.push({ what, us: Math.round(us * 100) / 100 });

// werift's SRTP sessions, keyed as a DTLS handshake would leave them.
for (const [name, profile, keys] of [
  ['AES_CM_128_HMAC_SHA1_80', 0x0001, { localMasterKey: key, localMasterSalt: salt14, remoteMasterKey: key, remoteMasterSalt: salt14 }],
  ['AEAD_AES_128_GCM', 0x0007, { localMasterKey: key, localMasterSalt: salt12, remoteMasterKey: key, remoteMasterSalt: salt12 }],
] as const) {
  const session = new SrtpSession({ profile, keys } as never);
  const header = new RtpHeader({ payloadType: 96, ssrc: 1234, sequenceNumber: 0, timestamp: 0, marker: false });
  row(`werift encrypt (${name}): serialize header, encrypt, concat`, time((i) => {
    header.sequenceNumber = i & 0xffff;
    header.timestamp = i * 3000;
    session.encrypt(payload, header);
  }));
}

// The same ciphers from node:crypto, the header rewritten in place.
const packet = Buffer.alloc(12 + 1200 + 16);
packet[0] = 0x80;
packet[1] = 96;
payload.copy(packet, 12);
const iv = Buffer.alloc(12);
const rewrite = (i: number) => {
  packet.writeUInt16BE(i & 0xffff, 2);
  packet.writeUInt32BE((i * 3000) >>> 0, 4);
  packet.writeUInt32BE(1234, 8);
};
row('header rewrite in place (SSRC, seq, timestamp)', time(rewrite));
row('AES-128-GCM, node:crypto, in place', time((i) => {
  rewrite(i);
  salt12.copy(iv);
  iv.writeUInt32BE((iv.readUInt32BE(2) ^ 1234) >>> 0, 2);
  iv.writeUInt16BE(iv.readUInt16BE(10) ^ (i & 0xffff), 10);
  const c = createCipheriv('aes-128-gcm', key, iv);
  c.setAAD(packet.subarray(0, 12));
  c.update(packet.subarray(12, 12 + 1200));
  c.final();
  c.getAuthTag();
}));
const ctrIv = Buffer.alloc(16);
row('AES-128-CM + HMAC-SHA1-80, node:crypto', time((i) => {
  rewrite(i);
  salt14.copy(ctrIv);
  const c = createCipheriv('aes-128-ctr', key, ctrIv);
  c.update(packet.subarray(12, 12 + 1200));
  c.final();
  const h = createHmac('sha1', authKey);
  h.update(packet.subarray(0, 12 + 1200));
  h.digest();
}));

// UDP sends to a loopback socket that drains them.
const sink = createSocket('udp4');
sink.on('message', () => {});
await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
const port = sink.address().port;
const out = createSocket('udp4');
await new Promise<void>((r) => out.bind(0, '127.0.0.1', r));
out.connect(port, '127.0.0.1');
await new Promise<void>((r) => out.once('connect', r));
const wire = packet.subarray(0, 12 + 1200 + 16);
/** µs of process CPU per datagram, the sends' completions awaited (libuv writes them after the call returns). */
async function timeSends(batch: number): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const t0 = process.cpuUsage();
    for (let sent = 0; sent < N; sent += batch) {
      await new Promise<void>((resolve) => {
        let left = batch;
        for (let k = 0; k < batch; k++) out.send(wire, () => --left === 0 && resolve());
      });
    }
    const d = process.cpuUsage(t0);
    best = Math.min(best, (d.user + d.system) / N);
  }
  return best;
}
await timeSends(50);
const sendUs = await timeSends(50);
row('dgram.send, one datagram each, 50 awaited at a time (connected socket)', sendUs);
row('dgram.send, 1 awaited at a time', await timeSends(1));
await new Promise((r) => setTimeout(r, 200));
const gcm = rows.find((r) => r.what.startsWith('AES-128-GCM'))!.us;
row('per viewer: rewrite + AES-GCM + send (sum of the two rows above)', gcm + sendUs);
out.close();
sink.close();

// An RtpPacket round trip, what werift's sender also does per packet.
row('werift RtpPacket serialize (header + payload)', time((i) => {
  new RtpPacket(new RtpHeader({ payloadType: 96, ssrc: 1234, sequenceNumber: i & 0xffff, timestamp: i * 3000 }), payload).serialize();
}));

if (values.json) console.log(JSON.stringify({ packets: N, payloadBytes: 1200, rows }));
else {
  console.log(`send path building blocks, µs of CPU per 1200-byte packet (best of 3 × ${N}):`);
  for (const r of rows) console.log(`  ${r.what.padEnd(66)} ${r.us.toFixed(2).padStart(8)}`);
}
