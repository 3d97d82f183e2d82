/**
 * A process of WebRTC viewers for the side-by-side relay bench, the same for both relays:
 *   --whep URL[,URL...]             streamsight: POST an offer, get the answer (RFC 9725); with
 *                                   several URLs (cameras), --count viewers of each;
 *   --janus URL --mountpoint ID     Janus streaming plugin: `watch` (Janus offers), answer, `start`.
 *
 * werift does ICE and DTLS. Once a viewer is connected, its RTP is taken off the socket before
 * werift sees it (STUN, DTLS and RTCP still go to werift): werift's receive path costs more CPU
 * per packet than the relays under test spend sending, and one core of viewers must keep up with
 * hundreds of them. Viewers other than the `--full` ones stop Node reading their socket and drain
 * it every DRAIN_MS with recvmmsg (the native addon of core/webrtc), ~1 µs per packet instead of
 * Node's ~10 µs per 'message' event. What each viewer does with its RTP:
 *   - every packet: its sequence number (RFC 3550 A.1 extended), for loss;
 *   - until its first keyframe is whole: SRTP decrypt and H.264 depacketize, for time to first frame;
 *   - then 1 packet in AUTH_SAMPLE: SRTP decrypt and authenticate (a relay sending garbage fails);
 *   - the first `--full` viewers of the process decrypt and depacketize everything, and report
 *     each access unit's fingerprint and arrival time for the latency measurement.
 *
 *   node --import tsx bench/relay/viewer.ts (--whep URL | --janus URL --mountpoint 1) --address 10.77.0.2 [--count 25] [--full 1]
 * Prints one JSON line per second: { viewers, connected, drained (read by recvmmsg), failed, retries, lastError, packets, lost, stalled,
 * authChecked, authFailed, units, malformed, ttffMs: [...], aus: [[fingerprint, atUs], ...] }.
 */
import type { Socket } from 'node:dgram';
import { parseArgs } from 'node:util';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { H264Depacketizer } from '../../codecs/h264/depacketizer.js';
import { parseRtp } from '../../codecs/rtp/packet.js';
import { guardPeerConnection, iceConfig } from '../../core/webrtc/ice.js';
import { nativeSrtp, socketHandle } from '../../core/webrtc/native.js';
import { JanusSession } from '../janus/api.js';
import { auFingerprint, nowUs } from './fingerprint.js';

const { values } = parseArgs({
  options: {
    whep: { type: 'string' },
    janus: { type: 'string' },
    mountpoint: { type: 'string', default: '1' },
    address: { type: 'string', default: '127.0.0.1' },
    count: { type: 'string', default: '1' },
    full: { type: 'string', default: '1' },
    fmtp: { type: 'string', default: 'profile-level-id=4d401f;packetization-mode=1' },
  },
});
if (!values.whep && !values.janus) throw new Error('usage: viewer.ts (--whep URL | --janus URL --mountpoint ID) --address A [--count N] [--full K]');
const count = Number(values.count);
const fullCount = Number(values.full);
/** One packet in this many is decrypted and authenticated once a viewer has its first frame. */
const AUTH_SAMPLE = 64;
/** How often drained viewers read their sockets (their socket buffers hold 4 MiB: seconds of video). */
const DRAIN_MS = 5;
const STRIDE = 2048;
const drainSlab = Buffer.alloc(64 * STRIDE);
const drainLengths = new Uint32Array(64);

/** werift's SRTP session (0.24), to decrypt and authenticate what arrives. */
interface WeriftSrtp { decrypt(data: Buffer): Buffer }
/** werift's UDP transport under the nominated pair (0.24). */
interface WeriftUdp { onData: (data: Buffer, addr: unknown) => void; socket?: Socket }
/** A nominated pair's remote address, werift's [host, port]. */
type Addr = readonly [string, number];

/** One viewer's receive side. */
class Viewer {
  packets = 0;
  units = 0;
  malformed = 0;
  authChecked = 0;
  authFailed = 0;
  ttffMs?: number;
  startedAt = 0;
  connected = false;
  /** The peer of the viewer's current join attempt. */
  pc?: RTCPeerConnection;
  packetsAtLastReport = 0;
  readonly #full: boolean;
  #srtp?: WeriftSrtp;
  #depacketizer?: H264Depacketizer = new H264Depacketizer();
  #firstSeq = -1;
  #highestSeq = -1;
  #sinceAuth = 0;

  constructor(full: boolean) {
    this.#full = full;
  }

  get lost(): number {
    return this.#highestSeq < 0 ? 0 : Math.max(0, this.#highestSeq - this.#firstSeq + 1 - this.packets);
  }

