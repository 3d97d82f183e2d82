/**
 * GET /metrics: Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format).
 *
 *   # HELP <name> <help, \ and newline escaped>
 *   # TYPE <name> counter|gauge|histogram
 *   <name>{<label>="<value, \ " newline escaped>",...} <float>
 *
 * A histogram family `x` has samples x_bucket{le="..."} (cumulative, le="+Inf" = count), x_sum
 * and x_count. Small enough to write here rather than pull in prom-client.
 */
import type { Route } from './routes.js';
import type { HistogramSnapshot, MetricsSnapshot, PluginMetrics, ServerLike } from './types.js';

/** Label name → value. */
export type Labels = Record<string, string>;

/** One sample of a family; `suffix` is appended to the family name (`_bucket`, `_sum`, `_count`). */
export interface MetricSample {
  labels?: Labels;
  value: number;
  suffix?: string;
}

/** A metric family: HELP, TYPE and its samples. */
export interface MetricFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  samples: MetricSample[];
}

/** Content-Type of the 0.0.4 text format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Writes families in the text format. Throws on an invalid metric or label name (a bug, not input). */
export function formatMetrics(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    if (!NAME.test(family.name)) throw new Error(`invalid metric name '${family.name}'`);
    lines.push(`# HELP ${family.name} ${family.help.replaceAll('\\', '\\\\').replaceAll('\n', '\\n')}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const s of family.samples) lines.push(`${family.name}${s.suffix ?? ''}${formatLabels(s.labels)} ${formatValue(s.value)}`);
  }
  return lines.join('\n') + '\n';
}

function formatLabels(labels: Labels | undefined): string {
  if (!labels) return '';
  const parts: string[] = [];
  for (const [name, value] of Object.entries(labels)) {
    if (!LABEL.test(name) || name.startsWith('__')) throw new Error(`invalid label name '${name}'`);
    parts.push(`${name}="${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`);
  }
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** A float as Go's ParseFloat reads it (Prometheus spells infinities +Inf / -Inf). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/**
 * Bucket bounds /metrics shows, seconds. The plugin host keeps ~80 fine buckets; exporting all
 * would be 80 series per plugin, so each bound here is snapped to the nearest bound the source
 * histogram has (counts stay exact, the `le` values are the source's own).
 */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The _bucket, _sum and _count samples of one histogram; `scale` turns its unit into the exported one (ms → s). */
export function histogramSamples(
  labels: Labels, h: HistogramSnapshot, scale = 0.001, targets: readonly number[] = LATENCY_BUCKETS_SECONDS,
): MetricSample[] {
  const shown = new Set<number>();
  if (h.bounds.length <= targets.length) h.bounds.forEach((_, i) => shown.add(i));
  else for (const target of targets) shown.add(nearestBound(h.bounds, target / scale));
  const samples: MetricSample[] = [];
  let cumulative = 0;
  h.bounds.forEach((bound, i) => {
    cumulative += h.counts[i] ?? 0;
    if (shown.has(i)) {
      samples.push({ suffix: '_bucket', labels: { ...labels, le: formatValue(Number((bound * scale).toPrecision(12))) }, value: cumulative });
    }
  });
  samples.push({ suffix: '_bucket', labels: { ...labels, le: '+Inf' }, value: h.count });
  samples.push({ suffix: '_sum', labels, value: Number((h.sum * scale).toPrecision(15)) });
  samples.push({ suffix: '_count', labels, value: h.count });
  return samples;
}

/** Index of the bound closest to `value` on a log scale (bounds ascending, positive). */
function nearestBound(bounds: readonly number[], value: number): number {
  let best = 0;
  for (let i = 1; i < bounds.length; i++) {
    if (Math.abs(Math.log(bounds[i]! / value)) < Math.abs(Math.log(bounds[best]! / value))) best = i;
  }
  return best;
}

/** The WebSocket's own counters (ws.ts). */
export interface SocketMetrics {
  clients: number;
  detectionsDropped: number;
  slowClosed: number;
}

/** The server's numbers; what server.metrics() leaves out is read from cameras() and the plugin host. */
function snapshotOf(server: ServerLike): MetricsSnapshot & Pick<Required<MetricsSnapshot>, 'plugins'> {
  const snap = server.metrics?.();
  const cameras = snap?.cameras ?? server.cameras().map((c) => ({
    id: c.id, fpsIn: c.fps ?? 0, bitrateBps: c.bitrateBps ?? 0, viewers: c.viewers, reconnects: c.reconnects,
  }));
  const load = snap?.load ?? server.plugins?.load?.();
  const integrations = {
    ...(snap?.clips ? { clips: snap.clips } : {}), ...(snap?.mqtt ? { mqtt: snap.mqtt } : {}), ...(snap?.rtmp ? { rtmp: snap.rtmp } : {}), ...(load ? { load } : {}),
  };
  if (snap?.plugins) return { cameras, plugins: snap.plugins, ...integrations };
  const host = server.plugins;
  const histograms = new Map((host?.histograms?.() ?? []).map((h) => [`${h.camera}\0${h.plugin}`, h.histogram]));
  const plugins = (host?.stats() ?? []).map((p): PluginMetrics => {
    const latency = histograms.get(`${p.camera}\0${p.plugin}`);
    const m: PluginMetrics = {
      camera: p.camera, plugin: p.plugin, budgetMisses: p.misses, skippedFrames: p.skipped, restarts: p.restarts,
      ...(p.shed !== undefined ? { shedFrames: p.shed } : {}), ...(p.paused !== undefined ? { paused: p.paused } : {}),
    };
    return latency ? { ...m, latency } : m;
  });
  return { cameras, plugins, ...integrations };
}

/** Every family /metrics shows, read now. */
export function collectMetrics(server: ServerLike, socket?: SocketMetrics): MetricFamily[] {
  const snap = snapshotOf(server);
  const cam = (id: string): Labels => ({ camera: id });
  const plug = (camera: string, plugin: string): Labels => ({ camera, plugin });
  const families: MetricFamily[] = [
    gauge('streamsight_camera_fps_in', 'Access units per second received from the camera.',
      snap.cameras.map((c) => ({ labels: cam(c.id), value: c.fpsIn }))),
    gauge('streamsight_camera_fps_decoded', 'Frames per second decoded for the plugins (cameras with a decoder).',
      snap.cameras.flatMap((c) => (c.fpsDecoded === undefined ? [] : [{ labels: cam(c.id), value: c.fpsDecoded }]))),
    gauge('streamsight_camera_bitrate_bps', 'Received video bitrate, bits per second.',
      snap.cameras.map((c) => ({ labels: cam(c.id), value: c.bitrateBps }))),
    gauge('streamsight_camera_viewers', 'WebRTC viewers watching the camera.',
      snap.cameras.map((c) => ({ labels: cam(c.id), value: c.viewers }))),
    counter('streamsight_camera_reconnects_total', 'Reconnections to the camera since start.',
      snap.cameras.map((c) => ({ labels: cam(c.id), value: c.reconnects }))),
    {
      name: 'streamsight_plugin_latency_seconds',
      help: 'End-to-end plugin latency, frame capture to result.',
      type: 'histogram',
      samples: snap.plugins.flatMap((p) => (p.latency ? histogramSamples(plug(p.camera, p.plugin), p.latency) : [])),
    },
    counter('streamsight_plugin_budget_misses_total', 'Frames whose result came later than the latency budget.',
      snap.plugins.map((p) => ({ labels: plug(p.camera, p.plugin), value: p.budgetMisses }))),
    counter('streamsight_plugin_skipped_frames_total', 'Frames replaced by a newer one before the plugin took them.',
      snap.plugins.map((p) => ({ labels: plug(p.camera, p.plugin), value: p.skippedFrames }))),
    counter('streamsight_plugin_restarts_total', 'Plugin worker restarts after a crash or a hang.',
      snap.plugins.map((p) => ({ labels: plug(p.camera, p.plugin), value: p.restarts }))),
  ];
  const { clips, mqtt, load, rtmp } = snap;
  if (rtmp) {
    families.push(
      gauge('streamsight_rtmp_connections', 'Open RTMP connections.', [{ value: rtmp.connections }]),
      gauge('streamsight_rtmp_publishing', 'RTMP publishers pushing a camera now.', [{ value: rtmp.publishing }]),
      counter('streamsight_rtmp_published_total', 'RTMP publishes accepted.', [{ value: rtmp.published }]),
      counter('streamsight_rtmp_refused_total', 'RTMP publishes or plays refused, by reason.',
        Object.entries(rtmp.refused).map(([reason, value]) => ({ labels: { reason }, value }))),
      counter('streamsight_rtmp_protocol_errors_total', 'RTMP connections closed for protocol errors.', [{ value: rtmp.protocolErrors }]),
      counter('streamsight_rtmp_timed_out_total', 'RTMP connections closed for silence.', [{ value: rtmp.timedOut }]),
      counter('streamsight_rtmp_video_dropped_total', 'RTMP video tags dropped, by why.', [
        { labels: { why: 'malformed' }, value: rtmp.video.malformed },
        { labels: { why: 'unsupported' }, value: rtmp.video.unsupported },
        { labels: { why: 'before_keyframe' }, value: rtmp.video.droppedBeforeKeyframe },
      ]),
      counter('streamsight_rtmp_audio_dropped_total', 'RTMP audio messages dropped (a codec WebRTC cannot carry, e.g. AAC), by codec.',
        Object.entries(rtmp.audioDropped).map(([codec, value]) => ({ labels: { codec }, value }))),
    );
  }
  const shedding = snap.plugins.filter((p) => p.shedFrames !== undefined);
  if (shedding.length > 0) {
    families.push(
      counter('streamsight_plugin_shed_frames_total', 'Frames not given to the plugin because of load shedding (fps scaled down, or paused).',
        shedding.map((p) => ({ labels: plug(p.camera, p.plugin), value: p.shedFrames! }))),
      gauge('streamsight_plugin_paused', '1 while load shedding pauses the plugin.',
        shedding.map((p) => ({ labels: plug(p.camera, p.plugin), value: p.paused ? 1 : 0 }))),
    );
  }
  if (load) {
    families.push(
      gauge('streamsight_overload_level', 'Load shedding level: 0 none, then fps halved per level, then plugin priority groups paused.', [{ value: load.level }]),
      gauge('streamsight_overload_fps_scale', 'Factor on every plugin\'s fps under load shedding.', [{ value: load.fpsScale }]),
      gauge('streamsight_event_loop_delay_p99_seconds', 'p99 delay of the main event loop (where the relay runs) over the last second.', [{ value: load.lagP99Ms / 1000 }]),
    );
  }
  if (clips) {
    families.push(
      counter('streamsight_clips_stored_total', 'Evidence clips stored with their event.', [{ value: clips.stored }]),
      counter('streamsight_clips_truncated_total', 'Evidence clips shorter than asked (the history did not reach back, or the camera stopped).', [{ value: clips.truncated }]),
      counter('streamsight_clips_missed_total', 'Events that should have a clip and got none (no video held, or the store refused it).', [{ value: clips.missed }]),
      gauge('streamsight_clips_pending', 'Clips waiting for the video after their event.', [{ value: clips.pending }]),
    );
  }
  if (mqtt) {
    families.push(
      gauge('streamsight_mqtt_connected', '1 while connected to the MQTT broker.', [{ value: mqtt.connected ? 1 : 0 }]),
      counter('streamsight_mqtt_connects_total', 'Connections to the MQTT broker, the first one included.', [{ value: mqtt.connects }]),
      gauge('streamsight_mqtt_queued', 'Events and counts waiting for the broker.', [{ value: mqtt.queued }]),
      gauge('streamsight_mqtt_inflight', 'Messages sent and waiting for PUBACK.', [{ value: mqtt.inflight }]),
      counter('streamsight_mqtt_delivered_total', 'Messages the broker acknowledged.', [{ value: mqtt.delivered }]),
      counter('streamsight_mqtt_dropped_total', 'Messages dropped because the outbox was full.',
        [{ labels: { kind: 'event' }, value: mqtt.eventsDropped }, { labels: { kind: 'count' }, value: mqtt.countsDropped }]),
    );
  }
  if (socket) {
    families.push(
      gauge('streamsight_ws_clients', 'Open /ws connections.', [{ value: socket.clients }]),
      counter('streamsight_ws_detections_dropped_total', 'Detection messages not sent to a /ws client that was behind.',
        [{ value: socket.detectionsDropped }]),
      counter('streamsight_ws_slow_closed_total', '/ws clients closed because they fell too far behind to receive events.',
        [{ value: socket.slowClosed }]),
    );
  }
  return [...families, ...processFamilies()];
}

const startTimeSeconds = Math.round(Date.now() - performance.now()) / 1000;

/** The process's own families, named as prom-client names them so existing dashboards work. */
function processFamilies(): MetricFamily[] {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return [
    counter('process_cpu_user_seconds_total', 'User CPU time spent, seconds.', [{ value: cpu.user / 1e6 }]),
    counter('process_cpu_system_seconds_total', 'System CPU time spent, seconds.', [{ value: cpu.system / 1e6 }]),
    counter('process_cpu_seconds_total', 'User and system CPU time spent, seconds.', [{ value: (cpu.user + cpu.system) / 1e6 }]),
    gauge('process_resident_memory_bytes', 'Resident memory size, bytes.', [{ value: mem.rss }]),
    gauge('process_start_time_seconds', 'Start time of the process since the Unix epoch, seconds.', [{ value: startTimeSeconds }]),
    gauge('nodejs_heap_size_total_bytes', 'V8 heap size, bytes.', [{ value: mem.heapTotal }]),
    gauge('nodejs_heap_size_used_bytes', 'V8 heap used, bytes.', [{ value: mem.heapUsed }]),
    gauge('nodejs_external_memory_bytes', 'Memory of C++ objects bound to JS objects (Buffers, SharedArrayBuffers), bytes.',
      [{ value: mem.external }]),
  ];
}

function gauge(name: string, help: string, samples: MetricSample[]): MetricFamily {
  return { name, help, type: 'gauge', samples };
}

function counter(name: string, help: string, samples: MetricSample[]): MetricFamily {
  return { name, help, type: 'counter', samples };
}

/** The GET /metrics route; `socket` reads the WebSocket's counters. */
export function buildMetricsRoute(server: ServerLike, socket?: () => SocketMetrics): Route {
  return {
    pattern: '/metrics',
    methods: {
      GET: (reply) =>
        reply.send(200, formatMetrics(collectMetrics(server, socket?.())), {
          'Content-Type': METRICS_CONTENT_TYPE,
          'Cache-Control': 'no-store',
        }),
    },
  };
}
