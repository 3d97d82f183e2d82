import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONGESTION, DWELL_S, footOf, KERB, LANE_Z, PLUGIN_FPS, scenarios, STOP_LINE_Z, THROUGH, ZONE_Z, type ParkingScenario } from './parking.js';
import { laneOccupancy, simulate, stopsOf, type Stop } from './parking-sim.js';
import { signalPhase, VEHICLE_SIZES, vehiclePosition, type TrafficScene, type VehiclePlan } from './traffic.js';

/** The plugin's queue rule, on the truth: stopped vehicles of a lane at most this far apart. */
const SPACING_M = 15;
const all = scenarios();
const byName = new Map(all.map((s) => [s.name, s]));

/** Every stop of every vehicle, with the vehicle. */
function stops(sc: ParkingScenario): { v: VehiclePlan; s: Stop }[] {
  return sc.scene.vehicles.flatMap((v) => stopsOf(v).map((s) => ({ v, s })));
}

/** Feet (near ends) of the vehicles standing still at t in `lane` within the watched lane polygon. */
function standing(sc: ParkingScenario, lane: number, t: number): { id: number; z: number }[] {
  const x = sc.scene.road.laneCentres[lane]!;
  return stops(sc)
    .filter(({ s }) => s.startS <= t && t <= s.endS && Math.abs(s.x - x) < 0.5)
    .map(({ v, s }) => ({ id: v.id, z: footOf(v.cls, s.x, s.z)[1] }))
    .filter((f) => f.z >= LANE_Z[0] && f.z <= LANE_Z[1]);
}

/** Whether vehicle `id` stands in a queue at t by the plugin's rule (chain reaching the stop line, or of 3+). */
function queued(sc: ParkingScenario, lane: number, id: number, t: number): boolean {
  const feet = standing(sc, lane, t);
  const chain = feet.filter((f) => f.id === id);
  for (let i = 0; i < chain.length; i++) {
    for (const f of feet) if (!chain.includes(f) && Math.abs(f.z - chain[i]!.z) <= SPACING_M) chain.push(f);
  }
  const atLine = sc.scene.road.stopLineZ !== undefined && chain.some((f) => Math.abs(STOP_LINE_Z - f.z) <= SPACING_M);
  return chain.length > 0 && (atLine || chain.length >= 3);
}

function inZone(sc: ParkingScenario, v: VehiclePlan, s: Stop): boolean {
  const [x, z] = footOf(v.cls, s.x, s.z);
  return Math.abs(x - sc.scene.road.laneCentres[KERB]!) < sc.scene.road.laneWidth / 2 && z >= ZONE_Z[0] && z <= ZONE_Z[1];
}

