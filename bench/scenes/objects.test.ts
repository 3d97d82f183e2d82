import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { playInProcess } from './play.js';
import { HELD_OUT_PREFIX } from './counting.js';
import { CLASSES, heldOutScenarios, MIN_VISIBLE_S, quickScenarios, scenarios, secondsInView, streetScenario, TRAIN_SEEDS, ZONE } from './objects.js';

describe('objects scenarios', () => {
  const all = scenarios();

  it('have unique names, the objects plugin at 5 fps, every class in their truth, held-out seeds named apart', () => {
    assert.equal(new Set(all.map((s) => s.name)).size, all.length);
    for (const s of all) {
      assert.equal(s.plugin, 'objects');
      assert.equal(s.plugins.objects!.fps, 5);
      assert.deepEqual(s.objects!.map((o) => o.cls), [...CLASSES], s.name);
    }
    assert.ok(all.some((s) => s.name.startsWith(HELD_OUT_PREFIX)) && all.some((s) => !s.name.startsWith(HELD_OUT_PREFIX)));
  });

  it('count people and vehicles of every class over the busy scenes, and nothing on the quiet ones (several minutes)', () => {
    const total = (cls: string) => all.reduce((n, s) => n + s.objects!.find((o) => o.cls === cls)!.n, 0);
    for (const cls of CLASSES) assert.ok(total(cls) > 0, `some ${cls} to count`);
    const quiet = all.filter((s) => s.name.includes('quiet'));
    assert.ok(quiet.reduce((t, s) => t + s.scene.durationS, 0) >= 300);
    for (const s of quiet) {
      assert.deepEqual(s.objects!.map((o) => o.n), [0, 0, 0, 0, 0], s.name);
      assert.equal(s.scene.vehicles.length + (s.scene.elements?.length ?? 0), 0, `${s.name} is empty`);
    }
  });

  it('take the truth from the scene: every object in view long enough, none that never was', () => {
    const s = streetScenario(31);
    const seen = secondsInView(s.scene);
    // Every vehicle drives the length of the street; every walker crosses the near verges or the road.
    assert.equal(seen.length, s.scene.vehicles.length + s.scene.elements!.length);
    const counted = seen.filter((o) => o.seconds >= MIN_VISIBLE_S);
    for (const cls of CLASSES) assert.equal(s.objects!.find((o) => o.cls === cls)!.n, counted.filter((o) => o.cls === cls).length, cls);
    for (const o of seen) assert.ok(o.seconds <= s.scene.durationS);
  });

  it('with a zone, do not count the people who walk beyond it, nor vehicles before they reach it', () => {
    const s = streetScenario(32, { zone: true });
    assert.deepEqual(s.plugins.objects!.config!.zones, ['counted']);
    assert.ok(s.plugins.objects!.zones!.counted!.length >= 4);
    const inZone = secondsInView(s.scene, ZONE);
    const anywhere = secondsInView(s.scene);
    const far = inZone.filter((o) => o.id >= 300 && o.id < 400);
    assert.equal(far.length, 4);
    for (const o of far) {
      assert.equal(o.seconds, 0, `person ${o.id} walks beyond the zone`);
      assert.ok(anywhere.find((a) => a.id === o.id)!.seconds >= MIN_VISIBLE_S, `person ${o.id} is in view, outside the zone`);
    }
    for (const o of inZone) assert.ok(o.seconds <= anywhere.find((a) => a.id === o.id)!.seconds);
  });

  it('build held-out and fresh streets apart from the tuning seeds, named as held out, with truth', () => {
    const fresh = heldOutScenarios([91, 92]);
    assert.deepEqual(fresh.map((s) => s.name), [`${HELD_OUT_PREFIX}objects-street-91`, `${HELD_OUT_PREFIX}objects-zone-92`]);
    for (const s of fresh) {
      assert.ok(!TRAIN_SEEDS.includes(s.scene.seed), s.name);
      assert.ok(s.objects!.find((o) => o.cls === 'person')!.n > 0, s.name);
    }
    assert.deepEqual(fresh[1]!.plugins.objects!.config!.zones, ['counted']);
  });

  it('quick scenarios are short, at 10 fps', () => {
    for (const s of quickScenarios()) {
      assert.ok(s.scene.durationS <= 30 && s.scene.fps === 10, s.name);
      assert.ok(s.objects!.some((o) => o.n > 0));
    }
  });

  it('played in process, the plugin counts the quick scene as the truth has it', { timeout: 300_000 }, async () => {
    const s = quickScenarios()[0]!;
    const r = await playInProcess(s);
    const got = (cls: string) => r.observed.filter((o) => o.cls === cls).length;
    const truth = (cls: string) => s.objects!.find((o) => o.cls === cls)!.n;
    const vehicles = CLASSES.filter((cls) => cls !== 'person');
    // Every person once; vehicles within one of the truth in all and in each class: a bus driving away
    // is seen whole for two frames at 5 fps, and its class rests on those and on the views cut by
    // the top edge, so a truck and a bus can still be taken one for the other.
    assert.equal(got('person'), truth('person'));
    assert.ok(Math.abs(vehicles.reduce((n, cls) => n + got(cls) - truth(cls), 0)) <= 1);
    for (const cls of vehicles) assert.ok(Math.abs(got(cls) - truth(cls)) <= 1, `${cls}: counted ${got(cls)}, true ${truth(cls)}`);
    assert.ok(r.observed.every((o) => o.plugin === 'objects' && o.timeS >= 0 && o.timeS <= s.scene.durationS));
    assert.equal(new Set(r.observed.map((o) => o.trackId)).size, r.observed.length, 'one sighting per track');
  });
});
