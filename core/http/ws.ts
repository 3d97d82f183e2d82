/**
 * WS /ws: live events and detections for dashboards, fanned out with uWS publish/subscribe
 * (each message is serialised once; uWS copies it into every subscriber's buffer).
 *
 * Messages (text, JSON):
 *   { "type": "event", "event": StoredEvent }                       after the store's commit
 *   { "type": "detections", "camera", "plugin", "pts", "detections" }  every processed frame
 *
 * `/ws?camera=ID` carries only that camera's messages (its own topics). A viewer token (see
 * core/auth) opens only that form, for its own camera: an embedded player's overlays.
 *
 * Backpressure (mediamtx's rule: a slow reader loses data, counted, and never slows the rest):
 * detections are disposable, the next frame brings fresh ones, so a socket whose send buffer
 * passes `detectionsHighWater` is unsubscribed from them (drops counted) and subscribed again
 * once it drains below a quarter of that. Events are not disposable: a socket past
 * `eventsHighWater` is closed (1013, counted) rather than skipped, so a client never misses one
 * without knowing; it reconnects and catches up with GET /api/events. uWS's own limit
 * (maxBackpressure, closing too) only backs this up, it never skips a subscriber silently.
 */
import { wsCamera, type AccessPolicy } from '../auth/access.js';
import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import { createLogger, RateLimitedLog } from '../log.js';
import type { SocketMetrics } from './metrics.js';
import { clientAddressResolver, type ClientAddress } from './client-address.js';
import type { Route } from './routes.js';
import type { DetectionsMessage, ServerLike, StoredEventLike } from './types.js';

const log = createLogger('ws');
const warn = new RateLimitedLog(log, 10_000);

const EVENTS = 'events';
const DETECTIONS = 'detections';

/** The uWS topics a socket takes: every camera's, or (`/ws?camera=`) one camera's own. */
function topicsFor(camera: string | undefined): { events: string; detections: string } {
  return camera === undefined ? { events: EVENTS, detections: DETECTIONS } : { events: `${EVENTS}/${camera}`, detections: `${DETECTIONS}/${camera}` };
}

/** Close code for a client too slow to keep up (RFC 6455 §7.4.1 "Try Again Later"). */
export const CLOSE_TOO_SLOW = 1013;

/** Tunables of the /ws endpoint. */
export interface EventSocketOptions {
  /** Origins allowed to open the socket (besides the page's own); '*' allows any. */
  corsOrigins: readonly string[];
  /** Buffered bytes above which a socket stops receiving detections. Default 256 KiB. */
  detectionsHighWater?: number;
  /** Buffered bytes above which a socket is closed before the next event. Default 1 MiB. */
  eventsHighWater?: number;
  /** With API tokens, the socket needs a viewer's (browsers cannot set headers on a WebSocket: `?token=`). */
  access?: AccessPolicy;
  /** The client's address (behind trusted proxies, from X-Forwarded-For). Default: the peer's. */
  clientAddress?: ClientAddress;
}

/** The running /ws endpoint. */
export interface EventSocket {
  /** Sends an event to every client (what server.onEvent feeds). */
  publishEvent(event: StoredEventLike): void;
  /** Sends detections to every client that keeps up. */
  publishDetections(message: DetectionsMessage): void;
  /** Counters for /metrics. */
  stats(): SocketMetrics;
  /** Closes every client and stops listening to the server. Idempotent. */
  close(): void;
}

interface Client {
  /** The topics this socket takes (every camera's, or one camera's). */
  topics: { events: string; detections: string };
  /** Unsubscribed from detections because it fell behind. */
  paused: boolean;
  /** Closed (uWS forbids touching the socket after). */
  closed: boolean;
}

