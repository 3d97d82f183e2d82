/**
 * WHEP end to end on loopback: a werift client (offering what Chromium offers) against the
 * WhepService, fed with real x264 access units at 25 fps.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RTCRtpCodecParameters } from 'werift';
import type { VideoUnit } from '../../codecs/access-unit.js';
import { H264Depacketizer } from '../../codecs/h264/depacketizer.js';
import { parseH264Sps } from '../../codecs/h264/sps.js';
import type { RtpPacket } from '../../codecs/rtp/packet.js';
import { InvalidStateError, ProtocolError, UnsupportedError } from '../errors.js';
import { setLogLevel } from '../log.js';
import { Stream } from '../stream/index.js';
import { waitUntil } from '../testing/wait.js';
import { FRAME_TICKS, feedLoop, testVideoUnits, videoTrack } from './testdata/h264-units.js';
import { TestWhepClient } from './testdata/whep-client.js';
import { WhepService } from './whep.js';

setLogLevel('warn');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 10 ms for at most `ms` × PATIENCE (waitUntil at the pace of RTP). */
const until = (cond: () => boolean, ms: number, what: string): Promise<void> => waitUntil(cond, ms, what, 10);

function depacketize(packets: readonly RtpPacket[]): VideoUnit[] {
  const d = new H264Depacketizer();
  return packets.flatMap((p) => d.push(p));
}

/** RTP timestamp difference as a signed 32-bit number. */
const tsDelta = (a: number, b: number): number => (b - a) | 0;

let units: VideoUnit[];
let stream: Stream;
let service: WhepService;
let feeder: ReturnType<typeof feedLoop>;
const clients: TestWhepClient[] = [];

async function connect(svc = service, camera = 'cam'): Promise<{ client: TestWhepClient; id: string; answerSdp: string }> {
  const client = new TestWhepClient();
  clients.push(client);
  const { id, answerSdp } = await svc.createSession(camera, await client.offer());
  await client.accept(answerSdp);
  return { client, id, answerSdp };
}

before(() => {
  units = testVideoUnits(75, 'high'); // 3 GOPs of 25
  stream = new Stream('cam');
  stream.setTracks([videoTrack(units)]);
  service = new WhepService({ hostAddresses: ['127.0.0.1'], iceServers: [] }, { get: (id) => (id === 'cam' ? stream : undefined) });
  feeder = feedLoop(stream, units);
});

after(async () => {
  feeder.stop();
  service.close();
  await Promise.all(clients.map((c) => c.close()));
  stream.close();
});

