/**
 * What an RTMP publisher sends the ingest (core/rtmp/connection.ts: node-media-server's rtmp.js
 * protocol engine with our hooks): handshake C0/C1/C2, chunks with every header type (0-3, 1- to
 * 3-byte basic headers, extended timestamps), Set Chunk Size, Window Acknowledgement Size, AMF0
 * commands (connect, releaseStream, FCPublish, createStream, publish `cam?key=…`, deleteStream),
 * @setDataFrame/onMetaData, H.264/H.265 video and G.711/AAC audio. One fresh RtmpConnection per
 * input on a FakeSocket (synchronous 'data' events, like a socket read), the bytes cut into random
 * reads; the decisions come from a real (never listening) RtmpServer and the media goes into a
 * real Stream, both long-lived across inputs.
 *
 *   valid handshake (simple or digest) ┐
 *   (sometimes mutated)                ├─ concat ─ cut at random points ─▶ socket 'data' × n ─▶ hang up
 *   mutated publish session ───────────┘                                     (then the 1 s close timer)
 *
 * Seeds: publish sessions built message by message from the FLV tags of fuzz/targets/flv.ts (the
 * H.264/H.265 recordings), chunked the way rtmp.js and ffmpeg do (chunk size 128 or 4096, header
 * types chosen per chunk stream), plus refusals (bad key, bad app, play) and a peer opening 40
 * chunk streams. `RTMP_SESSIONS.h264` and `.h265Extended` replayed unmutated publish and deliver units (fuzz.test.ts).
 *
 * A crash: an exception out of the 'data' handler (the connection must turn every error into a
 * counted protocol error and close), a broken invariant, a slow input or a growing heap (harness).
 * Invariants: a media message never throws (it is dropped and counted, not a reason to close the
 * publisher); no chunk stream holds more than MAX_MESSAGE_BYTES + 1024 bytes (rtmp.js's slack),
 * at most MAX_CHUNK_STREAMS of them hold a buffer, and an open connection has no more than
 * MAX_CHUNK_STREAMS chunk streams; every unit pushed into the stream is well formed; after the
 * peer hung up, the camera has no publisher and is offline; the dropped-audio counters keep a
 * bounded set of codec names.
 *
 * The connection path is synchronous; its only deferred work is the 1 s destroy timer of a
 * graceful close (after a refused publish or play). setTimeout and setImmediate are captured during
 * an input and their callbacks run at the end of it, as if the time had passed (an exception there
 * is a crash too): fast-check's loop never yields, so real timers would keep every refused
 * connection (and its buffers) alive until the run ended. A promise rejected on the way would
 * surface after the run: node:test fails the file, run.ts exits on it.
 */
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import type { Unit } from '../../codecs/access-unit.js';
import { setLogLevel } from '../../core/log.js';
import { MAX_CHUNK_STREAMS, MAX_MESSAGE_BYTES, RtmpConnection, type RtmpConnectionContext } from '../../core/rtmp/connection.js';
import { MAX_AUDIO_CODEC_NAMES, RtmpServer } from '../../core/rtmp/server.js';
import { FakeSocket } from '../../core/rtmp/testdata/fake-socket.js';
import { Stream } from '../../core/stream/stream.js';
import { invariant, type FuzzTarget } from '../harness.js';
import { chunksOf, mutate, mutatedBytes, mutationOps, splitPoints, type Op } from '../mutate.js';
import { checkUnits, tagsOf } from './flv.js';

const require = createRequire(import.meta.url);
const AMF = require('node-media-server/src/protocol/amf.js') as { encodeAmf0Cmd(o: object): Buffer; amf0EncodeOne(v: unknown): Buffer };

export const RTMP_KEY = 'fuzz-key-1';
const CAMERA = 'cam';

// ---------------------------------------------------------------- handshake

const HS = 1536;
/** C0 + C1 + C2 of the simple handshake (C1 zeros at 4..7, as ffmpeg sends it). */
function simpleHandshake(): Buffer {
  const c1 = Buffer.alloc(HS);
  for (let i = 8; i < HS; i++) c1[i] = (i * 31 + 7) & 0xff;
  return Buffer.concat([Buffer.from([3]), c1, Buffer.from(c1)]);
}

