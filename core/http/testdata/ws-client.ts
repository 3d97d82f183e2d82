/**
 * A minimal WebSocket client for tests (RFC 6455): the HTTP/1.1 upgrade on a raw TCP socket,
 * then unmasked server frames parsed by hand. Node 20 has no WebSocket without a flag, and a
 * raw socket also lets a test stop reading to build up backpressure on the server.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** What the server sent when it closed (code 1005 when the close frame had none, 1006 without a close frame). */
export interface CloseInfo {
  code: number;
  reason: string;
}

/** An open client connection. */
export class TestWebSocket {
  /** Text messages not yet taken by next(). */
  readonly #inbox: string[] = [];
  #waiter?: () => void;
  #buffer = Buffer.alloc(0);
  #close?: CloseInfo;
  readonly closed: Promise<CloseInfo>;
  #resolveClosed!: (info: CloseInfo) => void;

  private constructor(readonly socket: Socket) {
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    socket.on('close', () => this.#finish({ code: 1006, reason: '' }));
    socket.on('error', () => undefined);
  }

  /** Connects and upgrades; rejects with the HTTP status line when the server refuses. */
  static open(port: number, path = '/ws', headers: Record<string, string> = {}): Promise<TestWebSocket> {
    return new Promise((resolve, reject) => {
      const key = randomBytes(16).toString('base64');
      const socket = connect(port, '127.0.0.1');
      const client = new TestWebSocket(socket);
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        const lines = head.subarray(0, end).toString().split('\r\n');
        const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
        if (!/^HTTP\/1\.1 101/.test(lines[0]!) || !lines.some((l) => l.toLowerCase() === `sec-websocket-accept: ${accept.toLowerCase()}`)) {
          socket.destroy();
          reject(new Error(`upgrade refused: ${lines[0]}`));
          return;
        }
        socket.on('data', (data: Buffer) => client.#onData(data));
        client.#onData(head.subarray(end + 4));
        resolve(client);
      };
      socket.on('data', onData);
      socket.once('error', reject);
      socket.once('connect', () => {
        const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
        );
      });
    });
  }

  /** The next text message, parsed as JSON; rejects after `timeoutMs` or when the connection closes first. */
  async next<T = unknown>(timeoutMs = 2000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (this.#inbox.length === 0) {
      if (this.#close) throw new Error(`closed (${this.#close.code}) before a message arrived`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return JSON.parse(this.#inbox.shift()!) as T;
  }

  /** Messages received and not yet taken. */
  get pending(): number {
    return this.#inbox.length;
  }

  /** Stops reading from the socket: the server's send buffer fills up (backpressure). */
  pause(): void {
    this.socket.pause();
  }

  /** Reads again. */
  resume(): void {
    this.socket.resume();
  }

  /** Sends a masked close frame and ends the socket. */
  close(code = 1000): void {
    if (this.socket.destroyed) return;
    const mask = randomBytes(4);
    const payload = Buffer.from([code >> 8, code & 0xff]).map((b, i) => b ^ mask[i % 4]!);
    this.socket.end(Buffer.concat([Buffer.from([0x88, 0x80 | 2]), mask, payload]));
  }

  #onData(data: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, data]);
    for (;;) {
      const b = this.#buffer;
      if (b.length < 2) return;
      let len = b[1]! & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        offset = 10;
      }
      if (b.length < offset + len) return;
      const opcode = b[0]! & 0x0f;
      const payload = b.subarray(offset, offset + len);
      this.#buffer = b.subarray(offset + len);
      // uWS sends whole messages: no continuation frames to join.
      if (opcode === 0x1) {
        this.#inbox.push(payload.toString('utf8'));
        this.#waiter?.();
      } else if (opcode === 0x8) {
        this.#finish({ code: len >= 2 ? payload.readUInt16BE(0) : 1005, reason: payload.subarray(2).toString('utf8') });
        this.socket.destroy();
        return;
      }
    }
  }

  #finish(info: CloseInfo): void {
    if (this.#close) return;
    this.#close = info;
    this.#resolveClosed(info);
    this.#waiter?.();
  }
}
