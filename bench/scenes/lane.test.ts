import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prng } from '../../core/testing/prng.js';
import plugin from '../../plugins/lane/index.js';
import { pointInPolygon, type Point } from '../../plugins/sdk/index.js';
import { I420Canvas } from './canvas.js';
import {
  cleanScenario, conflict, LANES, RULES, scenarios, solidLineScenario, speedingScenario, weavingScenario, wrongLaneScenario, wrongWayScenario, ZONE_Z,
} from './lane.js';
import type { Scenario } from './scenario.js';
import { renderFrame, VEHICLE_SIZES, vehiclePosition, type VehiclePlan } from './traffic.js';

const all = scenarios();
const byName = (name: string) => all.find((s) => s.name === name)!;
const events = (s: Scenario) => s.events.map((e) => `${e.type}:${e.vehicleId}`).sort();
const vehicle = (s: Scenario, id: number) => s.scene.vehicles.find((v) => v.id === id)!;
const timeOf = (s: Scenario, type: string, id: number) => s.events.find((e) => e.type === type && e.vehicleId === id)!.timeS;

/** The image box's bottom-centre (normalised) of vehicle `id` in the frame at `t`, rendered. */
function footAt(s: Scenario, id: number, t: number): Point {
  const canvas = new I420Canvas(s.scene.camera.width, s.scene.camera.height);
  const truth = renderFrame(s.scene, Math.round(t * s.scene.fps), canvas, prng(1));
  const v = truth.vehicles.find((x) => x.id === id);
  assert.ok(v, `vehicle ${id} is in view at ${t}s`);
  const [x, y, w, h] = v.box;
  return [(x + w / 2) / s.scene.camera.width, (y + h) / s.scene.camera.height];
}

/** Ground speed (km/h) of a vehicle between two times, from its trip. */
function speedKmh(s: Scenario, v: VehiclePlan, t0: number, t1: number): number {
  const a = vehiclePosition(s.scene, v, t0)!;
  const b = vehiclePosition(s.scene, v, t1)!;
  return (Math.hypot(b[0] - a[0], b[1] - a[1]) / (t1 - t0)) * 3.6;
}

