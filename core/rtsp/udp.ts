/**
 * UDP port pairs for RTSP over RTP/AVP (RFC 2326 §12.39, RFC 3550 §11): an even RTP port and
 * the odd RTCP port above it, bound together per SETUP. Taken from the configured range when
 * there is one (firewalls), else from the ephemeral range.
 */
import dgram from 'node:dgram';

/** One bound RTP/RTCP socket pair. */
export interface UdpPortPair {
  readonly rtp: dgram.Socket;
  readonly rtcp: dgram.Socket;
  readonly rtpPort: number;
  readonly rtcpPort: number;
  /** Closes both sockets; idempotent. */
  close(): void;
}

/** Receive buffer asked for: a 4K keyframe arrives as a burst of several hundred packets. */
const RECV_BUFFER_BYTES = 4 * 1024 * 1024;

function bindSocket(host: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
    const onError = (err: Error): void => {
      socket.close();
      reject(err);
    };
    socket.once('error', onError);
    socket.bind(port, host, () => {
      socket.off('error', onError);
      try {
        socket.setRecvBufferSize(RECV_BUFFER_BYTES);
      } catch {
        // capped by net.core.rmem_max; the default still works at low bitrates
      }
      resolve(socket);
    });
  });
}

function safeClose(socket: dgram.Socket): void {
  try {
    socket.close();
  } catch {
    // already closed
  }
}

async function tryPair(host: string, rtpPort: number): Promise<UdpPortPair | undefined> {
  let rtp: dgram.Socket;
  try {
    rtp = await bindSocket(host, rtpPort);
  } catch {
    return undefined;
  }
  const boundRtp = rtp.address().port;
  if (rtpPort === 0 && boundRtp % 2 === 1) {
    safeClose(rtp);
    return undefined;
  }
  let rtcp: dgram.Socket;
  try {
    rtcp = await bindSocket(host, boundRtp + 1);
  } catch {
    safeClose(rtp);
    return undefined;
  }
  let closed = false;
  return {
    rtp,
    rtcp,
    rtpPort: boundRtp,
    rtcpPort: boundRtp + 1,
    close() {
      if (closed) return;
      closed = true;
      safeClose(rtp);
      safeClose(rtcp);
    },
  };
}

/**
 * Allocates RTP/RTCP port pairs. With a range, pairs start at even ports and a cursor rotates
 * through the range so a just-released pair is not reused at once (late packets of the old
 * session would land in the new one).
 */
export class UdpPortAllocator {
  #cursor: number;

  constructor(
    private readonly host: string,
    private readonly range?: readonly [number, number],
  ) {
    this.#cursor = range ? range[0] + (range[0] % 2) : 0;
  }

  /** Binds a free pair; throws when the range (or 64 ephemeral attempts) is exhausted. */
  async allocate(): Promise<UdpPortPair> {
    if (!this.range) {
      for (let attempt = 0; attempt < 64; attempt++) {
        const pair = await tryPair(this.host, 0);
        if (pair) return pair;
      }
      throw new Error('no free UDP port pair');
    }
    const [lo, hi] = this.range;
    const first = lo + (lo % 2);
    const pairs = Math.max(0, Math.floor((hi - first + 1) / 2));
    for (let i = 0; i < pairs; i++) {
      const port = this.#cursor;
      this.#cursor = port + 3 > hi ? first : port + 2;
      const pair = await tryPair(this.host, port);
      if (pair) return pair;
    }
    throw new Error(`no free UDP port pair in ${lo}-${hi}`);
  }
}
