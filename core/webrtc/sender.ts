/**
 * One WebRTC viewer as a reader of its camera's Stream.
 *
 * Packetization happens once per unit for all viewers (SharedPacketizer, RFC 6184 payloads of at
 * most 1200 bytes, cached on the unit in a WeakMap); each viewer then sends those payloads under
 * its own SSRC, payload type, sequence numbers and timestamps: a 12-byte header written per
 * viewer into a buffer of its own (no object is shared between viewers, unlike werift's
 * track.writeRtp, which hands one RtpPacket to every sender), SRTP-protected and sent by the fast
 * path in `fast-send.ts`. werift's RTCRtpSender keeps its SSRC, its RTCP (sender reports fed from
 * here, PLI/FIR/NACK surfaced to here), and never sends media itself.
 *
 * Timestamps (90 kHz video, the codec clock for audio) are `unit.pts + shift`, with a random
 * per-viewer base:
 *   - GOP catch-up (the cached units a new reader starts with) is squeezed to 1 tick apart, ending
 *     just before the live continuation, so the browser shows the newest picture at once — no
 *     fast-forward, no jump afterwards: rtpTs_i = (last.pts + shift) - (n-1-i).
 *   - A PLI/FIR is answered by replaying the cached GOP at lastTs+1, +2, … (at most one replay per
 *     `pliMinIntervalMs`): an RTSP camera cannot be asked for a keyframe.
 *   - A camera reconnect re-bases the shift so timestamps keep increasing; SSRC and sequence
 *     numbers continue.
 */
import { randomBytes } from 'node:crypto';
import type { RTCRtpSender } from 'werift';
import type { AudioUnit, Track, Unit, VideoUnit } from '../../codecs/access-unit.js';
import { H264Packetizer } from '../../codecs/h264/packetizer.js';
import type { Reader, ReaderSink, Stream } from '../stream/index.js';
import { fastRtpOut, noteSent, type RtpOut } from './fast-send.js';
import { SrtpSequence } from './srtp.js';

/** Largest RTP payload we send: fits a 1280-byte path MTU with RTP/SRTP/UDP/IPv6 headers. */
export const MAX_RTP_PAYLOAD = 1200;

/** Packetizes each video unit once, whoever asks first; later viewers get the cached payloads. */
export class SharedPacketizer {
  readonly #packetizer = new H264Packetizer(MAX_RTP_PAYLOAD);
  readonly #cache = new WeakMap<VideoUnit, readonly Buffer[]>();
  /** Units packetized so far (stays one per unit however many viewers send it). */
  packetized = 0;

  /** RTP payloads of `unit` (single NAL, STAP-A or FU-A); the caller sets the marker on the last. */
  payloads(unit: VideoUnit): readonly Buffer[] {
    const cached = this.#cache.get(unit);
    if (cached) return cached;
    const out = this.#packetizer.packetize(unit.nalus).map(asBuffer);
    this.#cache.set(unit, out);
    this.packetized++;
    return out;
  }
}

const packetizers = new WeakMap<Stream, SharedPacketizer>();

