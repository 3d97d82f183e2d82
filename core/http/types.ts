/**
 * What the HTTP layer needs from the server: a read-only view of the cameras and the WHEP
 * service. core/server.ts implements it; tests use a small in-memory one.
 */
import type { DetectorStats } from '../detect/service.js';
import type { CountQuery, CountRow, ObjectQuery, ObjectRow } from '../events/counts.js';
import type { Detection } from '../../plugins/sdk/index.js';
import type { StoredEvent } from '../events/model.js';
import type { EventPage, EventQuery } from '../events/store.js';
import type { GeometrySaved, PluginGeometry } from '../plugins/reconfigure.js';
import type { GeometryPatch } from '../../config/edit.js';
import type { ClusterRouting } from './redirect.js';

/** A camera as the API shows it (`GET /api/cameras`). URLs are redacted before they get here. */
export interface CameraInfo {
  id: string;
  name?: string;
  /** Where the camera stands (config `location`). */
  location?: string;
  /** `rtmp`: an RTMP publisher feeds it (`rtmp:` source); `push`: an RTSP publisher. */
  source: 'pull' | 'push' | 'rtmp' | 'synthetic';
  /** `remote`: another node runs it (`node` names it); its own node answers `GET /api/cameras/{id}` with the live state. */
  state: 'connecting' | 'online' | 'offline' | 'idle' | 'remote';
  /** With several nodes (`cluster:`), the node that runs the camera. */
  node?: string;
  /** Source URL with credentials replaced by `***` (log.redactUrl). */
  url?: string;
  codec?: string;
  profile?: string;
  width?: number;
  height?: number;
  fps?: number;
  bitrateBps?: number;
  audio?: { codec: string; playable: boolean };
  viewers: number;
  packetsLost: number;
  /** A pulled camera's RTP packets that arrived out of order and were put back in sequence. */
  packetsReordered?: number;
  framesDropped: number;
  reconnects: number;
  lastError?: string;
}

/** The WHEP side the routes call (core/webrtc/whep.ts WhepService satisfies it). */
export interface WhepLike {
  /** Answers an SDP offer; throws ProtocolError / UnsupportedError / InvalidStateError. */
  createSession(cameraId: string, offerSdp: string): Promise<{ id: string; answerSdp: string; etag?: string }>;
  /** Ends a session; false when the id is unknown. */
  deleteSession(id: string): boolean;
  /** The session's camera, state and RTP timestamp offset; undefined when the id is unknown. */
  sessionInfo?(id: string): { id: string; camera: string; state: string; videoRtpOffset: number | null } | undefined;
}

/** The server as seen by core/http. */
export interface ServerLike extends DetectionServerLike {
  /** Every configured camera, in configuration order. */
  cameras(): CameraInfo[];
  /** One camera, or undefined when the id is unknown. */
  camera(id: string): CameraInfo | undefined;
  /** The WHEP service that owns the viewers' peer connections. */
  whep: WhepLike;
  /** With several nodes (`cluster:`): who runs which camera, so requests for another node's camera are redirected. */
  cluster?: ClusterRouting;
}

// ---- Events, plugins, snapshots and metrics (issue 3). Every member is optional on ServerLike
// so a server without detection still satisfies it; the routes answer 503 (or an empty list).

/** One detection as plugins report it; box is x, y, w, h normalised 0..1. */
export type DetectionLike = Detection;

/** An event as the store keeps it (core/events/model.ts). */
export type StoredEventLike = StoredEvent;
export type { EventPage, EventQuery };


/** The read side of the count store the routes call. */
export interface CountStoreLike {
  query(q: CountQuery): CountRow[];
  /** Object tallies (ctx.observe), by hour or day. */
  queryObjects(q: ObjectQuery): ObjectRow[];
}

/** The read side of the event store the routes call (core/events EventStore satisfies it). */
export interface EventStoreLike {
  get(id: string): StoredEventLike | undefined;
  /** The event's JPEG, or undefined when it has none. */
  snapshot(id: string): Uint8Array | undefined;
  /** The event's `index`-th evidence JPEG, or undefined when it has no such image. */
  evidence(id: string, index: number): Uint8Array | undefined;
  /** The event's MP4 clip, or undefined when it has none (yet). Optional: a store without clips answers 404. */
  clip?(id: string): Uint8Array | undefined;
  query(q: EventQuery): EventPage;
}

/** One camera × plugin instance as `GET /api/plugins` shows it (core/plugins PluginHost.stats()). */
export interface PluginStats {
  camera: string;
  plugin: string;
  fps: number;
  /** End-to-end latency percentiles, ms. */
  p50: number;
  p95: number;
  p99: number;
  budgetMs: number;
  misses: number;
  skipped: number;
  restarts: number;
  state: string;
  /** Load shedding (absent from hosts without it): priority, the factor on its fps, paused, frames shed. */
  priority?: number;
  fpsScale?: number;
  paused?: boolean;
  shed?: number;
}