/** Registers WS /ws on `app` and subscribes it to the server's events and detections. */
export function attachEventSocket(app: TemplatedApp, server: ServerLike, opts: EventSocketOptions): EventSocket {
  const detectionsHighWater = opts.detectionsHighWater ?? 256 * 1024;
  const eventsHighWater = opts.eventsHighWater ?? 1024 * 1024;
  const clientAddress = opts.clientAddress ?? clientAddressResolver([]);
  const sockets = new Set<WebSocket<Client>>();
  const counters = { detectionsDropped: 0, slowClosed: 0 };
  let closed = false;

  app.ws<Client>('/ws', {
    compression: 0,
    maxPayloadLength: 4 * 1024,
    idleTimeout: 120,
    sendPingsAutomatically: true,
    maxBackpressure: eventsHighWater * 4,
    closeOnBackpressureLimit: 1, // a boolean to uWS; its .d.ts says number
    upgrade: (res, req, context) => {
      const origin = req.getHeader('origin');
      if (closed || !originAllowed(origin, req.getHeader('host'), opts.corsOrigins)) {
        // Browsers do not apply CORS to WebSockets: checking Origin here is what stops another site's page from reading events.
        res.writeStatus('403 Forbidden').writeHeader('Content-Type', 'application/json; charset=utf-8')
          .end(JSON.stringify({ error: closed ? 'server closing' : `origin '${origin}' not allowed` }));
        return;
      }
      const query = req.getQuery() ?? '';
      const camera = wsCamera(query);
      if (opts.access?.enabled) {
        const d = opts.access.check({
          method: 'GET', path: '/ws', query, authorization: req.getHeader('authorization'),
          address: clientAddress(res, req),
        });
        if (!d.allowed) {
          res.cork(() => {
            res.writeStatus(`${d.status} ${d.status === 401 ? 'Unauthorized' : d.status === 403 ? 'Forbidden' : 'Too Many Requests'}`);
            for (const [k, v] of Object.entries(d.headers ?? {})) res.writeHeader(k, v);
            res.writeHeader('Content-Type', 'application/json; charset=utf-8').end(JSON.stringify({ error: d.message }));
          });
          return;
        }
      }
      res.upgrade<Client>(
        { topics: topicsFor(camera), paused: false, closed: false },
        req.getHeader('sec-websocket-key'),
        req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'),
        context,
      );
    },
    open: (ws) => {
      sockets.add(ws);
      const { topics } = ws.getUserData();
      ws.subscribe(topics.events);
      ws.subscribe(topics.detections);
    },
    // Clients have nothing to say; pings and pongs are handled by uWS.
    message: () => undefined,
    drain: (ws) => resumeIfDrained(ws),
    close: (ws) => {
      ws.getUserData().closed = true;
      sockets.delete(ws);
    },
  });

  function resumeIfDrained(ws: WebSocket<Client>): void {
    const client = ws.getUserData();
    if (client.paused && !client.closed && ws.getBufferedAmount() < detectionsHighWater / 4) {
      client.paused = false;
      ws.subscribe(client.topics.detections);
    }
  }

  const publishEvent = (event: StoredEventLike): void => {
    if (closed || sockets.size === 0) return;
    for (const ws of sockets) {
      if (ws.getBufferedAmount() <= eventsHighWater) continue;
      counters.slowClosed++;
      warn.warn('slow', `closing a /ws client ${ws.getBufferedAmount()} bytes behind: it would miss events`);
      ws.end(CLOSE_TOO_SLOW, 'too slow: reconnect and catch up with GET /api/events');
    }
    const text = JSON.stringify({ type: 'event', event });
    app.publish(EVENTS, text);
    app.publish(topicsFor(event.camera).events, text);
  };

  const publishDetections = (message: DetectionsMessage): void => {
    if (closed || sockets.size === 0) return;
    let paused = 0;
    for (const ws of sockets) {
      const client = ws.getUserData();
      if (client.paused) resumeIfDrained(ws);
      else if (ws.getBufferedAmount() > detectionsHighWater) {
        client.paused = true;
        ws.unsubscribe(client.topics.detections);
      }
      if (client.paused) paused++;
    }
    if (paused > 0) {
      counters.detectionsDropped += paused;
      warn.warn('drop', `${paused} /ws client(s) behind: dropping detections (${counters.detectionsDropped} dropped so far)`);
    }
    const { camera, plugin, pts, detections } = message;
    const own = topicsFor(camera).detections;
    const [all, one] = [app.numSubscribers(DETECTIONS) > 0, app.numSubscribers(own) > 0];
    if (!all && !one) return;
    const text = JSON.stringify({ type: 'detections', camera, plugin, pts, detections });
    if (all) app.publish(DETECTIONS, text);
    if (one) app.publish(own, text);
  };

  const offEvent = server.onEvent?.(publishEvent);
  const offDetections = server.onDetections?.(publishDetections);

  return {
    publishEvent,
    publishDetections,
    stats: () => ({ clients: sockets.size, ...counters }),
    close: () => {
      if (closed) return;
      closed = true;
      offEvent?.();
      offDetections?.();
      for (const ws of [...sockets]) ws.end(1001, 'server closing');
      sockets.clear();
    },
  };
}

/** GET /ws without the upgrade headers (uWS passes it on): 426 naming what is expected, not a bare 404. */
export const wsPlainRoute: Route = {
  pattern: '/ws',
  methods: {
    GET: (reply) => reply.error(426, 'WebSocket endpoint: send Upgrade: websocket', { Upgrade: 'websocket', Connection: 'Upgrade' }),
  },
};

/** No Origin (not a browser), the page's own origin, or one the config allows. */
function originAllowed(origin: string, host: string, corsOrigins: readonly string[]): boolean {
  if (!origin || corsOrigins.includes('*') || corsOrigins.includes(origin)) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
