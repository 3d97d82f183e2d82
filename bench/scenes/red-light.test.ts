import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { project } from './camera.js';
import { I420Canvas } from './canvas.js';
import { prng } from '../../core/testing/prng.js';
import {
  AFTER_S, APPROACH_LANES, GRACE_S, ROAD_X, JUNCTION_Z0, RED_LIGHT_SCENES, redForS, redLightScene, redLightScenario, redStarts, scenarios, STOP_Z, stopLineTruth,
} from './red-light.js';
import { renderFrame, signalPhase, vehiclePosition, VEHICLE_SIZES, type TrafficScene, type VehiclePlan } from './traffic.js';

const all = scenarios();
const byName = new Map(all.map((s) => [s.name, s]));
const quiet = byName.get('red-light-quiet')!;

/** Rear Z of a vehicle at t, or undefined while it is not on its path. */
function rearZ(scene: TrafficScene, v: VehiclePlan, t: number): number | undefined {
  const p = vehiclePosition(scene, v, t);
  return p && p[1] - VEHICLE_SIZES[v.cls].length / 2;
}

/** Speed (m/s) of a path vehicle at t, from ±0.1 s. */
function speed(scene: TrafficScene, v: VehiclePlan, t: number): number {
  const a = vehiclePosition(scene, v, t - 0.1);
  const b = vehiclePosition(scene, v, t + 0.1);
  return a && b ? Math.hypot(b[0] - a[0], b[1] - a[1]) / 0.2 : NaN;
}

