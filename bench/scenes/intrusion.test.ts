import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import plugin from '../../plugins/intrusion/index.js';
import { ActiveHours } from '../../plugins/intrusion/schedule.js';
import {
  ANIMAL_HEIGHT_M, DWELL_S, FENCE, fenceCrossings, fenceSide, feet, inLawn, inView, LAWN, lawnVisits, quickScenarios, scenarios, VEHICLE_DWELL_S,
} from './intrusion.js';
import { playInProcess, SCENE_EPOCH_MS, scoreEvents } from './play.js';
import type { Scenario } from './scenario.js';

const all = scenarios();
const byName = new Map([...all, ...quickScenarios()].map((s) => [s.name, s]));
const config = (sc: Scenario) => plugin.configSchema.parse(sc.plugins.intrusion!.config);

/** Ground distance from a point to the lawn rectangle (0 inside). */
function toLawn(p: [number, number]): number {
  const dx = Math.max(LAWN.x0 - p[0], 0, p[0] - LAWN.x1);
  const dz = Math.max(LAWN.z0 - p[1], 0, p[1] - LAWN.z1);
  return Math.hypot(dx, dz);
}

describe('intrusion scenarios', () => {
  it('have valid plugin configs, every scored type, and quiet scenes of several minutes', () => {
    for (const sc of byName.values()) {
      const c = config(sc);
      for (const r of c.restricted) assert.ok(sc.plugins.intrusion!.zones![r.zone], `${sc.name}: zone ${r.zone}`);
      for (const t of c.tripwires) assert.ok(sc.plugins.intrusion!.lines![t.line], `${sc.name}: line ${t.line}`);
      assert.deepEqual(sc.scoredTypes, ['intrusion', 'tripwire']);
    }
    const quiet = all.filter((s) => s.events.length === 0);
    assert.ok(quiet.reduce((a, s) => a + s.scene.durationS, 0) >= 240);
    const types = new Set(all.flatMap((s) => s.events.map((e) => e.type)));
    assert.deepEqual([...types].sort(), ['intrusion', 'tripwire']);
    for (const q of quickScenarios()) assert.ok(q.scene.durationS <= 30 && q.scene.fps === 10 && q.events.length > 0, q.name);
  });

  it('lawn visits are far from the dwell time either way, and the watched ones are seen from before entry to the event', () => {
    for (const sc of all) {
      const c = config(sc);
      const lawn = c.restricted[0];
      if (!lawn) continue;
      for (const f of feet(sc.scene)) {
        for (const [a, b] of lawnVisits(sc.scene, f.foot)) {
          // No visit within 0.8 s of the dwell time: the outcome does not hang on the tolerance.
          assert.ok(Math.abs(b - a - lawn.dwellS) >= 0.8, `${sc.name} ${f.id}: visit ${a}-${b}`);
          if (b - a < lawn.dwellS) continue;
          for (const t of [a - 1, a, a + lawn.dwellS]) {
            const p = f.foot(t);
            assert.ok(p && inView(sc.scene, p), `${sc.name} ${f.id} out of view at ${t}`);
          }
        }
      }
    }
  });

  it('lawn truth: stays fire at entry + dwell, passes through and walks along the edges do not', () => {
    const lawn = byName.get('intrusion-lawn')!;
    assert.deepEqual(lawn.events.map((e) => [e.vehicleId, e.timeS]), [[1, 14.04], [4, 27.7], [4, 49.68], [7, 64.92]]);
    // Person 4 stays twice, 8 s outside in between (longer than leaveS): two visits.
    const f = feet(lawn.scene);
    assert.equal(lawnVisits(lawn.scene, f.find((x) => x.id === 4)!.foot).length, 2);
    // The edge walkers never come within 0.6 m of the lawn.
    for (const id of [3, 5]) {
      const foot = f.find((x) => x.id === id)!.foot;
      let closest = Infinity;
      for (let t = 0; t < lawn.scene.durationS; t += 0.1) {
        const p = foot(t);
        if (p) closest = Math.min(closest, toLawn(p));
      }
      assert.ok(closest >= 0.6, `walker ${id} comes within ${closest} m`);
    }
    // Passers-through (2, 6, 8) are inside, briefly.
    for (const id of [2, 6, 8]) {
      const v = lawnVisits(lawn.scene, f.find((x) => x.id === id)!.foot);
      assert.equal(v.length, 1);
      assert.ok(v[0]![1] - v[0]![0] < DWELL_S - 1, `passer ${id}`);
    }
  });

  it('vehicle truth: the car and the motorbike that stop on the lawn fire; the person standing there is not watched', () => {
    const sc = byName.get('intrusion-vehicle')!;
    assert.deepEqual(sc.events.map((e) => e.vehicleId), [901, 902]);
    const car = feet(sc.scene).find((f) => f.id === 901)!;
    const [a] = lawnVisits(sc.scene, car.foot)[0]!;
    assert.equal(sc.events[0]!.timeS, Math.round((a + VEHICLE_DWELL_S) * 100) / 100);
    const person = feet(sc.scene).find((f) => f.id === 1)!;
    const [p0, p1] = lawnVisits(sc.scene, person.foot)[0]!;
    assert.ok(p1 - p0 > 10);
  });

  it('fence truth: only crossings outwards fire, each clear of the line ends, and the turn-backs stay clear of the line', () => {
    const sc = byName.get('intrusion-fence')!;
    const crossings = fenceCrossings(sc.scene);
    assert.deepEqual(crossings.map((c) => c.direction), ['right-to-left', 'left-to-right', 'right-to-left', 'left-to-right', 'right-to-left']);
    assert.deepEqual(sc.events.map((e) => e.timeS), crossings.filter((c) => c.direction === 'right-to-left').map((c) => c.timeS));
    for (const c of crossings) {
      const foot = feet(sc.scene).find((f) => f.id === c.id)!.foot;
      const p = foot(c.timeS)!;
      assert.ok(p[1] >= FENCE.from[1] + 1 && p[1] <= FENCE.to[1] - 1, `crossing at Z ${p[1]}`);
      assert.ok(inView(sc.scene, foot(c.timeS - 1)!) && inView(sc.scene, foot(c.timeS + 1)!), `person ${c.id} in view`);
    }
    for (const id of [4, 5]) {
      const foot = feet(sc.scene).find((f) => f.id === id)!.foot;
      for (let t = 0; t < sc.scene.durationS; t += 0.1) {
        const p = foot(t);
        if (p) assert.ok(fenceSide(p) > 0 && Math.abs(p[0] - FENCE.from[0]) >= 0.6, `person ${id} at ${p}`);
      }
    }
  });

  it('the quiet scene carries its distractors: passes through, animals on the lawn, crossings inwards', () => {
    const sc = byName.get('intrusion-quiet')!;
    assert.deepEqual(sc.events, []);
    const visits = feet(sc.scene).flatMap((f) => lawnVisits(sc.scene, f.foot));
    assert.ok(visits.length >= 6 && visits.every(([a, b]) => b - a < DWELL_S - 1));
    const animals = (sc.scene.elements ?? []).filter((e) => e.kind === 'person' && (e.heightM ?? 1.7) < ANIMAL_HEIGHT_M);
    assert.equal(animals.length, 2);
    for (const a of animals) {
      if (a.kind !== 'person') continue;
      const inside = a.path.filter((w) => inLawn([w.x, w.z]));
      assert.ok(inside.at(-1)!.t - inside[0]!.t >= 2 * DWELL_S, `animal ${a.id}`);
    }
    const crossings = fenceCrossings(sc.scene);
    assert.ok(crossings.length >= 6 && crossings.every((c) => c.direction === 'left-to-right'));
  });

  it('the off-hours scene has intrusions and crossings that would fire, in a schedule closed all through it', () => {
    const sc = byName.get('intrusion-off-hours')!;
    assert.deepEqual(sc.events, []);
    const c = config(sc);
    const hours = new ActiveHours(c.schedules, c.timeZone);
    for (let t = 0; t <= sc.scene.durationS; t += 1) assert.equal(hours.isActive(SCENE_EPOCH_MS + t * 1000), false);
    assert.ok(feet(sc.scene).some((f) => lawnVisits(sc.scene, f.foot).some(([a, b]) => b - a >= DWELL_S)));
    assert.ok(fenceCrossings(sc.scene).length >= 3);
  });

  it('the quick scene plays through the plugin in process with every event found, at its time', async () => {
    const sc = quickScenarios()[0]!;
    const r = await playInProcess(sc);
    const s = scoreEvents(sc.events, r.events, sc.scoredTypes);
    assert.deepEqual({ tp: s.tp, fp: s.fp, fn: s.fn }, { tp: sc.events.length, fp: 0, fn: 0 }, JSON.stringify({ want: sc.events, got: r.events.map((e) => [e.type, e.timeS]) }));
    const tripwire = r.events.find((e) => e.type === 'tripwire')!;
    assert.deepEqual([tripwire.attributes!.line, tripwire.attributes!.direction, tripwire.attributes!.kind], ['fence', 'right-to-left', 'person']);
  });
});
