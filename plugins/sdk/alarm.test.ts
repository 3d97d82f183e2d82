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

test('zoneRegions: one region per zone with the blocks whose centres are inside, or one for the whole frame', async () => {
  const { zoneRegions } = await import('./alarm.js');
  const opts1 = { minArea: 1, persistS: 1, growth: 1, clearS: 1, clearShare: 0.5 };
  // 4 × 2 blocks of a quarter by a half of the frame; the zone covers the left half.
  const [left] = zoneRegions({ left: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] }, 4, 2, 0.25, 0.5, opts1);
  assert.equal(left!.zone, 'left');
  assert.deepEqual([...left!.inside], [1, 1, 0, 0, 1, 1, 0, 0]);
  const whole = zoneRegions({}, 4, 2, 0.25, 0.5, opts1);
  assert.equal(whole.length, 1);
  assert.equal(whole[0]!.zone, undefined);
  assert.ok(whole[0]!.inside.every((v) => v === 1));
  // A last column cut by the frame's edge: its centre is clamped into the frame.
  const [edge] = zoneRegions({ right: [[0.9, 0], [1.01, 0], [1.01, 1], [0.9, 1]] }, 3, 1, 0.4, 1, opts1);
  assert.deepEqual([...edge!.inside], [0, 0, 1]);
});

test('largestRegion: the component with the most blocks, or the greatest weight when weights are given', async () => {
  const { largestRegion } = await import('./alarm.js');
  const { ConnectedComponents } = await import('./vision/components.js');
  const cc = new ConnectedComponents(5, 1);
  const mask = new Uint8Array([1, 1, 1, 0, 1]);
  assert.deepEqual(largestRegion(cc, mask), { label: 1, x: 0, y: 0, w: 3, h: 1, weight: 3 });
  const heavy = largestRegion(cc, mask, [1, 1, 1, 0, 9]);
  assert.equal(heavy!.weight, 9);
  assert.equal(heavy!.x, 4);
  assert.equal(largestRegion(cc, new Uint8Array(5)), undefined);
});

test('ZoneAlarms: judges a zone from its active blocks only, with the box in frame units, and raises its alarm', async () => {
  const { ZoneAlarms } = await import('./alarm.js');
  // 4 × 2 blocks of 16 px on a 64 × 36 frame: the last row of blocks ends at 32 px, not at the edge.
  const za = new ZoneAlarms({ left: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] }, 4, 2, 16 / 64, 16 / 36, { minArea: 2, persistS: 0, growth: 1, clearS: 1, clearShare: 0.5 });
  const active = new Uint8Array([0, 1, 1, 1, 0, 1, 0, 0]);
  const j = za.judge(za.regions[0]!, 0, active, 1);
  assert.equal(j.area, 2); // blocks 1 and 5; blocks 2 and 3 are outside the zone
  assert.deepEqual(j.box, [0.25, 0, 0.25, 32 / 36]);
  assert.equal(j.change, 'raised');
  assert.equal(za.components.labels[1], j.region!.label);
});
