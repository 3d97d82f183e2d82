import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Box } from '../sdk/index.js';
import { pathVelocity, Ride, RIDE_FRAMES } from './ride.js';

const bike = (w: number): Box => ({ x: 0, y: 0, w, h: 30 });

describe('Ride', () => {
  it('counts the mode, the smaller count on a tie', () => {
    const ride = new Ride();
    for (const [t, riders] of [[0, 2], [200, 3], [400, 3], [600, 2]] as const) ride.add({ t, riders, bike: bike(40), people: [] });
    assert.equal(ride.mode, 2);
    ride.add({ t: 800, riders: 3, bike: bike(40), people: [] });
    assert.equal(ride.mode, 3);
    assert.deepEqual([ride.frames, ride.firstMs, ride.counts()], [5, 0, { 2: 2, 3: 3 }]);
  });

  it('keeps the newest frames only, and picks the best view of a count among those still available', () => {
    const ride = new Ride();
    for (let i = 0; i < RIDE_FRAMES + 5; i++) ride.add({ t: i * 200, riders: i % 2 ? 3 : 2, bike: bike(i === 10 || i === 12 ? 60 : 40), people: [] });
    assert.equal(ride.recent.length, RIDE_FRAMES);
    assert.equal(ride.recent[0]!.t, 5 * 200);
    // Frames 10 and 12 show the motorbike largest (nearest), but frame 12 is gone from the history.
    assert.equal(ride.bestFrame(2, (t) => t !== 12 * 200)?.t, 10 * 200);
    assert.equal(ride.bestFrame(2, () => true)?.t, 12 * 200);
    // Of equal views, the newest.
    assert.equal(ride.bestFrame(3, () => true)?.t, (RIDE_FRAMES + 4) * 200);
    assert.equal(ride.bestFrame(4, () => true), undefined);
  });
});

describe('pathVelocity', () => {
  it('is px/s over the path once it spans 0.3 s, and the path keeps its last second', () => {
    const ride = new Ride();
    ride.moved(0, { x: 0, y: 0, w: 10, h: 10 });
    ride.moved(200, { x: 10, y: 0, w: 10, h: 10 });
    assert.equal(pathVelocity(ride.path), undefined);
    for (let t = 400; t <= 2000; t += 200) ride.moved(t, { x: t / 20, y: t / 100, w: 10, h: 10 });
    assert.equal(ride.path[0]!.t, 1000);
    const v = pathVelocity(ride.path)!;
    assert.ok(Math.abs(v.x - 50) < 1e-9 && Math.abs(v.y - 10) < 1e-9, JSON.stringify(v));
  });
});
