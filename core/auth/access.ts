/**
 * Who may do what over HTTP (and WebSocket), once `auth.tokens` names at least one API token.
 * Without tokens the server is open, as on a trusted network: the README says so, and the start log.
 *
 *   public            GET /healthz, the page and its assets, /player.js, /overlay.js
 *   viewer            every other GET, /ws, WHEP (POST, PATCH, DELETE), POST /api/viewer-tokens
 *   admin             everything else: PUT geometry (zones, lines, plugin config), …
 *   viewer token      its one camera only: WHEP, and its overlays (GET .../geometry, /ws?camera=);
 *                     a page gets it from its integrator's backend
 *
 * Credentials: `Authorization: Bearer <token>`, or `?token=<token>` where a header cannot be set
 * (a WebSocket from a browser, an <img> or <video> src). A wrong credential counts against the
 * client's address; past the limit the address gets 429 before its credential is even looked at.
 * Decisions are synchronous: uWebSockets.js gives a handler its request only for one call.
 */
import { allows, type ApiTokens, type FailedAuthLimiter, type Principal, type Role } from './api-tokens.js';
import { ViewerTokenError, type ViewerTokens } from './viewer-token.js';

/** What the policy needs of a request. */
export interface AccessRequest {
  /** Upper case. */
  method: string;
  /** As on the wire, percent-encoded, without the query. */
  path: string;
  /** The raw query string (no '?'). */
  query: string;
  /** The Authorization header ('' when absent). */
  authorization: string;
  /** The client's address, for the failed-auth brake. */
  address: string;
}

/** The outcome: allowed (with who), or the status and message to answer. */
export type AccessDecision =
  | { allowed: true; principal?: Principal; camera?: string }
  | { allowed: false; status: 401 | 403 | 429; message: string; headers?: Record<string, string> };

/** Counters of refusals, for /metrics. */
export interface AccessStats {
  allowed: number;
  /** No credential where one is needed. */
  missing: number;
  /** A credential that is not valid (wrong token, bad signature, expired, malformed). */
  invalid: number;
  /** A valid credential that does not reach this far (viewer on an admin route, a token for another camera). */
  forbidden: number;
  /** Requests refused because their address failed too often. */
  throttled: number;
}

const PUBLIC_PATHS = new Set(['/healthz', '/', '/index.html', '/player.js', '/overlay.js', '/favicon.ico']);

/** The camera id `pattern`'s first group captures in `path` (URL-decoded), or undefined. */
function cameraIn(pattern: RegExp, path: string): string | undefined {
  const m = pattern.exec(path);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return undefined;
  }
}

/** `/whep/{camera}` or `/whep/{camera}/{session}`. */
const WHEP_PATH = /^\/whep\/([^/]+)(?:\/[^/]+)?$/;
/** `/api/cameras/{camera}/geometry`. */
const GEOMETRY_PATH = /^\/api\/cameras\/([^/]+)\/geometry$/;

/**
 * The camera a viewer token may open this request for, or undefined when a viewer token opens
 * nothing here. What an embedded player needs, for its one camera: WHEP (the offer, its session's
 * PATCH, GET and DELETE), and for its overlays the camera's geometry and `/ws?camera=`, which then
 * carries only that camera's detections and events.
 */
export function viewerTokenCamera(method: string, path: string, query: string): string | undefined {
  const whep = cameraIn(WHEP_PATH, path);
  if (whep !== undefined || method !== 'GET') return whep;
  if (path === '/ws') return wsCamera(query);
  return cameraIn(GEOMETRY_PATH, path);
}

/** The camera a `/ws` query filters on (`?camera=`), if any. */
export function wsCamera(query: string): string | undefined {
  if (!query.includes('camera=')) return undefined;
  return new URLSearchParams(query).get('camera') || undefined;
}

/** The role a request needs, or 'public'. */
export function requiredRole(method: string, path: string): Role | 'public' {
  if (method === 'OPTIONS') return 'public'; // CORS preflights carry no credentials by design
  if ((method === 'GET' || method === 'HEAD') && (PUBLIC_PATHS.has(path) || path.startsWith('/assets/'))) return 'public';
  if (method === 'GET' || method === 'HEAD') return 'viewer';
  if (path.startsWith('/whep/')) return 'viewer';
  if (method === 'POST' && path === '/api/viewer-tokens') return 'viewer';
  return 'admin';
}

/** The credential a request presents: the Bearer header first, else `?token=`. */
export function presentedToken(authorization: string, query: string): string | undefined {
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
  if (m) return m[1];
  if (!query.includes('token=')) return undefined;
  return new URLSearchParams(query).get('token') ?? undefined;
}

