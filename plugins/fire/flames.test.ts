import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prng } from '../../core/testing/prng.js';
import { FlameCells, fireColoured, popcount32, WINDOW, type FlamePlanes } from './flames.js';

const W = 64;
const H = 64;
const TH = { tau: 40, lumaStep: 14, minChanges: 8 };
/** Flame colours (Y, Cb, Cr), dim to bright, and a grey street. */
const FLAME: [number, number, number][] = [[122, 70, 228], [160, 48, 184], [200, 62, 152]];
const STREET: [number, number, number] = [100, 128, 128];

/** A grey frame with a 16 × 16 patch of colour `c` at (x, y); `stripe` paints rows 4..7 of the patch dark (a windscreen). */
function frame(noise: () => number, patch?: { x: number; y: number; c: [number, number, number]; stripe?: boolean }): FlamePlanes {
  const y = new Uint8Array(W * H);
  const u = new Uint8Array((W / 2) * (H / 2)).fill(STREET[1]);
  const v = new Uint8Array((W / 2) * (H / 2)).fill(STREET[2]);
  for (let i = 0; i < y.length; i++) y[i] = STREET[0] + Math.round((noise() - 0.5) * 8);
  if (patch) {
    for (let r = patch.y; r < patch.y + 16; r++) {
      for (let c = patch.x; c < patch.x + 16; c++) {
        if (c < 0 || c >= W || r < 0 || r >= H) continue;
        const dark = patch.stripe && r - patch.y >= 4 && r - patch.y < 8;
        y[r * W + c] = dark ? 30 : patch.c[0] + Math.round((noise() - 0.5) * 8);
        if (!(r & 1) && !(c & 1)) {
          u[(r >> 1) * (W / 2) + (c >> 1)] = dark ? 128 : patch.c[1];
          v[(r >> 1) * (W / 2) + (c >> 1)] = dark ? 128 : patch.c[2];
        }
      }
    }
  }
  return { y, u, v, strideY: W, strideUV: W / 2 };
}

/** Flickering cells after feeding `frames`. */
function flickering(frames: FlamePlanes[]): number {
  const cells = new FlameCells(W, H);
  for (const f of frames) cells.update(f, TH);
  return cells.flicker.reduce((a, b) => a + b, 0);
}

test('fireColoured: Celik & Demirel rules against the frame means', () => {
  const means = [110, 125, 132] as const;
  assert.equal(fireColoured(160, 48, 184, ...means, 40), true); // orange flame
  assert.equal(fireColoured(200, 62, 152, ...means, 40), true); // yellow flame
  assert.equal(fireColoured(81, 90, 240, ...means, 40), false); // deep red: darker than the frame
  assert.equal(fireColoured(170, 128, 128, ...means, 40), false); // grey
  assert.equal(fireColoured(228, 104, 136, ...means, 40), false); // white-yellow core: |Cr − Cb| < τ
  // Under a warm cast the means move with it: the cast colour itself is not fire.
  assert.equal(fireColoured(120, 98, 158, 118, 98, 158, 40), false);
});

test('popcount32: counts set bits of 32-bit values', () => {
  assert.equal(popcount32(0), 0);
  assert.equal(popcount32(0xffffffff | 0), 32);
  assert.equal(popcount32(0b1011), 3);
  assert.equal(popcount32(1 << 31), 1);
});

test('FlameCells: a patch flickering between flame colours and the street flickers, after enough frames', () => {
  const noise = prng(1);
  const pick = prng(2);
  const frames = Array.from({ length: WINDOW }, () => {
    const k = Math.floor(pick() * 4);
    return frame(noise, k < 3 ? { x: 16, y: 16, c: FLAME[k]! } : undefined);
  });
  assert.ok(flickering(frames) >= 40, `flickering ${flickering(frames)}`);
  // Fewer frames than minChanges needs cannot flicker.
  assert.equal(flickering(frames.slice(0, 6)), 0);
});

test('FlameCells: a still orange patch (a sign, a parked car) never flickers', () => {
  const noise = prng(3);
  assert.equal(flickering(Array.from({ length: 40 }, () => frame(noise, { x: 16, y: 16, c: FLAME[1]! }))), 0);
});

test('FlameCells: an orange vehicle with a dark windscreen driving toward the camera (down the frame) does not flicker', () => {
  const noise = prng(4);
  for (const speed of [1, 2, 4]) {
    // Down the frame, so its windscreen stripe crosses every cell it passes: arrive, dark, orange, leave.
    const frames = Array.from({ length: 40 }, (_, i) => frame(noise, { x: 24, y: -16 + i * speed, c: FLAME[1]!, stripe: true }));
    assert.equal(flickering(frames), 0, `${speed} px/frame`);
  }
});

test('FlameCells: orange clothes swinging over the road (a walker\'s legs) do not flicker; flames do', () => {
  // Guards the held-out false fire of fire-quiet-sunset-2 (a far walker's orange trousers under a
  // sunset): a thing of one colour toggles cells between its colour and the road's at every step,
  // with no change of brightness while coloured. The old rule counted every toggle as a flicker.
  const noise = prng(5);
  const ORANGE: [number, number, number] = [150, 44, 200];
  const legs = Array.from({ length: 40 }, (_, i) => frame(noise, (i >> 1) & 1 ? undefined : { x: 16, y: 16, c: ORANGE }));
  assert.equal(flickering(legs), 0);
  // Flames gone from the cell as often (every fourth frame), but showing a different part of the
  // flame — another brightness — from one frame to the next while they are there.
  const flames = Array.from({ length: 40 }, (_, i) => frame(noise, i % 4 === 3 ? undefined : { x: 16, y: 16, c: FLAME[i % 3]! }));
  assert.ok(flickering(flames) >= 40, `flickering ${flickering(flames)}`);
});
