/**
 * Short-lived signed viewer tokens: a JWT (RFC 7519, HS256 over a server secret) that lets its
 * bearer watch one camera, over WHEP or RTSP restream, until it expires. An integrator's backend,
 * holding an API token, asks for one per page view and hands it to the browser; the browser never
 * sees a long-lived credential.
 *
 *   header { alg: 'HS256', typ: 'JWT' }   claims { aud: 'streamsight:view', sub: <camera>, iat, exp }
 *
 * Signed and checked here with node:crypto rather than a JWT library, because the check must be
 * synchronous: uWebSockets.js hands a request to its handler only for the duration of one call, so
 * the decision to serve it (and to start reading its body) cannot wait for a promise. The format is
 * fixed: only HS256 is accepted (no `alg: none`, no key confusion), `exp`, `sub` and `aud` are required.
 *
 * Every refusal names its reason, so a test (and a log line) can tell an expired token from one for
 * another camera or one whose signature was tampered with.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The audience every viewer token carries: a token signed for anything else never passes. */
export const VIEWER_AUDIENCE = 'streamsight:view';

/** Why a viewer token was refused. */
export type ViewerTokenRefusal = 'malformed' | 'bad-signature' | 'expired' | 'wrong-camera';

/** A token that does not let its bearer watch the camera asked for. */
export class ViewerTokenError extends Error {
  override readonly name = 'ViewerTokenError';
  constructor(readonly reason: ViewerTokenRefusal, message: string) {
    super(message);
  }
}

/** What a valid token grants. */
export interface ViewerGrant {
  camera: string;
  /** Epoch ms. */
  expiresAt: number;
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
const MAX_TOKEN_LENGTH = 4096;

/** Issues and checks viewer tokens with one secret. */
export class ViewerTokens {
  readonly #key: Buffer;
  readonly maxTtlS: number;

  /** `secret`: at least 32 bytes; without one, a random secret (tokens then die with the process). */
  constructor(secret: string | Uint8Array | undefined, opts: { maxTtlS?: number } = {}) {
    const key = secret === undefined ? randomBytes(32) : Buffer.from(typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret);
    if (key.length < 32) throw new RangeError('the viewer token secret must be at least 32 bytes');
    this.#key = key;
    this.maxTtlS = opts.maxTtlS ?? 3600;
  }

  /** A token for `camera` valid for `ttlS` seconds (at most maxTtlS). */
  issue(camera: string, ttlS: number, now = Date.now()): { token: string; expiresAt: number } {
    if (!(ttlS > 0)) throw new RangeError('ttlS must be positive');
    const iat = Math.floor(now / 1000);
    const exp = iat + Math.min(Math.ceil(ttlS), this.maxTtlS);
    const claims = Buffer.from(JSON.stringify({ aud: VIEWER_AUDIENCE, sub: camera, iat, exp })).toString('base64url');
    return { token: `${HEADER}.${claims}.${this.#sign(`${HEADER}.${claims}`).toString('base64url')}`, expiresAt: exp * 1000 };
  }

  /** The grant of `token` when it lets its bearer watch `camera` now; throws ViewerTokenError otherwise. */
  verify(token: string, camera: string, now = Date.now()): ViewerGrant {
    const malformed = (why: string) => new ViewerTokenError('malformed', `viewer token: ${why}`);
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw malformed('malformed');
    const parts = token.split('.');
    if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) throw malformed('malformed');
    const [h, c, s] = parts as [string, string, string];
    const header = parseJson(h);
    if (header?.alg !== 'HS256') throw malformed(`algorithm ${JSON.stringify(header?.alg ?? null)} is not accepted`);
    const expected = this.#sign(`${h}.${c}`);
    const given = Buffer.from(s, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new ViewerTokenError('bad-signature', 'viewer token: bad signature');
    const claims = parseJson(c);
    if (!claims || claims.aud !== VIEWER_AUDIENCE || typeof claims.sub !== 'string' || typeof claims.exp !== 'number') {
      throw malformed('not a viewer token (aud, sub and exp are required)');
    }
    if (now >= claims.exp * 1000) throw new ViewerTokenError('expired', 'viewer token: expired');
    if (claims.sub !== camera) throw new ViewerTokenError('wrong-camera', `viewer token: not for camera '${camera}'`);
    return { camera, expiresAt: claims.exp * 1000 };
  }

  #sign(input: string): Buffer {
    return createHmac('sha256', this.#key).update(input).digest();
  }
}

function parseJson(part: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
