/**
 * RtmpServer on loopback with a bare Stream: publishing, refusals, and hostile peers (bad chunks,
 * huge messages, too many chunk streams, silence, malformed video) that must close one connection
 * or drop one message, never throw out of the socket handler or stop the server.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import net from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import type { VideoUnit } from '../../codecs/access-unit.js';
import { messagesFromUnits } from '../../codecs/flv/flv.testkit.js';
import { encodeClipUnits } from '../../codecs/mp4/mp4.testkit.js';
import { setLogLevel } from '../log.js';
import { Stream } from '../stream/stream.js';
import { waitFor } from '../testing/wait.js';
import { MAX_AUDIO_CODEC_NAMES, RtmpServer } from './server.js';
import { TagPublisher } from './testdata/publisher.js';

setLogLevel('error');

const require = createRequire(import.meta.url);
const AMF = require('node-media-server/src/protocol/amf.js') as { encodeAmf0Cmd(o: object): Buffer };

const KEY = 'unit-test-key-1';

/** A raw client past the (simple) handshake: C0+C1, then C2 once S0+S1+S2 arrived. */
async function handshaken(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(Buffer.concat([Buffer.from([3]), Buffer.alloc(1536)]));
  let got = 0;
  await new Promise<void>((resolve) => {
    const onData = (d: Buffer) => {
      got += d.length;
      if (got >= 1 + 2 * 1536) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
  });
  socket.write(Buffer.alloc(1536));
  return socket;
}

/** One type-0 chunk (RTMP spec §5.3.1): basic header, 11-byte message header, payload. */
function chunk(cid: number, type: number, payload: Buffer, length = payload.length): Buffer {
  const h = Buffer.alloc(12);
  h[0] = cid;
  h.writeUIntBE(0, 1, 3);
  h.writeUIntBE(length, 4, 3);
  h[7] = type;
  return Buffer.concat([h, payload]);
}

const closed = (s: net.Socket) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));

