/**
 * The routes: health, the camera API, WHEP (RFC 9725) and the two static files.
 * Each route lists its methods; app.ts answers OPTIONS (CORS preflight) and 405 from that list.
 *
 * WHEP status codes: 201 answer, 400 malformed offer (ProtocolError), 404 unknown camera or
 * session, 409 wrong state (InvalidStateError), 413 offer over the body limit, 415 body not
 * application/sdp, 422 camera codec the browser cannot play (UnsupportedError). PATCH (trickle
 * ICE, ICE restart) is not supported: 405 with Allow; the player gathers ICE fully before POST
 * and restarts with a new POST when ICE fails.
 */
import type { HttpRequest } from 'uWebSockets.js';
import { ProtocolError } from '../errors.js';
import { readTypedBody } from './body.js';
import type { Reply } from './reply.js';
import type { StaticAsset } from './static.js';
import type { ServerLike } from './types.js';

/** Handles one method of one route; `params` are the URL-decoded `:name` segments. */
export type RouteHandler = (reply: Reply, req: HttpRequest, params: string[]) => void | Promise<void>;

/** A uWS pattern and the handlers of its methods (upper-case names). */
export interface Route {
  pattern: string;
  methods: Partial<Record<string, RouteHandler>>;
}

/** Builds the route table for `server`. */
export function buildRoutes(server: ServerLike, maxBodyBytes: number, assets: Map<string, StaticAsset>): Route[] {
  const routes: Route[] = [
    { pattern: '/healthz', methods: { GET: (reply) => reply.json(200, { status: 'ok' }) } },
    { pattern: '/api/cameras', methods: { GET: (reply) => reply.json(200, server.cameras()) } },
    {
      pattern: '/api/cameras/:id',
      methods: {
        GET: (reply, _req, [id]) => {
          const camera = server.camera(id!);
          if (camera) reply.json(200, camera);
          else reply.error(404, `unknown camera '${id}'`);
        },
      },
    },
    { pattern: '/whep/:camera', methods: { POST: (reply, req, [camera]) => postOffer(server, maxBodyBytes, reply, req, camera!) } },
    {
      pattern: '/whep/:camera/:session',
      methods: {
        // Not in RFC 9725: the player's overlays read the session's RTP timestamp offset here.
        GET: (reply, _req, [camera, session]) => {
          const info = server.whep.sessionInfo?.(session!);
          if (info && info.camera === camera) reply.json(200, info);
          else reply.error(404, 'unknown WHEP session');
        },
        DELETE: (reply, _req, [, session]) => {
          if (server.whep.deleteSession(session!)) reply.send(200);
          else reply.error(404, 'unknown WHEP session');
        },
      },
    },
  ];
  for (const [path, asset] of assets) {
    routes.push({
      pattern: path,
      methods: {
        GET: (reply) =>
          reply.send(200, asset.body, {
            'Content-Type': asset.contentType,
            'Cache-Control': asset.cacheControl,
            'X-Content-Type-Options': 'nosniff',
          }),
      },
    });
  }
  return routes;
}

/** POST /whep/:camera — the SDP offer in, the answer out (RFC 9725 §4.2). */
async function postOffer(server: ServerLike, maxBodyBytes: number, reply: Reply, req: HttpRequest, camera: string): Promise<void> {
  // uWS requests live only until the handler's first await: read every header now.
  const contentType = req.getHeader('content-type');
  const declared = Number(req.getHeader('content-length') || '0');
  if (declared > maxBodyBytes) {
    // Close instead of draining: the body is never read.
    reply.error(413, `offer exceeds ${maxBodyBytes} bytes`, {}, true);
    return;
  }
  const body = await readTypedBody(reply, maxBodyBytes, contentType, 'application/sdp');
  if (!body) return;
  if (!server.camera(camera)) {
    reply.error(404, `unknown camera '${camera}'`);
    return;
  }
  const offer = body.toString('utf8');
  if (offer.trim() === '') throw new ProtocolError('empty SDP offer');
  const session = await server.whep.createSession(camera, offer);
  if (!reply.open) {
    // The viewer left while we negotiated: nobody will ever DELETE this session.
    server.whep.deleteSession(session.id);
    return;
  }
  reply.send(201, session.answerSdp, {
    'Content-Type': 'application/sdp',
    Location: `/whep/${encodeURIComponent(camera)}/${encodeURIComponent(session.id)}`,
    ETag: session.etag ?? `"${session.id}"`,
    'Cache-Control': 'no-store',
  });
}
