/**
 * The part of node-media-server (4.x) streamsight uses: its RTMP protocol engine
 * (src/protocol/rtmp.js: handshake, chunk stream, AMF0 commands), and nothing else.
 *
 * NMS's `NodeMediaServer` class starts every server it has (HTTP-FLV, admin API, recorder,
 * relays, notify hooks), keeps a global `Context` and writes a JSON store under `./data`; none of
 * that is loaded here. rtmp.js itself only requires its AMF, FLV and logger modules. Its logger
 * is a module singleton that prints to stdout at debug level; it is routed to core/log.ts at debug.
 */
import { createRequire } from 'node:module';
import { createLogger } from '../log.js';

const require = createRequire(import.meta.url);
const log = createLogger('rtmp-nms');

/** An RTMP message being parsed: the header and the (reused) payload buffer. */
export interface NmsRtmpPacket {
  header: { fmt: number; cid: number; timestamp: number; length: number; type: number; stream_id: number };
  /** The message timestamp in ms (delta-accumulated). */
  clock: number;
  /** Reused between messages of a chunk stream: only the first `header.length` bytes are this message. */
  payload: Buffer;
}

/** An AMF0 command as rtmp.js decodes it (`publish`: `streamName`, `type`). */
export interface NmsInvokeMessage {
  cmd: string;
  transId: number;
  cmdObj?: Record<string, unknown> | null;
  streamName?: unknown;
}

/** The rtmp.js `Rtmp` class: server side of one RTMP connection (what we call or override). */
export interface NmsRtmp {
  /** Feeds received bytes; returns an error string or null. May throw on hostile input. */
  parserData(buffer: Buffer): string | null;
  onOutputCallback: (buffer: Buffer) => void;
  parserPacket: NmsRtmpPacket;
  inPackets: Map<number, NmsRtmpPacket>;
  /** `app` of the connect command. */
  streamApp?: string;
  streamId: number;
  /** The peer's Window Acknowledgement Size (0 until it sends one). */
  ackSize?: number;
  sendACK(sequenceNumber: number): void;
  invokeHandler(): void;
  controlHandler(): void;
  dataHandler(): void;
  packetAlloc(): void;
  onPublish(msg: NmsInvokeMessage): void;
  onPlay(msg: NmsInvokeMessage): void;
  onDeleteStream(msg: NmsInvokeMessage): void;
  respondPublish(): void;
  sendStatusMessage(sid: number, level: string, code: string, description: string): void;
}

/** The rtmp.js `Rtmp` constructor. */
export const NmsRtmpProtocol = require('node-media-server/src/protocol/rtmp.js') as new () => NmsRtmp;

/** rtmp.js's AMF0 codec (amf.js), for onMetaData. May throw on malformed input. */
export const NmsAmf = require('node-media-server/src/protocol/amf.js') as {
  decodeAmf0Data(buffer: Buffer): { cmd?: string; method?: string; dataObj?: unknown };
};

const nmsLogger = require('node-media-server/src/core/logger.js') as { log(message: string, level?: string): void };
// The singleton's console.log at every level would break our log format: everything goes to debug.
nmsLogger.log = (message: string, level = 'info') => log.debug(`${level}: ${message}`);