/** C0 + C1 + C2 of the digest ("complex") handshake of Flash Player: C1 carries an HMAC at the offset its bytes 8..11 name. */
function digestHandshake(): Buffer {
  const c1 = Buffer.alloc(HS);
  c1.writeUInt32BE(0, 0);
  c1.set([0x80, 0x00, 0x07, 0x02], 4); // a Flash Player version: digest handshake
  for (let i = 8; i < HS; i++) c1[i] = (i * 17 + 3) & 0xff;
  const offset = ((c1[8]! + c1[9]! + c1[10]! + c1[11]!) % 728) + 12;
  const msg = Buffer.concat([c1.subarray(0, offset), c1.subarray(offset + 32)]);
  createHmac('sha256', 'Genuine Adobe Flash Player 001').update(msg).digest().copy(c1, offset);
  return Buffer.concat([Buffer.from([3]), c1, Buffer.alloc(HS, 0x5a)]);
}

const HANDSHAKES: readonly Uint8Array[] = [new Uint8Array(simpleHandshake()), new Uint8Array(digestHandshake())];

// ---------------------------------------------------------------- chunking (RTMP spec §5.3)

/** One RTMP message to chunk. */
interface Msg {
  cid: number;
  type: number;
  /** Absolute timestamp (ms). */
  ts: number;
  streamId: number;
  body: Uint8Array;
}

function basicHeader(fmt: number, cid: number): number[] {
  if (cid >= 320) return [(fmt << 6) | 1, (cid - 64) & 0xff, ((cid - 64) >> 8) & 0xff];
  if (cid >= 64) return [fmt << 6, cid - 64];
  return [(fmt << 6) | cid];
}

/**
 * The byte stream of `msgs`: per chunk stream, type 0 for the first message or a new stream id or
 * a timestamp going back, type 1 when length or type changes, type 2 when only the delta does,
 * type 3 otherwise and for every continuation chunk; extended timestamps from 0xffffff on.
 * A Set Chunk Size message (type 1) changes the size used for the chunks after it.
 */
export function chunkStream(msgs: readonly Msg[], chunkSize = 128): Buffer {
  const out: number[] = [];
  const last = new Map<number, { ts: number; field: number; len: number; type: number; streamId: number }>();
  for (const m of msgs) {
    const prev = last.get(m.cid);
    let fmt: number;
    let field: number;
    if (!prev || prev.streamId !== m.streamId || m.ts < prev.ts) {
      fmt = 0;
      field = m.ts;
    } else {
      field = m.ts - prev.ts;
      fmt = prev.len !== m.body.length || prev.type !== m.type ? 1 : field !== prev.field ? 2 : 3;
    }
    const ext = field >= 0xffffff;
    const f24 = ext ? 0xffffff : field;
    out.push(...basicHeader(fmt, m.cid));
    if (fmt <= 2) out.push((f24 >> 16) & 0xff, (f24 >> 8) & 0xff, f24 & 0xff);
    if (fmt <= 1) out.push((m.body.length >> 16) & 0xff, (m.body.length >> 8) & 0xff, m.body.length & 0xff, m.type);
    if (fmt === 0) out.push(m.streamId & 0xff, (m.streamId >> 8) & 0xff, (m.streamId >> 16) & 0xff, (m.streamId >>> 24) & 0xff);
    // rtmp.js keeps the 24-bit field per chunk stream: a type-3 chunk after an 0xffffff field carries the extended one too.
    const extBytes = [(field >>> 24) & 0xff, (field >> 16) & 0xff, (field >> 8) & 0xff, field & 0xff];
    const extended = fmt === 3 ? prev!.field >= 0xffffff : ext;
    if (extended) out.push(...extBytes);
    for (let o = 0; o < m.body.length; o += chunkSize) {
      if (o > 0) {
        out.push(...basicHeader(3, m.cid));
        if (extended) out.push(...extBytes);
      }
      for (let i = o; i < Math.min(m.body.length, o + chunkSize); i++) out.push(m.body[i]!);
    }
    last.set(m.cid, { ts: m.ts, field, len: m.body.length, type: m.type, streamId: m.streamId });
    if (m.type === 1 && m.cid === 2) chunkSize = Buffer.from(m.body).readUInt32BE(0);
  }
  return Buffer.from(out);
}

// ---------------------------------------------------------------- messages

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const control = (type: number, value: number): Msg => ({ cid: 2, type, ts: 0, streamId: 0, body: u32(value) });
export const command = (o: object, streamId = 0): Msg => ({ cid: 3, type: 20, ts: 0, streamId, body: AMF.encodeAmf0Cmd(o) });

