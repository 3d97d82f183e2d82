import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Event, type RTCRtpSender } from 'werift';
import type { AudioUnit, Track, VideoUnit } from '../../codecs/access-unit.js';
import { H264Depacketizer } from '../../codecs/h264/depacketizer.js';
import { parseRtp, type RtpPacket } from '../../codecs/rtp/packet.js';
import { Stream } from '../stream/index.js';
import { FRAME_TICKS, testVideoUnits } from './testdata/h264-units.js';
import type { RtpOut } from './fast-send.js';
import { writeRtpHeader } from './srtp.js';
import { MAX_RTP_PAYLOAD, ViewerSender, sharedPacketizer } from './sender.js';

/**
 * Stands in for werift's RTCRtpSender (SSRC and the feedback events) and for the SRTP send path
 * (RtpOut): records each packet as it would leave, header and payload parsed at call time.
 */
class FakeSender implements RtpOut {
  readonly ssrc: number;
  readonly onPictureLossIndication = new Event<[]>();
  readonly onRtcp = new Event<[unknown]>();
  readonly onGenericNack = new Event<[{ lost: number[] }]>();
  readonly sent: RtpPacket[] = [];
  /** performance.now() at each send, index-aligned with `sent`. */
  readonly sentAt: number[] = [];
  /** ROC given with each packet, index-aligned with `sent`. */
  readonly rocs: number[] = [];
  /** Packets queued since the last flush (a unit must end with a flush). */
  unflushed = 0;
  constructor(ssrc: number) {
    this.ssrc = ssrc;
  }
  sendRtp(payload: Buffer, ptMarker: number, seq: number, timestamp: number, ssrc: number, roc: number): number {
    assert.equal(ssrc, this.ssrc);
    const header = writeRtpHeader(Buffer.alloc(12), ptMarker & 0x7f, ptMarker > 0x7f, seq, timestamp, ssrc);
    this.rocs.push(roc);
    this.sent.push(parseRtp(new Uint8Array(Buffer.concat([header, payload])))!);
    this.sentAt.push(performance.now());
    this.unflushed++;
    return 12 + payload.byteLength;
  }
  flush(): number {
    this.unflushed = 0;
    return 0;
  }
  get asSender(): RTCRtpSender {
    return this as unknown as RTCRtpSender;
  }
}

/** ViewerSender's rtpOut for FakeSenders: each sends through itself. */
const viaFake = (s: RTCRtpSender): RtpOut => s as unknown as FakeSender;

const flush = async (): Promise<void> => {
  for (let i = 0; i < 4; i++) await new Promise<void>((r) => setImmediate(r));
};

