/**
 * Receiver-side statistics for one RTP source, RFC 3550 Appendix A.1 (sequence validation),
 * A.3 (expected and lost packets), A.8 (interarrival jitter), §6.4.1 (LSR/DLSR).
 *
 *   report block:  ssrc | fraction lost(8) cumulative lost(24) | ext. highest seq
 *                  | jitter | LSR (middle 32 bits of last SR NTP) | DLSR (1/65536 s)
 */
import type { RtpPacket } from './packet.js';
import type { ReportBlock, SenderReport } from './rtcp.js';
import { ntpMiddle32 } from './rtcp.js';

const SEQ_MOD = 0x10000;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;

/** Tracks what one source sent us and produces the report block we send back. */
export class ReceptionStats {
  private started = false;
  private maxSeq = 0;
  private cycles = 0;
  private baseSeq = 0;
  private badSeq = SEQ_MOD + 1;
  private receivedCount = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private jitterValue = 0;
  private lastTs = 0;
  private lastArrival = 0;
  private lastSrNtp = 0;
  private lastSrArrival = -1;

  /** `clockRate` converts arrival times into timestamp units for the jitter. */
  constructor(readonly clockRate: number) {}

  /** Counts one received packet (A.1 update_seq, A.8 jitter). `arrivalMs` is any monotonic clock in ms. */
  update(pkt: RtpPacket, arrivalMs: number): void {
    const seq = pkt.sequenceNumber;
    if (!this.started) {
      this.started = true;
      this.initSeq(seq);
    } else {
      const udelta = (seq - this.maxSeq) & 0xffff;
      if (udelta < MAX_DROPOUT) {
        if (seq < this.maxSeq) this.cycles += SEQ_MOD; // wrapped
        this.maxSeq = seq;
      } else if (udelta <= SEQ_MOD - MAX_MISORDER) {
        // A very large jump: accept it only when the next packet confirms it (source restarted).
        if (seq === this.badSeq) this.initSeq(seq);
        else {
          this.badSeq = (seq + 1) & 0xffff;
          return;
        }
      }
      // else: duplicate or reordered packet, counted but does not move max_seq
    }
    this.receivedCount++;

    if (this.receivedCount > 1) {
      // transit difference without absolute clocks: (arrival delta) - (timestamp delta), ts delta signed 32-bit
      const tsDelta = (pkt.timestamp - this.lastTs) | 0;
      const d = Math.abs(((arrivalMs - this.lastArrival) * this.clockRate) / 1000 - tsDelta);
      this.jitterValue += (d - this.jitterValue) / 16;
    }
    this.lastTs = pkt.timestamp;
    this.lastArrival = arrivalMs;
  }

  /** Remembers the last sender report of this source, for LSR/DLSR. */
  onSenderReport(sr: SenderReport, arrivalMs: number): void {
    this.lastSrNtp = ntpMiddle32(sr.ntpSec, sr.ntpFrac);
    this.lastSrArrival = arrivalMs;
  }

  /** Packets received (including duplicates, as A.1 counts them). */
  get received(): number { return this.receivedCount; }
  /** Extended highest sequence number received. */
  get extendedHighestSeq(): number { return this.cycles + this.maxSeq; }
  /** Packets expected from the first to the highest sequence number. */
  get expected(): number { return this.started ? this.extendedHighestSeq - this.baseSeq + 1 : 0; }
  /** Cumulative packets lost (negative with duplicates). */
  get lost(): number { return this.expected - this.receivedCount; }
  /** Current interarrival jitter estimate in timestamp units. */
  get jitter(): number { return this.jitterValue; }

  /** Produces a report block for `ssrc` and starts a new fraction-lost interval (A.3). */
  report(ssrc: number, nowMs: number = performance.now()): ReportBlock {
    const expected = this.expected;
    const expectedInterval = expected - this.expectedPrior;
    this.expectedPrior = expected;
    const receivedInterval = this.receivedCount - this.receivedPrior;
    this.receivedPrior = this.receivedCount;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
    const lost = Math.max(-0x800000, Math.min(0x7fffff, this.lost));
    const hasSr = this.lastSrArrival >= 0;
    return {
      ssrc,
      fractionLost: Math.min(255, fractionLost),
      cumulativeLost: lost,
      highestSeq: this.extendedHighestSeq >>> 0,
      jitter: Math.floor(this.jitterValue) >>> 0,
      lsr: hasSr ? this.lastSrNtp : 0,
      dlsr: hasSr ? Math.max(0, Math.floor(((nowMs - this.lastSrArrival) / 1000) * 65536)) >>> 0 : 0,
    };
  }

  private initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = SEQ_MOD + 1;
    this.cycles = 0;
    this.receivedCount = 0;
    this.receivedPrior = 0;
    this.expectedPrior = 0;
  }
}
