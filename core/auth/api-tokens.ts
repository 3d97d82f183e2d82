/**
 * API tokens with roles, and the brake on guessing them.
 *
 * - **Roles.** `admin` may do everything, including changing the config and zones; `viewer` may
 *   read the API, watch cameras and mint viewer tokens for its integrator's pages.
 * - **Storage.** The config holds either the token itself or `sha256:<hex>` of it, so a config file
 *   that leaks does not have to leak the tokens. Presented tokens are hashed and compared in constant
 *   time, whatever their length.
 * - **Guessing.** Failed attempts are counted per client address (rate-limiter-flexible, in memory):
 *   past `maxFailures` in `windowS`, the address is refused for `blockS` before its token is even
 *   looked at, and the answer says when to come back.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

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
  /** Failures an address may make within `windowS` (default 10). */
  maxFailures?: number;
  windowS?: number;
  /** How long an address that passed the limit is refused (default 300 s). */
  blockS?: number;
}

/** Counts failed authentications per client address and blocks addresses that keep failing. */
export class FailedAuthLimiter {
  readonly #limiter: RateLimiterMemory;
  #blockedTotal = 0;

  constructor(opts: FailedAuthOptions = {}) {
    this.#limiter = new RateLimiterMemory({
      points: opts.maxFailures ?? 10,
      duration: opts.windowS ?? 60,
      blockDuration: opts.blockS ?? 300,
    });
  }

  /** Seconds until `address` may try again, or 0 when it may try now. */
  async retryAfterS(address: string): Promise<number> {
    const res = await this.#limiter.get(address);
    if (!res || res.remainingPoints > 0) return 0;
    return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  }

  /** Records a failure; resolves with the seconds `address` is now blocked for (0: not blocked). */
  async failed(address: string): Promise<number> {
    try {
      const res = await this.#limiter.consume(address);
      return res.remainingPoints > 0 ? 0 : Math.max(1, Math.ceil(res.msBeforeNext / 1000));
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      this.#blockedTotal++;
      return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
    }
  }

  /** Failures refused because their address was blocked, since start. */
  get blockedTotal(): number {
    return this.#blockedTotal;
  }
}