/** Waits until the viewer's pacer has sent everything (bounded). */
async function drained(v: ViewerSender): Promise<void> {
  await flush();
  const deadline = Date.now() + 5000;
  while (v.pacedPackets > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.equal(v.pacedPackets, 0, 'pacer drained');
}

let units: VideoUnit[] = [];
let sps: Uint8Array;
before(() => {
  units = testVideoUnits(50);
  sps = units[0]!.nalus[0]!;
});

function newStream(): Stream {
  const s = new Stream('cam');
  const tracks: Track[] = [
    { kind: 'video', codec: 'H264', payloadType: 96, clockRate: 90000, fmtp: {}, sps },
    { kind: 'audio', codec: 'PCMA', payloadType: 8, clockRate: 8000, channels: 1, fmtp: {} },
  ];
  s.setTracks(tracks);
  return s;
}

function viewer(stream: Stream, ssrc: number, pt = 102, now?: () => number): { v: ViewerSender; fake: FakeSender } {
  const fake = new FakeSender(ssrc);
  const v = new ViewerSender({ name: `t${ssrc}`, stream, video: { sender: fake.asSender, payloadType: pt }, rtpOut: viaFake, now });
  return { v, fake };
}

/** Units (by RTP timestamp) a depacketizer rebuilds from what one viewer was sent. */
function depacketize(packets: RtpPacket[]): VideoUnit[] {
  const d = new H264Depacketizer();
  return packets.flatMap((p) => d.push(p));
}

describe('ViewerSender', () => {
  it('packetizes each unit once for 10 viewers, each with its own SSRC, payload type and sequence', async () => {
    const stream = newStream();
    const viewers = Array.from({ length: 10 }, (_, i) => viewer(stream, 1000 + i, 100 + i));
    for (const { v } of viewers) v.start();
    for (let i = 0; i < 30; i++) stream.push(units[i]!);
    await flush();
    assert.equal(sharedPacketizer(stream).packetized, 30);
    const reference = viewers[0]!.fake.sent.map((p) => Buffer.from(p.payload).toString('hex'));
    for (const [i, { fake }] of viewers.entries()) {
      assert.ok(fake.sent.length > 30);
      assert.equal(fake.unflushed, 0, 'every unit ends with a flush');
      for (const [j, p] of fake.sent.entries()) {
        assert.equal(p.ssrc, 1000 + i);
        assert.equal(p.payloadType, 100 + i);
        assert.equal(p.sequenceNumber, (fake.sent[0]!.sequenceNumber + j) & 0xffff);
      }
      assert.deepEqual(fake.sent.map((p) => Buffer.from(p.payload).toString('hex')), reference);
      assert.equal(depacketize(fake.sent).length, 30);
    }
    stream.close();
  });

  it("never leaks one viewer's header into another's packets", async () => {
    const stream = newStream();
    const a = viewer(stream, 0xaaaa);
    const b = viewer(stream, 0xbbbb);
    a.v.start();
    b.v.start();
    stream.push(units[0]!);
    await flush();
    stream.push(units[1]!);
    await flush();
    for (const [fake, ssrc] of [[a.fake, 0xaaaa], [b.fake, 0xbbbb]] as const) {
      assert.ok(fake.sent.length > 2);
      for (const p of fake.sent) assert.equal(p.ssrc, ssrc);
      const seqs = fake.sent.map((p) => p.sequenceNumber);
      for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], (seqs[i - 1]! + 1) & 0xffff);
    }
    stream.close();
  });

  it('compresses the GOP catch-up to 1 tick apart, ending just before the live continuation', async () => {
    const stream = newStream();
    for (let i = 0; i < 10; i++) stream.push(units[i]!); // keyframe + 9
    const { v, fake } = viewer(stream, 1);
    v.start();
    await drained(v);
    stream.push(units[10]!);
    await drained(v);
    const ts = [...new Set(fake.sent.map((p) => p.timestamp))];
    assert.equal(ts.length, 11);
    for (let i = 1; i < 10; i++) assert.equal((ts[i]! - ts[i - 1]!) >>> 0, 1, `catch-up step ${i}`);
    assert.equal((ts[10]! - ts[9]!) >>> 0, FRAME_TICKS, 'live continues one frame after the last cached unit');
    const first = depacketize(fake.sent)[0]!;
    assert.equal(first.keyframe, true);
    assert.equal(v.stats.keyframesSent, 1);
    stream.close();
  });

  it('paces the GOP catch-up instead of one burst, with live packets queued behind it in order', async () => {
    const stream = newStream();
    for (let i = 0; i < 24; i++) stream.push(units[i]!);
    const fake = new FakeSender(7);
    const pacing = { burstBytes: 4000, bytesPerMs: 200 };
    const v = new ViewerSender({ name: 'paced', stream, video: { sender: fake.asSender, payloadType: 102 }, rtpOut: viaFake, pacing });
    const startedAt = performance.now();
    v.start();
    await flush();
    const gopBytes = stream.gopUnits().reduce((n, u) => n + (u.kind === 'video' ? u.nalus.reduce((m, x) => m + x.length, 0) : 0), 0);
    assert.ok(gopBytes > 3 * pacing.burstBytes, `test GOP too small (${gopBytes} bytes)`);
    // The first burst is what went out in one synchronous pass: the pacer's next pass comes ≥ 2 ms
    // later (a slow machine may already have run it during the flush above).
    let sentAtOnce = 1;
    while (sentAtOnce < fake.sentAt.length && fake.sentAt[sentAtOnce]! - fake.sentAt[sentAtOnce - 1]! < 1.5) sentAtOnce++;
    assert.ok(sentAtOnce > 0, 'the burst went out at once');
    const burstBytes = fake.sent.slice(0, sentAtOnce).reduce((n, p) => n + p.payload.length, 0);
    // The bucket: its depth, one packet's overshoot, and what it refilled while the pass ran.
    const budget = pacing.burstBytes + MAX_RTP_PAYLOAD + (fake.sentAt[sentAtOnce - 1]! - startedAt) * pacing.bytesPerMs;
    assert.ok(burstBytes <= budget, `burst of ${burstBytes} bytes exceeds the budget of ${budget.toFixed(0)}`);
    stream.push(units[24]!); // a live unit while the catch-up is still being paced
    await flush();
    const deadline = Date.now() + 5000;
    while (depacketize(fake.sent).length < 25 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(fake.sent.length > sentAtOnce, 'the rest followed');
    const out = depacketize(fake.sent);
    assert.equal(out.length, 25, 'every catch-up unit and the live one arrived whole');
    for (let i = 1; i < fake.sent.length; i++) {
      assert.equal(fake.sent[i]!.sequenceNumber, (fake.sent[i - 1]!.sequenceNumber + 1) & 0xffff);
      assert.ok(fake.sent[i]!.timestamp - fake.sent[i - 1]!.timestamp >= 0, 'timestamps never step back');
    }
    v.close();
  });

  it('answers a PLI with the cached GOP right after the last timestamp, at most once per 500 ms', async () => {
    const stream = newStream();
    let now = 0;
    const { v, fake } = viewer(stream, 1, 102, () => now);
    v.start();
    for (let i = 0; i < 5; i++) stream.push(units[i]!);
    await flush();
    const before = fake.sent.length;
    const lastTs = fake.sent.at(-1)!.timestamp;
    fake.onPictureLossIndication.execute();
    await drained(v);
    const replay = fake.sent.slice(before);
    assert.ok(replay.length > 0);
    const replayTs = [...new Set(replay.map((p) => p.timestamp))];
    assert.deepEqual(replayTs, [1, 2, 3, 4, 5].map((d) => (lastTs + d) >>> 0));
    assert.equal(depacketize(replay)[0]?.keyframe, true);
    assert.equal(v.stats.plisReceived, 1);
    assert.equal(v.stats.gopReplays, 1);
    fake.onPictureLossIndication.execute(); // 0 ms later: rate-limited
    assert.equal(v.stats.gopReplays, 1);
    assert.equal(v.stats.keyframeRequestsIgnored, 1);
    now = 600;
    fake.onRtcp.execute({ type: 206, feedback: { count: 4 } }); // FIR
    assert.equal(v.stats.firsReceived, 1);
    assert.equal(v.stats.gopReplays, 2);
    // Live continues after the replays without stepping back.
    stream.push(units[5]!);
    await drained(v);
    const all = [...new Set(fake.sent.map((p) => p.timestamp))];
    for (let i = 1; i < all.length; i++) assert.ok(((all[i]! - all[i - 1]!) | 0) > 0, `timestamps increase at ${i}`);
    stream.close();
  });

  it('keeps SSRC and sequence across a camera reconnect and keeps timestamps increasing', async () => {
    const stream = newStream();
    const { v, fake } = viewer(stream, 42);
    v.start();
    for (let i = 0; i < 5; i++) stream.push(units[i]!);
    await flush();
    const n = fake.sent.length;
    stream.setOffline();
    stream.setTracks(stream.tracks);
    // The new session's clock starts over at 0.
    stream.push({ ...units[25]!, pts: 0 });
    stream.push({ ...units[26]!, pts: FRAME_TICKS });
    await flush();
    assert.ok(fake.sent.length > n);
    assert.equal(fake.sent[n]!.ssrc, 42);
    assert.equal(fake.sent[n]!.sequenceNumber, (fake.sent[n - 1]!.sequenceNumber + 1) & 0xffff);
    assert.ok(((fake.sent[n]!.timestamp - fake.sent[n - 1]!.timestamp) | 0) > 0);
    const after = [...new Set(fake.sent.slice(n).map((p) => p.timestamp))];
    assert.equal((after[1]! - after[0]!) >>> 0, FRAME_TICKS);
    stream.close();
  });

  it('passes audio payloads through with its own SSRC, payload type and timestamps', async () => {
    const stream = newStream();
    const video = new FakeSender(1);
    const audio = new FakeSender(2);
    const v = new ViewerSender({
      name: 'av', stream, video: { sender: video.asSender, payloadType: 102 },
      audio: { sender: audio.asSender, payloadType: 8, codec: 'PCMA' }, rtpOut: viaFake,
    });
    v.start();
    for (let i = 0; i < 5; i++) {
      const a: AudioUnit = { kind: 'audio', codec: 'PCMA', clockRate: 8000, pts: 1000 + i * 160, payload: new Uint8Array(160).fill(i), receivedAt: 0 };
      stream.push(a);
    }
    await flush();
    assert.equal(audio.sent.length, 5);
    for (const [i, p] of audio.sent.entries()) {
      assert.equal(p.ssrc, 2);
      assert.equal(p.payloadType, 8);
      assert.deepEqual([...p.payload], new Array(160).fill(i));
      if (i) assert.equal((p.timestamp - audio.sent[i - 1]!.timestamp) >>> 0, 160);
    }
    assert.equal(video.sent.length, 0);
    stream.close();
  });
  it('resends NACKed packets unchanged from its own history (werift never saw them)', async () => {
    const stream = newStream();
    const { v, fake } = viewer(stream, 0x5150);
    v.start();
    for (let i = 0; i < 3; i++) stream.push(units[i]!);
    await flush();
    const original = fake.sent.slice();
    const wanted = [original[1]!.sequenceNumber, original[original.length - 1]!.sequenceNumber];
    fake.onGenericNack.execute({ lost: [...wanted, (original[0]!.sequenceNumber + 5000) & 0xffff] });
    const resent = fake.sent.slice(original.length);
    assert.deepEqual(resent.map((p) => p.sequenceNumber), wanted, 'only packets still in the history');
    for (const p of resent) {
      const o = original.find((q) => q.sequenceNumber === p.sequenceNumber)!;
      assert.equal(p.timestamp, o.timestamp);
      assert.equal(p.marker, o.marker);
      assert.deepEqual(Buffer.from(p.payload), Buffer.from(o.payload));
    }
    assert.equal(v.stats.nacksReceived, 1);
    assert.equal(v.stats.packetsRetransmitted, 2);
    stream.close();
  });
});
