/**
 * The synthetic cameras of `bench capacity`: one process that loads an H.264 Annex B clip once,
 * packetizes it once (RFC 6184, 1200-byte payloads) and publishes it in a loop, at real rate, to
 * N `push: true` cameras, each as an RTSP publisher of its own (RFC 2326 §10.11 ANNOUNCE, §10.4
 * SETUP, RECORD) with RTP interleaved on the RTSP connection (§10.12). No re-encoding, so the
 * harness costs little and its CPU is measured apart from the server's.
 *
 * TCP rather than UDP: ingest cannot lose packets, so any loss the viewers see is the relay's.
 * Camera i starts i/N of a frame interval after camera 0, as real cameras are not in phase.
 *
 *   node --import tsx bench/capacity/publisher.ts --clip FILE.h264 --fps 15 --rtsp rtsp://127.0.0.1:8554 --cameras cam0,cam1
 * Prints one JSON line per second: { cameras, publishing, units, bytes, backlogBytes }.
 */
import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { loadClipUnits } from '../relay/units.js';

const PAYLOAD_TYPE = 96;
/** One camera's RTSP publishing connection. */
class Publisher {
  readonly #socket: Socket;
  #cseq = 0;
  #session = '';
  #buffered = '';
  #seq = 0;
  readonly #ssrc: number;

  private constructor(socket: Socket, ssrc: number) {
    this.#socket = socket;
    this.#ssrc = ssrc;
  }

  /** Connects and records to `url` (ANNOUNCE, SETUP interleaved=0-1 mode=record, RECORD). */
  static async open(url: string, ssrc: number): Promise<Publisher> {
    const u = new URL(url);
    const socket = connect(Number(u.port || 554), u.hostname);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.setNoDelay(true);
    const p = new Publisher(socket, ssrc);
    const sdp = ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=capacity bench', 't=0 0', `m=video 0 RTP/AVP ${PAYLOAD_TYPE}`,
      `a=rtpmap:${PAYLOAD_TYPE} H264/90000`, `a=fmtp:${PAYLOAD_TYPE} packetization-mode=1`, 'a=control:streamid=0', ''].join('\r\n');
    await p.#request('ANNOUNCE', url, { 'Content-Type': 'application/sdp' }, sdp);
    const setup = await p.#request('SETUP', `${url}/streamid=0`, { Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1;mode=record' });
    p.#session = (setup.get('session') ?? '').split(';')[0]!;
    await p.#request('RECORD', url, {});
    // From here on the server sends nothing we need; keep the socket drained.
    socket.on('data', () => {});
    socket.on('error', () => {});
    return p;
  }

  /** Bytes written but not yet taken by the kernel: grows when the server stops reading. */
  get backlog(): number {
    return this.#socket.writableLength;
  }

  get open(): boolean {
    return !this.#socket.destroyed;
  }

  /** Sends one access unit's packets, each framed as `$ channel length` (RFC 2326 §10.12). */
  send(payloads: Buffer[], timestamp: number): number {
    let bytes = 0;
    const n = payloads.length;
    for (let i = 0; i < n; i++) {
      const payload = payloads[i]!;
      const frame = Buffer.allocUnsafe(4 + 12 + payload.length);
      frame[0] = 0x24;
      frame[1] = 0;
      frame.writeUInt16BE(12 + payload.length, 2);
      frame[4] = 0x80;
      frame[5] = (i === n - 1 ? 0x80 : 0) | PAYLOAD_TYPE;
      frame.writeUInt16BE(this.#seq, 6);
      frame.writeUInt32BE(timestamp >>> 0, 8);
      frame.writeUInt32BE(this.#ssrc, 12);
      payload.copy(frame, 16);
      this.#seq = (this.#seq + 1) & 0xffff;
      this.#socket.write(frame);
      bytes += frame.length;
    }
    return bytes;
  }

  close(): void {
    this.#socket.destroy();
  }

  #request(method: string, target: string, headers: Record<string, string>, body = ''): Promise<Map<string, string>> {
    const lines = [`${method} ${target} RTSP/1.0`, `CSeq: ${++this.#cseq}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    if (this.#session) lines.push(`Session: ${this.#session}`);
    if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
    this.#socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
    return new Promise((resolve, reject) => {
      const onData = (d: Buffer) => {
        this.#buffered += d.toString('latin1');
        const end = this.#buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = this.#buffered.slice(0, end).split('\r\n');
        this.#buffered = this.#buffered.slice(end + 4);
        this.#socket.off('data', onData);
        const status = Number(head[0]!.split(' ')[1]);
        const map = new Map(head.slice(1).map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as [string, string]));
        if (status !== 200) reject(new Error(`${method} ${target}: ${head[0]}`));
        else resolve(map);
      };
      this.#socket.on('data', onData);
    });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clip: { type: 'string' },
      fps: { type: 'string', default: '15' },
      rtsp: { type: 'string' },
      cameras: { type: 'string' },
    },
  });
  if (!values.clip || !values.rtsp || !values.cameras) {
    throw new Error('usage: publisher.ts --clip FILE.h264 --fps N --rtsp rtsp://HOST:PORT --cameras ID,ID,...');
  }
  const fps = Number(values.fps);
  const units = loadClipUnits(values.clip).map((u) => u.payloads);
  const ids = values.cameras.split(',');
  const publishers = await Promise.all(ids.map((id, i) => Publisher.open(`${values.rtsp}/${id}`, 0x5eed0000 + i)));
  const frameUs = 1e6 / fps;
  const startUs = performance.now() * 1000;
  const sent = ids.map(() => 0);
  let bytes = 0;

  /** Sends every unit whose time has come; camera i's frame n is due at start + (n + i/N) / fps. */
  const tick = (): void => {
    const now = performance.now() * 1000;
    let nextDue = Infinity;
    for (let c = 0; c < publishers.length; c++) {
      const offset = (c / publishers.length) * frameUs;
      while (startUs + offset + sent[c]! * frameUs <= now) {
        const n = sent[c]!;
        bytes += publishers[c]!.send(units[n % units.length]!, Math.round((n * 90000) / fps));
        sent[c] = n + 1;
      }
      nextDue = Math.min(nextDue, startUs + offset + sent[c]! * frameUs);
    }
    setTimeout(tick, Math.max(0, (nextDue - performance.now() * 1000) / 1000));
  };
  tick();

  setInterval(() => {
    const report = {
      cameras: ids.length,
      publishing: publishers.filter((p) => p.open).length,
      units: sent.reduce((a, b) => a + b, 0),
      bytes,
      backlogBytes: publishers.reduce((s, p) => s + p.backlog, 0),
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  }, 1000);
  process.on('SIGTERM', () => {
    for (const p of publishers) p.close();
    process.exit(0);
  });
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
