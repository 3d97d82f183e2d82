/**
 * One HTTP response on uWebSockets.js, made safe to use from async code: it registers
 * onAborted up front, never writes after an abort or a second time, and corks every write
 * (uWS requires cork outside the synchronous part of a handler).
 */
import type { HttpResponse } from 'uWebSockets.js';
import { ConfigError, InvalidStateError, ProtocolError, UnsupportedError } from '../errors.js';

const REASONS: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No Content', 206: 'Partial Content', 307: 'Temporary Redirect', 400: 'Bad Request', 401: 'Unauthorized',
  403: 'Forbidden', 404: 'Not Found', 416: 'Range Not Satisfiable', 429: 'Too Many Requests',
  405: 'Method Not Allowed', 409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type',
  422: 'Unprocessable Entity', 426: 'Upgrade Required', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

/** Response headers as name → value. */
export type Headers = Record<string, string>;

/** Wraps a uWS HttpResponse for one request. Construct it synchronously inside the route handler. */
export class Reply {
  /** The client went away (or uWS closed the socket); nothing may be written. */
  aborted = false;
  /** A response was written. */
  done = false;
  readonly #abortListeners: Array<() => void> = [];

  constructor(
    readonly res: HttpResponse,
    /** Headers added to every response of this request (CORS). */
    readonly baseHeaders: Headers,
  ) {
    res.onAborted(() => {
      this.aborted = true;
      for (const fn of this.#abortListeners) fn();
    });
  }

  /** True while a response can still be written. */
  get open(): boolean {
    return !this.aborted && !this.done;
  }

  /** Calls `fn` if the request is aborted (body readers stop on it). */
  onAbort(fn: () => void): void {
    this.#abortListeners.push(fn);
  }

  /** Writes status, headers and body; `close` ends the connection (used when a body is left unread). */
  send(status: number, body: string | Uint8Array = '', headers: Headers = {}, close = false): void {
    if (!this.open) return;
    this.done = true;
    this.res.cork(() => {
      this.res.writeStatus(`${status} ${REASONS[status] ?? 'Unknown'}`);
      for (const [k, v] of Object.entries(this.baseHeaders)) this.res.writeHeader(k, v);
      for (const [k, v] of Object.entries(headers)) this.res.writeHeader(k, v);
      this.res.end(body, close);
    });
  }

  /** Sends `value` as JSON (never cached: camera state changes by the second). */
  json(status: number, value: unknown, headers: Headers = {}, close = false): void {
    const json = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' };
    this.send(status, JSON.stringify(value), { ...json, ...headers }, close);
  }

  /** Sends `{ "error": message }` with the given status. */
  error(status: number, message: string, headers: Headers = {}, close = false): void {
    this.json(status, { error: message }, headers, close);
  }
}

/**
 * Maps streamsight's error classes to one HTTP status each. UnsupportedError is 422, not 415:
 * 415 is reserved for a wrong Content-Type; an offer for a camera whose codec the browser cannot
 * play is a well-formed request that cannot be processed. Anything else is a bug: 500.
 */
export function statusForError(err: unknown): number {
  if (err instanceof ProtocolError || err instanceof ConfigError) return 400;
  if (err instanceof UnsupportedError) return 422;
  if (err instanceof InvalidStateError) return 409;
  return 500;
}

/** CORS response headers for a request from `origin`, given the configured allowed origins. */
export function corsHeaders(corsOrigins: readonly string[], origin: string): Headers {
  const headers: Headers = {};
  if (corsOrigins.includes('*')) {
    headers['Access-Control-Allow-Origin'] = '*';
  } else if (origin && corsOrigins.includes(origin)) {
    headers['Access-Control-Allow-Origin'] = origin;
    headers['Vary'] = 'Origin';
  } else {
    return headers;
  }
  // WHEP clients read Location (the session URL) and ETag; Link would carry ICE servers.
  headers['Access-Control-Expose-Headers'] = 'Location, ETag, Link, X-Streamsight-Truncated';
  return headers;
}

/** Extra headers for a CORS preflight answer (OPTIONS). */
export function preflightHeaders(allow: string): Headers {
  return {
    Allow: allow,
    'Access-Control-Allow-Methods': allow,
    'Access-Control-Allow-Headers': 'content-type, authorization, if-match',
    'Access-Control-Max-Age': '600',
  };
}

/** The client's address as text (IPv4, or IPv6 in its canonical form), for per-address limits. */
export function remoteAddress(res: { getRemoteAddressAsText(): ArrayBuffer }): string {
  return Buffer.from(res.getRemoteAddressAsText()).toString();
}
