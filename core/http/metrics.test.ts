import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHttpApp, type HttpApp } from './app.js';
import { formatMetrics, formatValue, histogramSamples, METRICS_CONTENT_TYPE } from './metrics.js';
import { MemoryDetectionServer } from './testdata/memory-server.js';
import type { HistogramSnapshot } from './types.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A strict reader of the 0.0.4 text format, independent of the writer: every non-comment line
 * is `name{labels} value`; every sample belongs to a family declared by HELP then TYPE; label
 * values are read with the format's escapes. Throws on anything else.
 */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string>; help: Map<string, string> } {
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.slice(0, -1).split('\n')) {
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (comment) {
      const [, kind, name, rest] = comment;
      if (kind === 'HELP') {
        assert.ok(!help.has(name!), `HELP ${name} twice`);
        help.set(name!, rest!);
      } else {
        assert.ok(help.has(name!), `TYPE ${name} before its HELP`);
        assert.match(rest!, /^(counter|gauge|histogram|summary|untyped)$/);
        types.set(name!, rest!);
      }
      continue;
    }
    assert.ok(!line.startsWith('#'), `stray comment: ${line}`);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    if (m[2]) {
      const body = m[2].slice(1, -1);
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
      let at = 0;
      while (at < body.length) {
        re.lastIndex = at;
        const l = re.exec(body);
        assert.ok(l, `bad labels in ${line}`);
        labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
        at = re.lastIndex;
      }
    }
    const raw = m[3]!;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : raw === 'NaN' ? NaN : Number(raw);
    assert.ok(raw === 'NaN' || !Number.isNaN(value), `bad value in ${line}`);
    const family = [m[1]!, m[1]!.replace(/_(bucket|sum|count)$/, '')].find((n) => types.has(n));
    assert.ok(family, `sample ${m[1]} has no HELP/TYPE`);
    if (family !== m[1]) assert.equal(types.get(family), 'histogram', `${m[1]} suffix on a non-histogram`);
    samples.push({ name: m[1]!, labels, value });
  }
  return { samples, types, help };
}

describe('metrics text format', () => {
  it('escapes label values and help text, spells special floats', () => {
    const text = formatMetrics([
      { name: 'x_total', help: 'a \\ b\nc', type: 'counter', samples: [{ labels: { camera: 'q"uo\\te\nnl' }, value: 3 }] },
      { name: 'y', help: 'y', type: 'gauge', samples: [{ value: NaN }, { labels: { k: 'a' }, value: -Infinity }] },
    ]);
    assert.equal(
      text,
      '# HELP x_total a \\\\ b\\nc\n# TYPE x_total counter\nx_total{camera="q\\"uo\\\\te\\nnl"} 3\n' +
        '# HELP y y\n# TYPE y gauge\ny NaN\ny{k="a"} -Inf\n',
    );
    const parsed = parseExposition(text);
    assert.equal(parsed.samples[0]!.labels.camera, 'q"uo\\te\nnl');
    assert.equal(formatValue(Infinity), '+Inf');
    assert.equal(formatValue(1e-7), '1e-7');
    assert.throws(() => formatMetrics([{ name: 'bad-name', help: '', type: 'gauge', samples: [] }]), /invalid metric name/);
    assert.throws(() => formatMetrics([{ name: 'ok', help: '', type: 'gauge', samples: [{ labels: { 'a-b': '1' }, value: 1 }] }]), /invalid label/);
  });

  it('writes cumulative buckets, snapped to the source bounds when there are many', () => {
    const small: HistogramSnapshot = { bounds: [10, 100], counts: [1, 2, 3], sum: 1500, count: 6 };
    assert.deepEqual(
      histogramSamples({ p: 'a' }, small).map((s) => [s.suffix, s.labels?.le, s.value]),
      [['_bucket', '0.01', 1], ['_bucket', '0.1', 3], ['_bucket', '+Inf', 6], ['_sum', undefined, 1.5], ['_count', undefined, 6]],
    );
    // 0.1 ms × 1.2^i like the plugin host's LatencyHistogram: 60 bounds, one observation in each bucket.
    const bounds = Array.from({ length: 60 }, (_, i) => Math.round(0.1 * 1.2 ** i * 1000) / 1000);
    const many: HistogramSnapshot = { bounds, counts: new Array(61).fill(1), sum: 0, count: 61 };
    const buckets = histogramSamples({}, many).filter((s) => s.suffix === '_bucket');
    assert.ok(buckets.length > 8 && buckets.length < 20, `${buckets.length} buckets`);
    let previous = 0;
    for (const b of buckets.slice(0, -1)) {
      const le = Number(b.labels!.le) * 1000;
      const index = bounds.findIndex((x) => Math.abs(x - le) < 1e-9);
      assert.ok(index >= 0, `le ${le} ms is a source bound`);
      assert.equal(b.value, index + 1, 'exact cumulative count');
      assert.ok(b.value > previous);
      previous = b.value;
    }
    assert.equal(buckets.at(-1)!.labels!.le, '+Inf');
    assert.equal(buckets.at(-1)!.value, 61);
  });
});

