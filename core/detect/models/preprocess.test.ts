/**
 * Input preparation: the letterbox geometry of each fit, pad value and channel order per format,
 * BT.601 limited-range YUV → RGB against known colours and against ffmpeg's own conversion, crops,
 * and CenterNet's input against the reference resize in core/detect/onnx/preprocess.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { ffmpegPath } from '../../ffmpeg.js';
import { centernetInput } from '../onnx/preprocess.js';
import { VTEST_HEIGHT, VTEST_WIDTH, vtestFrame } from '../onnx/vtest.js';
import { INPUT_RECIPES, InputPreprocessor, fitRegion, yuvToRgb, type InputRecipe, type PlanarImage, type RgbImage } from './preprocess.js';

/** An I420 frame of one colour, with `pad` spare bytes at the end of each row. */
function uniformI420(width: number, height: number, [y, u, v]: [number, number, number], pad = 0): PlanarImage {
  const cw = Math.ceil(width / 2);
  const ch = Math.ceil(height / 2);
  return {
    format: 'i420', width, height, strideY: width + pad, strideUV: cw + pad,
    y: new Uint8Array((width + pad) * height).fill(y),
    u: new Uint8Array((cw + pad) * ch).fill(u),
    v: new Uint8Array((cw + pad) * ch).fill(v),
  };
}

/** Channel `c` of pixel (x, y) of an NCHW tensor of width `w`, height `h`. */
function nchw(t: Float32Array, w: number, h: number, c: number, x: number, y: number): number {
  return t[c * w * h + y * w + x];
}

describe('fitRegion', () => {
  const frame = { x: 0, y: 0, w: 1280, h: 720 };

  it('letterbox: 1280×720 into 640 is scale 0.5, centred 140 rows down', () => {
    assert.deepEqual(fitRegion('letterbox', frame, 640, 640), { offsetX: 0, offsetY: 0, width: 1280, height: 720, scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 140 });
  });

  it('letterbox splits an odd padding as Ultralytics does (round(d/2 − 0.1) first)', () => {
    // 1000×333 → 640×213: 427 rows of padding, 213 above.
    const box = fitRegion('letterbox', { x: 0, y: 0, w: 1000, h: 333 }, 640, 640);
    assert.equal(box.padY, 213);
    assert.equal(Math.round(333 * box.scaleY), 213);
    // Portrait: the padding goes left and right.
    assert.deepEqual(fitRegion('letterbox', { x: 0, y: 0, w: 720, h: 1280 }, 640, 640), { offsetX: 0, offsetY: 0, width: 720, height: 1280, scaleX: 0.5, scaleY: 0.5, padX: 140, padY: 0 });
  });

  it('topleft (YOLOX) pastes at the origin, sizes truncated', () => {
    assert.deepEqual(fitRegion('topleft', frame, 640, 640), { offsetX: 0, offsetY: 0, width: 1280, height: 720, scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 0 });
  });

  it('stretch scales each axis on its own; a crop keeps its offset', () => {
    assert.deepEqual(fitRegion('stretch', { x: 100, y: 50, w: 320, h: 256 }, 640, 512), { offsetX: 100, offsetY: 50, width: 320, height: 256, scaleX: 2, scaleY: 2, padX: 0, padY: 0 });
  });
});

