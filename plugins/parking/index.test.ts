import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../core/errors.js';
import { prng } from '../../core/testing/prng.js';
import { I420Canvas } from '../../bench/scenes/canvas.js';
import { SCENE_EPOCH_MS, scoreEvents, type PlayedEvent } from '../../bench/scenes/play.js';
import { driftScenario, jamScenario, kerbScenario, quietScenario, redQueueScenario, type ParkingScenario } from '../../bench/scenes/parking.js';
import { renderFrame, type FrameTruth } from '../../bench/scenes/traffic.js';
import { iou, VehicleTracker, type Detection, type Frame, type PluginEventInput } from '../sdk/index.js';
import { testContext } from '../sdk/testing.js';
import plugin from './index.js';

/** Scenes at the plugin's own rate, so every rendered frame is one it analyses. */
const FAST = { fps: 5 };

interface Played {
  events: (PluginEventInput & { timeS: number })[];
  /** Per analysed frame: the truth and what the plugin returned. */
  frames: { truth: FrameTruth; detections: Detection[] }[];
}

/** Renders the scenario up to `untilS` and runs the parking plugin (and `alongside`, if given) on every frame. */
async function play(sc: ParkingScenario, untilS: number, alongside?: (f: Frame, truth: FrameTruth) => Promise<void>): Promise<Played> {
  const p = sc.plugins.parking!;
  const { width, height } = sc.scene.camera;
  const out: Played = { events: [], frames: [] };
  let timeS = 0;
  const instance = await plugin.create(testContext(plugin, p.config, {
    cameraId: sc.name, geometry: { zones: p.zones, lines: p.lines }, onEvent: (e) => out.events.push({ ...e, timeS }),
  }));
  const canvas = new I420Canvas(width, height);
  const rand = prng(sc.scene.seed);
  for (let i = 0; i < untilS * sc.scene.fps; i++) {
    const truth = renderFrame(sc.scene, i, canvas, rand);
    timeS = i / sc.scene.fps;
    const frame: Frame = {
      cameraId: sc.name, pts: i * 18_000, capturedAt: SCENE_EPOCH_MS + timeS * 1000, seq: i + 1, width, height, format: 'i420',
      y: canvas.y, u: canvas.u, v: canvas.v, strideY: width, strideUV: canvas.cw,
    };
    out.frames.push({ truth, detections: (await instance.onFrame(frame)) ?? [] });
    await alongside?.(frame, truth);
  }
  instance.close?.();
  return out;
}

/** Precision and recall of the scored types over the first `untilS` played (events due a second before that at most). */
function score(sc: ParkingScenario, played: Played, untilS: number) {
  const expected = sc.events.filter((e) => e.timeS <= untilS - 1);
  const got: PlayedEvent[] = played.events.filter((e) => e.timeS <= untilS).map((e) => ({ plugin: 'parking', type: e.type, timeS: e.timeS }));
  return scoreEvents(expected, got, sc.scoredTypes);
}

/** Share of frames in [fromS, toS] in which vehicle `id`'s true box is matched (IoU ≥ 0.5) by a box of `boxes(frame)`. */
function coverage(played: { truth: FrameTruth }[], id: number, fromS: number, toS: number, boxes: (k: number) => { x: number; y: number; w: number; h: number }[]): number {
  let seen = 0;
  let total = 0;
  played.forEach((f, k) => {
    const t = f.truth.vehicles.find((v) => v.id === id);
    if (!t || f.truth.timeS < fromS || f.truth.timeS > toS) return;
    total++;
    const [x, y, w, h] = t.box;
    if (boxes(k).some((b) => iou(b, { x, y, w, h }) >= 0.5)) seen++;
  });
  return total ? seen / total : 0;
}

