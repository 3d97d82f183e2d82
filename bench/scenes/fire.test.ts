import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pointInPolygon } from '../../plugins/sdk/index.js';
import type { FireElement } from './elements/fire.js';
import { FIERY, PERSIST_S, quickScenarios, RECOGNISE_S, scenarios } from './fire.js';
import { playInProcess, scoreEvents } from './play.js';
import { imagePoint } from './scenario.js';
import { VEHICLE_SIZES, vehiclePosition } from './traffic.js';

const all = scenarios();
const firesOf = (sc: (typeof all)[number]) => (sc.scene.elements ?? []).filter((e): e is FireElement => e.kind === 'fire');
const fiery = (c: number[]) => FIERY.some((f) => f.every((v, i) => v === c[i]));

describe('fire scenarios', () => {
  it('has fire scenes and quiet scenes of at least 5 minutes with fire-coloured traffic, a parked red car, brake lights and a sunset', () => {
    const quiet = all.filter((s) => s.events.length === 0);
    assert.ok(all.filter((s) => s.events.length > 0).length >= 4);
    assert.ok(quiet.reduce((a, s) => a + s.scene.durationS, 0) >= 300);
    for (const s of quiet) assert.equal(firesOf(s).length, 0, s.name);
    const els = quiet.flatMap((s) => s.scene.elements ?? []);
    assert.ok(els.some((e) => e.kind === 'lamps' && e.brake.length > 0));
    assert.ok(els.some((e) => e.kind === 'weather' && e.tint));
    assert.ok(els.some((e) => e.kind === 'prop' && fiery(e.colour)));
    const vehicles = quiet.flatMap((s) => s.scene.vehicles);
    assert.ok(vehicles.filter((v) => fiery(v.colour) && !v.path).length >= 10, 'fire-coloured vehicles driving by');
    assert.ok(vehicles.some((v) => fiery(v.colour) && v.path && v.path[0]!.x === v.path.at(-1)!.x && v.path[0]!.z === v.path.at(-1)!.z), 'a parked red car');
  });

  it('expects each watched fire once, at its lighting + RECOGNISE_S + persistS', () => {
    for (const sc of all.filter((s) => s.events.length > 0)) {
      const fires = firesOf(sc);
      const watched = sc.plugins.fire!.zones ? fires.slice(0, 1) : fires;
      assert.deepEqual(sc.events.map((e) => e.timeS), watched.map((f) => f.startS + RECOGNISE_S + PERSIST_S), sc.name);
      assert.ok(sc.events.every((e) => e.timeS + e.toleranceS! < sc.scene.durationS));
    }
  });

  it('in the zone scene, the watched fire burns inside the zone and the other one outside it', () => {
    const sc = all.find((s) => s.plugins.fire!.zones)!;
    const zone = Object.values(sc.plugins.fire!.zones!)[0]!;
    const [inside, outside] = firesOf(sc);
    assert.ok(pointInPolygon(imagePoint(sc.scene, inside!.x, inside!.z), zone));
    assert.ok(!pointInPolygon(imagePoint(sc.scene, outside!.x, outside!.z), zone));
  });

  it('never lets two vehicles of one lane overlap', () => {
    for (const sc of all) {
      for (let t = 0; t < sc.scene.durationS; t += 0.25) {
        const at = sc.scene.vehicles.flatMap((v) => {
          const p = vehiclePosition(sc.scene, v, t);
          return p ? [{ v, p }] : [];
        });
        for (let i = 0; i < at.length; i++) {
          for (let j = i + 1; j < at.length; j++) {
            const [a, b] = [at[i]!, at[j]!];
            if (Math.abs(a.p[0] - b.p[0]) > 1.8) continue;
            const gap = Math.abs(a.p[1] - b.p[1]) - (VEHICLE_SIZES[a.v.cls].length + VEHICLE_SIZES[b.v.cls].length) / 2;
            assert.ok(gap > 0, `${sc.name}: ${a.v.id} and ${b.v.id} overlap at ${t}`);
          }
        }
      }
    }
  });

  it('plays the quick scenario: the plugin raises the expected fire event and nothing else', async () => {
    const sc = quickScenarios()[0]!;
    assert.ok(sc.scene.durationS <= 30 && sc.scene.fps === 10);
    const r = await playInProcess(sc);
    const score = scoreEvents(sc.events, r.events, sc.scoredTypes);
    assert.equal(score.tp, 1, JSON.stringify(r.events));
    assert.equal(score.fp, 0, JSON.stringify(r.events));
  });
});