/** @setDataFrame("onMetaData", ECMA array) as ffmpeg's FLV muxer writes it. */
function metadata(audiocodecid: number): Msg {
  const str = (s: string): Buffer => Buffer.concat([Buffer.from([(s.length >> 8) & 0xff, s.length & 0xff]), Buffer.from(s)]);
  const fields: Array<[string, unknown]> = [['duration', 0], ['width', 640], ['height', 360], ['videocodecid', 7], ['framerate', 25],
    ['audiocodecid', audiocodecid], ['audiosamplerate', 8000], ['stereo', false], ['encoder', 'Lavf59.27.100'], ['filesize', 0]];
  const body = Buffer.concat([
    AMF.amf0EncodeOne('@setDataFrame'), AMF.amf0EncodeOne('onMetaData'),
    Buffer.from([8]), u32(fields.length), ...fields.map(([k, v]) => Buffer.concat([str(k), AMF.amf0EncodeOne(v)])), Buffer.from([0, 0, 9]),
  ]);
  return { cid: 4, type: 18, ts: 0, streamId: 1, body };
}

/** connect … publish, the command sequence of ffmpeg and OBS. */
export function publishCommands(app: string, streamName: string): Msg[] {
  return [
    command({ cmd: 'connect', transId: 1, cmdObj: { app, type: 'nonprivate', flashVer: 'FMLE/3.0 (compatible; FMSc/1.0)', tcUrl: `rtmp://127.0.0.1:1935/${app}` } }),
    command({ cmd: 'releaseStream', transId: 2, cmdObj: null, streamName }),
    command({ cmd: 'FCPublish', transId: 3, cmdObj: null, streamName }),
    command({ cmd: 'createStream', transId: 4, cmdObj: null }),
    command({ cmd: 'publish', transId: 5, cmdObj: null, streamName, type: 'live' }, 1),
  ];
}

const endCommands = (): Msg[] => [
  command({ cmd: 'FCUnpublish', transId: 6, cmdObj: null, streamName: CAMERA }),
  command({ cmd: 'deleteStream', transId: 7, cmdObj: null, streamId: 1 }),
];

/** Video tags (sequence header first) at 25 fps from `t0`, interleaved with 20 ms G.711 A-law messages on their own chunk stream. */
function media(tags: readonly Uint8Array[], t0: number, withAudio: boolean): Msg[] {
  const out: Msg[] = [];
  tags.forEach((body, i) => {
    out.push({ cid: 6, type: 9, ts: t0 + Math.max(0, i - 1) * 40, streamId: 1, body });
    if (withAudio && i > 0) {
      for (let a = 0; a < 2; a++) out.push({ cid: 5, type: 8, ts: t0 + (i - 1) * 40 + a * 20, streamId: 1, body: Buffer.concat([Buffer.from([0x72]), Buffer.alloc(160, 0xd5)]) });
    }
  });
  return out;
}

const h264 = tagsOf('H264');
const h265 = tagsOf('H265');
const H264_TAGS = h264.slice(0, 5);
const H265_TAGS = h265.slice(0, 4);
const PUBLISH = `${CAMERA}?key=${RTMP_KEY}`;

/** Whole sessions after the handshake, by name. */
export const RTMP_SESSIONS = {
  /** OBS-like: chunk size 4096, window ack size, metadata, H.264 and G.711, deleteStream. */
  h264: chunkStream([control(1, 4096), control(5, 2_500_000), ...publishCommands('live', PUBLISH), metadata(7), ...media(H264_TAGS, 0, true), ...endCommands()]),
  /** rtmp.js-default chunk size 128: every message in many type-3 continuations. */
  h264Small: chunkStream([...publishCommands('live', PUBLISH), metadata(10), ...media(H264_TAGS.slice(0, 3), 1000, false), ...endCommands()]),
  /** Enhanced RTMP H.265 with timestamps crossing 0xffffff (extended timestamps), chunk size 1024. */
  h265Extended: chunkStream([control(1, 1024), ...publishCommands('live', PUBLISH), ...media(H265_TAGS, 0xffffff - 80, true), ...endCommands()]),
  /** Refused: wrong key, then media anyway. */
  badKey: chunkStream([...publishCommands('live', `${CAMERA}?key=wrong`), ...media(H264_TAGS.slice(0, 2), 0, false)]),
  /** Refused: unknown app and camera. */
  badApp: chunkStream([control(1, 60000), ...publishCommands('app/', 'other?key=x')]),
  /** Refused: play. */
  play: chunkStream([publishCommands('live', PUBLISH)[0]!, command({ cmd: 'createStream', transId: 2, cmdObj: null }), command({ cmd: 'play', transId: 3, cmdObj: null, streamName: CAMERA, start: -2000 }, 1)]),
  /** Chunk size 1, then 40 chunk streams (2- and 3-byte basic headers) each starting a 4000-byte message in one read. */
  manyStreams: Buffer.concat([
    chunkStream([control(1, 1)]),
    ...Array.from({ length: 40 }, (_, i) => {
      const cid = i < 20 ? 64 + i * 7 : 400 + i * 301;
      return Buffer.from([...basicHeader(0, cid), 0, 0, 0, 0, 0x0f, 0xa0, 9, 1, 0, 0, 0, 0x17]);
    }),
  ]),
};

