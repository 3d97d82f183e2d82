import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { packageRoot, parseConfigText } from '../../config/load.js';
import { demoScenarios, LANE_Z, LIMIT_KMH, touching } from './demo.js';
import { redStarts } from './red-light.js';
import { VEHICLE_SIZES, vehiclePosition } from './traffic.js';

describe('the make run demo', () => {
  it('configures each demo camera with its scenario\'s own plugin settings and clip', () => {
    const file = join(packageRoot(), 'config/streamsight.yaml');
    const config = parseConfigText(readFileSync(file, 'utf8'), file);
    for (const [id, scenario] of Object.entries(demoScenarios())) {
      const cam = config.cameras[id];
      assert.ok(cam, `config/streamsight.yaml has camera ${id}`);
      assert.equal(cam.synthetic?.file, `data/demo/${id}.h264`);
      assert.equal(cam.gate, scenario.gate);
      assert.deepEqual(Object.keys(cam.plugins).sort(), Object.keys(scenario.plugins).sort(), `${id} runs its scenario's plugins`);
      for (const [name, want] of Object.entries(scenario.plugins)) {
        const got = cam.plugins[name]!;
        assert.deepEqual(got.zones, want.zones ?? {}, `${id}.${name}.zones`);
        assert.deepEqual(got.lines, want.lines ?? {}, `${id}.${name}.lines`);
        assert.deepEqual(got.config, JSON.parse(JSON.stringify(want.config ?? {})), `${id}.${name}.config`);
        if (want.fps !== undefined) assert.equal(got.fps, want.fps, `${id}.${name}.fps`);
      }
    }
  });

  it('scripts red-light runners, a wrong-way driver and an illegal stop on the intersection, in a loop of ≤ 2 minutes', () => {
    const s = demoScenarios().intersection!;
    assert.ok(s.scene.durationS <= 120, `${s.scene.durationS} s`);
    // A blob detector sees vehicles that touch in the image as one: the wrong-way car must stand alone.
    const wrongWay = s.scene.vehicles.find((v) => v.id === 3001)!;
    for (const v of s.scene.vehicles) if (v !== wrongWay) assert.ok(!touching(s.scene, v, wrongWay), `#${v.id} touches the wrong-way car`);
    const kinds = (plugin: string, type: string) => s.events.filter((e) => e.plugin === plugin && e.type === type).length;
    assert.ok(kinds('red-light', 'red-light') >= 3, `${kinds('red-light', 'red-light')} red-light runners`);
    assert.equal(kinds('lane', 'wrong-way'), 1);
    assert.equal(kinds('parking', 'illegal-stopping'), 1);
    assert.equal(s.events.length, kinds('red-light', 'red-light') + 2, 'nothing else: no congestion');
    // Whole signal cycles: the loop does not cut a phase short.
    const sig = s.scene.signal!;
    assert.equal(s.scene.durationS % (sig.redS + sig.greenS + sig.amberS), 0);
    assert.ok(redStarts(sig, s.scene.durationS).length >= 3);
  });

  it('has no lane violation but the wrong-way driver: everyone else keeps its lane, its direction and the limit', () => {
    // The lane truth (demo.ts wrongWayTruth) looks for wrong-way drivers only; this is why that is enough.
    const { scene } = demoScenarios().intersection!;
    const { laneCentres, directions, laneWidth } = scene.road;
    for (const v of scene.vehicles.filter((x) => x.id !== 3001)) {
      // Cross traffic drives along X: its near end is a side, beyond the lane zones.
      const across = v.path !== undefined && Math.abs(v.path.at(-1)!.x - v.path[0]!.x) > Math.abs(v.path.at(-1)!.z - v.path[0]!.z);
      const half = (across ? VEHICLE_SIZES[v.cls].width : VEHICLE_SIZES[v.cls].length) / 2;
      let lane = -1;
      let prev: [number, number] | undefined;
      for (let t = v.path?.[0]?.t ?? v.enterS; t <= scene.durationS; t += 0.2) {
        const p = vehiclePosition(scene, v, t);
        const foot = p && p[1] - half;
        const here = p && foot! >= LANE_Z[0] && foot! < LANE_Z[1] ? laneCentres.findIndex((c, i) => i < 4 && Math.abs(p[0] - c) < laneWidth / 2) : -1;
        if (here >= 0) {
          assert.ok(lane < 0 || lane === here, `#${v.id} changes lane at ${t.toFixed(1)} s`);
          lane = here;
          if (prev) {
            const dz = p![1] - prev[1];
            assert.ok(dz * directions[here]! >= 0, `#${v.id} drives against lane ${here + 1} at ${t.toFixed(1)} s`);
            assert.ok((Math.hypot(p![0] - prev[0], dz) / 0.2) * 3.6 <= LIMIT_KMH + 1e-6, `#${v.id} over the limit at ${t.toFixed(1)} s`);
          }
        }
        prev = here >= 0 ? p : undefined;
      }
    }
  });
});
