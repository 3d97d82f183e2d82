/**
 * RtmpConnection driven synchronously through a FakeSocket: limits that must hold within a single
 * socket read (a read can carry thousands of chunks), which a loopback test cannot pin down.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setLogLevel } from '../log.js';
import { MAX_CHUNK_STREAMS, MAX_COMMAND_BYTES, RtmpConnection, type RtmpConnectionContext } from './connection.js';
import { FakeSocket } from './testdata/fake-socket.js';
import { chunkStream, command, publishCommands } from '../../fuzz/targets/rtmp.js';
import { Stream } from '../stream/stream.js';

setLogLevel('error');

function connection(): { socket: FakeSocket; conn: RtmpConnection; errors: string[] } {
  const errors: string[] = [];
  const ctx: RtmpConnectionContext = {
    publish: () => ({ code: 'NetStream.Publish.Rejected', reason: 'test' }),
    unpublish() {},
    refusedPlay() {},
    protocolError: (_conn, message) => void errors.push(message),
    audioDropped() {},
  };
  const socket = new FakeSocket();
  const conn = new RtmpConnection(socket.socket, ctx);
  socket.feed(Buffer.alloc(1 + 2 * 1536)); // C0, C1, C2 (simple handshake)
  return { socket, conn, errors };
}

describe('RtmpConnection', () => {
  it('closes a peer that opens more than 32 chunk streams in one read before allocating their buffers', () => {
    const { socket, conn, errors } = connection();
    const size = 60 * 1024; // under MAX_COMMAND_BYTES, so the chunk stream cap is what stops it
    // Set Chunk Size 1, then 64 chunk streams (2-byte basic headers), each a type-0 chunk starting a 60 KiB video message.
    const parts = [Buffer.from('02000000000004010000000000000001', 'hex')];
    for (let i = 0; i < 64; i++) parts.push(Buffer.from([0, i, 0, 0, 0, (size >> 16) & 0xff, (size >> 8) & 0xff, size & 0xff, 9, 1, 0, 0, 0, 0x17]));
    socket.feed(Buffer.concat(parts)); // ~1 KB in one read; before the fix rtmp.js allocated a buffer for each
    let buffers = 0;
    let bytes = 0;
    for (const p of conn.inPackets.values()) {
      if (p.payload.length > 0) buffers++;
      bytes += p.payload.length;
    }
    assert.ok(buffers <= MAX_CHUNK_STREAMS, `${buffers} chunk streams hold a buffer`);
    assert.ok(bytes <= MAX_CHUNK_STREAMS * (size + 1024), `${bytes} bytes held`);
    assert.deepEqual(errors, [`more than ${MAX_CHUNK_STREAMS} chunk streams`]);
    assert.equal(socket.destroyed, true);
  });

  it('refuses a message larger than a command before a publish is accepted', () => {
    const { socket, conn, errors } = connection();
    const MiB = 1024 * 1024;
    socket.feed(Buffer.from([6, 0, 0, 0, (MiB >> 16) & 0xff, 0, 0, 9, 1, 0, 0, 0, 0x17])); // a 1 MiB video message, unannounced
    assert.equal([...conn.inPackets.values()].reduce((n, p) => n + p.payload.length, 0), 0, 'nothing allocated');
    assert.deepEqual(errors, [`message of ${MiB} bytes (most ${MAX_COMMAND_BYTES} before a publish is accepted)`]);
    assert.equal(socket.destroyed, true);
  });

  // Found by fuzz/targets/rtmp.ts (input 60640 of seed 1): a refused publish closed the connection, rtmp.js went on
  // parsing the same read, and a second publish in it was accepted on the closed connection: the camera stayed busy.
  it('accepts no publish after a refusal closed the connection within the same read', () => {
    const decided: string[] = [];
    const stream = new Stream('cam');
    const ctx: RtmpConnectionContext = {
      publish: (_conn, req) => {
        decided.push(req.key ?? '');
        return req.key === 'good' ? stream : { code: 'NetStream.Publish.BadName', reason: 'wrong key' };
      },
      unpublish() {},
      refusedPlay() {},
      protocolError() {},
      audioDropped() {},
    };
    const socket = new FakeSocket();
    const conn = new RtmpConnection(socket.socket, ctx);
    socket.feed(Buffer.alloc(1 + 2 * 1536));
    socket.feed(chunkStream([...publishCommands('live', 'cam?key=bad'), command({ cmd: 'publish', transId: 6, cmdObj: null, streamName: 'cam?key=good', type: 'live' }, 1)]));
    assert.deepEqual(decided, ['bad'], 'the publish after the refusal is never decided');
    assert.equal(conn.cameraId, undefined);
    stream.close();
  });
});