const SESSIONS: readonly Uint8Array[] = Object.values(RTMP_SESSIONS).map((b) => new Uint8Array(b));

/** Byte strings worth inserting: chunk headers, control messages, AMF0 markers and names. */
const TOKENS = [
  '\x03\x00\x00\x00\x00\x00\x10\x14\x01\x00\x00\x00', // type 0 header, cid 3, AMF0 command of 16 bytes on stream 1
  '\x06\xff\xff\xff\x40\x00\x00\x09\x01\x00\x00\x00\x00\x00\x10\x00', // type 0, extended timestamp, 4 MiB video message
  '\x02\x00\x00\x00\x00\x00\x04\x01\x00\x00\x00\x00\x00\x00\x00\x01', // Set Chunk Size 1
  '\x02\x00\x00\x00\x00\x00\x04\x01\x00\x00\x00\x00\x7f\xff\xff\xff', // Set Chunk Size 2^31-1
  '\x02\x00\x00\x00\x00\x00\x00\x05\x00\x00\x00\x00', // empty Window Acknowledgement Size
  '\x46\x00\x00\x28\x00\x00\x20\x09', '\x86\x00\x00\x28', '\xc6', '\xc3', '\x00\x00', '\x01\xff\xff', '\xff\xff\xff',
  '\x02\x00\x07connect', '\x02\x00\x07publish', '\x02\x00\x0ccreateStream', '\x02\x00\x0cdeleteStream', '\x02\x00\x04play',
  '\x02\x00\x0d@setDataFrame', '\x02\x00\x0aonMetaData', '\x00\x05tcUrl\x02\x00\x05rtmp:', '\x00\x03app\x02\x00\x04live',
  '\x00\x00\x09', '\x03', '\x05', '\x06', '\x07\x00\x01', '\x08\xff\xff\xff\xff', '\x0a\xff\xff\xff\xff', '\x0a\x00\x00\x00\x02',
  '\x0b', '\x0c\x7f\xff\xff\xff', '\x0f\xff\xff', '\x10\x00\x01x', '\x00\x7f\xf8\x00\x00\x00\x00\x00\x00',
  'cam?key=', `cam?key=${RTMP_KEY}`, '?key=', '&key=', '%', '/',
];

// ---------------------------------------------------------------- the target

/** One input: the handshake, its mutation (rare), the session after it, the cut points of the reads. */
export interface RtmpInput {
  handshake: number;
  handshakeOps: Op[] | null;
  session: Uint8Array;
  cuts: number[];
}

/** Bytes held in message buffers by a connection's chunk streams, and how many hold one. */
function held(conn: RtmpConnection): { bytes: number; buffers: number; largest: number } {
  let bytes = 0;
  let buffers = 0;
  let largest = 0;
  for (const p of conn.inPackets.values()) {
    bytes += p.payload.length;
    if (p.payload.length > 0) buffers++;
    largest = Math.max(largest, p.payload.length);
  }
  return { bytes, buffers, largest };
}

/**
 * RtmpConnection noting an exception out of its media path (RtmpToStream, codecs/flv, Stream):
 * the connection would close on it like on a protocol error, but a malformed media message must
 * only be dropped and counted (core/rtmp/server.test.ts), so the target reports it as a crash.
 */
class ProbedConnection extends RtmpConnection {
  mediaError?: unknown;
  override dataHandler(): void {
    try {
      super.dataHandler();
    } catch (err) {
      this.mediaError ??= err;
      throw err;
    }
  }
}

/** The target, with what it saw (for the seed check in fuzz.test.ts and for debugging). */
export interface RtmpFuzzTarget extends FuzzTarget<RtmpInput> {
  /** The long-lived server deciding publishes (its stats count publishes, refusals, protocol errors). */
  server: RtmpServer;
  /** Units pushed into the camera's stream. */
  delivered: { video: number; audio: number; keyframes: number };
  /** Protocol error messages, digits folded, with their counts. */
  protocolErrors: Map<string, number>;
}