/** See the file comment. */
export class AccessPolicy {
  readonly #tokens: ApiTokens;
  readonly #viewer: ViewerTokens;
  readonly #limiter: FailedAuthLimiter;
  #stats: AccessStats = { allowed: 0, missing: 0, invalid: 0, forbidden: 0, throttled: 0 };

  constructor(tokens: ApiTokens, viewer: ViewerTokens, limiter: FailedAuthLimiter) {
    this.#tokens = tokens;
    this.#viewer = viewer;
    this.#limiter = limiter;
  }

  /** Whether requests are checked at all (some API token is configured). */
  get enabled(): boolean {
    return this.#tokens.configured;
  }

  get stats(): AccessStats {
    return { ...this.#stats };
  }

  /** Issues a viewer token (for POST /api/viewer-tokens). */
  issueViewerToken(camera: string, ttlS: number): { token: string; expiresAt: number } {
    return this.#viewer.issue(camera, ttlS);
  }

  /**
   * May `token` (an API token, or a viewer token for `camera`) watch `camera` by another protocol
   * (RTSP restream)? Decided exactly as WHEP for that camera is, with the same brake.
   */
  viewCamera(token: string | undefined, camera: string, address: string): AccessDecision {
    return this.check({
      method: 'POST', path: `/whep/${encodeURIComponent(camera)}`, query: '', authorization: token ? `Bearer ${token}` : '', address,
    });
  }

  /** Seconds `address` must wait after too many failures (0: may try now); for credentials checked elsewhere (RTSP publish). */
  retryAfterS(address: string): number {
    return this.#limiter.retryAfterS(address);
  }

  /** Records a failed authentication checked elsewhere (RTSP publish credentials). */
  recordFailure(address: string): void {
    this.#stats.invalid++;
    this.#limiter.failed(address);
  }

  /** Decides one request, synchronously (see the file comment). */
  check(req: AccessRequest): AccessDecision {
    if (!this.enabled) return this.#allow({});
    const needed = requiredRole(req.method, req.path);
    if (needed === 'public') return this.#allow({});
    const retry = this.#limiter.retryAfterS(req.address);
    if (retry > 0) {
      this.#stats.throttled++;
      return { allowed: false, status: 429, message: 'too many failed authentications from this address; try again later', headers: { 'Retry-After': String(retry) } };
    }
    const token = presentedToken(req.authorization, req.query);
    if (token === undefined) {
      this.#stats.missing++;
      return unauthorized('authentication required: send Authorization: Bearer <token> (or ?token=)');
    }
    const principal = this.#tokens.check(token);
    if (principal) {
      if (allows(principal.role, needed)) return this.#allow({ principal });
      this.#stats.forbidden++;
      return { allowed: false, status: 403, message: `the '${principal.role}' role may not ${req.method} ${req.path}: it needs '${needed}'` };
    }
    const camera = viewerTokenCamera(req.method, req.path, req.query);
    if (camera !== undefined && looksLikeJwt(token)) {
      try {
        this.#viewer.verify(token, camera);
        return this.#allow({ camera });
      } catch (err) {
        if (!(err instanceof ViewerTokenError)) throw err;
        if (err.reason === 'wrong-camera') {
          this.#stats.forbidden++;
          return { allowed: false, status: 403, message: err.message };
        }
        return this.#failed(req.address, err.message);
      }
    }
    if (looksLikeJwt(token)) {
      // A viewer token (valid or not) cannot reach this route whatever it holds: guessing gains nothing here.
      this.#stats.forbidden++;
      return { allowed: false, status: 403, message: 'a viewer token is only good for its own camera\'s WHEP, geometry and /ws?camera=' };
    }
    return this.#failed(req.address, 'invalid token');
  }

  #failed(address: string, message: string): AccessDecision {
    this.#stats.invalid++;
    const blocked = this.#limiter.failed(address);
    const d = unauthorized(message);
    if (blocked > 0 && d.headers) d.headers['Retry-After'] = String(blocked);
    return d;
  }

  #allow(d: { principal?: Principal; camera?: string }): AccessDecision {
    this.#stats.allowed++;
    return { allowed: true, ...d };
  }
}

function unauthorized(message: string): AccessDecision & { allowed: false } {
  return { allowed: false, status: 401, message, headers: { 'WWW-Authenticate': 'Bearer realm="streamsight"' } };
}

/** Three base64url parts: a JWT, which is what viewer tokens are (API tokens are opaque). */
function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}
