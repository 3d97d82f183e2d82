/**
 * The detection API: stored events (filtered, paged by an opaque cursor), their snapshots and
 * evidence images, a camera's latest decoded frame as JPEG and the plugin instances' stats.
 *
 * An event's clip is served with byte ranges (one range per request, as video elements ask; several are
 * answered with the whole file), so a player can seek without downloading all of it.
 *
 * Statuses: 400 a bad or unknown query parameter or evidence file name (the message names it), 404 an
 * unknown event, camera, missing snapshot, evidence index or clip, 416 a range outside the clip, 503 a part that is not running (event store not open yet, no
 * frame decoded yet: retry).
 */
import parseRange from 'range-parser';
import { ProtocolError } from '../errors.js';
import { idParam, intParam, parseQuery, timeParam, tokenParam } from './query.js';
import type { Reply } from './reply.js';
import type { Route } from './routes.js';
import type { EventPage, EventQuery, EventStoreLike, ServerLike } from './types.js';

/** Largest page `GET /api/events` returns. */
export const MAX_EVENT_PAGE = 500;

/** Page size when `limit` is not given. */
export const DEFAULT_EVENT_PAGE = 100;

const EVENT_QUERY = {
  camera: idParam,
  plugin: idParam,
  type: idParam,
  from: timeParam,
  to: timeParam,
  cursor: tokenParam,
  limit: intParam(1, MAX_EVENT_PAGE),
};

/** Event ids are short and URL-safe; anything else cannot be one (and never reaches the store). */
export const EVENT_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** An evidence file name: `<index>.jpg`, the index in decimal without leading zeros (one URL per image). */
const EVIDENCE_FILE = /^(0|[1-9][0-9]{0,5})\.jpg$/;

const JPEG_HEADERS = { 'Content-Type': 'image/jpeg', 'X-Content-Type-Options': 'nosniff' };
/** A stored event's JPEGs never change once committed. */
const IMMUTABLE = 'private, max-age=86400, immutable';

/** The routes of the detection API for `server`. */
export function buildEventRoutes(server: ServerLike): Route[] {
  return [
    {
      pattern: '/api/events',
      methods: {
        GET: (reply, req) => {
          const q = parseQuery(req.getQuery(), EVENT_QUERY);
          if (q.from !== undefined && q.to !== undefined && q.from > q.to) throw new ProtocolError('from: later than to');
          const store = openStore(server, reply);
          if (!store) return;
          const page = queryStore(store, { ...q, limit: q.limit ?? DEFAULT_EVENT_PAGE });
          // `next` can come with a short (even empty) page: the store bounds the work of one request.
          reply.json(200, { events: page.events, next: page.next ?? null });
        },
      },
    },
    {
      pattern: '/api/events/:id',
      methods: {
        GET: (reply, _req, [id]) => {
          const found = findEvent(server, reply, id!);
          if (found) reply.json(200, found.event);
        },
      },
    },
    {
      pattern: '/api/events/:id/snapshot.jpg',
      methods: {
        GET: (reply, _req, [id]) => {
          const found = findEvent(server, reply, id!);
          if (!found) return;
          const jpeg = found.event.hasSnapshot ? found.store.snapshot(id!) : undefined;
          if (!jpeg) {
            reply.error(404, `event '${id}' has no snapshot`);
            return;
          }
          reply.send(200, jpeg, { ...JPEG_HEADERS, 'Cache-Control': IMMUTABLE });
        },
      },
    },
    {
      // uWS parameters span a whole segment, so the file name is matched here rather than in the pattern.
      pattern: '/api/events/:id/evidence/:file',
      methods: {
        GET: (reply, _req, [id, file]) => {
          const match = EVIDENCE_FILE.exec(file!);
          if (!match) {
            reply.error(400, `evidence: expected <index>.jpg with a non-negative integer index, got '${file}'`);
            return;
          }
          const found = findEvent(server, reply, id!);
          if (!found) return;
          const index = Number(match[1]);
          const jpeg = index < (found.event.evidence?.length ?? 0) ? found.store.evidence(id!, index) : undefined;
          if (!jpeg) {
            reply.error(404, `event '${id}' has no evidence image ${index}`);
            return;
          }
          reply.send(200, jpeg, { ...JPEG_HEADERS, 'Cache-Control': IMMUTABLE });
        },
      },
    },
    {
      pattern: '/api/events/:id/clip.mp4',
      methods: {
        GET: (reply, req, [id]) => {
          const found = findEvent(server, reply, id!);
          if (!found) return;
          const mp4 = found.event.clip ? found.store.clip?.(id!) : undefined;
          if (!mp4) {
            reply.error(404, `event '${id}' has no clip${found.event.clip ? '' : ' (yet: clips are stored a few seconds after the event)'}`);
            return;
          }
          sendRanged(reply, mp4, req.getHeader('range'), {
            'Content-Type': 'video/mp4',
            'Content-Disposition': `inline; filename="${id}.mp4"`,
            'X-Content-Type-Options': 'nosniff',
            'Cache-Control': IMMUTABLE,
          });
        },
      },
    },
    {
      pattern: '/api/cameras/:id/snapshot.jpg',
      methods: {
        GET: async (reply, _req, [id]) => {
          if (!server.camera(id!)) {
            reply.error(404, `unknown camera '${id}'`);
            return;
          }
          const jpeg = server.cameraSnapshot ? await server.cameraSnapshot(id!) : undefined;
          if (!jpeg) {
            reply.error(503, `camera '${id}' has no decoded frame yet`, { 'Retry-After': '1' });
            return;
          }
          reply.send(200, jpeg, { ...JPEG_HEADERS, 'Cache-Control': 'no-store' });
        },
      },
    },
    { pattern: '/api/plugins', methods: { GET: (reply) => reply.json(200, server.plugins?.stats() ?? []) } },
    {
      pattern: '/api/load',
      methods: {
        GET: (reply) => {
          const load = server.plugins?.load?.();
          if (load) reply.json(200, load);
          else reply.error(404, 'no load shedding runs (no plugins, or overload.enabled is false)');
        },
      },
    },
    {
      pattern: '/api/detector',
      methods: {
        GET: (reply) => {
          const stats = server.detectorStats?.();
          if (stats) reply.json(200, stats);
          else reply.error(404, 'no neural detector runs (configure detector: to have one)');
        },
      },
    },
  ];
}

