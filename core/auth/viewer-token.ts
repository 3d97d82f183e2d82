/**
 * Short-lived signed viewer tokens: a JWT (RFC 7519, HS256 over a server secret) that lets its
 * bearer watch one camera, over WHEP or RTSP restream, until it expires. An integrator's backend,
 * holding an API token, asks for one per page view and hands it to the browser; the browser never
 * sees a long-lived credential.
 *
 *   claims: { aud: 'streamsight:view', sub: <camera>, iat, exp }      signed with auth.viewerSecret
 *
 * Every refusal names its reason, so a test (and a log line) can tell an expired token from one for
 * another camera or one whose signature was tampered with.
 */
import { randomBytes } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';

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

/** Issues and checks viewer tokens with one secret. */
export class ViewerTokens {
  readonly #key: Uint8Array;
  readonly maxTtlS: number;

  /** `secret`: at least 32 bytes; without one, a random secret (tokens then die with the process). */
  constructor(secret: string | Uint8Array | undefined, opts: { maxTtlS?: number } = {}) {
    const key = secret === undefined ? randomBytes(32) : typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
    if (key.length < 32) throw new RangeError('the viewer token secret must be at least 32 bytes');
    this.#key = key;
    this.maxTtlS = opts.maxTtlS ?? 3600;
  }

  /** A token for `camera` valid for `ttlS` seconds (at most maxTtlS). */
  async issue(camera: string, ttlS: number, now = Date.now()): Promise<{ token: string; expiresAt: number }> {
    if (!(ttlS > 0)) throw new RangeError('ttlS must be positive');
    const iat = Math.floor(now / 1000);
    const exp = iat + Math.min(Math.ceil(ttlS), this.maxTtlS);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setAudience(VIEWER_AUDIENCE)
      .setSubject(camera)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.#key);
    return { token, expiresAt: exp * 1000 };
  }

  /** The grant of `token` when it lets its bearer watch `camera` now; throws ViewerTokenError otherwise. */
  async verify(token: string, camera: string, now = Date.now()): Promise<ViewerGrant> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096) throw new ViewerTokenError('malformed', 'viewer token: malformed');
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.#key, {
        algorithms: ['HS256'], audience: VIEWER_AUDIENCE, currentDate: new Date(now), requiredClaims: ['exp', 'sub'],
      }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new ViewerTokenError('expired', 'viewer token: expired');
      if (err instanceof errors.JWSSignatureVerificationFailed) throw new ViewerTokenError('bad-signature', 'viewer token: bad signature');
      throw new ViewerTokenError('malformed', `viewer token: ${err instanceof errors.JOSEError ? err.code : 'malformed'}`);
    }
    if (payload.sub !== camera) throw new ViewerTokenError('wrong-camera', `viewer token: not for camera '${camera}'`);
    return { camera, expiresAt: payload.exp! * 1000 };
  }
}