describe('GET /metrics', () => {
  const server = new MemoryDetectionServer();
  let app: HttpApp;
  let base = '';

  before(async () => {
    app = createHttpApp(server, { host: '127.0.0.1', port: 0, maxBodyBytes: 4096, corsOrigins: ['*'] });
    base = `http://127.0.0.1:${await app.listen()}`;
  });
  after(() => app.close());

  const scrape = async () => {
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), METRICS_CONTENT_TYPE);
    return parseExposition(await res.text());
  };
  const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
    samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

  it('shows cameras, plugins with latency histograms, the WebSocket and the process', async () => {
    server.metrics = () => ({
      cameras: [
        { id: 'gate1', fpsIn: 25, fpsDecoded: 5, bitrateBps: 2e6, viewers: 2, reconnects: 1 },
        { id: 'yard "b"', fpsIn: 12.5, bitrateBps: 5e5, viewers: 0, reconnects: 0 },
      ],
      plugins: [{
        camera: 'gate1', plugin: 'brightness', budgetMisses: 3, skippedFrames: 7, restarts: 1,
        latency: { bounds: [5, 50, 500], counts: [2, 5, 1, 0], sum: 120.5, count: 8 },
      }],
    });
    const { samples, types } = await scrape();
    assert.equal(value(samples, 'streamsight_camera_fps_in', { camera: 'gate1' }), 25);
    assert.equal(value(samples, 'streamsight_camera_fps_in', { camera: 'yard "b"' }), 12.5);
    assert.equal(value(samples, 'streamsight_camera_fps_decoded', { camera: 'gate1' }), 5);
    assert.equal(value(samples, 'streamsight_camera_fps_decoded', { camera: 'yard "b"' }), undefined);
    assert.equal(value(samples, 'streamsight_camera_bitrate_bps', { camera: 'gate1' }), 2e6);
    assert.equal(value(samples, 'streamsight_camera_viewers', { camera: 'gate1' }), 2);
    assert.equal(value(samples, 'streamsight_camera_reconnects_total', { camera: 'gate1' }), 1);
    assert.equal(types.get('streamsight_camera_reconnects_total'), 'counter');
    assert.equal(types.get('streamsight_plugin_latency_seconds'), 'histogram');
    const p = { camera: 'gate1', plugin: 'brightness' };
    assert.equal(value(samples, 'streamsight_plugin_latency_seconds_bucket', { ...p, le: '0.005' }), 2);
    assert.equal(value(samples, 'streamsight_plugin_latency_seconds_bucket', { ...p, le: '0.05' }), 7);
    assert.equal(value(samples, 'streamsight_plugin_latency_seconds_bucket', { ...p, le: '0.5' }), 8);
    assert.equal(value(samples, 'streamsight_plugin_latency_seconds_bucket', { ...p, le: '+Inf' }), 8);
    assert.equal(value(samples, 'streamsight_plugin_latency_seconds_sum', p), 0.1205);
    assert.equal(value(samples, 'streamsight_plugin_latency_seconds_count', p), 8);
    assert.equal(value(samples, 'streamsight_plugin_budget_misses_total', p), 3);
    assert.equal(value(samples, 'streamsight_plugin_skipped_frames_total', p), 7);
    assert.equal(value(samples, 'streamsight_plugin_restarts_total', p), 1);
    assert.equal(value(samples, 'streamsight_ws_clients'), 0);
    assert.ok(value(samples, 'process_cpu_seconds_total')! > 0);
    assert.ok(value(samples, 'process_resident_memory_bytes')! > 1e6);
    assert.ok(value(samples, 'nodejs_heap_size_used_bytes')! > 0);
    assert.ok(value(samples, 'process_start_time_seconds')! > 1.7e9);
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_total_bytes']) {
      assert.ok(types.has(name), name);
    }
  });

  it('shows the evidence clip, MQTT and RTMP counters when the server has them, and nothing of them otherwise', async () => {
    server.metrics = () => ({
      cameras: [],
      clips: { stored: 12, truncated: 2, missed: 1, pending: 3 },
      mqtt: { connected: true, connects: 2, queued: 5, inflight: 4, delivered: 900, eventsDropped: 7, countsDropped: 8 },
    });
    const { samples, types } = await scrape();
    assert.equal(value(samples, 'streamsight_clips_stored_total'), 12);
    assert.equal(value(samples, 'streamsight_clips_truncated_total'), 2);
    assert.equal(value(samples, 'streamsight_clips_missed_total'), 1);
    assert.equal(value(samples, 'streamsight_clips_pending'), 3);
    assert.equal(types.get('streamsight_clips_stored_total'), 'counter');
    assert.equal(value(samples, 'streamsight_mqtt_connected'), 1);
    assert.equal(value(samples, 'streamsight_mqtt_connects_total'), 2);
    assert.equal(value(samples, 'streamsight_mqtt_queued'), 5);
    assert.equal(value(samples, 'streamsight_mqtt_inflight'), 4);
    assert.equal(value(samples, 'streamsight_mqtt_delivered_total'), 900);
    assert.equal(value(samples, 'streamsight_mqtt_dropped_total', { kind: 'event' }), 7);
    assert.equal(value(samples, 'streamsight_mqtt_dropped_total', { kind: 'count' }), 8);
    server.metrics = () => ({
      cameras: [],
      rtmp: {
        connections: 3, publishing: 2, published: 5, refused: { badKey: 4, unknownCamera: 0, badApp: 0, busy: 1, play: 0 }, protocolErrors: 1, timedOut: 0,
        video: { malformed: 6, unsupported: 0, droppedBeforeKeyframe: 2 }, audioDropped: { AAC: 900 },
      },
    });
    const withRtmp = await scrape();
    assert.equal(value(withRtmp.samples, 'streamsight_rtmp_publishing'), 2);
    assert.equal(value(withRtmp.samples, 'streamsight_rtmp_refused_total', { reason: 'badKey' }), 4);
    assert.equal(value(withRtmp.samples, 'streamsight_rtmp_video_dropped_total', { why: 'malformed' }), 6);
    assert.equal(value(withRtmp.samples, 'streamsight_rtmp_audio_dropped_total', { codec: 'AAC' }), 900);
    server.metrics = () => ({ cameras: [] });
    const bare = await scrape();
    assert.equal(bare.samples.filter((s) => /^streamsight_(clips|mqtt|rtmp)/.test(s.name)).length, 0);
  });

  it('falls back to cameras() and the plugin host (stats, histograms) without server.metrics()', async () => {
    delete server.metrics;
    server.pluginStats = [
      { camera: 'gate1', plugin: 'brightness', fps: 2, p50: 1, p95: 2, p99: 3, budgetMs: 50, misses: 4, skipped: 5, restarts: 6, state: 'running' },
    ];
    server.pluginHistograms = [{ camera: 'gate1', plugin: 'brightness', histogram: { bounds: [10], counts: [3, 1], sum: 40, count: 4 } }];
    const { samples } = await scrape();
    assert.equal(value(samples, 'streamsight_camera_fps_in', { camera: 'gate1' }), 25);
    assert.equal(value(samples, 'streamsight_camera_viewers', { camera: 'gate1' }), 2);
    assert.equal(value(samples, 'streamsight_camera_fps_decoded', { camera: 'gate1' }), undefined);
    assert.equal(value(samples, 'streamsight_plugin_budget_misses_total', { plugin: 'brightness' }), 4);
    assert.equal(value(samples, 'streamsight_plugin_restarts_total', { plugin: 'brightness' }), 6);
    assert.equal(value(samples, 'streamsight_plugin_latency_seconds_bucket', { plugin: 'brightness', le: '0.01' }), 3);
    assert.equal(value(samples, 'streamsight_plugin_latency_seconds_count', { plugin: 'brightness' }), 4);
    server.pluginHistograms = [];
    const bare = await scrape();
    assert.equal(bare.samples.filter((s) => s.name.startsWith('streamsight_plugin_latency')).length, 0);
    assert.equal(value(bare.samples, 'streamsight_plugin_skipped_frames_total', { plugin: 'brightness' }), 5);
    server.pluginStats = [];
  });
});