/** The stream's shared packetizer (created on first use, dropped with the stream). */
export function sharedPacketizer(stream: Stream): SharedPacketizer {
  let p = packetizers.get(stream);
  if (!p) packetizers.set(stream, (p = new SharedPacketizer()));
  return p;
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function random32(): number {
  return randomBytes(4).readUInt32BE(0);
}

/** Pacing of GOP catch-up and PLI replays: a first burst, then a steady rate. */
export interface PacingOptions {
  /** Bytes sent at once before pacing starts (a keyframe usually fits). */
  burstBytes: number;
  /** Bytes per millisecond after the burst (5000 = 40 Mbit/s). */
  bytesPerMs: number;
}

/**
 * 16 KiB at once, then 20 Mbit/s: a 2 s GOP of a 2 Mbit/s camera (~500 KB) goes out in ~200 ms.
 * Measured with werift viewers on loopback (the relay bench's first version): 64 KiB + 40 Mbit/s still lost ~180 packets per
 * joining viewer (its socket buffer overflows while it finishes DTLS setup); this lost none.
 */
export const DEFAULT_PACING: PacingOptions = { burstBytes: 16 * 1024, bytesPerMs: 2500 };

/** Paced packets a viewer may have waiting before its reader stops delivering (≈ 2 MB). */
const MAX_PACED_PACKETS = 2000;

/** Packets of history kept per sender for NACK retransmission (about 2 s of 720p at 2 Mbit/s). */
const NACK_HISTORY = 512;

/**
 * Sends payloads under one RTCRtpSender's SSRC with this viewer's own sequence numbers, through
 * the fast SRTP path (`fast-send.ts`), flushed at the end of each unit so the path can hand the
 * whole unit to the kernel at once; nothing is allocated here per packet. The last
 * NACK_HISTORY packets are remembered by sequence number (payload reference, timestamp, marker,
 * ROC in typed arrays) and resent unchanged when the browser NACKs them (RFC 4585 §6.2.1).
 *
 * Paced sends (GOP catch-up, PLI replays) go through a token bucket: a whole GOP written in one
 * synchronous loop is a burst of several hundred packets that overflows the receiver's socket
 * buffer (measured: 132 of ~400 catch-up packets lost by a loopback werift viewer). While paced packets
 * wait, later packets queue behind them so the order on the wire stays the sending order.
 */
class RtpWriter {
  readonly #sender: RTCRtpSender;
  readonly #out: RtpOut;
  readonly #payloadType: number;
  readonly #pacing: PacingOptions;
  /** Sender reports are fed at the end of each video unit, and at every audio packet. */
  readonly #reportEveryPacket: boolean;
  readonly #seq = new SrtpSequence(random32());
  readonly #historyPayload: Array<Buffer | undefined> = new Array(NACK_HISTORY);
  readonly #historySeq = new Int32Array(NACK_HISTORY).fill(-1);
  readonly #historyTs = new Uint32Array(NACK_HISTORY);
  readonly #historyRoc = new Uint32Array(NACK_HISTORY);
  readonly #historyMarker = new Uint8Array(NACK_HISTORY);
  #queue: Array<{ payload: Buffer; timestamp: number; marker: boolean }> = [];
  #tokens: number;
  #lastRefill = performance.now();
  #timer?: NodeJS.Timeout;
  #unitPackets = 0;
  #unitBytes = 0;
  packets = 0;
  bytes = 0;
  retransmitted = 0;
  /** Packets the transport dropped (not connected yet, consent lost, or not taken by the kernel). */
  dropped = 0;
  closed = false;
  /** Called when the paced queue has emptied. */
  onDrain?: () => void;

  constructor(sender: RTCRtpSender, out: RtpOut, payloadType: number, pacing: PacingOptions, reportEveryPacket: boolean) {
    this.#sender = sender;
    this.#out = out;
    this.#payloadType = payloadType;
    this.#pacing = pacing;
    this.#tokens = pacing.burstBytes;
    this.#reportEveryPacket = reportEveryPacket;
  }

  get ssrc(): number {
    return this.#sender.ssrc;
  }

  /** Packets waiting for the pacer. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Sends now, unless paced packets are waiting (then it queues behind them). */
  send(payload: Buffer, timestamp: number, marker: boolean): void {
    if (this.#queue.length > 0) this.paced(payload, timestamp, marker);
    else this.#write(payload, timestamp, marker);
  }

  /** Sends through the token bucket. */
  paced(payload: Buffer, timestamp: number, marker: boolean): void {
    this.#queue.push({ payload, timestamp, marker });
    if (!this.#timer) this.#flush();
  }

  /** Resends the packets of `seqs` still in the history (a NACK's lost list); returns how many. */
  retransmit(seqs: readonly number[]): number {
    let sent = 0;
    for (const seq of seqs) {
      const i = seq % NACK_HISTORY;
      const payload = this.#historyPayload[i];
      if (this.closed || !payload || this.#historySeq[i] !== seq) continue;
      const ptMarker = this.#payloadType | (this.#historyMarker[i] === 1 ? 0x80 : 0);
      if (this.#out.sendRtp(payload, ptMarker, seq, this.#historyTs[i]!, this.ssrc, this.#historyRoc[i]!) > 0) sent++;
    }
    this.dropped += this.#out.flush();
    this.retransmitted += sent;
    return sent;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.#timer);
    this.#queue = [];
    this.#historyPayload.fill(undefined);
  }

  #flush = (): void => {
    this.#timer = undefined;
    if (this.closed) return;
    const now = performance.now();
    const { burstBytes, bytesPerMs } = this.#pacing;
    this.#tokens = Math.min(burstBytes, this.#tokens + (now - this.#lastRefill) * bytesPerMs);
    this.#lastRefill = now;
    let i = 0;
    const q = this.#queue;
    while (i < q.length && this.#tokens > 0) {
      const p = q[i++]!;
      this.#tokens -= p.payload.byteLength;
      this.#write(p.payload, p.timestamp, p.marker);
    }
    this.dropped += this.#out.flush();
    this.#queue = i === q.length ? [] : q.slice(i);
    if (this.#queue.length > 0) this.#timer = setTimeout(this.#flush, 2);
    else this.onDrain?.();
  };

  #write(payload: Buffer, timestamp: number, marker: boolean): void {
    const seq = this.#seq.seq;
    const roc = this.#seq.roc;
    const ssrc = this.ssrc;
    this.#seq.next();
    const i = seq % NACK_HISTORY;
    this.#historyPayload[i] = payload;
    this.#historySeq[i] = seq;
    this.#historyTs[i] = timestamp >>> 0;
    this.#historyRoc[i] = roc;
    this.#historyMarker[i] = marker ? 1 : 0;
    this.packets++;
    this.bytes += payload.byteLength;
    if (this.#out.sendRtp(payload, this.#payloadType | (marker ? 0x80 : 0), seq, timestamp >>> 0, ssrc, roc) === 0) this.dropped++;
    this.#unitPackets++;
    this.#unitBytes += payload.byteLength;
    if (marker || this.#reportEveryPacket) {
      this.dropped += this.#out.flush();
      noteSent(this.#sender, timestamp, this.#unitPackets, this.#unitBytes);
      this.#unitPackets = 0;
      this.#unitBytes = 0;
    }
  }
}

/** Counters of one viewer. */
export interface ViewerSenderStats {
  packetsSent: number;
  bytesSent: number;
  videoUnitsSent: number;
  audioUnitsSent: number;
  keyframesSent: number;
  /** Units sent from the GOP cache when the viewer started (with compressed timestamps). */
  catchUpUnits: number;
  plisReceived: number;
  firsReceived: number;
  gopReplays: number;
  /** PLI/FIR not answered: rate limit, or nothing cached yet. */
  keyframeRequestsIgnored: number;
  nacksReceived: number;
  /** Packets resent from the NACK history. */
  packetsRetransmitted: number;
  /** Packets the transport dropped: not connected yet, ICE consent lost (RFC 7675), or not taken by the kernel. */
  packetsDropped: number;
}

/** What a ViewerSender sends on. */
export interface ViewerSenderOptions {
  name: string;
  stream: Stream;
  video: { sender: RTCRtpSender; payloadType: number };
  audio?: { sender: RTCRtpSender; payloadType: number; codec: string };
  /** Minimum time between two GOP replays answering PLI/FIR (default 500 ms). */
  pliMinIntervalMs?: number;
  /** Pacing of catch-up and replays (default DEFAULT_PACING). */
  pacing?: PacingOptions;
  now?: () => number;
  /** The send path of a sender (default: fastRtpOut, SRTP straight to the ICE socket). */
  rtpOut?: (sender: RTCRtpSender) => RtpOut;
}

/** A viewer's ReaderSink: shared payloads, its own RTP header fields, catch-up and PLI handling. */
export class ViewerSender implements ReaderSink {
  readonly name: string;
  readonly stats: ViewerSenderStats = {
    packetsSent: 0, bytesSent: 0, videoUnitsSent: 0, audioUnitsSent: 0, keyframesSent: 0, catchUpUnits: 0,
    plisReceived: 0, firsReceived: 0, gopReplays: 0, keyframeRequestsIgnored: 0, nacksReceived: 0, packetsRetransmitted: 0, packetsDropped: 0,
  };
  readonly #stream: Stream;
  readonly #packetizer: SharedPacketizer;
  readonly #video: RtpWriter;
  readonly #audio?: RtpWriter;
  readonly #audioCodec?: string;
  readonly #pliMinIntervalMs: number;
  readonly #now: () => number;
  #reader?: Reader;
  #closed = false;
  /** The GOP the reader was started with (catch-up units arrive in this order). */
  #plan: readonly Unit[] = [];
  #planIndex = 0;
  #videoShift?: number;
  #lastVideoTs = 0;
  #videoStarted = false;
  #audioShift?: number;
  #lastAudioTs = 0;
  #rebase = false;
  #audioRebase = false;
  #lastReplayAt = -Infinity;
  readonly #unsubscribe: Array<() => void> = [];

  constructor(opts: ViewerSenderOptions) {
    this.name = opts.name;
    this.#stream = opts.stream;
    this.#packetizer = sharedPacketizer(opts.stream);
    const pacing = opts.pacing ?? DEFAULT_PACING;
    const rtpOut = opts.rtpOut ?? fastRtpOut;
    this.#video = new RtpWriter(opts.video.sender, rtpOut(opts.video.sender), opts.video.payloadType, pacing, false);
    this.#video.onDrain = () => this.#reader?.resume();
    if (opts.audio) {
      this.#audio = new RtpWriter(opts.audio.sender, rtpOut(opts.audio.sender), opts.audio.payloadType, pacing, true);
      this.#audioCodec = opts.audio.codec.toUpperCase();
    }
    this.#pliMinIntervalMs = opts.pliMinIntervalMs ?? 500;
    this.#now = opts.now ?? (() => performance.now());
    const pli = opts.video.sender.onPictureLossIndication.subscribe(() => {
      this.stats.plisReceived++;
      this.requestKeyframe();
    });
    const rtcp = opts.video.sender.onRtcp.subscribe((rtcp) => {
      // Payload-specific feedback, FMT 4 = FIR (RFC 5104 §4.3.1); werift surfaces only PLI itself.
      const fb = (rtcp as { type?: number; feedback?: { count?: number } }).feedback;
      if (rtcp.type === 206 && fb?.count === 4) {
        this.stats.firsReceived++;
        this.requestKeyframe();
      }
    });
    this.#unsubscribe.push(pli.unSubscribe, rtcp.unSubscribe);
    // Generic NACK (RFC 4585 §6.2.1): werift's own history is empty since it sends nothing itself.
    const nackOf = (sender: RTCRtpSender, writer: RtpWriter) => sender.onGenericNack.subscribe((nack) => {
      this.stats.nacksReceived++;
      writer.retransmit(nack.lost);
      this.#syncCounters();
    }).unSubscribe;
    this.#unsubscribe.push(nackOf(opts.video.sender, this.#video));
    if (opts.audio && this.#audio) this.#unsubscribe.push(nackOf(opts.audio.sender, this.#audio));
  }

  /** SSRC of the video sender (for tests and stats). */
  /**
   * What this viewer adds to a unit's pts to make its RTP timestamp, mod 2^32 (undefined before
   * the first live unit). A player subtracts it from a frame's RTP timestamp to find the pts the
   * /ws detections carry; it moves on a camera reconnect, so players ask again now and then.
   */
  get videoRtpOffset(): number | undefined {
    return this.#videoShift === undefined ? undefined : this.#videoShift >>> 0;
  }

  get videoSsrc(): number {
    return this.#video.ssrc;
  }

  /** Attaches to the stream, starting from its cached GOP; call once the peer is connected. */
  start(): void {
    if (this.#closed || this.#reader) return;
    this.#plan = this.#stream.gopUnits().slice();
    this.#reader = this.#stream.addReader(this, { gop: true });
  }

  /** Receives one unit from the reader. */
  write(unit: Unit, catchUp: boolean): void {
    if (this.#closed) return;
    if (unit.kind === 'audio') this.#writeAudio(unit);
    else if (unit.codec === 'H264') this.#writeVideo(unit, catchUp);
  }

  /** The camera reconnected: keep SSRC and sequence numbers, re-base timestamps, wait for a keyframe. */
  onTracks(_tracks: readonly Track[]): void {
    this.#rebase = true;
    this.#audioRebase = true;
    this.#videoStarted = false;
    this.#plan = [];
  }

  /** Answers a PLI/FIR by replaying the cached GOP right after the last sent timestamp. */
  requestKeyframe(): void {
    const now = this.#now();
    const gop = this.#stream.gopUnits();
    const first = gop[0];
    if (
      this.#closed || !this.#videoStarted || this.#planIndex < this.#plan.length ||
      now - this.#lastReplayAt < this.#pliMinIntervalMs || first?.kind !== 'video' || !first.keyframe
    ) {
      this.stats.keyframeRequestsIgnored++;
      return;
    }
    this.#lastReplayAt = now;
    this.stats.gopReplays++;
    for (const unit of gop) if (unit.kind === 'video') this.#sendVideo(unit, this.#lastVideoTs + 1, true);
  }

  /** Detaches from the stream; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#unsubscribe) off();
    this.#reader?.close();
    this.#video.close();
    this.#audio?.close();
  }

  /** Video packets waiting for the pacer (catch-up or a replay still going out). */
  get pacedPackets(): number {
    return this.#video.queued;
  }

  /** Backpressure for the reader: the pacer is more than a GOP behind (it then drops and resyncs). */
  congested(): boolean {
    return this.#video.queued > MAX_PACED_PACKETS;
  }

  #writeVideo(unit: VideoUnit, catchUp: boolean): void {
    if (!this.#videoStarted) {
      if (!unit.keyframe) return;
      this.#videoStarted = true;
    }
    let ts: number;
    const plan = this.#plan;
    if (catchUp && plan[this.#planIndex] === unit) {
      const last = plan[plan.length - 1]!;
      this.#videoShift ??= random32() - last.pts;
      ts = last.pts + this.#videoShift - (plan.length - 1 - this.#planIndex);
      this.#planIndex++;
      this.stats.catchUpUnits++;
    } else if (catchUp) {
      ts = this.#lastVideoTs + 1;
      this.stats.catchUpUnits++;
    } else {
      this.#planIndex = plan.length;
      if (this.#videoShift === undefined) this.#videoShift = random32() - unit.pts;
      else if (this.#rebase) this.#videoShift = this.#lastVideoTs + 3000 - unit.pts;
      this.#rebase = false;
      ts = unit.pts + this.#videoShift;
    }
    if (this.stats.videoUnitsSent > 0 && ts <= this.#lastVideoTs) {
      // Never step back (after a GOP replay, or a source whose clock jumped): nudge the shift.
      if (!catchUp) this.#videoShift! += this.#lastVideoTs + 1 - ts;
      ts = this.#lastVideoTs + 1;
    }
    this.#sendVideo(unit, ts, catchUp);
  }

  #sendVideo(unit: VideoUnit, ts: number, paced: boolean): void {
    const payloads = this.#packetizer.payloads(unit);
    const n = payloads.length;
    const video = this.#video;
    for (let i = 0; i < n; i++) {
      if (paced) video.paced(payloads[i]!, ts, i === n - 1);
      else video.send(payloads[i]!, ts, i === n - 1);
    }
    this.#lastVideoTs = ts;
    this.stats.videoUnitsSent++;
    if (unit.keyframe) this.stats.keyframesSent++;
    this.#syncCounters();
  }

  #writeAudio(unit: AudioUnit): void {
    const audio = this.#audio;
    if (!audio || unit.codec.toUpperCase() !== this.#audioCodec) return;
    const step = Math.round(unit.clockRate / 50);
    if (this.#audioShift === undefined) this.#audioShift = random32() - unit.pts;
    else if (this.#audioRebase) this.#audioShift = this.#lastAudioTs + step - unit.pts;
    this.#audioRebase = false;
    let ts = unit.pts + this.#audioShift;
    if (this.stats.audioUnitsSent > 0 && ts <= this.#lastAudioTs) {
      // Reconnect (pts restarted) or a clock step: continue 20 ms after the last packet.
      this.#audioShift += this.#lastAudioTs + step - ts;
      ts = unit.pts + this.#audioShift;
    }
    audio.send(asBuffer(unit.payload), ts, false);
    this.#lastAudioTs = ts;
    this.stats.audioUnitsSent++;
    this.#syncCounters();
  }

  #syncCounters(): void {
    this.stats.packetsSent = this.#video.packets + (this.#audio?.packets ?? 0);
    this.stats.bytesSent = this.#video.bytes + (this.#audio?.bytes ?? 0);
    this.stats.packetsRetransmitted = this.#video.retransmitted + (this.#audio?.retransmitted ?? 0);
    this.stats.packetsDropped = this.#video.dropped + (this.#audio?.dropped ?? 0);
  }
}
