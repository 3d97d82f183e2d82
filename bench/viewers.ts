/**
 * A separate process of N WHEP viewers (werift peers on 127.0.0.1) for the relay benchmark.
 * Each viewer depacketizes what it receives with our own H.264 depacketizer, so a viewer that
 * gets garbage counts malformed units instead of packets.
 *
 *   node --import tsx bench/viewers.ts --url http://127.0.0.1:8080/whep/cam --count 10
 * Prints one JSON line per second: { connected, packets, units, keyframes, lost, malformed }.
 */
import { parseArgs } from 'node:util';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { parseRtp } from '../codecs/rtp/packet.js';
import { H264Depacketizer } from '../codecs/h264/depacketizer.js';
import { guardPeerConnection, iceConfig } from '../core/webrtc/ice.js';

const { values } = parseArgs({ options: { url: { type: 'string' }, count: { type: 'string', default: '1' } } });
const url = values.url!;
const count = Number(values.count);

interface Totals {
  connected: number;
  packets: number;
  units: number;
  keyframes: number;
  lost: number;
  malformed: number;
  firstUnitMs: number[];
}
const totals: Totals = { connected: 0, packets: 0, units: 0, keyframes: 0, lost: 0, malformed: 0, firstUnitMs: [] };
const depacketizers: H264Depacketizer[] = [];

async function openViewer(): Promise<RTCPeerConnection> {
  const ice = { hostAddresses: ['127.0.0.1'], iceServers: [] };
  const pc = new RTCPeerConnection({
    ...iceConfig(ice),
    codecs: {
      video: [
        new RTCRtpCodecParameters({
          mimeType: 'video/H264',
          clockRate: 90000,
          rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
          parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
        }),
        new RTCRtpCodecParameters({
          mimeType: 'video/H264',
          clockRate: 90000,
          rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
          parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f',
        }),
      ],
    },
  });
  guardPeerConnection(pc, ice.iceServers);
  const depacketizer = new H264Depacketizer();
  depacketizers.push(depacketizer);
  const started = performance.now();
  let first = true;
  const transceiver = pc.addTransceiver('video', { direction: 'recvonly' });
  transceiver.onTrack.subscribe((track) => {
    track.onReceiveRtp.subscribe((rtp) => {
      totals.packets++;
      const pkt = parseRtp(rtp.serialize());
      if (!pkt) return;
      for (const unit of depacketizer.push(pkt)) {
        totals.units++;
        if (unit.keyframe) totals.keyframes++;
        if (first) {
          first = false;
          totals.firstUnitMs.push(performance.now() - started);
        }
      }
    });
  });
  pc.connectionStateChange.subscribe((state) => {
    if (state === 'connected') totals.connected++;
  });
  await pc.setLocalDescription(await pc.createOffer());
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription!.sdp });
  if (res.status !== 201) throw new Error(`WHEP ${res.status}: ${await res.text()}`);
  await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  return pc;
}

const pcs: RTCPeerConnection[] = [];
for (let i = 0; i < count; i++) pcs.push(await openViewer());

const timer = setInterval(() => {
  let lost = 0;
  let malformed = 0;
  for (const d of depacketizers) {
    lost += d.stats.lostPackets;
    malformed += d.stats.malformed;
  }
  process.stdout.write(`${JSON.stringify({ ...totals, lost, malformed })}\n`);
}, 1000);

process.on('SIGTERM', async () => {
  clearInterval(timer);
  await Promise.allSettled(pcs.map((pc) => pc.close()));
  process.exit(0);
});
