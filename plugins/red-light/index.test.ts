import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../core/errors.js';
import { I420Canvas } from '../../bench/scenes/canvas.js';
import { playInProcess, scoreEvents } from '../../bench/scenes/play.js';
import { RED_LIGHT_SCENES, redLightScene, redLightScenario } from '../../bench/scenes/red-light.js';
import { renderFrame, resizeScene } from '../../bench/scenes/traffic.js';
import { prng } from '../../core/testing/prng.js';
import type { Frame } from '../sdk/index.js';
import { testContext } from '../sdk/testing.js';
import plugin from './index.js';
import { configSchema, resolveGeometry } from './config.js';

/** Short versions of the bench scenes, rendered at the plugin's 10 fps to keep the test quick. */
const runners = redLightScenario(redLightScene({ ...RED_LIGHT_SCENES.runners!, durationS: 60, fps: 10 }));
const stopOver = redLightScenario(redLightScene({ ...RED_LIGHT_SCENES.stopOver!, durationS: 45, fps: 10 }));

describe('red-light plugin', () => {
  it('declares itself: 10 fps, an i420 input and a latency budget', () => {
    assert.equal(plugin.name, 'red-light');
    assert.equal(plugin.defaults.fps, 10);
    assert.equal(plugin.defaults.input.format, 'i420');
    assert.ok(plugin.defaults.latencyBudgetMs > 0 && plugin.defaults.latencyBudgetMs <= 50);
  });

  it('validates its config strictly, with defaults for everything but the lamps', () => {
    const ok = configSchema.parse({ lamps: { red: 'r', green: 'g' } });
    assert.equal(ok.graceS, 0.5);
    assert.equal(ok.stopLine, 'stop_line');
    assert.deepEqual(ok.smoothing, { window: 5, minOn: 2 });
    const fail = (c: unknown) => configSchema.safeParse(c).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') ?? '';
    assert.match(fail({}), /^lamps:/);
    assert.match(fail({ lamps: { red: 'r' } }), /^lamps\.green:/);
    assert.match(fail({ lamps: { red: 'r', green: 'g', blue: 'b' } }), /lamps: Unrecognized key/);
    assert.match(fail({ lamps: { red: 'r', green: 'g' }, smoothing: { window: 3, minOn: 4 } }), /smoothing\.minOn: minOn must not exceed window/);
    assert.match(fail({ lamps: { red: 'r', green: 'g' }, graceS: -1 }), /^graceS:/);
  });

  it('names the config key of a zone or line that is not drawn', () => {
    const cfg = configSchema.parse({ lamps: { red: 'r', green: 'g' } });
    const square: [number, number][] = [[0, 0], [0.1, 0], [0.1, 0.1]];
    const geometry = { zones: { r: square, g: square, junction: square }, lines: { stop_line: { from: [0, 0.5] as [number, number], to: [1, 0.5] as [number, number] } } };
    assert.equal(resolveGeometry(cfg, geometry, 'cam').lamps.length, 2);
    assert.throws(() => resolveGeometry({ ...cfg, lamps: { red: 'x', green: 'g' } }, geometry, 'cam'), (e: Error) => e instanceof ConfigError && /^cam\.lamps\.red: names zone 'x'/.test(e.message));
    assert.throws(() => resolveGeometry({ ...cfg, junction: 'box' }, geometry, 'cam'), /cam\.junction: names zone 'box'/);
    assert.throws(() => resolveGeometry(cfg, { ...geometry, lines: {} }, 'cam'), /cam\.stopLine: names line 'stop_line', which is not among the lines \(none\)/);
  });

  it('finds the red-light runners of a scene, and not the vehicle crossing inside the grace time', async () => {
    const played = await playInProcess(runners);
    const score = scoreEvents(runners.events, played.events, runners.scoredTypes);
    assert.ok(runners.events.length >= 3, `${runners.events.length} expected`);
    assert.ok(score.precision >= 0.95 && score.recall >= 0.95, JSON.stringify({ ...score, want: runners.events }));
    for (const e of played.events) {
      assert.equal(e.type, 'red-light');
      assert.deepEqual(e.evidence, ['before', 'at', 'after']);
      assert.equal(e.attributes!.signal, 'red');
      assert.ok((e.attributes!.redForS as number) >= 0.5);
      assert.equal(e.attributes!.trackId, e.trackId);
      assert.ok(['motorbike', 'car', 'truck', 'bus'].includes(e.attributes!.cls as string));
    }
  });

  it('finds the same runners at 1280x720: lamps, lines and zones scale with the frame', async () => {
    // The first 30 s hold two runners (1.2 s and 9 s into the first red) and one inside the grace time.
    const hd = { ...runners, scene: resizeScene({ ...runners.scene, durationS: 30 }, 1280, 720) };
    hd.events = runners.events.filter((e) => e.timeS < 29);
    assert.equal(hd.events.length, 2);
    const played = await playInProcess(hd);
    const score = scoreEvents(hd.events, played.events, hd.scoredTypes);
    assert.ok(score.precision === 1 && score.recall === 1, JSON.stringify({ ...score, got: played.events.map((e) => e.timeS), want: hd.events }));
  });

  it('stays quiet through dense obeying traffic, queues, cross traffic and vehicles stopping past the line', async () => {
    assert.equal(stopOver.events.length, 0);
    const played = await playInProcess(stopOver);
    assert.deepEqual(played.events.map((e) => `${e.type} #${e.trackId} at ${e.timeS}`), []);
  });

  it('emits a critical event with before, at and after frames showing the vehicle, the lit lamp and the time into red', async () => {
    // The first runner of the scene: crosses at about 14.2 s.
    const { scene, plugins } = runners;
    const p = plugins['red-light']!;
    const ctx = testContext(plugin, p.config, { geometry: { zones: p.zones!, lines: p.lines! } });
    const { events } = ctx;
    const instance = await plugin.create(ctx);
    const canvas = new I420Canvas(scene.camera.width, scene.camera.height);
    const rand = prng(scene.seed);
    let detections: unknown;
    for (let i = 0; i < 17 * scene.fps && events.length === 0; i++) {
      renderFrame(scene, i, canvas, rand);
      const frame: Frame = { cameraId: 'cam', pts: 0, capturedAt: 1e12 + i * 100, seq: i, width: 640, height: 360, format: 'i420', y: canvas.y, u: canvas.u, v: canvas.v, strideY: 640, strideUV: 320 };
      detections = await instance.onFrame(frame);
    }
    instance.close?.();
    assert.equal(events.length, 1);
    const e = events[0]!;
    assert.equal(e.severity, 'critical');
    assert.equal(e.evidence!.length, 3);
    const [before, at, after] = e.evidence!;
    assert.ok(before!.frame.capturedAt < at!.frame.capturedAt && at!.frame.capturedAt < after!.frame.capturedAt);
    assert.ok(after!.frame.capturedAt - (e.attributes!.crossedAt as number) >= 1000, 'after frame 1 s past the crossing');
    for (const img of e.evidence!) {
      assert.ok(img.boxes!.some((b) => b.trackId === e.trackId), `${img.label}: the vehicle's box`);
      assert.ok(img.track!.length >= 2, `${img.label}: its track`);
    }
    assert.ok(at!.boxes!.some((b) => b.label === 'red'), 'the red lamp outlined');
    assert.match(at!.caption!, /^RED \d+\.\dS$/);
    assert.ok(Array.isArray(detections) && (detections as { label: string }[]).some((d) => d.label === 'signal:red'), 'live detections carry the signal');
  });
});