describe('yuvToRgb (BT.601 limited range)', () => {
  it('maps black, white and the primaries', () => {
    const near = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]) <= 1.5);
    assert.deepEqual(yuvToRgb(16, 128, 128), [0, 0, 0]);
    assert.ok(near(yuvToRgb(235, 128, 128), [255, 255, 255]));
    assert.ok(near(yuvToRgb(126, 128, 128), [128, 128, 128]));
    assert.ok(near(yuvToRgb(81, 90, 240), [255, 0, 0]), `red ${yuvToRgb(81, 90, 240)}`);
    assert.ok(near(yuvToRgb(145, 54, 34), [0, 255, 0]), `green ${yuvToRgb(145, 54, 34)}`);
    assert.ok(near(yuvToRgb(41, 240, 110), [0, 0, 255]), `blue ${yuvToRgb(41, 240, 110)}`);
  });

  it("agrees with ffmpeg's yuv420p → rgb24: within 1 of its exact path, within 3 of its default", () => {
    // swscale's default yuv2rgb uses 8-bit tables (off by up to 3 in G); accurate_rnd with
    // full_chroma_int computes the matrix exactly and rounds.
    const colours: [number, number, number][] = [[81, 90, 240], [145, 54, 34], [41, 240, 110], [180, 100, 160], [60, 170, 120], [126, 128, 128]];
    for (const [flags, tolerance] of [['accurate_rnd+full_chroma_int', 1], ['', 3]] as const) {
      for (const [l, u, v] of colours) {
        const yuv = Buffer.concat([Buffer.alloc(256, l), Buffer.alloc(64, u), Buffer.alloc(64, v)]);
        const args = ['-v', 'error', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', '16x16', '-i', '-', ...(flags ? ['-sws_flags', flags] : []), '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'];
        const rgb = execFileSync(ffmpegPath(), args, { input: yuv });
        const theirs = [...rgb.subarray(8 * 48 + 24, 8 * 48 + 27)];
        const ours = yuvToRgb(l, u, v);
        assert.ok(ours.every((c, k) => Math.abs(c - theirs[k]) <= tolerance), `YUV ${[l, u, v]}: ours ${ours.map((c) => c.toFixed(1))}, ffmpeg ${flags || 'default'} ${theirs}`);
      }
    }
  });
});