describe('parking plugin', () => {
  it('rejects configs it cannot work with, naming the key', () => {
    const bad = (config: unknown) => plugin.configSchema.safeParse(config).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    assert.deepEqual(bad({}), ['ground: parking needs the 4 ground reference points: stops, queues and occupancy are measured in metres']);
    const ground = kerbScenario(FAST).plugins.parking!.config!.ground;
    assert.deepEqual(bad({ ground, congestion: { occupancy: 0.3, clearOccupancy: 0.5 } }), ['congestion.clearOccupancy: must not exceed congestion.occupancy']);
    assert.match(bad({ ground, dwell: 5 })!.join(), /Unrecognized key/);
    assert.equal(plugin.configSchema.parse({ ground, noStopping: [{ zone: 'z' }] }).noStopping[0]!.dwellS, 30);
    const ctx = (config: object) => testContext(plugin, { ground, ...config }, { cameraId: 'cam1' });
    assert.throws(() => plugin.create(ctx({ noStopping: [{ zone: 'kerb' }] })), (e: unknown) =>
      e instanceof ConfigError && e.message === "cameras.cam1.plugins.parking.config.noStopping[0].zone: names zone 'kerb', which is not among the zones (none)");
    assert.throws(() => plugin.create(ctx({ stopLines: ['stop'] })), /config\.stopLines\[0\]: names line 'stop', which is not among the lines \(none\)/);
  });

  // The parked car's 70 s is checked on the plugin's detections, and on VehicleTracker alone below.
  const kerb = kerbScenario(FAST);
  const kerbUntil = 86;
  const parked = kerb.kerbStops.find((k) => k.waitS >= 60)!;
  const bareBoxes: { x: number; y: number; w: number; h: number }[][] = [];
  const bare = new VehicleTracker({ config: plugin.configSchema.parse(kerb.plugins.parking!.config), zones: kerb.plugins.parking!.zones!, where: 'test' });
  let kerbPlayed: Promise<Played> | undefined;
  const kerbPlay = () => (kerbPlayed ??= play(kerb, kerbUntil, async (f) => {
    bareBoxes.push((await bare.update(f)).filter((v) => v.confirmed).map((v) => v.box));
  }));

  it('raises illegal-stopping dwellS after a vehicle stopped in the zone, with both evidence frames', async () => {
    const played = await kerbPlay();
    const s = score(kerb, played, kerbUntil);
    assert.ok(s.precision >= 0.95 && s.recall >= 0.95, JSON.stringify(s));
    assert.ok(s.tp >= 2);
    for (const e of played.events) {
      assert.equal(e.type, 'illegal-stopping');
      assert.equal(e.severity, 'warning');
      assert.equal(e.attributes!.zone, 'no-stopping');
      // dwellS, or a little more when a passing vehicle hid it at that moment.
      assert.ok((e.attributes!.stoppedS as number) >= 10 && (e.attributes!.stoppedS as number) <= 11, `stopped ${e.attributes!.stoppedS} s`);
      assert.deepEqual(e.evidence!.map((x) => x.label), ['stopped', 'at-dwell']);
      // The stop frame is from when it stopped, dwellS before the event.
      assert.ok(Math.abs(e.evidence![1]!.frame.capturedAt - e.evidence![0]!.frame.capturedAt - 10_000) <= 600);
      assert.equal(e.evidence![0]!.boxes!.length, 1);
    }
  });

  it('keeps a car parked for 70 s as one stop the whole time, also while vehicles pass in front of it', async () => {
    const played = await kerbPlay();
    const v = kerb.scene.vehicles.find((x) => x.id === parked.id)!;
    const [from, to] = [v.path!.find((p, i, a) => a[i + 1]?.z === p.z)!.t + 2, v.path!.find((p, i, a) => a[i - 1]?.z === p.z)!.t - 1];
    assert.ok(to - from >= 60);
    const stopped = (k: number) => played.frames[k]!.detections.filter((d) => d.label === 'stopped').map((d) => ({ x: d.box[0] * 640, y: d.box[1] * 360, w: d.box[2] * 640, h: d.box[3] * 360 }));
    const share = coverage(played.frames, parked.id, from, to, stopped);
    assert.ok(share >= 0.95, `its stop shown in ${(share * 100).toFixed(0)}% of the frames`);
    assert.equal(played.events.filter((e) => Math.abs(e.timeS - (from - 2 + 10)) <= 1).length, 1, 'one event for it');
  });

  it('VehicleTracker alone keeps a car parked for 70 s tracked', { todo: 'VehicleTracker does not hold the background under a re-acquired track, which has not driven: the plugin holds it itself (hold.ts)' }, async () => {
    const share = coverage((await kerbPlay()).frames, parked.id, 15, 82, (k) => bareBoxes[k]!);
    assert.ok(share >= 0.9, `seen in ${(share * 100).toFixed(0)}% of the frames`);
  });

  it('exempts queues at a red light, even a lone car at the line, and catches the car parked between reds', async () => {
    const sc = redQueueScenario(FAST);
    const played = await play(sc, 70);
    const s = score(sc, played, 70);
    assert.equal(s.tp, 1);
    assert.deepEqual([s.fp, s.fn], [0, 0], JSON.stringify(s));
  });

  it('stays quiet on queues and short stops', async () => {
    const sc = quietScenario(FAST);
    const played = await play(sc, 88);
    assert.deepEqual(played.events.map((e) => `${e.type}@${e.timeS}`), []);
  });

  const drift = driftScenario(FAST);
  let driftPlayed: Promise<Played> | undefined;
  const driftPlay = () => (driftPlayed ??= play(drift, 110));

  it('catches a car parked behind a bus that pulls away, and a truck a passing bus hides as it stops, under a lighting drift', async () => {
    const s = score(drift, await driftPlay(), 72);
    assert.ok(s.tp >= 2 && s.precision >= 0.95 && s.recall >= 0.95, JSON.stringify(s));
  });

  it('catches a car stopping where a truck stood through a lighting drift', async () => {
    const s = score(drift, await driftPlay(), 110);
    assert.ok(s.precision >= 0.95 && s.recall >= 0.95, JSON.stringify(s));
  });

  it('reports congestion in a jam, publishes lane occupancy, and exempts the vehicles standing in it', async () => {
    const sc = jamScenario(FAST);
    // Both lanes' onsets (the later near 115 s), not yet their clearing (after 135 s).
    const played = await play(sc, 120);
    assert.deepEqual(played.events.filter((e) => e.type === 'illegal-stopping'), []);
    const jams = played.events.filter((e) => e.type === 'congestion');
    // Each lane's onset within ±windowS of the truth's (see bench/scenes/parking.ts), nothing else.
    const s = score(sc, played, 120);
    assert.ok(s.tp >= 2 && s.precision >= 0.95 && s.recall >= 0.95, JSON.stringify(s));
    for (const e of jams) assert.ok((e.attributes!.occupancy as number) >= 0.6 && e.attributes!.durationS === 60, JSON.stringify(e.attributes));
    // At 112 s, deep in the jam (the through lane starts to drain soon after).
    const occ = played.frames[112 * FAST.fps]!.detections.filter((d) => d.label.startsWith('occupancy:'));
    assert.deepEqual(occ.map((d) => d.label), ['occupancy:through', 'occupancy:kerb']);
    assert.ok(occ.every((d) => d.score >= 0.6), JSON.stringify(occ));
  });
});