describe('RtmpServer', { timeout: 60_000 }, () => {
  let server: RtmpServer;
  let stream: Stream;
  let url = '';
  let port = 0;
  const units: VideoUnit[] = [];
  let publishes = 0;
  const open: TagPublisher[] = [];
  const clip = encodeClipUnits({ codec: 'H264', seconds: 1, gop: 25 });

  before(async () => {
    stream = new Stream('cam');
    stream.addReader({ name: 'test', write: (u) => void (u.kind === 'video' && units.push(u)) }, { gop: false });
    server = new RtmpServer({ host: '127.0.0.1', port: 0, idleTimeoutMs: 400 }, (id) =>
      id === 'cam' ? { stream, key: KEY, onPublish: () => publishes++ } : undefined);
    port = await server.listen();
    url = `rtmp://127.0.0.1:${port}/live`;
  });

  afterEach(() => {
    for (const p of open.splice(0)) p.close();
  });

  after(async () => {
    await server.close();
    stream.close();
  });

  it('publishes into the stream: tracks at the first keyframe, units after, offline on leave', async () => {
    const p = await TagPublisher.publish(url, `cam?key=${KEY}`);
    open.push(p);
    const msgs = messagesFromUnits(clip);
    for (const m of msgs) p.send(m.dtsMs, m.body);
    await waitFor('25 units', 5000, () => (units.length >= 25 ? true : undefined));
    assert.equal(stream.state, 'online');
    assert.equal(stream.tracks[0]?.codec, 'H264');
    assert.equal(units[0]!.keyframe, true);
    assert.equal(publishes, 1);
    assert.equal(server.stats.publishing, 1);
    p.close();
    await waitFor('offline', 5000, () => (stream.state === 'offline' ? true : undefined));
    assert.equal(server.stats.publishing, 0);
  });

  it('malformed video messages are dropped and counted; the publisher stays connected', async () => {
    const p = await TagPublisher.publish(url, `cam?key=${KEY}`);
    open.push(p);
    const msgs = messagesFromUnits(clip);
    const before = units.length;
    const malformedBefore = server.stats.video.malformed;
    p.send(0, msgs[0]!.body.subarray(0, 9)); // a cut avcC
    p.send(0, Uint8Array.from([0x17, 1])); // a cut header
    p.send(0, msgs[0]!.body);
    p.send(0, msgs[1]!.body.subarray(0, 50)); // a NAL length running past the end
    p.send(40, msgs[1]!.body);
    await waitFor('the good keyframe', 5000, () => (units.length > before ? true : undefined));
    assert.equal(server.stats.video.malformed - malformedBefore, 3);
    assert.equal(server.stats.publishing, 1);
    assert.equal(units.length, before + 1);
  });

  it('refuses play requests and says why', async () => {
    await assert.rejects(TagPublisher.play(url, 'cam'), /accepts publishers only/);
    assert.equal(server.stats.refused.play, 1);
  });

  it('closes a peer that sends a message longer than 4 MiB, and one with too many chunk streams', async () => {
    const before = server.stats.protocolErrors;
    const huge = await handshaken(port);
    huge.write(chunk(3, 20, Buffer.alloc(16), 5 * 1024 * 1024));
    await closed(huge);
    const many = await handshaken(port);
    for (let cid = 4; cid < 45; cid++) many.write(chunk(cid, 99, Buffer.alloc(4)));
    await closed(many);
    assert.equal(server.stats.protocolErrors - before, 2);
  });

  it('closes a peer that sets a chunk size of 0', async () => {
    const before = server.stats.protocolErrors;
    const s = await handshaken(port);
    s.write(chunk(2, 1, Buffer.alloc(4)));
    await closed(s);
    assert.equal(server.stats.protocolErrors - before, 1);
  });

  it('closes a peer whose connect command breaks rtmp.js (no tcUrl), and keeps serving', async () => {
    const before = server.stats.protocolErrors;
    const s = await handshaken(port);
    s.write(chunk(3, 20, AMF.encodeAmf0Cmd({ cmd: 'connect', transId: 1, cmdObj: { app: 'live' } })));
    await closed(s);
    assert.equal(server.stats.protocolErrors - before, 1);
    const p = await TagPublisher.publish(url, `cam?key=${KEY}`);
    open.push(p);
    assert.equal(server.stats.publishing, 1);
  });

  it('acknowledges received bytes after each window the peer set (RTMP §5.4.3)', async () => {
    const s = await handshaken(port);
    const replies: Buffer[] = [];
    s.on('data', (d: Buffer) => replies.push(d));
    const win = Buffer.alloc(4);
    win.writeUInt32BE(1000);
    s.write(chunk(2, 5, win)); // Window Acknowledgement Size 1000
    for (let i = 0; i < 12; i++) s.write(chunk(4, 99, Buffer.alloc(100)));
    const ack = Buffer.from('0200000000000403', 'hex'); // basic + message header of an Acknowledgement
    const at = await waitFor('an Acknowledgement', 5000, () => {
      const i = Buffer.concat(replies).indexOf(ack);
      return i >= 0 ? i : undefined;
    });
    const total = 1537 + 1536 + 16 + 12 * 112; // C0+C1, C2, the window message, 12 messages of 112 bytes
    assert.ok(Buffer.concat(replies).readUInt32BE(at + 12) <= total);
    assert.ok(Buffer.concat(replies).readUInt32BE(at + 12) >= 1000);
    s.destroy();
  });

  it('loads only node-media-server\'s protocol modules: no store, context or other servers', () => {
    const loaded = Object.keys(require.cache).filter((p) => p.includes('node-media-server')).map((p) => p.replace(/.*node-media-server\//, ''));
    assert.ok(loaded.includes('src/protocol/rtmp.js'));
    assert.deepEqual(loaded.filter((p) => /src\/(store|server|core\/context|index)/.test(p)), []);
  });

  it('closes a connection that stays silent past the idle timeout', async () => {
    const before = server.stats.timedOut;
    const s = net.connect(port, '127.0.0.1');
    await closed(s);
    assert.equal(server.stats.timedOut - before, 1);
  });

  it('counts dropped audio under a bounded set of codec names (enhanced-RTMP FourCCs are the publisher\'s choice)', () => {
    for (let i = 0; i < 5000; i++) server.audioDropped(`f${i.toString(36).padStart(3, '0')}`);
    server.audioDropped('f000');
    const dropped = server.stats.audioDropped;
    assert.ok(Object.keys(dropped).length <= MAX_AUDIO_CODEC_NAMES + 1, `${Object.keys(dropped).length} codec names`);
    assert.equal(Object.values(dropped).reduce((a, b) => a + b, 0) >= 5001, true);
    assert.equal(dropped.f000, 2);
  });

  it('close() ends the publisher and takes the camera offline', async () => {
    const p = await TagPublisher.publish(url, `cam?key=${KEY}`);
    open.push(p);
    const [seq, key] = messagesFromUnits(clip);
    p.send(0, seq!.body);
    p.send(0, key!.body);
    await waitFor('online', 5000, () => (stream.state === 'online' ? true : undefined));
    await server.close();
    assert.equal(stream.state, 'offline');
    assert.equal(server.stats.connections, 0);
  });
});
