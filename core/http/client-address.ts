/**
 * The client's address behind reverse proxies (`http.trustProxy`). A request whose peer is a
 * trusted proxy is from the address that proxy names in `X-Forwarded-For`: walking the header
 * from its right end (the entry the nearest proxy appended), every trusted address is skipped and
 * the first other one is the client. Entries left of it are whatever the client sent, so a client
 * cannot choose its own address. Without trusted proxies the header is ignored. proxy-addr does
 * the walk and the address matching (IPv4, IPv6, CIDR, IPv4-mapped IPv6).
 */
import { isIP } from 'node:net';
import proxyaddr from 'proxy-addr';
import { remoteAddress } from './reply.js';

/** What the resolver reads of a uWS request (before any await: uWS recycles its request object). */
export interface ForwardedRequest {
  getHeader(name: string): string;
}

/** Resolves a request's client address. */
export type ClientAddress = (res: { getRemoteAddressAsText(): ArrayBuffer }, req: ForwardedRequest) => string;

/**
 * Checks `trustProxy` entries (an address, a CIDR, or `loopback`, `linklocal`, `uniquelocal`):
 * undefined when valid, else what is wrong.
 */
export function trustProxyError(entries: readonly string[]): string | undefined {
  try {
    proxyaddr.compile([...entries]);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** A resolver for the given trusted proxies (none: the peer's address, always). */
export function clientAddressResolver(trustProxy: readonly string[]): ClientAddress {
  if (trustProxy.length === 0) return (res) => remoteAddress(res);
  const trust = proxyaddr.compile([...trustProxy]);
  return (res, req) => forwardedAddress(remoteAddress(res), req.getHeader('x-forwarded-for'), trust);
}

/**
 * The client address for a peer and its X-Forwarded-For header under `trust`. An entry that is not
 * an IP address (which only a misconfigured proxy would write where the walk stops) gives the peer.
 */
export function forwardedAddress(peer: string, xForwardedFor: string, trust: (addr: string, i: number) => boolean): string {
  if (!xForwardedFor) return peer;
  const addr = proxyaddr({ headers: { 'x-forwarded-for': xForwardedFor }, connection: { remoteAddress: peer } } as never, trust);
  return addr && isIP(addr) !== 0 ? addr : peer;
}