/** What the WebSocket forwards for one processed frame. */
export interface DetectionsMessage {
  camera: string;
  plugin: string;
  pts: number;
  detections: DetectionLike[];
}

/**
 * A latency histogram's lifetime state, as core/plugins LatencyHistogram.snapshot() gives it:
 * `counts[i]` observations ≤ bounds[i] and > bounds[i-1] (not cumulative), the last entry above
 * every bound. Bounds and sum are in milliseconds.
 */
export interface HistogramSnapshot {
  /** Upper bounds in ms, ascending. */
  bounds: readonly number[];
  /** Length bounds.length + 1. */
  counts: readonly number[];
  /** Sum of the observations, ms. */
  sum: number;
  count: number;
}

/** Per-camera numbers for /metrics. */
export interface CameraMetrics {
  id: string;
  fpsIn: number;
  /** Absent when the camera has no decoder (no plugins). */
  fpsDecoded?: number;
  bitrateBps: number;
  viewers: number;
  reconnects: number;
}

/** Per camera × plugin numbers for /metrics. */
export interface PluginMetrics {
  /** Frames not given to the plugin because of load shedding, and whether it is paused now. */
  shedFrames?: number;
  paused?: boolean;
  camera: string;
  plugin: string;
  /** End-to-end latency (capturedAt → result), lifetime. */
  latency?: HistogramSnapshot;
  budgetMisses: number;
  skippedFrames: number;
  restarts: number;
}

/** Everything /metrics shows besides the process's own numbers. */
export interface MetricsSnapshot {
  cameras: CameraMetrics[];
  /** When absent, /metrics reads ServerLike.plugins (stats() and histograms()). */
  plugins?: PluginMetrics[];
  /** Evidence clip counters (core/events/clips.ts ClipStats), when clips are kept. */
  clips?: { stored: number; truncated: number; missed: number; pending: number };
  /** The plugin host's load shedding (core/plugins/shedder.ts ShedState), when it runs. */
  load?: { level: number; maxLevel: number; fpsScale: number; pausedUpTo?: number; lagP99Ms: number; changes: number };
  /** RTMP ingest counters (core/rtmp RtmpServerStats), when a camera has an `rtmp:` source. */
  rtmp?: {
    connections: number; publishing: number; published: number; refused: Readonly<Record<'badKey' | 'unknownCamera' | 'badApp' | 'busy' | 'play', number>>;
    protocolErrors: number; timedOut: number;
    video: { malformed: number; unsupported: number; droppedBeforeKeyframe: number }; audioDropped: Record<string, number>;
  };
  /** MQTT publisher counters (core/mqtt MqttStats), when `mqtt:` is configured. */
  mqtt?: { connected: boolean; connects: number; queued: number; inflight: number; delivered: number; eventsDropped: number; countsDropped: number };
}

/** The plugin host as the routes see it (core/plugins PluginHost satisfies it). */
export interface PluginHostLike {
  stats(): PluginStats[];
  /** The load shedder's state (core/plugins/shedder.ts ShedState); undefined when shedding is off. */
  load?(): MetricsSnapshot['load'];
  /** Lifetime latency histograms per camera × plugin, for /metrics. */
  histograms?(): Array<{ camera: string; plugin: string; histogram: HistogramSnapshot }>;
}

/** The optional issue-3 members of ServerLike. */
export interface DetectionServerLike {
  /** The event store, once open. */
  events?: EventStoreLike;
  /** The plugin host. */
  plugins?: PluginHostLike;
  /** The vehicle-count store, once open (core/events CountStore satisfies it). */
  counts?: CountStoreLike;
  /** The camera's latest decoded frame as JPEG; undefined when none was decoded yet. */
  cameraSnapshot?(cameraId: string): Promise<Uint8Array | undefined>;
  /** Numbers for /metrics; without it /metrics derives what it can from cameras() and plugins. */
  metrics?(): MetricsSnapshot;
  /** Calls `listener` for every event after its commit; returns the unsubscribe function. */
  onEvent?(listener: (event: StoredEventLike) => void): () => void;
  /** Calls `listener` for every frame a plugin processed; returns the unsubscribe function. */
  onDetections?(listener: (message: DetectionsMessage) => void): () => void;
  /** Every plugin's zones, lines and config on a camera; undefined for an unknown camera. */
  geometry?(cameraId: string): { camera: string; plugins: Record<string, PluginGeometry> } | undefined;
  /** Validates, applies and saves one plugin's geometry (core/plugins/reconfigure.ts); undefined for an unknown camera or plugin. */
  saveGeometry?(cameraId: string, plugin: string, patch: GeometryPatch): Promise<GeometrySaved | undefined>;
  /** The neural detector's counters (core/detect DetectorService.stats()); undefined when none runs. */
  detectorStats?(): DetectorStats | undefined;
}
