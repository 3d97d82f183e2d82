/**
 * API tokens with roles, and the brake on guessing them.
 *
 * - **Roles.** `admin` may do everything, including changing the config and zones; `viewer` may
 *   read the API, watch cameras and mint viewer tokens for its integrator's pages.
 * - **Storage.** The config holds either the token itself or `sha256:<hex>` of it, so a config file
 *   that leaks does not have to leak the tokens. Presented tokens are hashed and compared in constant
 *   time, whatever their length.
 * - **Guessing.** Failed attempts are counted per client address, in memory: past `maxFailures` in
 *   `windowS`, the address is refused for `blockS` before its token is even looked at, and the
 *   answer says when to come back. Synchronous (a uWebSockets.js request must be decided within its
 *   handler call), and bounded: at most `maxAddresses` are tracked, the stalest forgotten first.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** What a token lets its bearer do. */
export type Role = 'admin' | 'viewer';

/** One configured API token. */
export interface ApiTokenConfig {
  /** Who holds it; shown in logs, never the token. */
  name: string;
  /** The token (at least 16 characters), or `sha256:<64 hex>` of it. */
  token: string;
  role: Role;
}

/** The holder of a valid token. */
export interface Principal {
  name: string;
  role: Role;
}

const SHA256_PREFIX = 'sha256:';

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Whether `role` may do what `needed` may. */
export function allows(role: Role, needed: Role): boolean {
  return role === 'admin' || needed === 'viewer';
}

/** The configured tokens, held as digests. */
export class ApiTokens {
  readonly #entries: Array<{ digest: Buffer; principal: Principal }>;

  constructor(tokens: readonly ApiTokenConfig[]) {
    this.#entries = tokens.map((t) => ({
      digest: t.token.startsWith(SHA256_PREFIX) ? Buffer.from(t.token.slice(SHA256_PREFIX.length), 'hex') : digest(t.token),
      principal: { name: t.name, role: t.role },
    }));
  }

  /** Whether any token is configured (none: the API is open, as on a trusted network). */
  get configured(): boolean {
    return this.#entries.length > 0;
  }

  /** The token's holder, or undefined for an unknown token. Every entry is compared, so timing tells nothing. */
  check(presented: string): Principal | undefined {
    const d = digest(presented);
    let found: Principal | undefined;
    for (const e of this.#entries) if (e.digest.length === d.length && timingSafeEqual(e.digest, d) && !found) found = e.principal;
    return found;
  }
}

/** Options of the failed-authentication brake. */
export interface FailedAuthOptions {
  /** Failures an address may make within `windowS` (default 10 in 60 s). */
  maxFailures?: number;
  windowS?: number;
  /** How long an address that passed the limit is refused (default 300 s). */
  blockS?: number;
  /** Most addresses tracked at once (default 100 000). */
  maxAddresses?: number;
}

interface Entry {
  windowStart: number;
  failures: number;
  blockedUntil: number;
}

/** Counts failed authentications per client address and blocks addresses that keep failing. */
export class FailedAuthLimiter {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #blockMs: number;
  readonly #maxAddresses: number;
  /** Insertion order is last-failure order (an entry is re-inserted on each failure). */
  readonly #entries = new Map<string, Entry>();
  #blockedTotal = 0;

  constructor(opts: FailedAuthOptions = {}) {
    this.#max = opts.maxFailures ?? 10;
    this.#windowMs = (opts.windowS ?? 60) * 1000;
    this.#blockMs = (opts.blockS ?? 300) * 1000;
    this.#maxAddresses = opts.maxAddresses ?? 100_000;
  }

  /** Seconds until `address` may try again, or 0 when it may try now. */
  retryAfterS(address: string, now = Date.now()): number {
    const e = this.#entries.get(address);
    if (!e) return 0;
    if (e.blockedUntil > now) return Math.ceil((e.blockedUntil - now) / 1000);
    if (now - e.windowStart >= this.#windowMs) this.#entries.delete(address);
    return 0;
  }

  /** Records a failure; returns the seconds `address` is now blocked for (0: not blocked). */
  failed(address: string, now = Date.now()): number {
    let e = this.#entries.get(address);
    this.#entries.delete(address);
    if (!e || now - e.windowStart >= this.#windowMs) e = { windowStart: now, failures: 0, blockedUntil: 0 };
    e.failures++;
    if (e.failures >= this.#max && e.blockedUntil <= now) {
      e.blockedUntil = now + this.#blockMs;
      this.#blockedTotal++;
    }
    this.#entries.set(address, e);
    if (this.#entries.size > this.#maxAddresses) this.#entries.delete(this.#entries.keys().next().value!);
    return e.blockedUntil > now ? Math.ceil((e.blockedUntil - now) / 1000) : 0;
  }

  /** Addresses blocked since start. */
  get blockedTotal(): number {
    return this.#blockedTotal;
  }

  /** Addresses tracked now. */
  get tracked(): number {
    return this.#entries.size;
  }
}
