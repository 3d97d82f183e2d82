/**
 * Test helpers for the RTSP server tests: an in-memory resolver, a raw RTSP client that speaks
 * bytes (for hostile input), and ffmpeg/ffprobe runners that are always killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { RtspStreamParser, type RtspResponse } from '../../codecs/rtsp/message.js';
import { Stream } from '../stream/index.js';
import type { StreamResolver } from './server.js';

/** A resolver over a Map: `publishable` paths accept publishers, others only serve. */
export class TestResolver implements StreamResolver {
  readonly streams = new Map<string, Stream>();
  readonly published: string[] = [];
  readonly unpublished: string[] = [];

  constructor(readonly publishable: ReadonlySet<string>) {}

  streamFor(path: string): Stream | undefined {
    return this.streams.get(path);
  }
  canPublish(path: string): boolean {
    return this.publishable.has(path);
  }
  publish(path: string): Stream {
    this.published.push(path);
    let s = this.streams.get(path);
    if (!s) this.streams.set(path, (s = new Stream(path)));
    return s;
  }
  unpublish(path: string): void {
    this.unpublished.push(path);
    this.streams.get(path)?.setOffline();
  }
  close(): void {
    for (const s of this.streams.values()) s.close();
  }
}

/** Every child started by spawnTool, so `killAll` in `after` never leaves one behind. */
const children = new Set<ChildProcess>();

/** A spawned tool with its collected output. */
export interface Tool {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
}

/** Spawns ffmpeg/ffprobe; it is SIGKILLed after `timeoutMs` and by killAll(). */
export function spawnTool(cmd: string, args: string[], timeoutMs: number): Tool {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-20_000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exited = new Promise<number | string>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      children.delete(child);
      resolve(`spawn error: ${e.message}`);
    });
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Kills every tool still running. */
export function killAll(): void {
  for (const c of children) c.kill('SIGKILL');
}

/** ffmpeg publishing a 640x360 25 fps H.264 test pattern to `url` over `transport`. */
export function ffmpegPublish(url: string, transport: 'tcp' | 'udp', timeoutMs = 60_000): Tool {
  return spawnTool(
    'ffmpeg',
    [
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '25', '-pix_fmt', 'yuv420p',
      '-f', 'rtsp', '-rtsp_transport', transport, url,
    ],
    timeoutMs,
  );
}

/** A bare TCP RTSP client: sends any bytes, reads responses and interleaved frames. */
export class RawRtspClient {
  readonly socket: net.Socket;
  readonly responses: RtspResponse[] = [];
  interleavedFrames = 0;
  interleavedBytes = 0;
  closed = false;
  #parser = new RtspStreamParser();
  #cseq = 0;
  #waiters: Array<() => void> = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      for (const item of this.#parser.push(d)) {
        if (item.type === 'response') this.responses.push(item.message);
        else if (item.type === 'interleaved') {
          this.interleavedFrames++;
          this.interleavedBytes += item.data.length;
        }
      }
      for (const w of this.#waiters.splice(0)) w();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  /** Connects to 127.0.0.1:port. */
  static connect(port: number): Promise<RawRtspClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new RawRtspClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Writes raw bytes. */
  send(data: string | Uint8Array): void {
    this.socket.write(data);
  }

  /** The next response (in arrival order), within `timeoutMs`. */
  async nextResponse(timeoutMs = 3000): Promise<RtspResponse> {
    const deadline = Date.now() + timeoutMs;
    while (this.responses.length === 0) {
      if (this.closed) throw new Error('connection closed before a response');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no response in time');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.responses.shift()!;
  }

  /** Sends a well-formed request with the next CSeq and returns its response. */
  request(method: string, uri: string, headers: Record<string, string> = {}, body = ''): Promise<RtspResponse> {
    let text = `${method} ${uri} RTSP/1.0\r\nCSeq: ${++this.#cseq}\r\n`;
    for (const [k, v] of Object.entries(headers)) text += `${k}: ${v}\r\n`;
    if (body) text += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
    this.send(`${text}\r\n${body}`);
    return this.nextResponse();
  }

  /** Closes the socket. */
  close(): void {
    this.socket.destroy();
  }
}

/** The session id of a response's Session header. */
export function sessionOf(res: RtspResponse): string {
  return (res.headers.get('session') ?? '').split(';')[0]!.trim();
}