describe('WhepService', () => {
  it("answers with the offered payload type matching the camera's High profile, host candidates on 127.0.0.1 only", async () => {
    const { client, answerSdp } = await connect();
    assert.match(answerSdp, /^m=video \d+ UDP\/TLS\/RTP\/SAVPF 112\r?$/m);
    assert.match(answerSdp, /^a=fmtp:112 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001e\r?$/m);
    assert.match(answerSdp, /^a=sendonly\r?$/m);
    const candidates = answerSdp.match(/^a=candidate:.*$/gm) ?? [];
    assert.ok(candidates.length > 0);
    for (const c of candidates) assert.match(c, / 127\.0\.0\.1 \d+ typ host/);
    assert.match(answerSdp, /^a=end-of-candidates\r?$/m, 'non-trickle: gathering complete');
    await until(() => client.packets.length > 0, 3000, 'first packet');
    assert.ok(client.packets.every((p) => p.payloadType === 112));
  });

  it('delivers keyframes whose SPS parses to 640x360 and a growing frame count', async () => {
    const { client } = await connect();
    await until(() => depacketize(client.packets).some((u) => u.keyframe), 3000, 'a keyframe');
    const decoded = depacketize(client.packets);
    const key = decoded.find((u) => u.keyframe)!;
    const sps = key.nalus.find((n) => (n[0]! & 0x1f) === 7)!;
    const info = parseH264Sps(sps)!;
    assert.equal(info.width, 640);
    assert.equal(info.height, 360);
    const n1 = decoded.length;
    await sleep(500);
    const n2 = depacketize(client.packets).length;
    assert.ok(n2 >= n1 + 8, `frames ${n1} → ${n2}`);
    for (const p of client.packets) assert.ok(p.payload.byteLength <= 1200);
  });

  it('gives 3 viewers independent SSRCs and sequence numbers with no cross-talk', async () => {
    const viewers = await Promise.all([connect(), connect(), connect()]);
    await sleep(800);
    const ssrcs = new Set<number>();
    for (const { client, id } of viewers) {
      const own = new Set(client.packets.map((p) => p.ssrc));
      assert.equal(own.size, 1, 'one SSRC per viewer');
      const [ssrc] = own;
      assert.equal(ssrc, service.sessions.get(id)!.sender.videoSsrc);
      ssrcs.add(ssrc!);
      const seq = client.packets.map((p) => p.sequenceNumber);
      assert.ok(seq.length > 50);
      for (let i = 1; i < seq.length; i++) assert.equal(seq[i], (seq[i - 1]! + 1) & 0xffff, `viewer seq at ${i}`);
      assert.ok(depacketize(client.packets)[0]!.keyframe);
    }
    assert.equal(ssrcs.size, 3);
    assert.notDeepEqual(viewers[0]!.client.packets[0]!.sequenceNumber, viewers[1]!.client.packets[0]!.sequenceNumber);
    assert.equal(service.viewersOf('cam'), service.sessions.size);
  });

  it('starts a late viewer on a keyframe from the GOP cache within 200 ms, timestamps monotonic', async () => {
    // Its own stream, so the cached GOP is known: a keyframe and 11 more units, then live units.
    const gopStream = new Stream('gop');
    gopStream.setTracks(stream.tracks);
    for (let i = 0; i < 12; i++) gopStream.push({ ...units[i]!, pts: i * FRAME_TICKS });
    const svc = new WhepService({ hostAddresses: ['127.0.0.1'], iceServers: [] }, { get: () => gopStream });
    const client = new TestWhepClient();
    clients.push(client);
    const { id, answerSdp } = await svc.createSession('gop', await client.offer());
    const feed = feedLoop(gopStream, units, 12);
    try {
      await client.accept(answerSdp);
      await until(() => client.packets.length > 0, 2000, 'first packet');
      const wait = client.arrivals[0]! - client.connectedAt!;
      assert.ok(wait < 200, `first packet ${wait.toFixed(0)} ms after connecting`);
      await until(() => new Set(client.packets.map((p) => p.timestamp)).size >= 16, 2000, '16 units');
    } finally {
      feed.stop();
    }
    const decoded = depacketize(client.packets);
    assert.equal(decoded[0]!.keyframe, true);
    for (let i = 1; i < client.packets.length; i++) {
      assert.ok(tsDelta(client.packets[i - 1]!.timestamp, client.packets[i]!.timestamp) >= 0, `timestamp steps back at ${i}`);
    }
    // The catch-up was squeezed: the cached units sit 1 tick apart, the live ones a frame apart.
    assert.ok(svc.sessions.get(id)!.stats.catchUpUnits >= 12);
    const ts = [...new Set(client.packets.map((p) => p.timestamp))];
    const n = svc.sessions.get(id)!.stats.catchUpUnits;
    for (let i = 1; i < n; i++) assert.equal(tsDelta(ts[i - 1]!, ts[i]!), 1, `catch-up step ${i}`);
    for (let i = n; i < ts.length; i++) assert.equal(tsDelta(ts[i - 1]!, ts[i]!), FRAME_TICKS, `live step ${i}`);
    svc.close();
    gopStream.close();
  });

  it('answers a PLI from the viewer with a keyframe right after the last timestamp', async () => {
    const { client, id } = await connect();
    const session = service.sessions.get(id)!;
    await until(() => client.packets.length > 0, 2000, 'first packet');
    await sleep(700); // past the catch-up, somewhere inside a GOP
    const mark = client.packets.length;
    await client.sendPli(client.packets[0]!.ssrc);
    await until(() => session.stats.plisReceived === 1, 1000, 'the PLI at the server');
    // The replay starts 1 tick after whatever the server sent last (live frames are 3600 apart),
    // so its first packet is the first one 1 tick after its predecessor — in sequence order: NACK
    // retransmissions (same seq, arriving late) must not sit between two packets (a flaky failure
    // under CI load once NACK was negotiated).
    const inSeqOrder = (): typeof client.packets => {
      const after = client.packets.slice(mark);
      const base = after[0]?.sequenceNumber ?? 0;
      const bySeq = new Map<number, (typeof after)[number]>();
      for (const p of after) if (!bySeq.has(p.sequenceNumber)) bySeq.set(p.sequenceNumber, p);
      return [...bySeq.values()].sort((a, b) => ((a.sequenceNumber - base) & 0xffff) - ((b.sequenceNumber - base) & 0xffff));
    };
    const replayedUnits = (): VideoUnit[] => {
      const packets = inSeqOrder();
      const start = packets.findIndex((p, i) => i > 0 && tsDelta(packets[i - 1]!.timestamp, p.timestamp) === 1);
      return start > 0 ? depacketize(packets.slice(start)) : [];
    };
    await until(() => replayedUnits().length > 0, 1000, `the replayed GOP (${JSON.stringify(session.stats)})`);
    assert.equal(session.stats.gopReplays, 1);
    assert.equal(replayedUnits()[0]!.keyframe, true, 'the replay starts with a keyframe');
  });

  it('stops sending once the session is deleted', async () => {
    const { client, id } = await connect();
    await until(() => client.packets.length > 0, 2000, 'first packet');
    const before = service.viewersOf('cam');
    assert.equal(service.deleteSession(id), true);
    assert.equal(service.viewersOf('cam'), before - 1);
    assert.equal(service.deleteSession(id), false);
    await sleep(200);
    const n = client.packets.length;
    await sleep(500);
    assert.equal(client.packets.length, n);
  });

  it('rejects a garbage offer with ProtocolError, a VP8-only or sendonly offer with UnsupportedError', async () => {
    await assert.rejects(service.createSession('cam', 'this is not sdp'), ProtocolError);
    await assert.rejects(service.createSession('cam', 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n'), ProtocolError);
    const vp8 = new TestWhepClient([new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, payloadType: 96 })]);
    clients.push(vp8);
    await assert.rejects(service.createSession('cam', await vp8.offer()), UnsupportedError);
    const publisher = new TestWhepClient();
    clients.push(publisher);
    const sendonly = (await publisher.offer()).replace(/a=recvonly/g, 'a=sendonly');
    await assert.rejects(service.createSession('cam', sendonly), UnsupportedError);
  });

  it('refuses a viewer beyond webrtc.udpPortRange at once instead of never answering (found by the relay bench at 201 viewers)', async () => {
    const svc = new WhepService({ hostAddresses: ['127.0.0.1'], iceServers: [], portRange: [47990, 47991] }, { get: () => stream });
    for (let i = 0; i < 2; i++) {
      const c = new TestWhepClient();
      clients.push(c);
      await svc.createSession('cam', await c.offer());
    }
    const third = new TestWhepClient();
    clients.push(third);
    const t0 = performance.now();
    await assert.rejects(svc.createSession('cam', await third.offer()), (e: Error) => e instanceof InvalidStateError && /allows 2 viewers/.test(e.message));
    assert.ok(performance.now() - t0 < 1000, 'refused at once');
    assert.equal(svc.sessions.size, 2);
    svc.close();
  });

  it('rejects an H.265 camera with UnsupportedError', async () => {
    const h265 = new Stream('h265');
    h265.setTracks([{ kind: 'video', codec: 'H265', payloadType: 96, clockRate: 90000, fmtp: {} }]);
    const svc = new WhepService({ hostAddresses: ['127.0.0.1'], iceServers: [] }, { get: () => h265 });
    const client = new TestWhepClient();
    clients.push(client);
    await assert.rejects(svc.createSession('h265', await client.offer()), UnsupportedError);
    assert.equal(svc.sessions.size, 0);
    svc.close();
    h265.close();
  });

  it('adds a sendonly audio section for a PCMA camera and passes its payloads through', async () => {
    const av = new Stream('av');
    av.setTracks([
      ...stream.tracks,
      { kind: 'audio', codec: 'PCMA', payloadType: 8, clockRate: 8000, channels: 1, fmtp: {} },
    ]);
    const svc = new WhepService({ hostAddresses: ['127.0.0.1'], iceServers: [], portRange: [47000, 47999] }, { get: () => av });
    const client = new TestWhepClient(undefined, true);
    clients.push(client);
    const { answerSdp } = await svc.createSession('av', await client.offer());
    assert.match(answerSdp, /^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 8\r?$/m);
    assert.match(answerSdp, /^a=rtpmap:8 PCMA\/8000\r?$/m);
    for (const c of answerSdp.match(/^a=candidate:.*$/gm) ?? []) {
      const port = Number(/ 127\.0\.0\.1 (\d+) typ/.exec(c)![1]);
      assert.ok(port >= 47000 && port <= 47999, `candidate port ${port} inside the configured range`);
    }
    await client.accept(answerSdp);
    const feed = setInterval(() => {
      const i = feeder.pushed;
      av.push({ ...units[i % units.length]!, pts: i * FRAME_TICKS });
      av.push({ kind: 'audio', codec: 'PCMA', clockRate: 8000, pts: i * 320, payload: new Uint8Array(320).fill(i & 0xff), receivedAt: 0 });
    }, 40);
    try {
      await until(() => client.audioPackets.length >= 5 && client.packets.length > 0, 3000, 'audio and video');
    } finally {
      clearInterval(feed);
    }
    const a = client.audioPackets;
    assert.ok(a.every((p) => p.payloadType === 8 && p.payload.byteLength === 320));
    assert.equal(new Set(a.map((p) => p.ssrc)).size, 1);
    assert.notEqual(a[0]!.ssrc, client.packets[0]!.ssrc);
    svc.close();
    av.close();
  });

  it('waits for a camera that is still connecting before answering', async () => {
    const late = new Stream('late');
    const svc = new WhepService({ hostAddresses: ['127.0.0.1'], iceServers: [], waitForTracksMs: 3000 }, { get: () => late });
    const client = new TestWhepClient();
    clients.push(client);
    setTimeout(() => late.setTracks(stream.tracks), 100);
    const { answerSdp } = await svc.createSession('late', await client.offer());
    assert.match(answerSdp, /profile-level-id=64001e/);
    svc.close();
    late.close();
  });

  it('closes a session that never connects after the connect timeout', async () => {
    const svc = new WhepService({ hostAddresses: ['127.0.0.1'], iceServers: [], connectTimeoutMs: 300 }, { get: () => stream });
    const client = new TestWhepClient();
    clients.push(client);
    const { id } = await svc.createSession('cam', await client.offer()); // answer never applied
    assert.equal(svc.sessions.get(id)?.state, 'connecting');
    await until(() => svc.sessions.size === 0, 2000, 'the timeout');
    svc.close();
  });
});
