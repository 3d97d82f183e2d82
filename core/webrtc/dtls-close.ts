/**
 * DTLS close_notify (RFC 5246 §7.2.1, carried as a DTLS record, RFC 6347 §4.1): tells a viewer at
 * once that its session ended. werift's close() sends no alert ("todo impl send alert"), so a
 * browser only noticed a closed session (server shutdown, DELETE, camera removed) after ICE
 * consent checks failed, and a werift peer never did.
 *
 *   record: | type 21 (alert) | version (2) | epoch (2) | sequence (6) | length (2) | encrypted fragment |
 *   alert fragment, before encryption: | level 1 (warning) | description 0 (close_notify) |
 *
 * Reaches into werift's DTLS socket the way fast-send.ts reaches into its SRTP context (checked by
 * core/faults.e2e.test.ts: a werift viewer goes to 'closed' when the server shuts down).
 */
import type { RTCPeerConnection } from 'werift';

const CONTENT_TYPE_ALERT = 21;
const CLOSE_NOTIFY = Buffer.from([1, 0]);

/** What is read of werift's DtlsSocket (lib/dtls/src/socket.js). */
interface WeriftDtlsSocket {
  dtls: { version: { major: number; minor: number }; epoch: number; recordSequenceNumber: number };
  cipher: { encryptPacket(pkt: DtlsRecord): DtlsRecord };
  transport: { send(buf: Buffer): unknown };
}
interface DtlsRecord {
  recordLayerHeader: { contentType: number; protocolVersion: { major: number; minor: number }; epoch: number; sequenceNumber: number; contentLen: number };
  fragment: Buffer;
}

/**
 * Sends close_notify on every connected DTLS transport of `pc`; never throws (best effort, like the
 * alert itself). Close `pc` only after a setImmediate: werift closes its socket synchronously, and
 * dgram drops a send whose address lookup is still pending on nextTick.
 */
export function sendCloseNotify(pc: RTCPeerConnection): void {
  for (const transport of pc.dtlsTransports) {
    const socket = (transport as unknown as { dtls?: WeriftDtlsSocket }).dtls;
    if (transport.state !== 'connected' || !socket?.cipher || !socket.dtls || socket.dtls.epoch < 1) continue;
    try {
      const d = socket.dtls;
      const header = { contentType: CONTENT_TYPE_ALERT, protocolVersion: d.version, epoch: d.epoch, sequenceNumber: ++d.recordSequenceNumber, contentLen: 2 };
      const { recordLayerHeader: h, fragment } = socket.cipher.encryptPacket({ recordLayerHeader: header, fragment: Buffer.from(CLOSE_NOTIFY) });
      const record = Buffer.alloc(13 + fragment.length);
      record.writeUInt8(h.contentType, 0);
      record.writeUInt8(h.protocolVersion.major, 1);
      record.writeUInt8(h.protocolVersion.minor, 2);
      record.writeUInt16BE(h.epoch, 3);
      record.writeUIntBE(h.sequenceNumber, 5, 6);
      record.writeUInt16BE(fragment.length, 11);
      fragment.copy(record, 13);
      void Promise.resolve(socket.transport.send(record)).catch(() => undefined);
    } catch {
      // A transport torn down under us: the peer will learn from ICE instead.
    }
  }
}
