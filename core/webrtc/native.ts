/**
 * The native half of the relay's send path (`native/fastpath.c`, built by node-gyp on
 * `npm install`): AES-128-GCM SRTP protection into a reused buffer, sendmmsg(2) batches, and
 * recvmmsg(2) for readers of many datagrams.
 *
 * When the addon is missing or fails to load, or STREAMSIGHT_SRTP=js is set, `nativeSrtp` is
 * undefined and the JavaScript path (node:crypto, one dgram.send per packet) runs instead;
 * `nativeSrtpStatus` says which and why, and /api/webrtc reports it.
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:dgram';
import { join } from 'node:path';
import { packageRoot } from '../../config/load.js';

/** An AES-128-GCM key schedule and salt held by the addon (one per DTLS session and direction). */
export type NativeGcm = object & { readonly __nativeGcm: unique symbol };

/** What the addon exports. */
export interface NativeSrtp {
  /** Sets up AES-128-GCM with a 16-byte session key and a 12-byte session salt. */
  createGcm(key: Buffer, salt: Buffer): NativeGcm;
  /**
   * Writes the RTP header (`ptMarker` = payload type | 0x80 for the marker) and the SRTP packet at
   * `out[offset]`; returns its length, 0 when `out` has no room.
   */
  protectRtp(gcm: NativeGcm, out: Buffer, offset: number, payload: Buffer, ptMarker: number, seq: number, timestamp: number, ssrc: number, roc: number): number;
  /** Sends `count` datagrams laid end to end in `slab` to host:port in one sendmmsg; packets sent, or -errno. */
  sendBatch(fd: number, host: string, port: number, slab: Buffer, lengths: Uint32Array, count: number): number;
  /** Reads up to lengths.length datagrams in one recvmmsg, datagram i at slab[i * stride]; count read, or -errno. */
  recvBatch(fd: number, slab: Buffer, lengths: Uint32Array, stride: number): number;
}

/** Where the addon is built (node-gyp's output under the package, also when running from dist/). */
export const NATIVE_SRTP_PATH = join(packageRoot(), 'core', 'webrtc', 'native', 'build', 'Release', 'fastpath.node');

function load(): { native?: NativeSrtp; status: string } {
  if (process.env.STREAMSIGHT_SRTP === 'js') return { status: 'javascript (STREAMSIGHT_SRTP=js)' };
  try {
    const addon = createRequire(import.meta.url)(NATIVE_SRTP_PATH) as NativeSrtp;
    // A plain object over the addon's (read-only) exports, so a test can watch sendBatch.
    const native: NativeSrtp = {
      createGcm: addon.createGcm, protectRtp: addon.protectRtp, sendBatch: addon.sendBatch, recvBatch: addon.recvBatch,
    };
    return { native, status: 'native' };
  } catch (e) {
    return { status: `javascript (the native addon did not load: ${(e as Error).message.split('\n')[0]}; run npm install)` };
  }
}

const loaded = load();
/** The addon, or undefined when the JavaScript path is in use. */
export const nativeSrtp: NativeSrtp | undefined = loaded.native;
/** 'native', or 'javascript (why)'. */
export const nativeSrtpStatus: string = loaded.status;

/** The file descriptor of a dgram socket, where Node keeps its UDP handle (under a symbol). */
export function socketHandle(socket: Socket): { fd: number; recvStop(): number } | undefined {
  const state = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const handle = state && (socket as unknown as Record<symbol, { handle?: { fd?: number; recvStop(): number } }>)[state]?.handle;
  return handle && typeof handle.fd === 'number' && handle.fd >= 0 ? (handle as { fd: number; recvStop(): number }) : undefined;
}
