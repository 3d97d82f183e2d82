/**
 * The HTTP server (uWebSockets.js): camera API, WHEP, the detection API (events, snapshots,
 * plugins), /metrics, the /ws live feed, the page and the player module.
 * Every handler runs inside a guard, so a throwing route answers 500 instead of taking the
 * process down; hostile input (bad encodings, oversized bodies, junk on the socket) ends in
 * 400/413 or in uWS closing the socket.
 */
import { accessSync, constants } from 'node:fs';
import uWS from 'uWebSockets.js';
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import { ConfigError } from '../errors.js';
import { createLogger } from '../log.js';
import { clientAddressResolver, type ClientAddress } from './client-address.js';
import { Reply, corsHeaders, preflightHeaders, statusForError } from './reply.js';
import { buildCountRoutes } from './counts-routes.js';
import { buildEventRoutes } from './events-routes.js';
import { buildExportRoutes } from './export-routes.js';
import { buildGeometryRoutes } from './geometry-routes.js';
import { buildMetricsRoute } from './metrics.js';
import { redirectLocation, type ClusterRouting } from './redirect.js';
import type { AccessPolicy } from '../auth/access.js';
import { buildAuthRoutes } from './auth-routes.js';
import { buildRoutes, type Route } from './routes.js';
import { loadWebAssets } from './static.js';
import type { ServerLike } from './types.js';
import { attachEventSocket, wsPlainRoute } from './ws.js';

const log = createLogger('http');

/** Options of the HTTP server. */
export interface HttpAppOptions {
  host: string;
  /** 0 picks a free port (listen() resolves with it). */
  port: number;
  /** Largest request body accepted (WHEP offers); larger ones get 413. */
  maxBodyBytes: number;
  /** Origins allowed to call the API and WHEP from a browser; '*' allows any. */
  corsOrigins: string[];
  /** API tokens, roles and viewer tokens (`auth:`); without it (or without tokens) every request is served. */
  access?: AccessPolicy;
  /** Serve HTTPS with these PEM files (http.tls). */
  tls?: { certFile: string; keyFile: string; passphrase?: string | undefined };
  /** Reverse proxies whose X-Forwarded-For names the client (http.trustProxy). */
  trustProxy?: readonly string[];
}

/** A running (or ready to run) HTTP server. */
export interface HttpApp {
  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number>;
  /** Stops listening and closes open connections. Idempotent. */
  close(): void;
}

/** Creates the HTTP app for `server`. Reads the web assets from disk once, here. */
export function createHttpApp(server: ServerLike, opts: HttpAppOptions): HttpApp {
  const app: TemplatedApp = opts.tls ? sslApp(opts.tls) : uWS.App();
  const clientAddress = clientAddressResolver(opts.trustProxy ?? []);
  const socket = attachEventSocket(app, server, { corsOrigins: opts.corsOrigins, clientAddress, ...(opts.access ? { access: opts.access } : {}) });
  const routes = [
    ...buildRoutes(server, opts.maxBodyBytes, loadWebAssets()),
    ...buildEventRoutes(server),
    ...buildExportRoutes(server),
    ...buildGeometryRoutes(server, opts.maxBodyBytes),
    ...buildCountRoutes(server),
    ...(opts.access ? buildAuthRoutes(server, opts.access, opts.maxBodyBytes) : []),
    buildMetricsRoute(server, () => socket.stats()),
    wsPlainRoute,
  ];
  for (const route of routes) {
    const allow = [...Object.keys(route.methods), 'OPTIONS'].join(', ');
    const paramCount = route.pattern.split('/').filter((s) => s.startsWith(':')).length;
    app.any(route.pattern, (res, req) => dispatch(route, allow, paramCount, res, req, opts.corsOrigins, server.cluster, opts.access, clientAddress));
  }
  app.any('/*', (res, req) => {
    const reply = new Reply(res, corsHeaders(opts.corsOrigins, req.getHeader('origin')));
    reply.error(404, 'not found');
  });

  let listenSocket: us_listen_socket | undefined;
  let closed = false;
  return {
    listen: () =>
      new Promise((resolve, reject) => {
        app.listen(opts.host, opts.port, (socket) => {
          if (!socket) {
            reject(new ConfigError(`cannot listen on ${opts.host}:${opts.port} (in use or not permitted)`, 'http.port'));
            return;
          }
          listenSocket = socket;
          const port = uWS.us_socket_local_port(socket as unknown as uWS.us_socket);
          log.info(`listening on http://${opts.host}:${port}`);
          resolve(port);
        });
      }),
    close: () => {
      if (closed) return;
      closed = true;
      socket.close();
      if (listenSocket) uWS.us_listen_socket_close(listenSocket);
      listenSocket = undefined;
      // The native build has App.close() (closes keep-alive connections too); the .d.ts lacks it.
      (app as TemplatedApp & { close?: () => void }).close?.();
    },
  };
}