describe('red-light scenes', () => {
  it('have violations in every scene but the quiet one, which lasts at least 3 minutes', () => {
    for (const s of all) {
      if (s === quiet) continue;
      assert.ok(s.events.length >= 2, `${s.name}: ${s.events.length} violations`);
    }
    assert.ok(quiet.scene.durationS >= 180);
    assert.equal(quiet.events.length, 0);
    const passed = stopLineTruth(quiet.scene).filter((c) => c.phase === 'green');
    assert.ok(passed.length >= 40, `${passed.length} vehicles pass the line on green in the quiet scene`);
    assert.ok(new Set(passed.map((c) => c.cls)).size === 4, 'all four classes pass');
  });

  it('expects an event for exactly the vehicles whose rear crosses on red past the grace time and reaches the junction while red', () => {
    for (const s of all) {
      const { scene } = s;
      for (const e of s.events) {
        const v = scene.vehicles.find((x) => x.id === e.vehicleId)!;
        const c = stopLineTruth(scene).find((x) => x.id === v.id)!;
        assert.ok(Math.abs(rearZ(scene, v, c.crossS)! - STOP_Z) < 1e-6, `${s.name} #${v.id}: rear on the line at ${c.crossS}`);
        assert.equal(signalPhase(scene.signal!, c.crossS), 'red');
        assert.ok(redForS(scene.signal!, c.crossS)! >= GRACE_S, `${s.name} #${v.id} crossed ${c.redForS} s into red`);
        assert.ok(Math.abs(rearZ(scene, v, c.junctionS!)! - JUNCTION_Z0) < 1e-6);
        assert.equal(signalPhase(scene.signal!, c.junctionS!), 'red', `${s.name} #${v.id} enters the junction on red`);
        assert.equal(e.timeS, Math.max(c.junctionS!, c.crossS + AFTER_S));
      }
      const violators = stopLineTruth(scene).filter((c) => c.violation).map((c) => c.id);
      assert.deepEqual(s.events.map((e) => e.vehicleId), violators);
    }
  });

  it('keep every judgement clear of frame timing: grace limit, end of red, end of scene', () => {
    for (const s of all) {
      const sig = s.scene.signal!;
      for (const c of stopLineTruth(s.scene)) {
        const where = `${s.name} #${c.id} crossing at ${c.crossS.toFixed(2)}`;
        if (c.redForS !== undefined) assert.ok(Math.abs(c.redForS - GRACE_S) >= 0.3, `${where}: ${c.redForS} s into red`);
        if (c.redForS !== undefined && c.redForS >= GRACE_S && c.junctionS !== undefined) {
          const left = sig.redS - (redForS(sig, c.junctionS) ?? Infinity);
          const sinceGreen = c.junctionS - (c.crossS - c.redForS + sig.redS);
          assert.ok(left >= 0.5 || sinceGreen >= 0.5, `${where}: junction at ${c.junctionS.toFixed(2)}, too near the end of red`);
        }
        if (c.violation) assert.ok(c.eventS! <= s.scene.durationS - 2, `${where}: event at ${c.eventS} too near the end`);
      }
    }
  });

  it('has stop-over drivers stand past the line on red and enter the junction only on green', () => {
    const scene = byName.get('red-light-stop-over')!.scene;
    const over = stopLineTruth(scene).filter((c) => c.redForS !== undefined && !c.violation);
    assert.ok(over.length >= 3, `${over.length} stop-overs`);
    for (const c of over) {
      const v = scene.vehicles.find((x) => x.id === c.id)!;
      assert.equal(c.junctionPhase, 'green');
      // Standing still with the rear just past the line, well short of the junction.
      const t = c.crossS + 3;
      assert.ok(speed(scene, v, t) < 0.2, `#${v.id} stands at ${t}`);
      assert.ok(rearZ(scene, v, t)! > STOP_Z && rearZ(scene, v, t)! < JUNCTION_Z0 - 3);
    }
  });

  it('queues obeying traffic at the line on red, never overlapping in a lane, with plausible kinematics', () => {
    const { scene } = quiet;
    const approach = scene.vehicles.filter((v) => v.path && APPROACH_LANES.includes(v.lane) && v.path[0]!.x === scene.road.laneCentres[v.lane]);
    for (const red of redStarts(scene.signal!, scene.durationS - 20)) {
      const t = red + 15;
      const front = approach
        .filter((v) => (rearZ(scene, v, t) ?? Infinity) < STOP_Z && speed(scene, v, t) < 0.2)
        .map((v) => rearZ(scene, v, t)! + VEHICLE_SIZES[v.cls].length);
      assert.ok(front.length >= 2, `queue at ${t}: ${front.length} standing`);
      const first = Math.max(...front);
      assert.ok(first > STOP_Z - 2 && first < STOP_Z, `first in queue stands with its front at ${first.toFixed(2)}`);
    }
    let worstAccel = 0;
    for (let t = 0; t < scene.durationS; t += 0.2) {
      for (const lane of APPROACH_LANES) {
        const here = approach
          .filter((v) => v.lane === lane && vehiclePosition(scene, v, t))
          .map((v) => ({ rear: rearZ(scene, v, t)!, front: rearZ(scene, v, t)! + VEHICLE_SIZES[v.cls].length }))
          .sort((a, b) => a.rear - b.rear);
        for (let i = 0; i + 1 < here.length; i++) assert.ok(here[i + 1]!.rear - here[i]!.front > 0.5, `lane ${lane} overlaps at ${t.toFixed(1)}`);
      }
      for (const v of approach) {
        if (!vehiclePosition(scene, v, t - 0.3) || !vehiclePosition(scene, v, t + 0.3)) continue;
        const s = speed(scene, v, t);
        assert.ok(s < 52 / 3.6, `#${v.id} at ${(s * 3.6).toFixed(0)} km/h`);
        worstAccel = Math.max(worstAccel, Math.abs(speed(scene, v, t + 0.2) - s) / 0.2);
      }
    }
    assert.ok(worstAccel < 6.5, `hardest acceleration ${worstAccel.toFixed(1)} m/s²`);
  });

  it('sends cross traffic over the junction only while the approach is red, and never into an approach vehicle', () => {
    for (const s of all) {
      const { scene } = s;
      const cross = scene.vehicles.filter((v) => v.path && v.path[0]!.z === v.path.at(-1)!.z);
      assert.ok(cross.length >= 6, `${s.name}: ${cross.length} cross vehicles`);
      const approach = scene.vehicles.filter((v) => v.path && !cross.includes(v));
      for (const v of cross) {
        for (let t = v.path![0]!.t; t <= v.path!.at(-1)!.t; t += 0.1) {
          const [x, z] = vehiclePosition(scene, v, t)!;
          if (x < ROAD_X[0] - 3 || x > ROAD_X[1] + 3) continue;
          assert.equal(signalPhase(scene.signal!, t), 'red', `${s.name} cross #${v.id} at ${t.toFixed(1)}`);
          for (const a of approach) {
            const p = vehiclePosition(scene, a, t);
            if (p && Math.abs(p[1] - z) < VEHICLE_SIZES[a.cls].length / 2 + 1) assert.ok(Math.abs(p[0] - x) > 3, `${s.name}: #${a.id} meets cross #${v.id} at ${t.toFixed(1)}`);
          }
        }
      }
    }
  });

  it("draws a violator's box bottom (its rear) at the stop line when the truth says it crosses", () => {
    const s = byName.get('red-light-runners')!;
    const { scene } = s;
    const still: TrafficScene = { ...scene, noise: 0 };
    const canvas = new I420Canvas(scene.camera.width, scene.camera.height);
    for (const e of s.events) {
      const c = stopLineTruth(scene).find((x) => x.id === e.vehicleId)!;
      const i = Math.round(c.crossS * scene.fps);
      const v = renderFrame(still, i, canvas, prng(1)).vehicles.find((x) => x.id === c.id)!;
      const row = project(scene.camera, [v.ground[0], 0, rearZ(scene, scene.vehicles.find((x) => x.id === c.id)!, i / scene.fps)!])![1];
      const lineRow = project(scene.camera, [v.ground[0], 0, STOP_Z])![1];
      assert.ok(Math.abs(v.box[1] + v.box[3] - row) < 1.5, `#${c.id}: box bottom ${v.box[1] + v.box[3]} vs rear ${row}`);
      assert.ok(Math.abs(row - lineRow) < 8, `#${c.id}: rear ${row} within a frame's travel of the line ${lineRow}`);
    }
  });

  it("lights the lamp of the signal's phase inside its configured zone", () => {
    for (const name of ['red-light-runners', 'red-light-saturated']) {
      const s = byName.get(name)!;
      const scene: TrafficScene = { ...s.scene, vehicles: [], noise: 0, signal: { ...s.scene.signal!, flicker: 0 } };
      const zones = s.plugins['red-light']!.zones!;
      const canvas = new I420Canvas(scene.camera.width, scene.camera.height);
      for (const [t, lit] of [[20, 'lamp_red'], [40, 'lamp_green'], [49, 'lamp_amber']] as const) {
        renderFrame(scene, t * scene.fps, canvas, prng(1));
        const luma = (zone: string) => {
          const [[x0, y0], , [x1, y1]] = zones[zone]!;
          let sum = 0;
          let n = 0;
          for (let y = Math.ceil(y0! * 360); y < y1! * 360; y++) for (let x = Math.ceil(x0! * 640); x < x1! * 640; x++) (sum += canvas.y[y * 640 + x]!), n++;
          return sum / n;
        };
        for (const zone of ['lamp_red', 'lamp_amber', 'lamp_green']) {
          if (zone === lit) assert.ok(luma(zone) > 60, `${name} ${zone} lit at ${t}: ${luma(zone)}`);
          else assert.ok(luma(zone) < 45, `${name} ${zone} dark at ${t}: ${luma(zone)}`);
        }
      }
    }
  });

  it('builds shorter scenes from the same options, with their own truth', () => {
    const short = redLightScenario(redLightScene({ ...RED_LIGHT_SCENES.runners!, durationS: 45, fps: 10 }));
    assert.equal(short.scene.fps, 10);
    assert.ok(short.events.length >= 2 && short.events.every((e) => e.timeS < 43), JSON.stringify(short.events));
  });
});
