/**
 * The server's HTTP API as the dashboard uses it: the JSON shapes (mirroring core/http and
 * core/events/counts.ts, kept structural so the dashboard does not import server code) and a few
 * fetch helpers that turn a JSON `{error}` body into the thrown message.
 */

/** One camera as GET /api/cameras lists it. */
export interface Camera {
  id: string;
  name?: string;
  source: 'pull' | 'push' | 'rtmp' | 'synthetic';
  /** `remote`: run by another node (`node`), which the API redirects to. */
  state: 'connecting' | 'online' | 'offline' | 'idle' | 'remote';
  node?: string;
  codec?: string;
  profile?: string;
  width?: number;
  height?: number;
  fps?: number;
  bitrateBps?: number;
  audio?: { codec: string; playable: boolean };
  viewers: number;
  packetsLost: number;
  framesDropped: number;
  reconnects: number;
  lastError?: string;
  location?: string;
}

/** A detection box: [x, y, w, h] normalised 0..1. */
export interface Detection {
  label: string;
  score: number;
  box: [number, number, number, number];
  trackId?: number;
}

/** A committed event (core/events/model.ts StoredEvent). */
export interface StoredEvent {
  id: string;
  camera: string;
  plugin: string;
  type: string;
  severity: 'info' | 'warning' | 'critical';
  startedAt: number;
  endedAt?: number;
  trackId?: number;
  zone?: string;
  boxes?: Detection[];
  attributes?: Record<string, unknown>;
  hasSnapshot: boolean;
  evidence?: { label: string; capturedAt: number; bytes?: number }[];
  /** The video clip around the event (GET /api/events/{id}/clip.mp4), once stored. */
  clip?: { bytes: number; startedAt: number; endedAt: number };
}

/** One page of GET /api/events. */
export interface EventPage {
  events: StoredEvent[];
  next: string | null;
}

/** One camera × plugin row of GET /api/plugins. */
export interface PluginStats {
  camera: string;
  plugin: string;
  state: string;
  fps: number;
  targetFps?: number;
  p50: number;
  p95: number;
  p99: number;
  budgetMs: number;
  misses: number;
  skipped: number;
  restarts: number;
  events?: number;
}

/** Vehicles per hour by class, and each class's share of the hour. */
export interface HourRow {
  hour: number;
  total: number;
  byClass: Record<string, number>;
  share?: Record<string, number>;
}

/** One gate of the traffic report. */
export interface GateReport {
  gate: string;
  total: number;
  entering: number;
  byClass: Record<string, number>;
  hours: HourRow[];
  busiestHour?: { hour: number; total: number };
}

/** GET /api/reports/traffic. */
export interface TrafficReport {
  date: string;
  gates: GateReport[];
  busiestGate?: { gate: string; total: number };
  classEnteringMost?: { cls: string; count: number };
  busiestHour?: { hour: number; total: number };
}

/** One day's objects over some cameras. */
export interface ObjectTally {
  total: number;
  byClass: Record<string, number>;
  hours: HourRow[];
}

/** GET /api/reports/objects. */
export interface ObjectsReport extends ObjectTally {
  date: string;
  camera?: string;
  cameras: (ObjectTally & { camera: string })[];
}

/** A point [x, y] normalised 0..1, top-left origin. */
export type Point = [number, number];

/** One plugin's geometry: named polygons and directed lines, plus its config object. */
export interface PluginGeometry {
  zones: Record<string, Point[]>;
  lines: Record<string, { from: Point; to: Point }>;
  config?: Record<string, unknown>;
}

/** GET /api/cameras/:id/geometry. */
export interface CameraGeometry {
  camera: string;
  plugins: Record<string, PluginGeometry>;
}

/** 200 answer of PUT /api/cameras/:id/geometry/:plugin. */
export interface SavedGeometry extends PluginGeometry {
  camera: string;
  plugin: string;
  savedTo: string;
  applied: boolean;
}

/** An HTTP error with the server's `{error}` message and the status. */
export class ApiError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
    this.name = 'ApiError';
  }
}

// ---- Access control: with auth.tokens set on the server, every call carries the token the user
// entered (kept in this browser's localStorage); <img>, <video>, downloads and the WebSocket carry
// it as ?token=, since they cannot send a header.

const TOKEN_KEY = 'streamsight.token';
/** Fired on window when the server answers 401: the page asks for a token. */
export const AUTH_REQUIRED = 'streamsight:auth-required';

/** The API token this browser holds, if any. */
export function authToken(): string | undefined {
  try {
    return localStorage.getItem(TOKEN_KEY) || undefined;
  } catch {
    return undefined;
  }
}

/** Stores (or with undefined forgets) the API token. */
export function setAuthToken(token: string | undefined): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

/** `path` with the token as ?token= when one is held: for src, href and WebSocket URLs. */
export function authed(path: string): string {
  const token = authToken();
  if (!token) return path;
  return `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}

function authHeaders(): Record<string, string> {
  const token = authToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

async function failure(res: Response): Promise<ApiError> {
  if (res.status === 401) window.dispatchEvent(new Event(AUTH_REQUIRED));
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { error?: string };
    if (body.error) message = body.error;
  } catch {
    // not JSON: the status line says enough
  }
  return new ApiError(message, res.status);
}

/** GETs `path` as JSON; throws ApiError on a non-2xx answer. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { signal, headers: { Accept: 'application/json', ...authHeaders() } });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/** PUTs `body` as JSON to `path`; throws ApiError with the server's message on failure. */
export async function putJson<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(path, { method: 'PUT', headers: { 'Content-Type': 'application/json', ...authHeaders() }, body: JSON.stringify(body) });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/** The filters shared by /api/events and /api/export/events. */
export interface EventFilters {
  camera?: string;
  plugin?: string;
  type?: string;
  /** Epoch ms. */
  from?: number;
  to?: number;
}

/** Query string for `filters` plus extra parameters, empty values left out. */
export function eventQuery(filters: EventFilters, extra: Record<string, string | number | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...filters, ...extra })) {
    if (v !== undefined && v !== '' && !(typeof v === 'number' && !Number.isFinite(v))) q.set(k, String(v));
  }
  return q.toString();
}

/** Whether a live event falls within `filters` (the same test the server applies). */
export function matchesFilters(e: StoredEvent, f: EventFilters): boolean {
  if (f.camera && e.camera !== f.camera) return false;
  if (f.plugin && e.plugin !== f.plugin) return false;
  if (f.type && e.type !== f.type) return false;
  if (f.from !== undefined && e.startedAt < f.from) return false;
  if (f.to !== undefined && e.startedAt > f.to) return false;
  return true;
}
