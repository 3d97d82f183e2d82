import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prng } from '../../core/testing/prng.js';
import { pointInPolygon } from '../../plugins/sdk/index.js';
import { I420Canvas } from './canvas.js';
import { gathering, heldOutScenarios, peopleAt, PLUGIN_FPS, quickScenarios, quietScenario, scenarios, trueCount, zoneAreaM2, ZONES, type CrowdScenario } from './crowd.js';
import { playInProcess, scoreEvents } from './play.js';
import { renderFrame } from './traffic.js';

const all = scenarios();

describe('crowd scenarios', () => {
  it('has crowd, gathering and quiet scenes, with several minutes of quiet, on seeds apart from the held-out ones', () => {
    const quiet = all.filter((s) => s.events.every((e) => e.optional));
    assert.ok(quiet.length >= 3 && quiet.every((s) => s.scoredTypes.includes('crowd') && s.scoredTypes.includes('gathering')), 'quiet scenes');
    assert.ok(quiet.reduce((a, s) => a + s.scene.durationS, 0) >= 600, 'at least 10 minutes of quiet');
    for (const type of ['crowd', 'crowd-cleared', 'gathering']) assert.ok(all.some((s) => s.events.some((e) => e.type === type)), type);
    const seeds = new Set(all.map((s) => s.scene.seed));
    assert.ok(heldOutScenarios().every((s) => !seeds.has(s.scene.seed)), 'held-out seeds are apart');
    for (const s of quickScenarios()) assert.ok(s.scene.durationS <= 30 && s.scene.fps === 10 && s.events.length > 0, s.name);
  });

  it('counts, in the truth, exactly the people the renderer draws with their feet in the zone', () => {
    const sc = all[0]!;
    const { width, height } = sc.scene.camera;
    const canvas = new I420Canvas(width, height);
    const rand = prng(sc.scene.seed);
    const polygon = sc.plugins.crowd!.zones!.east!;
    let checked = 0;
    for (let i = 0; i < 60 * sc.scene.fps; i++) {
      const truth = renderFrame(sc.scene, i, canvas, rand);
      if (i % (5 * sc.scene.fps) !== 0) continue;
      const t = i / sc.scene.fps;
      const drawn = (truth.objects ?? []).filter((o) => o.kind === 'person' && pointInPolygon([(o.box[0] + o.box[2] / 2) / width, (o.box[1] + o.box[3]) / height], polygon));
      // The drawn box's bottom centre is the foot, up to the clipping of people at the frame's edge.
      assert.ok(Math.abs(drawn.length - trueCount(sc.scene, polygon, t)) <= 1, `t=${t}: ${drawn.length} drawn, ${trueCount(sc.scene, polygon, t)} counted`);
      checked++;
    }
    assert.ok(checked >= 12, `${checked} frames checked`);
  });

  it('raises each crowd before clearing it, and each gathering holdS after the density first held high', () => {
    for (const sc of all) {
      for (const rule of sc.rules) {
        const polygon = sc.plugins.crowd!.zones![rule.zone]!;
        const area = zoneAreaM2(sc.scene, polygon);
        // Expected events carry no zone; rebuild this zone's from the sequence of its counts.
        if (rule.gathering) {
          for (const e of sc.events.filter((x) => x.type === 'gathering')) {
            const dense = (t: number) => trueCount(sc.scene, polygon, t) / area >= rule.gathering!.density;
            if (!dense(e.timeS)) continue;
            for (let t = e.timeS - rule.gathering.holdS; t <= e.timeS; t += 1 / PLUGIN_FPS) assert.ok(dense(t), `${sc.name}: dense at ${t.toFixed(1)}`);
          }
        }
      }
      const crowd = sc.events.filter((e) => !e.optional && (e.type === 'crowd' || e.type === 'crowd-cleared')).map((e) => e.type);
      crowd.forEach((type, i) => assert.equal(type, i % 2 === 0 ? 'crowd' : 'crowd-cleared', sc.name));
      for (const e of sc.events) assert.ok(e.toleranceS! >= 2 && e.toleranceS! <= 12, `${sc.name} ${e.type} ±${e.toleranceS}`);
    }
  });

  it('marks a true count that comes within the count accuracy of a threshold without reaching it as a near miss', () => {
    // Fresh seed 1004 of the quiet scene: 9 people in the east zone for a few seconds under a
    // threshold of 10 (the plugin, good to 10 %, counted 10 once).
    const sc = quietScenario(1004);
    const polygon = sc.plugins.crowd!.zones!.east!;
    assert.ok(sc.events.length > 0 && sc.events.every((e) => e.optional), 'only near misses');
    const [raise, clear] = sc.events;
    assert.deepEqual([raise!.type, clear!.type], ['crowd', 'crowd-cleared']);
    // The count is 9 somewhere in the raise's window, and never 10.
    const within = (e: { timeS: number; toleranceS?: number }, t: number) => Math.abs(t - e.timeS) <= e.toleranceS!;
    let peakIn = 0;
    for (let t = 0; t < sc.scene.durationS; t += 1 / PLUGIN_FPS) {
      const n = trueCount(sc.scene, polygon, t);
      assert.ok(n < 10, `t=${t.toFixed(1)}: ${n}`);
      if (within(raise!, t)) peakIn = Math.max(peakIn, n);
    }
    assert.equal(peakIn, 9);
    // A quiet scene whose count stays under 9 has none.
    assert.deepEqual(quietScenario(1000).events, []);
  });

  it('gathers people on spots of their own, standing near them until they leave', () => {
    const people = gathering({ centre: [7, 20], count: 12, radiusM: 2, arrive: [10, 20], leave: [50, 60], idStart: 1, seed: 5 });
    assert.equal(people.length, 12);
    const spots = people.map((p) => p.path[1]!);
    for (const [i, a] of spots.entries()) {
      assert.ok(a.t >= 10 && a.t <= 20 && Math.hypot(a.x - 7, a.z - 20) <= 2, `spot ${i}`);
      for (const b of spots.slice(i + 1)) assert.ok(Math.hypot(a.x - b.x, a.z - b.z) >= 0.6, 'spots apart');
    }
    const scene = { ...all[0]!.scene, elements: people };
    for (let t = 21; t < 50; t += 3) {
      const at = peopleAt(scene, t);
      assert.equal(at.length, 12);
      at.forEach((p, k) => assert.ok(Math.hypot(p[0] - spots[k]!.x, p[1] - spots[k]!.z) <= 0.5, `person ${k} at ${t}`));
    }
    assert.ok(ZONES.east.x0 > 3.5 && ZONES.west.x1 < -3.5, 'zones are off the road');
    assert.throws(() => gathering({ centre: [0, 20], count: 40, radiusM: 1, arrive: [0, 1], leave: [5, 6], idStart: 1, seed: 1 }), /do not fit/);
  });

  it('plays the quick scene through the plugin and raises its crowd and gathering on time', async () => {
    const sc: CrowdScenario = quickScenarios()[0]!;
    const played = await playInProcess(sc);
    const score = scoreEvents(sc.events, played.events, sc.scoredTypes);
    assert.equal(score.fp, 0, JSON.stringify(score.extra));
    assert.equal(score.fn, 0, JSON.stringify(score.missed));
    const crowd = played.events.find((e) => e.type === 'crowd')!;
    assert.equal(crowd.attributes!.zone, 'east');
    assert.ok((crowd.attributes!.count as number) >= 8, 'count at the crowd');
  });
});
