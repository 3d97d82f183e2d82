import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countingPlugins } from './counting.js';
import { gateScene } from './traffic.js';
import { playInProcess, scoreEvents, type PlayedEvent } from './play.js';

describe('playing scenarios in process', () => {
  it('feeds each plugin at its own fps, on the scene clock', async () => {
    const scene = gateScene({ seed: 2, durationS: 2, width: 320, height: 180 });
    const r = await playInProcess({ name: 'p', plugin: 'brightness', scene, plugins: { brightness: { fps: 5 }, motion: { fps: 10 } }, scoredTypes: [], events: [] });
    assert.equal(r.msPerFrame.brightness!.length, 10, '5 fps over 2 s');
    assert.equal(r.msPerFrame.motion!.length, 20, '10 fps over 2 s');
  });

  it('plays the same frames prerendered, and a warm-up neither records nor changes what the timed run sees', async () => {
    const scene = gateScene({ seed: 5, durationS: 12, width: 320, height: 180 });
    const scenario = { name: 'p', plugin: 'counting', scene, plugins: countingPlugins(scene), scoredTypes: [], events: [] };
    const plain = await playInProcess(scenario);
    const prerendered = await playInProcess(scenario, { prerender: true });
    const warmed = await playInProcess(scenario, { prerender: true, warmupS: 6, runs: 2 });
    assert.ok(plain.counts.length >= 3, `${plain.counts.length} crossings counted in 12 s`);
    assert.deepEqual(prerendered.counts, plain.counts);
    assert.deepEqual(warmed.counts, plain.counts, 'the warm-up\'s and the second run\'s counts are dropped, and each run starts fresh');
    const first = warmed.cpuMsPerFrame.counting!;
    assert.equal(warmed.minCpuMsPerFrame.counting!.length, first.length);
    assert.ok(warmed.minCpuMsPerFrame.counting!.every((ms, i) => ms <= first[i]!), 'the lowest over the runs');
    assert.ok(warmed.minCpuMsPerFrame.counting!.some((ms, i) => ms < first[i]!), 'the second run timed too');
    for (const r of [plain, prerendered, warmed]) {
      assert.equal(r.msPerFrame.counting!.length, 12 * 10, 'only the timed run is timed: 10 fps over 12 s');
      assert.equal(r.cpuMsPerFrame.counting!.length, r.msPerFrame.counting!.length);
      assert.ok(r.cpuMsPerFrame.counting!.every((ms) => ms >= 0));
    }
  });

  it('scores events one-to-one by type within the tolerance', () => {
    const ev = (type: string, timeS: number): PlayedEvent => ({ plugin: 'x', type, timeS });
    const expected = [{ plugin: 'x', type: 'a', timeS: 10 }, { plugin: 'x', type: 'a', timeS: 11 }, { plugin: 'x', type: 'b', timeS: 20 }];
    const s = scoreEvents(expected, [ev('a', 10.4), ev('a', 10.6), ev('a', 10.7), ev('b', 21.5), ev('c', 20)], ['a', 'b']);
    // 10.4 ↔ 10, 10.6/10.7: one of them ↔ 11, the other is extra; b at 21.5 is outside ±1 s; c is not scored.
    assert.deepEqual([s.tp, s.fp, s.fn], [2, 2, 1]);
    assert.equal(s.precision, 0.5);
    assert.ok(Math.abs(s.recall - 2 / 3) < 1e-12);
    assert.deepEqual(s.missed.map((m) => m.type), ['b']);
    assert.deepEqual(scoreEvents([], [], ['a']).precision, 1, 'a quiet scene with no truth is perfect');
  });

  it('matches as many events as the tolerances allow, not nearest first', () => {
    const ev = (type: string, timeS: number): PlayedEvent => ({ plugin: 'x', type, timeS });
    // Two people enter 0.3 s apart; each event is 0.8–0.9 s after its own person. Nearest first
    // would pair 53.1 with 52.6 (0.5 s) and leave 53.5 against 52.3 (1.2 s): one missed, one extra.
    const expected = [{ plugin: 'x', type: 'in', timeS: 52.3 }, { plugin: 'x', type: 'in', timeS: 52.6 }];
    const s = scoreEvents(expected, [ev('in', 53.1), ev('in', 53.5)], ['in']);
    assert.deepEqual([s.tp, s.fp, s.fn], [2, 0, 0]);
  });

  it('counts an event on an optional truth (a near miss) neither way, and its absence as no miss', () => {
    const ev = (type: string, timeS: number): PlayedEvent => ({ plugin: 'x', type, timeS });
    const expected = [{ plugin: 'x', type: 'crowd', timeS: 100, toleranceS: 3, optional: true }, { plugin: 'x', type: 'crowd', timeS: 104 }];
    // 101 and 103.5 are both within reach of the optional truth; the required one takes the nearer event first.
    const s = scoreEvents(expected, [ev('crowd', 101), ev('crowd', 103.5), ev('crowd', 150)], ['crowd']);
    assert.deepEqual([s.tp, s.fp, s.fn, s.nearMisses], [1, 1, 0, 1]);
    assert.deepEqual(s.extra.map((e) => e.timeS), [150]);
    const none = scoreEvents(expected.slice(0, 1), [], ['crowd']);
    assert.deepEqual([none.tp, none.fp, none.fn, none.nearMisses], [0, 0, 0, 0]);
    // A required truth never goes unmatched for an optional one's sake.
    const one = scoreEvents(expected, [ev('crowd', 103.2)], ['crowd']);
    assert.deepEqual([one.tp, one.fp, one.fn, one.nearMisses], [1, 0, 0, 0]);
  });

  it('scores an expected event within its own tolerance when it carries one', () => {
    const ev = (type: string, timeS: number): PlayedEvent => ({ plugin: 'x', type, timeS });
    const expected = [{ plugin: 'x', type: 'jam', timeS: 100, toleranceS: 10 }, { plugin: 'x', type: 'stop', timeS: 50 }];
    const s = scoreEvents(expected, [ev('jam', 92), ev('stop', 52)], ['jam', 'stop']);
    // The jam 8 s early is within its ±10 s; the stop 2 s late is outside the default ±1 s.
    assert.deepEqual([s.tp, s.fp, s.fn], [1, 1, 1]);
    assert.deepEqual(s.missed.map((m) => m.type), ['stop']);
    assert.equal(scoreEvents(expected, [ev('jam', 111)], ['jam']).tp, 0);
  });
});