describe('lane scenarios', () => {
  it('derive exactly the intended violations from the trips; background traffic and distractors raise none', () => {
    assert.deepEqual(events(byName('lane-wrong-way')), ['wrong-way:1', 'wrong-way:2', 'wrong-way:3']);
    assert.deepEqual(events(byName('lane-wrong-lane')), ['wrong-lane:1', 'wrong-lane:2', 'wrong-lane:3']);
    // The overtaking cars (2, 6) drive against the lane they pass in, but they are overtaking; the
    // swerving motorbike (4) is back in its lane too soon for wrong-lane; car 7 stays in the bike lane.
    assert.deepEqual(events(byName('lane-solid-line')), ['solid-line:2', 'solid-line:4', 'solid-line:6', 'solid-line:7', 'wrong-lane:7']);
    // Motorbike 3 changes lanes out and back (one reversal), car 4 once (none).
    assert.deepEqual(events(byName('lane-weaving')), ['weaving:1', 'weaving:2']);
    // 47 km/h in a 50 zone (car 4) and 38 in the 40 motorbike lane (motorbike 5) pass.
    assert.deepEqual(events(byName('lane-speeding')), ['speeding:1', 'speeding:2', 'speeding:3', 'speeding:6']);
    assert.deepEqual(events(byName('lane-clean-200s')), []);
    for (const s of all) for (const e of s.events) assert.ok(e.timeS > 5 && e.timeS < s.scene.durationS - 2, `${s.name} ${e.type} at ${e.timeS}`);
  });

  it('time each event when the plugin could first know', () => {
    const v = (kmh: number) => kmh / 3.6;
    // Speeding: the car at 75 km/h towards the camera enters the zone (its near end at Z = 50) and
    // has then driven minDistanceM; its trip starts with its centre at 60 + 4.4 m.
    const speedIn = 6 + (64.4 - 2.2 - ZONE_Z[1]) / v(75);
    assert.ok(Math.abs(timeOf(speedingScenario(), 'speeding', 1) - (speedIn + RULES.speeding.minDistanceM / v(75))) < 0.03);
    // Wrong lane: the truck's near end reaches the zone (Z = 13) and it stays minSeconds.
    const truckIn = 6 + (ZONE_Z[0] + 4 - (6 - 8)) / v(35);
    assert.ok(Math.abs(timeOf(wrongLaneScenario(), 'wrong-lane', 1) - (truckIn + RULES.wrongLane.minSeconds)) < 0.03);
    // Wrong way: the car drives minMetres against the lane after entering it (10 m take longer than 5 updates).
    const carIn = 15 + (64.4 - 2.2 - ZONE_Z[1]) / v(35);
    assert.ok(RULES.wrongWay.minMetres / v(35) > (RULES.wrongWay.minUpdates - 1) / 5);
    assert.ok(Math.abs(timeOf(wrongWayScenario(), 'wrong-way', 2) - (carIn + RULES.wrongWay.minMetres / v(35))) < 0.03);
  });

  it('show each violation in the rendered frames where the truth says', () => {
    const laneZone = (s: Scenario, name: string) => s.plugins.lane!.zones![name]!;
    // The truck is in the motorbike lane, and has been for minSeconds, when wrong-lane is due.
    const wl = wrongLaneScenario();
    const t = timeOf(wl, 'wrong-lane', 1);
    for (const dt of [0, 1, RULES.wrongLane.minSeconds - 0.05]) assert.ok(pointInPolygon(footAt(wl, 1, t - dt), laneZone(wl, 'away-bikes')), `${dt}s before`);
    // The wrong-way car in the away lane comes down the image (towards the camera).
    const ww = wrongWayScenario();
    const tw = timeOf(ww, 'wrong-way', 2);
    const [before, at] = [footAt(ww, 2, tw - 1), footAt(ww, 2, tw)];
    assert.ok(pointInPolygon(at, laneZone(ww, 'away-main')) && at[1] > before[1] + 0.02, `${before} → ${at}`);
    // Car 7 is left of the bike-lane line a second before its crossing and right of it at the crossing.
    const sl = solidLineScenario();
    const line = sl.plugins.lane!.lines!['bike-lane']!;
    const side = (p: Point) => Math.sign((line.to[0] - line.from[0]) * (p[1] - line.from[1]) - (line.to[1] - line.from[1]) * (p[0] - line.from[0]));
    const tc = timeOf(sl, 'solid-line', 7);
    assert.notEqual(side(footAt(sl, 7, tc - 1)), side(footAt(sl, 7, tc)));
    // The weaving motorbike's foot turns left-right at least `reversals` times in the image before the event.
    const wv = weavingScenario();
    const tv = timeOf(wv, 'weaving', 1);
    const xs: number[] = [];
    for (let k = tv - 4; k <= tv; k += 0.2) xs.push(footAt(wv, 1, k)[0]);
    let turns = 0;
    for (let i = 2; i < xs.length; i++) if ((xs[i]! - xs[i - 1]!) * (xs[i - 1]! - xs[i - 2]!) < 0) turns++;
    assert.ok(turns >= RULES.weaving.reversals, `${turns} turns`);
    // The speeders are over the limit plus the tolerance; the others in that scene are not.
    const sp = speedingScenario();
    for (const v of sp.scene.vehicles) {
      const lane = LANES[v.lane]!;
      const t0 = v.path![0]!.t + 1;
      const over = speedKmh(sp, v, t0, t0 + 1) > lane.limitKmh + RULES.speeding.toleranceKmh;
      assert.equal(over, [1, 2, 3, 6].includes(v.id), `vehicle ${v.id} at ${speedKmh(sp, v, t0, t0 + 1).toFixed(1)} km/h`);
    }
  });

  it('keep every vehicle clear of every other on the ground', () => {
    for (const s of all) {
      const vs = s.scene.vehicles;
      for (let i = 0; i < vs.length; i++) {
        for (let j = i + 1; j < vs.length; j++) assert.ok(!conflict(vs[i]!, vs[j]!, 0.2, 0.5), `${s.name}: vehicles ${vs[i]!.id} and ${vs[j]!.id} collide`);
      }
    }
  });

  it('keep the violation-free scene 200 s long, with legal lane changes and legal speeds', () => {
    const clean = cleanScenario();
    assert.ok(clean.scene.durationS >= 180);
    let changes = 0;
    for (const v of clean.scene.vehicles) {
      const xs = v.path!.map((p) => p.x);
      if (Math.max(...xs) - Math.min(...xs) >= 3) {
        changes++;
        // Across the dashed line between the towards lanes only.
        assert.ok(Math.max(...xs) < -1 && Math.min(...xs) > -6, `vehicle ${v.id} changes lanes between ${Math.min(...xs)} and ${Math.max(...xs)}`);
      }
      for (let k = 1; k < v.path!.length; k++) {
        const [a, b] = [v.path![k - 1]!, v.path![k]!];
        const kmh = (Math.hypot(b.x - a.x, b.z - a.z) / (b.t - a.t)) * 3.6;
        assert.ok(kmh <= LANES[v.lane]!.limitKmh, `vehicle ${v.id} at ${kmh.toFixed(1)} km/h`);
      }
    }
    assert.ok(changes >= 10, `${changes} lane changes`);
    assert.ok(new Set(clean.scene.vehicles.map((v) => v.cls)).size === 4, 'every class drives');
  });

  it('configure the lane plugin with a config its schema accepts', () => {
    for (const s of all) {
      const p = s.plugins.lane!;
      const cfg = plugin.configSchema.parse(p.config);
      assert.deepEqual(Object.keys(cfg.lanes), Object.keys(p.zones!));
      assert.deepEqual(cfg.solidLines, Object.keys(p.lines!));
      assert.equal(s.scoredTypes.length, 5);
    }
    // Sizes the vehicles really have, so the plugin's size bands can tell them apart.
    assert.ok(VEHICLE_SIZES.motorbike.width < 1.4 && VEHICLE_SIZES.car.width > 1.4);
  });
});
