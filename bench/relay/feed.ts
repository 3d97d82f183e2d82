/**
 * The RTP feed of the side-by-side relay bench: one H.264 elementary stream, packetized once
 * (RFC 6184, 1200-byte payloads, parameter sets in-band before every IDR) and replayed at real
 * rate, looping, as plain RTP/UDP. The same packets go to either relay:
 *   --rtp HOST:PORT     straight to a Janus streaming mountpoint;
 *   --rtsp URL          to streamsight as an RTSP publisher (ANNOUNCE, SETUP over UDP, RECORD).
 *
 * For the latency measurement it prints, once a second, when each access unit's last packet left
 * (CLOCK_MONOTONIC, µs, the clock every process on the machine shares) keyed by a fingerprint of
 * its last NAL unit, which viewers compute the same way from what they decrypt:
 *   { packets, units, aus: [[fingerprint, sentAtUs], ...] }
 *
 *   node --import tsx bench/relay/feed.ts --clip bench/.cache/x.h264 (--rtp 10.77.0.1:5004 | --rtsp rtsp://10.77.0.1:8554/bench)
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { auFingerprint, nowUs } from './fingerprint.js';
import { loadClipUnits } from './units.js';

const { values } = parseArgs({
  options: {
    clip: { type: 'string' },
    fps: { type: 'string', default: '25' },
    rtp: { type: 'string' },
    rtsp: { type: 'string' },
    'payload-type': { type: 'string', default: '96' },
  },
});
if (!values.clip || (!values.rtp && !values.rtsp)) throw new Error('usage: feed.ts --clip FILE.h264 (--rtp HOST:PORT | --rtsp URL)');
const fps = Number(values.fps);
const payloadType = Number(values['payload-type']);

/** Publishes to streamsight's RTSP server and resolves where to send RTP (RFC 2326 §10.11 ANNOUNCE, §10.4 SETUP, §10.11 RECORD). */
async function rtspPublish(url: string, sdp: string, clientPort: number): Promise<{ host: string; port: number; keepAlive: () => void }> {
  const u = new URL(url);
  const socket = connect(Number(u.port || 554), u.hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let cseq = 0;
  let session = '';
  let buffered = '';
  const request = (method: string, target: string, headers: Record<string, string>, body = ''): Promise<{ status: number; headers: Map<string, string> }> => {
    const lines = [`${method} ${target} RTSP/1.0`, `CSeq: ${++cseq}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    if (session) lines.push(`Session: ${session}`);
    if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
    return new Promise((resolve, reject) => {
      const onData = (d: Buffer) => {
        buffered += d.toString('latin1');
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffered.slice(0, end).split('\r\n');
        buffered = buffered.slice(end + 4);
        socket.off('data', onData);
        const status = Number(head[0]!.split(' ')[1]);
        const map = new Map(head.slice(1).map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as [string, string]));
        if (status !== 200) reject(new Error(`${method} ${target}: RTSP ${head[0]}`));
        else resolve({ status, headers: map });
      };
      socket.on('data', onData);
    });
  };
  await request('ANNOUNCE', url, { 'Content-Type': 'application/sdp' }, sdp);
  const setup = await request('SETUP', `${url}/streamid=0`, { Transport: `RTP/AVP/UDP;unicast;client_port=${clientPort}-${clientPort + 1};mode=record` });
  session = (setup.headers.get('session') ?? '').split(';')[0]!;
  const serverPort = /server_port=(\d+)/.exec(setup.headers.get('transport') ?? '')?.[1];
  if (!serverPort) throw new Error(`SETUP: no server_port in ${setup.headers.get('transport')}`);
  await request('RECORD', url, {});
  return { host: u.hostname, port: Number(serverPort), keepAlive: () => void request('GET_PARAMETER', url, {}).catch(() => undefined) };
}

const units = loadClipUnits(values.clip).map((u) => ({ payloads: u.payloads, fingerprint: auFingerprint(u.lastNal) }));
const rtp = createSocket('udp4');
await new Promise<void>((r) => rtp.bind(0, r));
let target: { host: string; port: number };
let keepAlive = () => {};
if (values.rtsp) {
  const sdp = ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=relay bench', 't=0 0', `m=video 0 RTP/AVP ${payloadType}`,
    `a=rtpmap:${payloadType} H264/90000`, `a=fmtp:${payloadType} packetization-mode=1`, 'a=control:streamid=0', ''].join('\r\n');
  const published = await rtspPublish(values.rtsp, sdp, rtp.address().port);
  target = published;
  keepAlive = published.keepAlive;
} else {
  const [host, port] = values.rtp!.split(':');
  target = { host: host!, port: Number(port) };
}

const ssrc = 0x5eed0001;
let seq = 0;
let sent = 0;
let packets = 0;
let aus: Array<[number, number]> = [];
const frameUs = 1e6 / fps;
const startUs = nowUs();
const header = Buffer.alloc(12);

/** Sends every unit whose time has come; frame n is due at start + n / fps. */
function tick(): void {
  const now = nowUs();
  while (startUs + sent * frameUs <= now) {
    const unit = units[sent % units.length]!;
    const ts = Math.round((sent * 90000) / fps) >>> 0;
    const n = unit.payloads.length;
    for (let i = 0; i < n; i++) {
      header[0] = 0x80;
      header[1] = (i === n - 1 ? 0x80 : 0) | payloadType;
      header.writeUInt16BE(seq, 2);
      header.writeUInt32BE(ts, 4);
      header.writeUInt32BE(ssrc, 8);
      seq = (seq + 1) & 0xffff;
      rtp.send(Buffer.concat([header, unit.payloads[i]!]), target.port, target.host);
    }
    packets += n;
    aus.push([unit.fingerprint, nowUs()]);
    sent++;
  }
  setTimeout(tick, Math.max(0, (startUs + sent * frameUs - nowUs()) / 1000));
}
tick();

setInterval(() => {
  process.stdout.write(`${JSON.stringify({ packets, units: sent, aus })}\n`);
  aus = [];
}, 1000);
setInterval(keepAlive, 20_000);
process.on('SIGTERM', () => process.exit(0));