/**
 * Answers with the whole body (200) or, for one satisfiable `bytes=` range, that part (206 with
 * Content-Range); a range past the end is 416. Malformed or multiple ranges get the whole body, as
 * RFC 9110 allows a server to ignore Range.
 */
export function sendRanged(reply: Reply, body: Uint8Array, range: string, headers: Record<string, string>): void {
  const all = { ...headers, 'Accept-Ranges': 'bytes' };
  if (range === '') {
    reply.send(200, body, all);
    return;
  }
  const ranges = parseRange(body.byteLength, range, { combine: true });
  if (ranges === -1) {
    reply.error(416, `range not satisfiable: the clip has ${body.byteLength} bytes`, { 'Content-Range': `bytes */${body.byteLength}`, 'Accept-Ranges': 'bytes' });
    return;
  }
  if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) {
    reply.send(200, body, all);
    return;
  }
  const { start, end } = ranges[0]!;
  reply.send(206, body.subarray(start, end + 1), { ...all, 'Content-Range': `bytes ${start}-${end}/${body.byteLength}` });
}

/**
 * Runs the query. Every other parameter was checked here, so a ProtocolError from the store
 * with a cursor given is about the cursor (one it did not issue, or one from before a restart).
 */
function queryStore(store: EventStoreLike, q: EventQuery): EventPage {
  try {
    return store.query(q);
  } catch (err) {
    if (err instanceof ProtocolError && q.cursor !== undefined) {
      throw new ProtocolError("cursor: not one this server issued (pass the 'next' of the previous page as-is)");
    }
    throw err;
  }
}

/** The stored event `id` and its store, or undefined after answering 503 (store not open) or 404. */
function findEvent(server: ServerLike, reply: Reply, id: string): { store: EventStoreLike; event: NonNullable<ReturnType<EventStoreLike['get']>> } | undefined {
  const store = openStore(server, reply);
  if (!store) return undefined;
  const event = EVENT_ID.test(id) ? store.get(id) : undefined;
  if (!event) {
    reply.error(404, `unknown event '${id}'`);
    return undefined;
  }
  return { store, event };
}

/** The event store, or undefined after answering 503 (the server opens it asynchronously at start). */
export function openStore(server: ServerLike, reply: Reply): EventStoreLike | undefined {
  const store = server.events;
  if (!store) reply.error(503, 'the event store is not open', { 'Retry-After': '1' });
  return store;
}