  /** Takes RTP off werift's transport; everything else still goes to werift. */
  attach(pc: RTCPeerConnection): void {
    const dtls = pc.dtlsTransports[0] as unknown as { srtp: WeriftSrtp; iceTransport: { connection: { nominated?: { remoteAddr: Addr; protocol: { transport: WeriftUdp } } } } };
    this.#srtp = dtls.srtp;
    const pair = dtls.iceTransport.connection.nominated!;
    const transport = pair.protocol.transport;
    transport.socket?.setRecvBufferSize(4 << 20);
    const toWerift = transport.onData;
    transport.onData = (data, addr) => {
      if (isRtp(data)) this.#rtp(data);
      else toWerift(data, addr);
    };
    const handle = transport.socket && socketHandle(transport.socket);
    if (this.#full || !nativeSrtp || !handle) return;
    handle.recvStop();
    drained.push({ fd: handle.fd, viewer: this, toWerift, addr: pair.remoteAddr });
  }

  /** One RTP packet read by the drain loop (a view of the shared slab, valid during the call). */
  drainedRtp(data: Buffer): void {
    this.#rtp(this.#depacketizer ? Buffer.from(data) : data);
  }

  #rtp(data: Buffer): void {
    const seq = (data[2]! << 8) | data[3]!;
    this.packets++;
    if (this.#highestSeq < 0) this.#firstSeq = this.#highestSeq = seq;
    else {
      const delta = (seq - (this.#highestSeq & 0xffff) + 0x10000) & 0xffff;
      if (delta > 0 && delta < 0x8000) this.#highestSeq += delta;
    }
    if (this.#depacketizer) this.#decode(data);
    else if (++this.#sinceAuth >= AUTH_SAMPLE) {
      this.#sinceAuth = 0;
      this.#decrypt(Buffer.from(data));
    }
  }

  #decrypt(data: Buffer): Buffer | undefined {
    this.authChecked++;
    try {
      return this.#srtp!.decrypt(data);
    } catch {
      this.authFailed++;
      return undefined;
    }
  }

  #decode(data: Buffer): void {
    const plain = this.#decrypt(data);
    const pkt = plain && parseRtp(plain);
    if (!pkt) return;
    const d = this.#depacketizer!;
    const before = d.stats.malformed;
    for (const unit of d.push(pkt)) {
      this.units++;
      if (unit.keyframe) this.ttffMs ??= performance.now() - this.startedAt;
      if (this.#full) aus.push([auFingerprint(unit.nalus[unit.nalus.length - 1]!), nowUs()]);
    }
    this.malformed += d.stats.malformed - before;
    if (this.ttffMs !== undefined && !this.#full) this.#depacketizer = undefined;
  }
}

/** RTP: version 2 and a payload type outside RTCP's 200-207 (RFC 5761 §4). */
function isRtp(data: Buffer): boolean {
  const b1 = data[1]!;
  return data.length >= 12 && (data[0]! & 0xc0) === 0x80 && (b1 < 192 || b1 > 207);
}

/** Viewers whose sockets the drain loop reads. */
const drained: Array<{ fd: number; viewer: Viewer; toWerift: (data: Buffer, addr: unknown) => void; addr: Addr }> = [];

function drainAll(): void {
  for (const d of drained) {
    for (let round = 0; round < 64; round++) {
      const n = nativeSrtp!.recvBatch(d.fd, drainSlab, drainLengths, STRIDE);
      for (let i = 0; i < n; i++) {
        const data = drainSlab.subarray(i * STRIDE, i * STRIDE + drainLengths[i]!);
        if (isRtp(data)) d.viewer.drainedRtp(data);
        else d.toWerift(Buffer.from(data), d.addr);
      }
      if (n < drainLengths.length) break;
    }
  }
}
setInterval(drainAll, DRAIN_MS);

const h264 = new RTCRtpCodecParameters({
  mimeType: 'video/H264',
  clockRate: 90000,
  rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
  parameters: `level-asymmetry-allowed=1;${values.fmtp}`,
});

const viewers: Viewer[] = [];
const closers: Array<() => Promise<unknown>> = [];
let aus: Array<[number, number]> = [];
let connected = 0;
let failed = 0;
/** Joins tried again after JOIN_TIMEOUT_MS without a connection (a real player retries too). */
let retries = 0;
let lastError: string | undefined;
const JOIN_TIMEOUT_MS = 15_000;
const JOIN_ATTEMPTS = 3;

/** One signalling attempt's peer and how to undo it. */
interface Attempt { pc: RTCPeerConnection; close: () => Promise<unknown> }

function newPeer(viewer: Viewer): RTCPeerConnection {
  const ice = { hostAddresses: [values.address!], iceServers: [] };
  const pc = new RTCPeerConnection({ ...iceConfig(ice), codecs: { video: [h264] }, headerExtensions: { video: [], audio: [] } });
  guardPeerConnection(pc, ice.iceServers);
  viewer.pc = pc;
  pc.connectionStateChange.subscribe((state) => {
    // An attempt given up on may still connect late: only the viewer's current peer counts.
    if (state !== 'connected' || viewer.connected || viewer.pc !== pc) return;
    viewer.connected = true;
    connected++;
    viewer.attach(pc);
  });
  return pc;
}

async function openWhep(viewer: Viewer, url: string): Promise<Attempt> {
  const pc = newPeer(viewer);
  let location: string | undefined;
  const close = async () => {
    await pc.close();
    if (location) await fetch(location, { method: 'DELETE' }).catch(() => undefined);
  };
  try {
    pc.addTransceiver('video', { direction: 'recvonly' });
    await pc.setLocalDescription(await pc.createOffer());
    viewer.startedAt = performance.now();
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription!.sdp });
    if (res.status !== 201) throw new Error(`WHEP ${res.status}: ${await res.text()}`);
    location = new URL(res.headers.get('location') ?? '', url).toString();
    await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
    return { pc, close };
  } catch (e) {
    await close();
    throw e;
  }
}

async function openJanus(viewer: Viewer): Promise<Attempt> {
  const session = await JanusSession.open(values.janus!, 'janus.plugin.streaming');
  const pc = newPeer(viewer);
  const close = () => Promise.all([pc.close(), session.close()]);
  try {
    viewer.startedAt = performance.now();
    const watch = await session.message({ request: 'watch', id: Number(values.mountpoint) });
    if (watch.jsep?.type !== 'offer') throw new Error(`watch: Janus sent no offer: ${JSON.stringify(watch)}`);
    await pc.setRemoteDescription(watch.jsep);
    await pc.setLocalDescription(await pc.createAnswer());
    await session.message({ request: 'start' }, { type: 'answer', sdp: pc.localDescription!.sdp });
    await session.endOfCandidates();
    return { pc, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * Signals one viewer (awaited, so joins go one after another per process), then watches it: no
 * connection within JOIN_TIMEOUT_MS closes the attempt and tries again, up to JOIN_ATTEMPTS.
 */
async function join(viewer: Viewer, open: () => Promise<Attempt>, attempt = 1): Promise<void> {
  let current: Attempt;
  try {
    current = await open();
  } catch (e) {
    lastError = (e as Error).message;
    if (attempt < JOIN_ATTEMPTS) {
      retries++;
      return join(viewer, open, attempt + 1);
    }
    failed++;
    return;
  }
  closers.push(() => current.close());
  setTimeout(() => {
    if (viewer.connected) return;
    lastError = `not connected after ${JOIN_TIMEOUT_MS} ms (ICE ${current.pc.iceConnectionState}, DTLS ${current.pc.connectionState})`;
    void current.close();
    if (attempt < JOIN_ATTEMPTS) {
      retries++;
      void join(viewer, open, attempt + 1);
    } else failed++;
  }, JOIN_TIMEOUT_MS);
}

function report(): void {
  let packets = 0, lost = 0, stalled = 0, units = 0, malformed = 0, authChecked = 0, authFailed = 0;
  const ttffMs: number[] = [];
  for (const v of viewers) {
    packets += v.packets;
    lost += v.lost;
    units += v.units;
    malformed += v.malformed;
    authChecked += v.authChecked;
    authFailed += v.authFailed;
    if (v.ttffMs !== undefined) ttffMs.push(Math.round(v.ttffMs));
    // A viewer that got packets before and none in the last second has stalled.
    if (v.packetsAtLastReport > 0 && v.packets === v.packetsAtLastReport) stalled++;
    v.packetsAtLastReport = v.packets;
  }
  process.stdout.write(`${JSON.stringify({ viewers: total, connected, drained: drained.length, failed, retries, lastError, packets, lost, stalled, authChecked, authFailed, units, malformed, ttffMs, aus })}\n`);
  aus = [];
}

const timer = setInterval(report, 1000);
process.on('SIGTERM', async () => {
  clearInterval(timer);
  await Promise.race([Promise.allSettled(closers.map((c) => c())), new Promise((r) => setTimeout(r, 2000))]);
  process.exit(0);
});

const whepUrls = values.whep?.split(',') ?? [];
const total = count * Math.max(1, whepUrls.length);
for (let i = 0; i < total; i++) {
  const viewer = new Viewer(i < fullCount);
  viewers.push(viewer);
  await join(viewer, () => (values.whep ? openWhep(viewer, whepUrls[i % whepUrls.length]!) : openJanus(viewer)));
}
