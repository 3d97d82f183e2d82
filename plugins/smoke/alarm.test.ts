import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AreaAlarm } from './alarm.js';

const opts = { minArea: 10, persistS: 4, growth: 1.2, clearS: 5, clearShare: 0.5 };

/** Feeds areas one per second from t = 0 s; returns [second, change] of every change. */
function feed(alarm: AreaAlarm, areas: number[]): [number, string][] {
  const out: [number, string][] = [];
  areas.forEach((a, i) => {
    const c = alarm.update(i * 1000, a);
    if (c) out.push([i, c]);
  });
  return out;
}

test('AreaAlarm: raised once the area has stayed at minArea for persistS and grown by growth', () => {
  assert.deepEqual(feed(new AreaAlarm(opts), [0, 10, 11, 12, 13, 14, 16, 18]), [[5, 'raised']]);
});

test('AreaAlarm: an area that stays the same size (something parked) is never raised; with growth 1 it is', () => {
  assert.deepEqual(feed(new AreaAlarm(opts), [20, 20, 20, 20, 20, 20, 20, 20, 20]), []);
  assert.deepEqual(feed(new AreaAlarm({ ...opts, growth: 1 }), [20, 20, 20, 20, 20, 20]), [[4, 'raised']]);
});

test('AreaAlarm: a dip under minArea before the alarm starts the persistence again', () => {
  assert.deepEqual(feed(new AreaAlarm(opts), [10, 12, 14, 5, 10, 12, 14, 16, 18]), [[8, 'raised']]);
});

test('AreaAlarm: clears only after clearS under half of minArea; a short dip or a level above half does not', () => {
  const a = new AreaAlarm(opts);
  const changes = feed(a, [10, 12, 14, 16, 20, 20, 4, 4, 20, 6, 6, 6, 6, 6, 6, 6, 4, 4, 4, 4, 4, 4]);
  assert.deepEqual(changes, [[4, 'raised'], [21, 'cleared']]);
  assert.equal(a.raised, false);
});

test('AreaAlarm: raised again after clearing, from a new start', () => {
  const a = new AreaAlarm({ ...opts, clearS: 1 });
  assert.deepEqual(feed(a, [10, 12, 14, 16, 20, 0, 0, 0, 10, 11, 12, 13, 14]), [[4, 'raised'], [6, 'cleared'], [12, 'raised']]);
});

test('HeldBlocks: a cue must hold for about a time constant to turn a block on, and it stays on through a short gap', async () => {
  const { HeldBlocks, frameStepS } = await import('./alarm.js');
  const held = new HeldBlocks(2, 1);
  const seen: number[] = [];
  // Block 0 cued for 2 s, off for 0.3 s, on again; block 1 cued only for 0.4 s at 10 fps.
  for (let i = 0; i < 40; i++) {
    const t = i / 10;
    held.update([t < 2 || t >= 2.3 ? 1 : 0, t < 0.4 ? 1 : 0], frameStepS(i ? (i - 1) * 100 : NaN, i * 100));
    seen.push(held.active[0]! * 2 + held.active[1]!);
  }
  const firstOn = seen.findIndex((v) => v & 2);
  assert.ok(firstOn >= 8 && firstOn <= 11, `on after ${firstOn} frames`);
  assert.ok(seen.slice(firstOn).every((v) => v & 2), 'stays on through the 0.3 s gap');
  assert.ok(seen.every((v) => !(v & 1)), 'a 0.4 s cue never counts');
  assert.equal(frameStepS(NaN, 5), 0);
  assert.equal(frameStepS(0, 60_000), 5);
});
