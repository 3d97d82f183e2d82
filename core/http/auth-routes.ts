/**
 * `POST /api/viewer-tokens`: an integrator's backend, holding a viewer (or admin) API token, mints a
 * short-lived token that lets one page play one camera over WHEP (`?token=` on the WHEP URL, or the
 * player's `token` attribute), without ever handing the browser the API token.
 *
 *   POST /api/viewer-tokens  {"camera": "gate1", "ttlS": 300}  →  201 {"token", "camera", "expiresAt"}
 *
 * 400 for a malformed body (the message names the field), 404 for an unknown camera.
 */
import type { AccessPolicy } from '../auth/access.js';
import { ProtocolError } from '../errors.js';
import { readTypedBody } from './body.js';
import type { Route } from './routes.js';
import type { ServerLike } from './types.js';

/** Lifetime when the request names none, seconds. */
export const DEFAULT_VIEWER_TOKEN_TTL_S = 300;

/** The auth routes for `server`. */
export function buildAuthRoutes(server: ServerLike, access: AccessPolicy, maxBodyBytes: number): Route[] {
  return [
    {
      pattern: '/api/viewer-tokens',
      methods: {
        POST: async (reply, req) => {
          const body = await readTypedBody(reply, maxBodyBytes, req.getHeader('content-type'), 'application/json');
          if (!body) return;
          const { camera, ttlS } = parseRequest(body);
          if (!server.camera(camera)) {
            reply.error(404, `unknown camera '${camera}'`);
            return;
          }
          const { token, expiresAt } = access.issueViewerToken(camera, ttlS);
          reply.json(201, { token, camera, expiresAt: new Date(expiresAt).toISOString() }, { 'Cache-Control': 'no-store' });
        },
      },
    },
  ];
}

function parseRequest(body: Buffer): { camera: string; ttlS: number } {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ProtocolError('body: expected JSON {"camera": "<id>", "ttlS": <seconds>}');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ProtocolError('body: expected a JSON object');
  const o = v as Record<string, unknown>;
  for (const key of Object.keys(o)) if (key !== 'camera' && key !== 'ttlS') throw new ProtocolError(`body.${key}: unknown field (camera, ttlS)`);
  if (typeof o.camera !== 'string' || o.camera === '') throw new ProtocolError('body.camera: expected a camera id');
  const ttlS = o.ttlS ?? DEFAULT_VIEWER_TOKEN_TTL_S;
  if (typeof ttlS !== 'number' || !Number.isInteger(ttlS) || ttlS < 1 || ttlS > 86_400) throw new ProtocolError('body.ttlS: expected whole seconds from 1 to 86400');
  return { camera: o.camera, ttlS };
}
