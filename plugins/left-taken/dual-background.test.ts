import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackgroundModel } from '../sdk/index.js';
import { DualBackground, rateFor } from './dual-background.js';
import { PatchScene, type Patch } from './testdata/patches.js';

const W = 64;
const H = 48;
const DT = 200;
const OPTS = { width: W, height: H, step: 2, absorbMs: 20_000, settleMs: 2000, stillMs: 1000, gapMs: 1000 };

/** Plays `scene` at 5 fps up to untilMs, calling `each` after every frame. */
function play(dual: DualBackground, scene: PatchScene, untilMs: number, each?: (t: number) => void): void {
  for (let t = 0; t <= untilMs; t += DT) {
    dual.update(scene.frame(t), t);
    each?.(t);
  }
}

/** Cell index of pixel (x, y) on the step-2 grid. */
const cell = (dual: DualBackground, x: number, y: number) => (y >> 1) * dual.gw + (x >> 1);

describe('DualBackground', () => {
  it('learns a still new thing in about T ms at the rate rateFor gives', () => {
    // A new mode starts at weight α and is background once it reaches 0.1 (MOG2's backgroundRatio 0.9).
    const alpha = rateFor(2000, DT);
    assert.ok(Math.abs((1 - alpha) ** (2000 / DT) - 0.9) < 1e-9);
    // A 2 × 2 spot changes in a 16 × 16 frame (a whole frame changing would be a lighting change).
    const model = new BackgroundModel({ width: 16, height: 16 });
    const mask = new Uint8Array(256);
    const frame = (spot: number) => {
      const y = new Uint8Array(256).fill(100);
      for (const i of [0, 1, 16, 17]) y[i] = spot;
      return { y, strideY: 16, strideUV: 0, width: 16, height: 16 };
    };
    model.apply(frame(100), mask, 1);
    let frames = 0;
    do {
      model.apply(frame(180), mask, alpha);
      frames++;
    } while (mask[0] === 255 && frames < 100);
    assert.ok(frames >= 8 && frames <= 14, `learnt after ${frames} frames, expected about 10`);
  });

  it('dates a bag put down from the frame it appeared, and makes it a candidate once still, not before', () => {
    const bag: Patch = { x: 20, y: 20, w: 12, h: 8, luma: 40, fromMs: 6000 };
    const dual = new DualBackground(OPTS);
    let firstCandidate = -1;
    const p = cell(dual, 26, 24);
    play(dual, new PatchScene(W, H, [bag]), 12_000, (t) => {
      if (firstCandidate < 0 && dual.candidate[p]) firstCandidate = t;
    });
    assert.equal(dual.onset[p], 6000);
    // settleMs for the short-term model to learn it (±2 frames), then stillMs of stillness.
    assert.ok(firstCandidate >= 6000 + 2000 + 1000 - 2 * DT && firstCandidate <= 6000 + 2000 + 1000 + 3 * DT, `candidate from ${firstCandidate}`);
    // Away from the bag nothing has changed.
    assert.equal(dual.onset[cell(dual, 4, 4)], 0);
    assert.equal(dual.candidate[cell(dual, 4, 4)], 0);
  });

  it('leaves no evidence behind something that passes by', () => {
    const dual = new DualBackground(OPTS);
    // A block 8 px wide crossing at 10 px a second: each cell covered for under a second.
    const scene = new PatchScene(W, H, []);
    let candidates = 0;
    for (let t = 0; t <= 12_000; t += DT) {
      scene.patches.length = 0;
      if (t >= 3000) scene.patches.push({ x: Math.round((t - 3000) / 100), y: 10, w: 8, h: 20, luma: 200 });
      dual.update(scene.frame(t), t);
      candidates += dual.candidate.reduce((n, v) => n + (v ? 1 : 0), 0);
    }
    assert.equal(candidates, 0);
  });

  it('dates an object taken away from the frame it went, and keeps a candidate while someone walks over it', () => {
    const dual = new DualBackground(OPTS);
    const bag: Patch = { x: 20, y: 20, w: 12, h: 8, luma: 40, untilMs: 5000 };
    const walker: Patch = { x: 22, y: 14, w: 6, h: 16, luma: 180, fromMs: 11_000, untilMs: 11_600 };
    const p = cell(dual, 24, 24);
    let coveredCandidate = true;
    play(dual, new PatchScene(W, H, [bag, walker]), 14_000, (t) => {
      if (t >= 11_000 && t < 11_600) coveredCandidate &&= dual.candidate[p] === 255 && dual.visible[p] === 0;
    });
    assert.equal(dual.onset[p], 5000);
    assert.ok(coveredCandidate, 'a candidate, not visible, while covered');
    assert.equal(dual.visible[p], 255);
  });

  it('holds a faint object through a lighting ramp, then forgets it once absorbMs old', () => {
    const dual = new DualBackground(OPTS);
    // 16 levels brighter than the ground: within MOG2's 4σ, and what a lighting change "explains"
    // (brighter: on gray frames a darker patch would pass for a shadow).
    const bag: Patch = { x: 20, y: 20, w: 12, h: 8, luma: 126, fromMs: 4000 };
    const gain = (t: number) => (t < 8000 ? 1 : 1 + Math.min(0.08, (t - 8000) / 100_000));
    const p = cell(dual, 26, 24);
    let lost = -1;
    play(dual, new PatchScene(W, H, [bag], gain), 25_000, (t) => {
      if (t > 8000 && lost < 0 && dual.candidate[p] === 0) lost = t;
    });
    // Candidate through the ramp until absorbMs after it was put down, not a frame longer.
    assert.ok(lost >= 4000 + OPTS.absorbMs - DT && lost <= 4000 + OPTS.absorbMs + DT, `lost at ${lost}`);
    const image = new Uint8Array(dual.gw * dual.gh);
    dual.long.backgroundImage(image);
    // The long-term background still shows the ground there (it is learning the bag only now), lit by the gain.
    assert.ok(Math.abs(image[p]! - 115 * gain(25_000)) < 8, `background ${image[p]}`);
  });

  it('ends a run when the old background is back for longer than the gap', () => {
    const dual = new DualBackground(OPTS);
    const bag: Patch = { x: 20, y: 20, w: 12, h: 8, luma: 40, fromMs: 3000, untilMs: 9000 };
    const p = cell(dual, 26, 24);
    play(dual, new PatchScene(W, H, [bag]), 9000 + OPTS.gapMs + 2 * DT);
    assert.equal(dual.onset[p], 0);
    assert.equal(dual.candidate[p], 0);
  });

  it('marks cells whose colour changed though their luma did not (grey trousers on a grey pavement)', () => {
    const dual = new DualBackground(OPTS);
    const y = new Uint8Array(W * H).fill(120);
    const u = new Uint8Array((W / 2) * (H / 2)).fill(128);
    const v = new Uint8Array((W / 2) * (H / 2)).fill(128);
    const frame = { y, u, v, strideY: W, strideUV: W / 2, width: W, height: H };
    for (let t = 0; t < 3000; t += DT) dual.update(frame, t);
    // Same luma, reddish from x 20..27, y 10..29 (chroma samples 10..13, 5..14).
    for (let cy = 5; cy < 15; cy++) for (let cx = 10; cx < 14; cx++) v[cy * (W / 2) + cx] = 150;
    dual.update(frame, 3000);
    assert.equal(dual.tinted[cell(dual, 22, 20)], 255);
    assert.equal(dual.tinted[cell(dual, 40, 20)], 0);
    assert.equal(dual.longMask[cell(dual, 22, 20)], 0, 'the luma model does not see it');
    assert.equal(dual.tinted.reduce((n, t) => n + (t ? 1 : 0), 0), 4 * 10);
  });

  it('refuses absorbMs not longer than settleMs', () => {
    assert.throws(() => new DualBackground({ ...OPTS, absorbMs: 1000 }), /absorbMs > settleMs/);
  });
});

describe('BackgroundModel.backgroundImage', () => {
  it('is the luma of each cell\'s heaviest mode, 0 where nothing was seen', () => {
    const model = new BackgroundModel({ width: 4, height: 2 });
    const image = new Uint8Array(8).fill(7);
    model.backgroundImage(image);
    assert.deepEqual([...image], [0, 0, 0, 0, 0, 0, 0, 0]);
    const y = Uint8Array.of(10, 50, 90, 130, 170, 210, 250, 255);
    const mask = new Uint8Array(8);
    model.apply({ y, strideY: 4, strideUV: 0, width: 4, height: 2 }, mask);
    // A passing value learnt at a low rate does not displace the heavier mode.
    model.apply({ y: new Uint8Array(8).fill(30), strideY: 4, strideUV: 0, width: 4, height: 2 }, mask, 0.01);
    model.backgroundImage(image);
    assert.deepEqual([...image], [...y]);
    assert.throws(() => model.backgroundImage(new Uint8Array(4)), /needs 8 bytes/);
  });
});