describe('InputPreprocessor', () => {
  const grey = uniformI420(1280, 720, [126, 128, 128]);

  it('ultralytics: centred letterbox, pad 114/255, RGB/255, NCHW', () => {
    const pre = new InputPreprocessor(INPUT_RECIPES.yolov8, 640, 640);
    const out = new Float32Array(pre.imageSize);
    const red = uniformI420(1280, 720, [81, 90, 240]);
    const box = pre.run(red, out);
    assert.deepEqual([box.scaleX, box.scaleY, box.padX, box.padY], [0.5, 0.5, 0, 140]);
    const [r, g, b] = yuvToRgb(81, 90, 240);
    for (const [x, y] of [[0, 0], [639, 139], [320, 640 - 140]]) {
      for (let c = 0; c < 3; c++) assert.equal(nchw(out, 640, 640, c, x, y), Math.fround(114 / 255), `pad at ${x},${y}`);
    }
    for (const [x, y] of [[0, 140], [320, 320], [639, 499]]) {
      assert.ok(Math.abs(nchw(out, 640, 640, 0, x, y) - r / 255) < 1e-6, `R at ${x},${y}`);
      assert.ok(Math.abs(nchw(out, 640, 640, 1, x, y) - g / 255) < 1e-6);
      assert.ok(Math.abs(nchw(out, 640, 640, 2, x, y) - b / 255) < 1e-6);
    }
  });

  it('yolox: top-left paste, pad 114 unscaled, BGR order', () => {
    const pre = new InputPreprocessor(INPUT_RECIPES.yolox, 640, 640);
    const out = new Float32Array(pre.imageSize).fill(-1);
    const rgb: RgbImage = { format: 'rgb24', width: 1280, height: 720, data: new Uint8Array(1280 * 720 * 3) };
    for (let i = 0; i < rgb.data.length; i += 3) rgb.data.set([200, 100, 50], i);
    const box = pre.run(rgb, out);
    assert.deepEqual([box.scaleX, box.padX, box.padY], [0.5, 0, 0]);
    assert.deepEqual([0, 1, 2].map((c) => nchw(out, 640, 640, c, 10, 10)), [50, 100, 200], 'B, G, R');
    assert.deepEqual([0, 1, 2].map((c) => nchw(out, 640, 640, c, 639, 359)), [50, 100, 200]);
    assert.deepEqual([0, 1, 2].map((c) => nchw(out, 640, 640, c, 0, 360)), [114, 114, 114], 'pad below the image');
  });

  it('centernet: NHWC 0..255, the same resize as the reference on a real frame', () => {
    const rgb = vtestFrame(100);
    const pre = new InputPreprocessor(INPUT_RECIPES.centernet, 512, 512);
    const out = new Float32Array(pre.imageSize);
    pre.run({ format: 'rgb24', width: VTEST_WIDTH, height: VTEST_HEIGHT, data: rgb }, out);
    const reference = centernetInput(rgb, VTEST_WIDTH, VTEST_HEIGHT);
    let worst = 0;
    for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i] - reference[i]));
    assert.ok(worst < 1e-3, `largest difference ${worst}`);
  });

  it('I420 with padded strides, cropped: interpolated YUV equals the interpolated RGB conversion', () => {
    // A smooth colour field that never clips, so interpolating YUV equals interpolating RGB.
    const w = 320;
    const h = 240;
    const frame = uniformI420(w, h, [0, 0, 0], 16);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) frame.y[y * frame.strideY + x] = 60 + ((x + 2 * y) % 120);
    for (let y = 0; y < h / 2; y++) {
      for (let x = 0; x < w / 2; x++) {
        frame.u![y * frame.strideUV + x] = 110 + (x % 30);
        frame.v![y * frame.strideUV + x] = 115 + (y % 25);
      }
    }
    // The conversion as floats, pixel by pixel, then sampled by hand below.
    const exact = new Float32Array(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const c = (y >> 1) * frame.strideUV + (x >> 1);
        exact.set(yuvToRgb(frame.y[y * frame.strideY + x], frame.u![c], frame.v![c]), (y * w + x) * 3);
      }
    }
    const recipe: InputRecipe = { ...INPUT_RECIPES.yolov8, scale: 1 };
    const pre = new InputPreprocessor(recipe, 64, 64);
    const region = { x: 50, y: 30, w: 101, h: 77 };
    const fromYuv = new Float32Array(pre.imageSize);
    const box = pre.run(frame, fromYuv, 0, region);
    assert.deepEqual([box.offsetX, box.offsetY, box.width, box.height], [50, 30, 101, 77]);
    // Sample the float RGB by hand at one output pixel with the same taps.
    const x = 20;
    const y = 30;
    const sx = ((x - box.padX + 0.5) * 101) / Math.round(101 * box.scaleX) - 0.5;
    const sy = ((y - box.padY + 0.5) * 77) / Math.round(77 * box.scaleY) - 0.5;
    const x0 = Math.floor(sx), y0 = Math.floor(sy), fx = sx - x0, fy = sy - y0;
    const at = (px: number, py: number, c: number) => exact[((30 + py) * w + 50 + px) * 3 + c];
    for (let c = 0; c < 3; c++) {
      const top = at(x0, y0, c) + (at(x0 + 1, y0, c) - at(x0, y0, c)) * fx;
      const bottom = at(x0, y0 + 1, c) + (at(x0 + 1, y0 + 1, c) - at(x0, y0 + 1, c)) * fx;
      const want = top + (bottom - top) * fy;
      assert.ok(Math.abs(nchw(fromYuv, 64, 64, c, x, y) - want) < 1e-3, `channel ${c}: ${nchw(fromYuv, 64, 64, c, x, y)} vs ${want}`);
    }
  });

  it('a gray frame is full range: R = G = B = Y', () => {
    const pre = new InputPreprocessor(INPUT_RECIPES.rtdetr, 32, 32);
    const out = new Float32Array(pre.imageSize);
    pre.run({ format: 'gray', width: 64, height: 64, y: new Uint8Array(64 * 64).fill(51), strideY: 64, strideUV: 0 }, out);
    assert.ok(out.every((v) => Math.abs(v - 0.2) < 1e-6));
  });

  it('refuses a region outside the frame and a short buffer', () => {
    const pre = new InputPreprocessor(INPUT_RECIPES.yolov8, 64, 64);
    assert.throws(() => pre.run(grey, new Float32Array(pre.imageSize), 0, { x: 2000, y: 0, w: 10, h: 10 }), /outside the 1280x720 image/);
    assert.throws(() => pre.run(grey, new Float32Array(10)), /needs 12288/);
  });
});
