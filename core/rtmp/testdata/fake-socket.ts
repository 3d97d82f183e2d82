/**
 * A stand-in for the net.Socket an RtmpConnection reads from, for driving one connection
 * synchronously (unit tests, fuzz/targets/rtmp.ts): `feed()` emits 'data' the way a real socket
 * does, what the connection writes is counted and kept (up to a limit), and `destroy()` marks it
 * destroyed with its 'close' left for `hangUp()` (a real socket emits it on a later tick).
 */
import { EventEmitter } from 'node:events';
import type net from 'node:net';

export class FakeSocket extends EventEmitter {
  remoteAddress = '127.0.0.1';
  remotePort = 40000;
  destroyed = false;
  ended = false;
  /** Bytes the connection wrote. */
  written = 0;
  /** What the connection wrote, while under `keep` bytes in all. */
  readonly output: Buffer[] = [];
  #closeEmitted = false;

  constructor(private readonly keep = 0) {
    super();
  }

  /** This object typed as the socket RtmpConnection takes. */
  get socket(): net.Socket {
    return this as unknown as net.Socket;
  }

  setNoDelay(): this {
    return this;
  }

  write(data: Buffer): boolean {
    this.written += data.length;
    if (this.written <= this.keep) this.output.push(Buffer.from(data));
    return true;
  }

  end(): this {
    this.ended = true;
    return this;
  }

  destroy(): this {
    this.destroyed = true;
    return this;
  }

  /** Delivers bytes from the peer, like a socket read; nothing once destroyed. */
  feed(data: Buffer): void {
    if (!this.destroyed) this.emit('data', data);
  }

  /** The peer went away (or our destroy() completed): 'close', once. */
  hangUp(): void {
    this.destroyed = true;
    if (this.#closeEmitted) return;
    this.#closeEmitted = true;
    this.emit('close', false);
  }
}