/** The ingest side of an RTMP connection, one fresh connection per input. */
export function rtmpTarget(): RtmpFuzzTarget {
  setLogLevel('error'); // every refused publish and protocol error logs a warning
  const stream = new Stream(CAMERA);
  const delivered = { video: 0, audio: 0, keyframes: 0 };
  const check = (u: Unit): void => {
    delivered[u.kind]++;
    if (u.kind === 'video' && u.keyframe) delivered.keyframes++;
    if (u.kind === 'video') checkUnits([u]);
    else invariant(Number.isFinite(u.pts) && u.payload.length > 0, `audio unit pts ${u.pts}, ${u.payload.length} bytes`);
  };
  // A Reader delivers on setImmediate, which never comes inside fast-check's loop: units are checked as pushed.
  const push = stream.push.bind(stream);
  stream.push = (u: Unit): void => {
    check(u);
    push(u);
  };
  const server = new RtmpServer({ host: '127.0.0.1', port: 0 }, (id) => (id === CAMERA ? { stream, key: RTMP_KEY, onPublish: () => {} } : undefined));
  const protocolErrors = new Map<string, number>();
  const ctx: RtmpConnectionContext = {
    publish: (c, r) => server.publish(c, r),
    unpublish: (c) => server.unpublish(c),
    refusedPlay: (c) => server.refusedPlay(c),
    audioDropped: (codec) => server.audioDropped(codec),
    protocolError: (c, m) => {
      const key = m.replace(/\d+/g, 'N').slice(0, 80);
      protocolErrors.set(key, (protocolErrors.get(key) ?? 0) + 1);
      server.protocolError(c, m);
    },
  };
  const realSetTimeout = globalThis.setTimeout;
  const realSetImmediate = globalThis.setImmediate;

  return Object.assign({
    name: 'rtmp',
    covers: 'RtmpConnection (rtmp.js handshake, chunks, AMF0 commands + our hooks) on a fake socket, cut into random reads',
    arbitrary: fc.record({
      handshake: fc.nat(HANDSHAKES.length - 1),
      handshakeOps: fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: mutationOps(3) }),
      session: mutatedBytes(SESSIONS, { tokens: TOKENS, maxOps: 6, maxRandomLength: 1024 }),
      cuts: splitPoints,
    }),
    run(input: RtmpInput) {
      const hs = input.handshakeOps ? mutate(HANDSHAKES, input.handshake, input.handshakeOps) : HANDSHAKES[input.handshake]!;
      const bytes = Buffer.concat([hs, input.session]);
      const timers: Array<() => void> = [];
      const deferred = (fn: () => void) => {
        timers.push(fn);
        return { unref() { return this; }, ref() { return this; }, hasRef: () => false, refresh() { return this; } };
      };
      (globalThis as { setTimeout: unknown }).setTimeout = deferred;
      (globalThis as { setImmediate: unknown }).setImmediate = deferred;
      try {
        const socket = new FakeSocket();
        const conn = new ProbedConnection(socket.socket, ctx);
        for (const c of chunksOf(bytes, input.cuts)) {
          socket.feed(c as Buffer); // throws only if the handler lets an exception out: a crash
          if (conn.mediaError !== undefined) throw conn.mediaError;
          const h = held(conn);
          invariant(h.largest <= MAX_MESSAGE_BYTES + 1024, `a chunk stream holds ${h.largest} bytes`);
          invariant(h.buffers <= MAX_CHUNK_STREAMS, `${h.buffers} chunk streams hold a buffer (${h.bytes} bytes)`);
          const open = !socket.destroyed && !socket.ended;
          invariant(!open || conn.inPackets.size <= MAX_CHUNK_STREAMS, `open connection with ${conn.inPackets.size} chunk streams`);
        }
        socket.hangUp();
        for (const fn of timers.splice(0)) fn();
        invariant(!conn.publishing, 'still publishing after the peer hung up');
        invariant(server.stats.publishing === 0, 'the camera kept its publisher after the connection closed');
        invariant(stream.state === 'offline', 'the camera stayed online after its publisher left');
        const names = Object.keys(server.stats.audioDropped).length;
        invariant(names <= MAX_AUDIO_CODEC_NAMES + 1, `audioDropped counts ${names} codec names`);
      } finally {
        globalThis.setTimeout = realSetTimeout;
        globalThis.setImmediate = realSetImmediate;
      }
    },
  }, { protocolErrors, server, delivered });
}
