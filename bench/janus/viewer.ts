/**
 * A process of WebRTC viewers of a Janus streaming mountpoint, the Janus side's counterpart of
 * bench/viewers.ts. Each viewer is a Janus session: attach janus.plugin.streaming, `watch` (Janus
 * sends the offer), answer with werift, `start`. What arrives is depacketized with our own H.264
 * depacketizer, so a viewer that gets garbage counts malformed units instead of packets.
 *
 * Run it inside the bench's namespace, with host candidates on the namespace's client address:
 *   ip netns exec <ns> node --import tsx bench/janus/viewer.ts --url http://10.77.0.1:8088/janus \
 *     --mountpoint 1 --address 10.77.0.2 [--count 1]
 * Prints one JSON line per second and a last one on SIGTERM:
 *   { viewers, connected, failed, packets, lost, units, keyframes, malformed, ttffMs: [...] }
 * `lost` is RFC 3550 A.3's cumulative loss (expected from the sequence numbers minus received);
 * `ttffMs` is, per viewer, the time from the `start` request to its first complete keyframe.
 */
import { parseArgs } from 'node:util';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { parseRtp } from '../../codecs/rtp/packet.js';
import { H264Depacketizer } from '../../codecs/h264/depacketizer.js';
import { guardPeerConnection, iceConfig } from '../../core/webrtc/ice.js';
import { JanusSession } from './api.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    mountpoint: { type: 'string', default: '1' },
    address: { type: 'string' },
    count: { type: 'string', default: '1' },
    fmtp: { type: 'string', default: 'profile-level-id=4d401f;packetization-mode=1' },
    debug: { type: 'boolean', default: false },
  },
});
if (!values.url || !values.address) throw new Error('usage: viewer.ts --url <janus http api> --address <host candidate address> [--mountpoint 1] [--count 1]');
const url = values.url;
const mountpoint = Number(values.mountpoint);
const count = Number(values.count);

/** One viewer's receive-side counters. */
class ViewerStats {
  packets = 0;
  units = 0;
  keyframes = 0;
  ttffMs?: number;
  private firstSeq = -1;
  private highestSeq = -1; // extended (unwrapped) sequence number

  /** Counts one RTP sequence number (RFC 3550 A.1 unwrapping, simplified: no probation). */
  seq(seq: number): void {
    this.packets++;
    if (this.highestSeq < 0) {
      this.firstSeq = this.highestSeq = seq;
      return;
    }
    const delta = (seq - (this.highestSeq & 0xffff) + 0x10000) & 0xffff;
    if (delta > 0 && delta < 0x8000) this.highestSeq += delta;
  }

  /** Packets expected from the sequence numbers minus packets received (duplicates can hide loss). */
  get lost(): number {
    return this.highestSeq < 0 ? 0 : Math.max(0, this.highestSeq - this.firstSeq + 1 - this.packets);
  }
}

const h264 = (profileLevelFmtp: string) => new RTCRtpCodecParameters({
  mimeType: 'video/H264',
  clockRate: 90000,
  rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
  parameters: profileLevelFmtp,
});

const stats: ViewerStats[] = [];
const depacketizers: H264Depacketizer[] = [];
const peers: Array<{ pc: RTCPeerConnection; session: JanusSession }> = [];
let connected = 0;
let failed = 0;

async function openViewer(): Promise<void> {
  const ice = { hostAddresses: [values.address!], iceServers: [] };
  const session = await JanusSession.open(url, 'janus.plugin.streaming');
  const pc = new RTCPeerConnection({ ...iceConfig(ice), codecs: { video: [h264(values.fmtp!)] } });
  guardPeerConnection(pc, ice.iceServers);
  peers.push({ pc, session });
  const s = new ViewerStats();
  const depacketizer = new H264Depacketizer();
  stats.push(s);
  depacketizers.push(depacketizer);
  let startedAt = 0;
  pc.onTrack.subscribe((track) => {
    track.onReceiveRtp.subscribe((rtp) => {
      s.seq(rtp.header.sequenceNumber);
      const pkt = parseRtp(rtp.serialize());
      if (!pkt) return;
      for (const unit of depacketizer.push(pkt)) {
        s.units++;
        if (!unit.keyframe) continue;
        s.keyframes++;
        s.ttffMs ??= performance.now() - startedAt;
      }
    });
  });
  pc.connectionStateChange.subscribe((state) => {
    if (state === 'connected') connected++;
  });
  const watch = await session.message({ request: 'watch', id: mountpoint });
  if (watch.jsep?.type !== 'offer') throw new Error(`watch: Janus sent no offer: ${JSON.stringify(watch)}`);
  await pc.setRemoteDescription(watch.jsep);
  await pc.setLocalDescription(await pc.createAnswer());
  if (values.debug) {
    session.onEvent = (msg) => process.stderr.write(`janus event: ${JSON.stringify(msg)}\n`);
    pc.iceConnectionStateChange.subscribe((state) => process.stderr.write(`ice: ${state}\n`));
    process.stderr.write(`offer:\n${watch.jsep.sdp}\nanswer:\n${pc.localDescription!.sdp}\n`);
  }
  startedAt = performance.now();
  await session.message({ request: 'start' }, { type: 'answer', sdp: pc.localDescription!.sdp });
  await session.endOfCandidates();
}

function report(): void {
  let packets = 0, lost = 0, units = 0, keyframes = 0, malformed = 0;
  const ttffMs: number[] = [];
  for (const s of stats) {
    packets += s.packets;
    lost += s.lost;
    units += s.units;
    keyframes += s.keyframes;
    if (s.ttffMs !== undefined) ttffMs.push(Math.round(s.ttffMs));
  }
  for (const d of depacketizers) malformed += d.stats.malformed;
  process.stdout.write(`${JSON.stringify({ viewers: count, connected, failed, packets, lost, units, keyframes, malformed, ttffMs })}\n`);
}

const timer = setInterval(report, 1000);
process.on('SIGTERM', async () => {
  clearInterval(timer);
  report();
  await Promise.allSettled(peers.map(({ pc, session }) => Promise.all([pc.close(), session.close()])));
  process.exit(0);
});

for (let i = 0; i < count; i++) {
  await openViewer().catch((e: Error) => {
    failed++;
    process.stderr.write(`viewer ${i}: ${e.stack ?? e.message}\n`);
  });
}
