import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { project } from './camera.js';
import type { PersonElement, PropElement } from './elements/index.js';
import { personVisible } from './elements/person.js';
import { ABSORB_S, DWELL_S, HANDLE_S, quickScenarios, scenarios, TOLERANCE_S } from './left-taken.js';
import { playInProcess, scoreEvents } from './play.js';
import type { Scenario } from './scenario.js';

const all = scenarios();
const props = (sc: Scenario) => (sc.scene.elements ?? []).filter((e): e is PropElement => e.kind === 'prop');
const people = (sc: Scenario) => (sc.scene.elements ?? []).filter((e): e is PersonElement => e.kind === 'person');
const dwellOf = (sc: Scenario) => (sc.plugins['left-taken']!.config as { dwellS: number }).dwellS;

/** Whether anyone stands (still over the last second) within `r` metres of ground point (x, z) at t: passers-by do not count. */
function attended(sc: Scenario, x: number, z: number, t: number, r: number): boolean {
  return people(sc).some((p) => {
    const at = personVisible(p, t);
    const before = personVisible(p, t - 1);
    return at !== undefined && before !== undefined && Math.hypot(at[0] - x, at[1] - z) < r && Math.hypot(at[0] - before[0], at[1] - before[1]) < 0.1;
  });
}

describe('left-taken scenarios', () => {
  it('has scenes with objects left and taken, and quiet scenes of several minutes', () => {
    const quiet = all.filter((s) => s.events.length === 0);
    assert.ok(quiet.reduce((n, s) => n + s.scene.durationS, 0) >= 300, 'at least 5 minutes of quiet scenes');
    assert.ok(all.flatMap((s) => s.events).filter((e) => e.type === 'object-left').length >= 5);
    assert.ok(all.flatMap((s) => s.events).filter((e) => e.type === 'object-removed').length >= 5);
    for (const s of all) assert.deepEqual(s.scoredTypes, ['object-left', 'object-removed']);
  });

  it('puts each event dwellS after an object was put down or taken, as a careful watcher would say', () => {
    for (const sc of [...all, ...quickScenarios()]) {
      const dwellS = dwellOf(sc);
      for (const e of sc.events) {
        assert.equal(e.toleranceS, TOLERANCE_S);
        const prop = props(sc).find((p) => (e.type === 'object-left' ? p.fromS : p.untilS) === Math.round((e.timeS - dwellS) * 100) / 100);
        assert.ok(prop, `${sc.name}: no object put down or taken ${dwellS} s before ${e.timeS}`);
        if (e.type === 'object-left') {
          // Still there and unattended for the whole dwell (nobody standing within 1 m from a second after it was put down).
          assert.ok(prop.untilS === undefined || prop.untilS - HANDLE_S > e.timeS, `${sc.name}: ${prop.id} taken before it was reported`);
          for (let t = prop.fromS! + HANDLE_S + 1; t <= e.timeS; t += 0.5) assert.ok(!attended(sc, prop.x, prop.z, t, 1), `${sc.name}: ${prop.id} attended at ${t}`);
        } else {
          assert.equal(prop.fromS, undefined, `${sc.name}: ${prop.id} was put down in the scene: taking it is no removal`);
        }
        // In view: the object's ground point is inside the frame.
        const p = project(sc.scene.camera, [prop.x, 0, prop.z]);
        assert.ok(p && p[0] > 0 && p[0] < sc.scene.camera.width && p[1] > 0 && p[1] < sc.scene.camera.height, `${sc.name}: ${prop.id} out of view`);
      }
    }
  });

  it('raises nothing for objects attended, taken back before dwellS, or put down and taken before the background learns them', () => {
    for (const sc of all) {
      const dwellS = dwellOf(sc);
      for (const prop of props(sc)) {
        const expected = sc.events.some((e) => Math.abs(e.timeS - dwellS - (e.type === 'object-left' ? prop.fromS ?? NaN : prop.untilS ?? NaN)) < 0.01);
        if (prop.fromS !== undefined && prop.untilS !== undefined) {
          // Picked up again before the long-term background learnt it: never a removal.
          assert.ok(prop.untilS - prop.fromS < ABSORB_S, `${sc.name}: ${prop.id} stays ${prop.untilS - prop.fromS} s`);
          if (prop.untilS - prop.fromS < dwellS) assert.equal(expected, false, `${sc.name}: ${prop.id} taken back before dwellS`);
        }
        if (prop.fromS !== undefined && attended(sc, prop.x, prop.z, prop.fromS + dwellS - 1, 1)) {
          assert.equal(expected, false, `${sc.name}: ${prop.id} is attended`);
        }
      }
    }
  });

  it('has the distractors the quiet scenes claim: people standing a minute, a car parked for minutes', () => {
    const waiting = all.find((s) => s.name === 'left-taken-quiet-waiting')!;
    const standing = people(waiting).filter((p) => p.path.some((w, i) => i > 0 && w.x === p.path[i - 1]!.x && w.z === p.path[i - 1]!.z && w.t - p.path[i - 1]!.t >= 60));
    assert.equal(standing.length, 3);
    const parked = all.find((s) => s.name === 'left-taken-quiet-parked')!;
    const car = parked.scene.vehicles.find((v) => v.cls === 'car' && v.path)!;
    const stop = car.path!.findIndex((w, i) => i > 0 && w.x === car.path![i - 1]!.x && w.z === car.path![i - 1]!.z);
    assert.ok(car.path![stop]!.t - car.path![stop - 1]!.t >= 180);
    // The owners who put a bag down there stay beside it and pick it up before dwellS.
    for (const prop of props(waiting)) assert.ok(prop.untilS! - prop.fromS! < DWELL_S);
  });

  it('has short quick scenes for the end-to-end test', () => {
    for (const sc of quickScenarios()) {
      assert.ok(sc.scene.durationS <= 30 && sc.scene.fps === 10);
      assert.ok(sc.events.length >= 1 && sc.events.every((e) => e.timeS + TOLERANCE_S < sc.scene.durationS));
    }
  });

  it('plays the quick scene in process and raises exactly its events', async () => {
    const sc = quickScenarios()[0]!;
    const played = await playInProcess(sc);
    const score = scoreEvents(sc.events, played.events, sc.scoredTypes);
    assert.deepEqual({ tp: score.tp, fp: score.fp, fn: score.fn }, { tp: sc.events.length, fp: 0, fn: 0 }, JSON.stringify(played.events));
    for (const e of played.events) assert.deepEqual(e.evidence, ['before', 'at']);
  });
});