/**
 * Runs the route's handler for the request's method, answering OPTIONS, 405 and 400 (bad encoding)
 * itself, and, with several nodes, 307 for a request another node answers (core/http/redirect.ts).
 */
function dispatch(
  route: Route, allow: string, paramCount: number, res: HttpResponse, req: HttpRequest, corsOrigins: readonly string[],
  cluster: ClusterRouting | undefined,
  access: AccessPolicy | undefined,
  clientAddress: ClientAddress,
): void {
  const reply = new Reply(res, corsHeaders(corsOrigins, req.getHeader('origin')));
  try {
    const method = req.getMethod().toUpperCase();
    // A CORS preflight cannot follow a redirect, so every node answers it; the request it clears is redirected.
    if (method === 'OPTIONS') {
      reply.send(204, '', preflightHeaders(allow));
      return;
    }
    if (access?.enabled) {
      // Before the redirect: a node never points a client it does not know at another node.
      const decision = access.check({
        method, path: req.getUrl(), query: req.getQuery() ?? '', authorization: req.getHeader('authorization'), address: clientAddress(res, req),
      });
      if (!decision.allowed) {
        // A body left unread: close the connection after the answer rather than drain it.
        reply.error(decision.status, decision.message, decision.headers ?? {}, hasBody(req));
        return;
      }
    }
    const location = cluster && redirectLocation(cluster, req.getUrl(), req.getQuery() ?? '');
    if (location) {
      // 307 (not 302/303): the client repeats the same method with the same body. A body is left
      // unread, so the connection is closed after the answer rather than drained.
      reply.json(307, { redirect: location }, { Location: location }, hasBody(req));
      return;
    }
    const handler = route.methods[method];
    if (!handler) {
      reply.error(405, `${method} not allowed here`, { Allow: allow });
      return;
    }
    const params: string[] = [];
    for (let i = 0; i < paramCount; i++) {
      try {
        params.push(decodeURIComponent(req.getParameter(i)));
      } catch {
        reply.error(400, 'malformed percent-encoding in URL');
        return;
      }
    }
    const pending = handler(reply, req, params);
    if (pending) pending.catch((err: unknown) => fail(reply, err));
  } catch (err) {
    fail(reply, err);
  }
}

/**
 * An HTTPS app. The files are read here, so a missing or unreadable one is a ConfigError naming it,
 * not a server that silently fails every handshake.
 */
function sslApp(tls: NonNullable<HttpAppOptions['tls']>): TemplatedApp {
  for (const [name, file] of [['certFile', tls.certFile], ['keyFile', tls.keyFile]] as const) {
    try {
      accessSync(file, constants.R_OK);
    } catch {
      throw new ConfigError(`cannot read ${file}`, `http.tls.${name}`);
    }
  }
  return uWS.SSLApp({ cert_file_name: tls.certFile, key_file_name: tls.keyFile, ...(tls.passphrase !== undefined ? { passphrase: tls.passphrase } : {}) });
}

/** Whether the request carries a body (which an early answer leaves unread). */
function hasBody(req: HttpRequest): boolean {
  return Number(req.getHeader('content-length') || '0') > 0 || req.getHeader('transfer-encoding') !== '';
}

/** Answers a request whose handler threw: the mapped status, or a logged generic 500. */
function fail(reply: Reply, err: unknown): void {
  const status = statusForError(err);
  if (status === 500) {
    log.error('request failed', err);
    reply.error(500, 'internal server error');
  } else {
    reply.error(status, err instanceof Error ? err.message : String(err));
  }
}