describe('parking scenarios', () => {
  it('has violation scenes, a jam, and a quiet scene of at least 3 minutes', () => {
    const quiet = all.filter((s) => s.events.every((e) => e.type !== 'illegal-stopping') && s.scoredTypes.includes('congestion'));
    assert.ok(quiet.some((s) => s.scene.durationS >= 180 && s.events.length === 0), 'a violation-free scene ≥ 180 s');
    assert.ok(all.filter((s) => s.events.some((e) => e.type === 'illegal-stopping')).length >= 3);
    assert.ok(byName.get('parking-jam')!.events.some((e) => e.type === 'congestion'));
  });

  it('never lets two vehicles overlap on the road', () => {
    for (const sc of all) {
      for (let t = 0; t < sc.scene.durationS; t += 0.2) {
        const at = sc.scene.vehicles.flatMap((v) => {
          const p = vehiclePosition(sc.scene, v, t);
          return p ? [{ v, p }] : [];
        });
        for (let i = 0; i < at.length; i++) {
          for (let j = i + 1; j < at.length; j++) {
            const [a, b] = [at[i]!, at[j]!];
            const [sa, sb] = [VEHICLE_SIZES[a.v.cls], VEHICLE_SIZES[b.v.cls]];
            const apart = Math.abs(a.p[0] - b.p[0]) >= (sa.width + sb.width) / 2 || Math.abs(a.p[1] - b.p[1]) >= (sa.length + sb.length) / 2;
            assert.ok(apart, `${sc.name}: vehicles ${a.v.id} and ${b.v.id} overlap at ${t.toFixed(1)} s`);
          }
        }
      }
    }
  });

  it('drives at plausible speeds and accelerations', () => {
    for (const sc of all) {
      for (const v of sc.scene.vehicles) {
        const p = v.path!;
        let last: number | undefined;
        for (let i = 0; i + 1 < p.length; i++) {
          const dt = p[i + 1]!.t - p[i]!.t;
          if (dt <= 0) continue;
          const speed = Math.hypot(p[i + 1]!.x - p[i]!.x, p[i + 1]!.z - p[i]!.z) / dt;
          assert.ok((p[i + 1]!.z - p[i]!.z) * sc.scene.road.directions[v.lane]! >= 0, `${sc.name} #${v.id} never reverses`);
          assert.ok(speed * 3.6 <= 50, `${sc.name} #${v.id}: ${(speed * 3.6).toFixed(0)} km/h`);
          // Consecutive segments' mean speeds a half step apart: within hard braking (9 m/s² and a margin).
          if (last !== undefined) assert.ok(Math.abs(speed - last) / Math.max(dt, 0.25) <= 12, `${sc.name} #${v.id}: ${last.toFixed(1)} → ${speed.toFixed(1)} m/s at ${p[i]!.t} s`);
          last = speed;
        }
      }
    }
  });

  it('expects illegal-stopping exactly for the parked vehicles, dwellS after each stopped, clear of any queue', () => {
    for (const sc of all) {
      const expected = sc.events.filter((e) => e.type === 'illegal-stopping');
      const parks = sc.kerbStops.filter((k) => k.reason === 'park');
      for (const k of sc.kerbStops) {
        const v = sc.scene.vehicles.find((x) => x.id === k.id)!;
        const [s, ...more] = stopsOf(v);
        assert.ok(s && more.length === 0, `${sc.name} #${k.id} stops once`);
        assert.ok(Math.abs(s.endS - s.startS - k.waitS) < 1e-6);
        // Unambiguous: a stop is clearly longer or clearly shorter than the dwell.
        if (k.reason === 'park') assert.ok(k.waitS >= DWELL_S + 3, `${sc.name} #${k.id} parks ${k.waitS} s`);
        else assert.ok(k.waitS <= DWELL_S - 3, `${sc.name} #${k.id} drops off for ${k.waitS} s`);
        const event = expected.find((e) => e.vehicleId === k.id);
        assert.equal(event !== undefined, k.reason === 'park' && inZone(sc, v, s), `${sc.name} #${k.id}`);
        if (!event) continue;
        assert.ok(Math.abs(event.timeS - (s.startS + DWELL_S)) < 1e-9);
        for (let t = s.startS; t <= event.timeS; t += 0.5) assert.ok(!queued(sc, KERB, k.id, t), `${sc.name} #${k.id} is not queued at ${t}`);
      }
      assert.equal(expected.length, parks.filter((k) => expected.some((e) => e.vehicleId === k.id)).length);
    }
    assert.ok(stops(byName.get('parking-kerb')!).some(({ v, s }) => v.id > 900 && s.endS - s.startS >= 60), 'a car parked for over a minute');
    assert.ok(byName.get('parking-kerb-busy')!.kerbStops.some((k) => k.reason === 'park' && k.stopZ - VEHICLE_SIZES[k.cls].length / 2 > ZONE_Z[1]), 'one parks beyond the zone');
  });

  it('keeps every long stop of lane traffic in the zone queued (exempt), so no other violation exists', () => {
    let long = 0;
    for (const sc of all) {
      for (const { v, s } of stops(sc)) {
        if (v.id > 900 || !inZone(sc, v, s) || s.endS - s.startS < DWELL_S) continue;
        long++;
        // The plugin's clock runs only while a vehicle is not queued: no such stretch may reach the dwell.
        let free = 0;
        for (let t = s.startS; t <= s.endS; t += 0.5) {
          free = queued(sc, v.lane, v.id, t) ? 0 : free + 0.5;
          assert.ok(free < DWELL_S - 2, `${sc.name} #${v.id} stands unqueued in the zone for ${free} s at ${t.toFixed(1)} s`);
        }
      }
    }
    assert.ok(long >= 10, `${long} queued stops of at least dwellS in the zone`);
  });

  it('queues back through the zone at red, and holds a lone car at the line', () => {
    for (const [name, loneAtS] of [['parking-red', 30], ['parking-quiet', 85]] as const) {
      const sc = byName.get(name)!;
      const sig = sc.scene.signal!;
      let deep = false;
      for (let t = 0; t < sc.scene.durationS && !deep; t++) {
        deep = signalPhase(sig, t) === 'red' && standing(sc, KERB, t).filter((f) => f.z >= ZONE_Z[0] && f.z <= ZONE_Z[1]).length >= 3;
      }
      assert.ok(deep, `${name}: a kerb queue with 3+ vehicles in the zone`);
      // One car, alone, waits at the line inside the zone for most of a red phase.
      const lone = standing(sc, KERB, loneAtS);
      assert.equal(lone.length, 1, `${name}: ${JSON.stringify(lone)}`);
      assert.ok(lone[0]!.z >= ZONE_Z[0] && lone[0]!.z <= ZONE_Z[1] && STOP_LINE_Z - lone[0]!.z <= SPACING_M);
      const s = stops(sc).find(({ v }) => v.id === lone[0]!.id)!.s;
      assert.ok(s.endS - s.startS >= DWELL_S && signalPhase(sig, s.startS) !== 'green');
      // Lane traffic never runs a red: whatever crosses the line does so on green or amber.
      for (const v of sc.scene.vehicles.filter((x) => x.id < 900 && (x.lane === THROUGH || x.lane === KERB))) {
        const p = v.path!;
        for (let i = 0; i + 1 < p.length; i++) {
          const front = (w: { z: number }) => w.z + VEHICLE_SIZES[v.cls].length / 2;
          if (front(p[i]!) < STOP_LINE_Z - 0.5 && front(p[i + 1]!) >= STOP_LINE_Z - 0.5) {
            assert.notEqual(signalPhase(sig, p[i + 1]!.t), 'red', `${name} #${v.id} at ${p[i + 1]!.t} s`);
          }
        }
      }
    }
  });

  it('derives congestion from the lanes\' true occupancy, and it is clear-cut where none is expected', () => {
    const c = CONGESTION;
    for (const sc of all) {
      for (const lane of ['through', 'kerb']) {
        const occ = laneOccupancy(sc.scene, sc.plugins.parking!.zones![lane]!, PLUGIN_FPS);
        let run = 0;
        let longest = 0;
        for (let j = c.windowS - 1; j < occ.length; j++) {
          const avg = occ.slice(j - c.windowS + 1, j + 1).reduce((a, b) => a + b, 0) / c.windowS;
          run = avg >= c.occupancy || (run > 0 && avg >= c.clearOccupancy) ? run + 1 : 0;
          longest = Math.max(longest, run);
        }
        const jam = sc.name === 'parking-jam';
        if (jam) assert.ok(longest >= c.minDurationS + 10, `${sc.name} ${lane}: congested for ${longest} s`);
        else assert.ok(longest <= c.minDurationS - 15, `${sc.name} ${lane}: ${longest} s above the threshold is too close to a congestion`);
      }
    }
    const jam = byName.get('parking-jam')!;
    assert.deepEqual(jam.events.map((e) => e.type).sort(), ['congestion', 'congestion', 'congestion-cleared', 'congestion-cleared']);
    // Decided on a windowS average, it is scored within that window (see parking.ts); stops within ±1 s.
    assert.ok(jam.events.every((e) => e.toleranceS === c.windowS));
    assert.ok(all.every((sc) => sc.events.every((e) => e.type !== 'illegal-stopping' || e.toleranceS === undefined)));
  });

  it('simulates queues at a closed stop bar from the lane traffic alone', () => {
    const scene: TrafficScene = { ...byName.get('parking-red')!.scene, vehicles: [], durationS: 30 };
    const arrivals = [0, 3, 6].map((t, i) => ({ id: i + 1, cls: 'car' as const, lane: KERB, enterS: t, speedKmh: 36, colour: [200, 128, 128] as [number, number, number] }));
    const plans = simulate(scene, arrivals, [{ z: 30, lanes: [KERB], closed: () => true }]);
    const rest = plans.map((p) => stopsOf(p).at(-1)!);
    // Nose to tail behind the bar: the first 0.7 m short of it, each next one a jam gap behind.
    assert.ok(Math.abs(rest[0]!.z + 2.2 - (30 - 0.7)) < 0.5, `first stops at ${rest[0]!.z}`);
    for (let i = 1; i < rest.length; i++) {
      const gap = rest[i - 1]!.z - rest[i]!.z - 4.4;
      assert.ok(gap > 1.5 && gap < 3.5, `gap ${gap.toFixed(2)} m`);
    }
  });
});
