/**
 * The types a detector plugin sees. Type-only: a plugin bundle pulls in no Node module through the SDK.
 * Coordinates are normalised to 0..1 of the frame (x right, y down) so geometry drawn on one resolution
 * holds on every detect size.
 */
import type { z } from 'zod';
import type { PixelFormat } from '../../core/decode/frame-ring.js';

export type { PixelFormat };

/** One decoded frame, lent to `onFrame`: the planes are zero-copy views of shared memory, valid only until onFrame returns (or its promise settles). */
export interface Frame {
  cameraId: string;
  /** Presentation timestamp of the source access unit (90 kHz clock for RTP sources). */
  pts: number;
  /**
   * Epoch ms (Date.now() domain) the frame was captured: its pts on the camera's clock, anchored to
   * the least-delayed arrival at the server (core/decode/capture-clock.ts). Frames are exactly as
   * far apart as the camera took them, whatever the network's jitter: measure speeds and dwell times on it.
   */
  capturedAt: number;
  /** The ring's sequence number of this frame. */
  seq: number;
  width: number;
  height: number;
  format: PixelFormat;
  /** Luma, `strideY` bytes per row. */
  y: Uint8Array;
  /** Chroma planes (i420 only), `strideUV` bytes per row, half width and height rounded up. */
  u?: Uint8Array;
  v?: Uint8Array;
  strideY: number;
  strideUV: number;
}

/** A normalised [x, y] point, 0..1 of the frame. */
export type Point = [number, number];

/** Zones (polygons) and lines (tripwires) configured for this camera × plugin, by name. */
export interface Geometry {
  zones: Record<string, Point[]>;
  lines: Record<string, { from: Point; to: Point }>;
}

/** One detected object; `box` is [x, y, w, h] normalised. */
export interface Detection {
  label: string;
  score: number;
  box: [number, number, number, number];
  trackId?: number;
}

/**
 * A frame copied out of shared memory (FrameHistory), owned by the plugin: tight strides (Y `width`
 * bytes per row, U and V `ceil(width / 2)` bytes per row and `ceil(height / 2)` rows).
 */
export interface FrameCopy {
  width: number;
  height: number;
  format: PixelFormat;
  /** Epoch ms the source frame was captured (Frame.capturedAt). */
  capturedAt: number;
  /** Presentation timestamp of the source frame (Frame.pts). */
  pts: number;
  y: Uint8Array;
  u?: Uint8Array;
  v?: Uint8Array;
}

/**
 * One evidence image of an event: a frame with overlays the host draws before encoding it as JPEG.
 * Hand `emit` a FrameHistory.snapshot(): its buffers are moved to the host (not copied), so the copy
 * is unusable afterwards.
 */
export interface EvidenceImage {
  /** What the image shows, e.g. 'before', 'at', 'after'; at most 32 characters. */
  label: string;
  frame: FrameCopy;
  /** Normalised boxes, outlined and labelled with their `label`. */
  boxes?: Detection[];
  /** A normalised polyline, e.g. the vehicle's track so far. */
  track?: Point[];
  /** One line of text drawn at the top left, e.g. 'RED 2.4S'. */
  caption?: string;
}

/** Severity of an event. */
export type Severity = 'info' | 'warning' | 'critical';

/** What a plugin passes to `ctx.emit`; the host adds camera, plugin and times and stores it. */
export interface PluginEventInput {
  type: string;
  /** Default 'info'. */
  severity?: Severity;
  zone?: string;
  trackId?: number;
  boxes?: Detection[];
  attributes?: Record<string, unknown>;
  /** Store a JPEG of the frame being processed; only honoured when emit is called during onFrame. */
  snapshot?: boolean;
  /**
   * Epoch ms the condition began, for events confirmed after the fact (a tripwire crossing raised once
   * the object has stayed over the line). Default: the capture time of the frame being processed;
   * a time after it is ignored.
   */
  startedAt?: number;
  /** Epoch ms the condition ended, for events reported after the fact. */
  endedAt?: number;
  /**
   * Frames stored with the event as JPEGs, overlays drawn in (at most MAX_EVIDENCE_IMAGES, else the
   * event is dropped and counted). Honoured at any time, not only during onFrame: the frames are copies.
   */
  evidence?: EvidenceImage[];
}

/** One vehicle (or object) crossing one counting line, as a counting plugin reports it. */
export interface CountInput {
  /** The configured line's name. */
  line: string;
  /** Class: motorbike, car, truck, bus, or a detector's label. */
  cls: string;
  /** 'in' (entering) or 'out', as the plugin's config names the line's directions. */
  direction: string;
  /** Epoch ms of the crossing; default the capture time of the frame being processed. */
  at?: number;
}

/** One object seen, as an object-statistics plugin reports it (ctx.observe). */
export interface ObservedObject {
  /** Its kind: person, motorbike, car, truck, bus, or a detector's label. */
  cls: string;
  /** The plugin's track id of the object (for logs and tests; not stored). */
  trackId?: number;
  /** Epoch ms it was seen; default the capture time of the frame being processed. */
  at?: number;
}

/** What `create` receives: who it runs for, its validated config and geometry, and the ways out. */
export interface PluginContext<C> {
  cameraId: string;
  config: C;
  geometry: Geometry;
  /** Records an event (stored by the host; a snapshot is taken of the current frame when asked). */
  emit(e: PluginEventInput): void;
  /** Counts one crossing into the camera's per-minute, hourly and daily counts (stored by the host). */
  count(c: CountInput): void;
  /**
   * Reports one object seen, for the camera's daily object statistics (GET /api/reports/objects).
   * Call it once per object, when its track is confirmed as that kind (not per frame, and not again
   * when the same track is seen later); the host adds it to the camera's per-day and per-hour counts.
   */
  observe(o: ObservedObject): void;
  /** Logs a line under `[plugin:<name>:<camera>]`. */
  log(msg: string): void;
}

/** A running plugin for one camera. `onFrame` may return detections (sent to live viewers). */
export interface PluginInstance {
  onFrame(frame: Frame): void | Detection[] | Promise<void | Detection[]>;
  close?(): void;
}

/** Per-plugin defaults; the camera's YAML may override fps and latencyBudgetMs. */
export interface PluginDefaults {
  /** Frames per second the host feeds the plugin at most. */
  fps: number;
  /** Expected processing time; results later than this are counted as misses, 4× this is a hang. */
  latencyBudgetMs: number;
  /** Pixel format and detect size the plugin works best with (a hint for the decoder). */
  input: { format: PixelFormat; width?: number; height?: number };
}

/** What a plugin module default-exports: built by `definePlugin`. */
export interface PluginDefinition<C = unknown> {
  /** Marks the object as a plugin definition (the registry checks it). */
  readonly kind: 'streamsight-plugin';
  /** Lower-case id used in the YAML (`plugins: { brightness: ... }`). */
  readonly name: string;
  readonly description: string;
  /** Validates and defaults the plugin's own `config:` keys. */
  readonly configSchema: z.ZodType<C>;
  readonly defaults: PluginDefaults;
  /** Builds an instance for one camera; runs inside the plugin's worker thread. */
  create(ctx: PluginContext<C>): PluginInstance | Promise<PluginInstance>;
}
