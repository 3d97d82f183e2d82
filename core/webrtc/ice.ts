/**
 * ICE settings for the viewers' peer connections, and the guard that keeps werift from
 * talking to the internet on its own.
 *
 * werift 0.24.4 has two silent fallbacks to Google's STUN server:
 *   - `RTCPeerConnection`'s default config carries `stun:stun.l.google.com:19302` (only when the
 *     caller leaves `iceServers` out — we always pass it);
 *   - ice `Connection`'s constructor does `this.stunServer = validateAddress(stunServer) ??
 *     ["stun.l.google.com", 19302]`, so even `iceServers: []` gathers a server-reflexive candidate
 *     through Google (a DNS lookup and a UDP packet leave the machine).
 * A camera server must send nothing off the machine unless its config names a STUN/TURN server,
 * so `guardPeerConnection` wraps the pc's transport factory and resets every new ICE
 * connection's `stunServer` to exactly what the config says (or `undefined`). Gathering reads
 * `this.stunServer` at gather time (`getCandidatePromises`), after our reset.
 *
 * The browser's own host candidates arrive as mDNS names (`<uuid>.local`) when the page has no
 * camera permission — the normal WHEP playback case. werift would resolve them with multicast DNS
 * on the LAN; we drop them instead (`stripMdnsCandidates`): the browser is the controlling agent
 * and sends checks to our host candidate, from which werift learns a peer-reflexive candidate
 * (RFC 8445 §7.3.1.3).
 */
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { RTCIceServer, RTCPeerConnection, PeerConfig } from 'werift';

/** ICE options of the WHEP service, as configured (`webrtc:` in streamsight.yaml). */
export interface IceOptions {
  /** Addresses our host candidates use (and the only ones offered), e.g. ['192.168.1.10'] or ['127.0.0.1']. */
  hostAddresses: readonly string[];
  /** UDP port range for the ICE sockets, inclusive. */
  portRange?: readonly [number, number];
  /** STUN/TURN servers named by the config; empty means no packet to any server. */
  iceServers: readonly RTCIceServer[];
}

/** The werift `Connection` fields this module reads or resets (werift's type keeps them public). */
interface IceConnectionLike {
  stunServer?: [string, number];
  turnServer?: [string, number];
  localCandidates: Array<{ host: string; type: string }>;
}

interface SecureManagerLike {
  createTransport(): { iceTransport: { connection: IceConnectionLike } };
  iceTransports: Array<{ connection: IceConnectionLike }>;
}

/**
 * The addresses host candidates use: the configured ones, or — when the config names none — every
 * IPv4 address of this machine's interfaces plus 127.0.0.1, so a browser on the LAN and one on
 * the same machine (Chromium with --allow-loopback-in-peer-connection) both reach us.
 */
export function resolveHostAddresses(configured: readonly string[], interfaces = networkInterfaces()): string[] {
  if (configured.length > 0) return [...configured];
  const found = new Set<string>();
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) found.add(a.address);
  }
  found.add('127.0.0.1');
  return [...found];
}

/** The STUN server named by the config, as werift's `[host, port]`, or undefined. */
export function configuredStunServer(iceServers: readonly RTCIceServer[]): [string, number] | undefined {
  for (const server of iceServers) {
    for (const url of Array.isArray(server.urls) ? server.urls : [server.urls]) {
      const m = /^stuns?:(\[[^\]]+\]|[^:?]+)(?::(\d+))?/i.exec(url);
      if (m) return [m[1]!.replace(/^\[|\]$/g, ''), m[2] ? Number(m[2]) : 3478];
    }
  }
  return undefined;
}

/**
 * The werift `RTCPeerConnection` config for one viewer: host candidates on the configured addresses
 * only (interface discovery off), the configured port range and ICE servers, IPv6 only when a
 * configured address is IPv6.
 */
export function iceConfig(opts: IceOptions): Partial<PeerConfig> {
  const v4 = opts.hostAddresses.filter((a) => isIP(a) === 4);
  const v6 = opts.hostAddresses.filter((a) => isIP(a) === 6);
  return {
    iceServers: opts.iceServers.map((s) => ({ ...s })),
    // Interface discovery off: werift's interface filter keeps *every* NIC when none matches (and
    // loopback never matches), so the configured list goes in as additional host addresses instead.
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: [...opts.hostAddresses],
    // With exactly one address per family, bind the sockets to it rather than the wildcard.
    iceInterfaceAddresses:
      v4.length === 1 || v6.length === 1
        ? { ...(v4.length === 1 ? { udp4: v4[0] } : {}), ...(v6.length === 1 ? { udp6: v6[0] } : {}) }
        : undefined,
    icePortRange: opts.portRange ? [opts.portRange[0], opts.portRange[1]] : undefined,
    iceUseTcp: false,
  };
}

/**
 * Makes every ICE connection `pc` creates use exactly the configured STUN server (or none).
 * Call right after `new RTCPeerConnection(...)`, before adding transceivers or a remote description.
 */
export function guardPeerConnection(pc: RTCPeerConnection, iceServers: readonly RTCIceServer[]): void {
  const stun = configuredStunServer(iceServers);
  const manager = (pc as unknown as { secureManager: SecureManagerLike }).secureManager;
  const create = manager.createTransport.bind(manager);
  manager.createTransport = () => {
    const dtls = create();
    dtls.iceTransport.connection.stunServer = stun;
    return dtls;
  };
  for (const t of manager.iceTransports) t.connection.stunServer = stun;
}

/** The STUN servers the pc's ICE connections would query (for tests and diagnostics). */
export function stunServersOf(pc: RTCPeerConnection): Array<[string, number] | undefined> {
  const manager = (pc as unknown as { secureManager: SecureManagerLike }).secureManager;
  return manager.iceTransports.map((t) => t.connection.stunServer);
}

/** Removes `a=candidate` lines whose address is an mDNS name (`*.local`); see the file comment. */
export function stripMdnsCandidates(sdp: string): string {
  return sdp
    .split(/\r?\n/)
    .filter((line) => !/^a=candidate:\S+ \d+ \S+ \d+ \S+\.local /i.test(line))
    .join('\r\n');
}
