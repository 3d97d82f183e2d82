import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Frame } from '../types.js';
import { BlobDetector } from './blobs.js';
import { analysisFactor, downscalePlane, FrameScaler } from './scale.js';

/** Reference: the rounded mean of the part of each f × f block inside the plane. */
function naive(src: Uint8Array, w: number, h: number, stride: number, f: number): Uint8Array {
  const dw = Math.ceil(w / f);
  const dh = Math.ceil(h / f);
  const out = new Uint8Array(dw * dh);
  for (let y = 0; y < dh; y++) {
    for (let x = 0; x < dw; x++) {
      let sum = 0;
      let n = 0;
      for (let yy = y * f; yy < Math.min(h, y * f + f); yy++) for (let xx = x * f; xx < Math.min(w, x * f + f); xx++, n++) sum += src[yy * stride + xx]!;
      out[y * dw + x] = Math.floor((sum + (n >> 1)) / n);
    }
  }
  return out;
}

function randomPlane(stride: number, h: number, seed: number): Uint8Array {
  let s = seed;
  return Uint8Array.from({ length: stride * h }, () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24);
}

describe('analysisFactor', () => {
  it('is the smallest whole factor that brings the width within the limit', () => {
    assert.deepEqual([320, 640, 641, 1280, 1281, 1920, 2560, 3840].map((w) => analysisFactor(w, 640)), [1, 1, 2, 2, 3, 3, 4, 6]);
    assert.equal(analysisFactor(1920, Infinity), 1, 'no limit');
  });
});

describe('downscalePlane', () => {
  // Strides that are a multiple of 4 on an aligned plane take the 32-bit path at f = 2 (17 and 14
  // wide: an odd last block, an odd last whole column); others, and an unaligned plane, go by bytes.
  for (const [w, h, f, stride, offset] of [[16, 8, 2, 19, 0], [17, 9, 2, 20, 0], [14, 6, 2, 16, 0], [14, 6, 2, 16, 1], [15, 11, 3, 18, 0], [10, 7, 4, 13, 0], [5, 5, 1, 8, 0]] as const) {
    it(`averages ${w}x${h} (stride ${stride}, offset ${offset}) by ${f}, edge blocks over the pixels they have`, () => {
      const src = randomPlane(stride, h + 1, w * 31 + h).subarray(offset, offset + stride * h);
      const dst = new Uint8Array(Math.ceil(w / f) * Math.ceil(h / f));
      downscalePlane(src, w, h, stride, f, dst);
      assert.deepEqual(dst, naive(src, w, h, stride, f));
    });
  }

  it('rounds half up: a block of 1, 2, 2, 2 (mean 1.75) is 2, of 1, 1, 1, 2 (mean 1.25) is 1', () => {
    const dst = new Uint8Array(2);
    downscalePlane(Uint8Array.from([1, 2, 1, 1, 2, 2, 1, 2]), 4, 2, 4, 2, dst);
    assert.deepEqual([...dst], [2, 1]);
  });

  it('refuses a destination too small', () => {
    assert.throws(() => downscalePlane(new Uint8Array(64), 8, 8, 8, 2, new Uint8Array(15)), /needs 16 bytes/);
  });
});

/** A 1280x720 i420 frame: flat grey road, a bright block with its own chroma at (400, 200) 160x80. */
function bigFrame(withBlock: boolean, seq: number): Frame {
  const [w, h] = [1280, 720];
  const y = new Uint8Array(w * h).fill(90);
  const u = new Uint8Array((w / 2) * (h / 2)).fill(128);
  const v = new Uint8Array((w / 2) * (h / 2)).fill(128);
  // Noise that differs per frame, so the background model sees a real variance.
  for (let i = 0; i < y.length; i += 7) y[i] = 90 + ((i * 13 + seq * 5) % 7) - 3;
  if (withBlock) {
    for (let r = 200; r < 280; r++) y.fill(220, r * w + 400, r * w + 560);
    for (let r = 100; r < 140; r++) u.fill(60, r * (w / 2) + 200, r * (w / 2) + 280);
  }
  return { cameraId: 'c', pts: 0, capturedAt: seq * 100, seq, width: w, height: h, format: 'i420', y, u, v, strideY: w, strideUV: w / 2 };
}

describe('FrameScaler', () => {
  it('halves a 1280x720 i420 frame into its own 640x360 planes, chroma 320x180', () => {
    const scaler = new FrameScaler(1280, 720, 2);
    const out = scaler.scale(bigFrame(true, 0));
    assert.equal(out.width, 640);
    assert.equal(out.height, 360);
    assert.equal(out.strideY, 640);
    assert.equal(out.strideUV, 320);
    assert.equal(out.y[120 * 640 + 250], 220, 'inside the block');
    assert.ok(Math.abs(out.y[99 * 640 + 250]! - 90) <= 3, 'above it: the road, noise averaged');
    assert.equal(out.u![60 * 320 + 120], 60, 'chroma of the block');
    assert.equal(out.u![10 * 320 + 10], 128);
  });

  it('reuses its planes and drops chroma for a grey frame', () => {
    const scaler = new FrameScaler(1280, 720, 2);
    const a = scaler.scale(bigFrame(false, 0));
    const { u: _u, v: _v, ...grey } = bigFrame(false, 1);
    const b = scaler.scale({ ...grey, strideUV: 0 });
    assert.equal(a.y, b.y, 'same buffer');
    assert.equal(b.u, undefined);
    assert.throws(() => scaler.scale({ ...grey, width: 640 }), /frame is 640x720/);
  });
});

describe('BlobDetector with analysisWidth', () => {
  it('finds a 1280x720 block on a 640-wide analysis and reports it in frame pixels, on the grid gridFor gives', () => {
    const d = new BlobDetector({ minArea: 16, background: { step: 2 }, analysisWidth: 640 });
    assert.deepEqual(d.gridFor(1280, 720), { step: 4, width: 320, height: 180 });
    assert.deepEqual(d.gridFor(640, 360), { step: 2, width: 320, height: 180 });
    for (let i = 0; i < 60; i++) assert.deepEqual(d.detect(bigFrame(false, i)), []);
    const found = d.detect(bigFrame(true, 60));
    assert.equal(found.length, 1);
    const { x, y, w, h } = found[0]!.box;
    // The block is 160x80 at (400, 200); cells are 4x4 frame pixels, so edges land within a cell.
    assert.ok(Math.abs(x - 400) <= 4 && Math.abs(y - 200) <= 4 && Math.abs(w - 160) <= 8 && Math.abs(h - 80) <= 8, JSON.stringify(found[0]!.box));
    assert.equal(d.background!.width, 640, 'the model runs at the analysis size');
    assert.equal(d.mask!.length, 320 * 180);
  });
});
