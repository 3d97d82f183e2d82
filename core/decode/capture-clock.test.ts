import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prng } from '../testing/prng.js';
import { CaptureClock } from './capture-clock.js';

const FRAME = 3600; // 40 ms at 90 kHz (25 fps)

describe('CaptureClock', () => {
  it('maps pictures that arrive with up to 300 ms of jitter to times exactly their pts apart', () => {
    const clock = new CaptureClock();
    const rand = prng(7);
    const base = 1.7e12;
    const out: number[] = [];
    let arrived = 0;
    for (let k = 0; k < 750; k++) {
      // In order, as over TCP: a picture held up holds up the ones behind it.
      arrived = Math.max(arrived, base + k * 40 + 20 + (k === 0 ? 0 : rand() * 300));
      out.push(clock.map(k * FRAME, arrived));
    }
    // Arrivals step by 0 to 340 ms; mapped times by 40 ms, give or take the 1 ms/s creep and the
    // small steps back when a picture comes in less delayed than the creep allows.
    const steps = out.slice(1).map((t, k) => t - out[k]!);
    assert.ok(steps.every((d) => Math.abs(d - 40) < 3), `steps ${Math.min(...steps)} to ${Math.max(...steps)} ms`);
    const mean = steps.reduce((a, b) => a + b, 0) / steps.length;
    assert.ok(Math.abs(mean - 40) < 0.1, `mean step ${mean} ms`);
    assert.equal(out[0], base + 20, 'the first picture anchors the clock');
    assert.ok(out.every((t, k) => t <= base + k * 40 + 20 + 300), 'never later than an arrival can be');
    assert.equal(clock.resets, 0);
  });

  it('never maps a picture later than its arrival, and takes a smaller delay at once', () => {
    const clock = new CaptureClock(0); // no creep: exact numbers
    assert.equal(clock.map(0, 1000), 1000);
    assert.equal(clock.map(FRAME, 1200), 1040, 'late arrival: mapped on the first picture\'s delay');
    assert.equal(clock.map(2 * FRAME, 1210), 1080);
    assert.equal(clock.map(10 * FRAME, 1300), 1300, 'less delayed than any before: mapped to its arrival');
    assert.equal(clock.map(11 * FRAME, 1400), 1340, 'and the clock keeps that smaller delay');
  });

  it('follows a camera clock that runs slow against ours by creeping up, 1 ms a second', () => {
    const clock = new CaptureClock();
    // The camera's clock runs 100 ppm slow: its pts fall 0.1 ms a second behind our arrivals.
    let delay = 0;
    for (let k = 0; k < 25 * 120; k++) delay = clock.map(k * FRAME, 1000 + k * 40 * 1.0001) - k * 40;
    assert.ok(delay <= 1000 + 120 * 0.1 && delay > 1000 + 120 * 0.1 - 1, `mapped delay ${delay} after 2 minutes`);
    assert.equal(clock.resets, 0);
  });

  it('starts over when the pts origin moves back (a camera that restarted its timestamps)', () => {
    const clock = new CaptureClock(0); // no creep: exact numbers
    for (let k = 0; k < 100; k++) clock.map(1e9 + k * FRAME, 5000 + k * 40);
    // The camera restarts its RTP timestamps at 0: arrival minus pts jumps by about 11 000 s.
    const t = clock.map(0, 9040);
    assert.equal(t, 9040);
    assert.equal(clock.resets, 1);
    assert.equal(clock.map(FRAME, 9100), 9080);
  });

  it('maps a replay of cached pictures (older arrivals) without moving the clock', () => {
    const clock = new CaptureClock(0); // no creep: exact numbers
    for (let k = 0; k < 10; k++) clock.map(k * FRAME, 100 + k * 40 + (k % 2) * 50);
    assert.equal(clock.map(2 * FRAME, 180), 180, 'replayed picture, mapped as before');
    assert.equal(clock.map(10 * FRAME, 530), 500, 'the clock kept its anchor');
  });

  it('starts over after reset()', () => {
    const clock = new CaptureClock(0); // no creep: exact numbers
    clock.map(0, 100);
    clock.reset();
    assert.equal(clock.map(0, 700), 700);
  });
});
