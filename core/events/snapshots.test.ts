import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import jpeg from 'jpeg-js';
import { JpegEncoder } from './snapshots.js';

const encoder = new JpegEncoder();
after(() => encoder.close());

/** Mean of the decoded red channel (R = G = B for a gray scene). */
function meanLuma(bytes: Uint8Array): { width: number; height: number; mean: number } {
  const img = jpeg.decode(bytes, { useTArray: true });
  let sum = 0;
  for (let i = 0; i < img.data.length; i += 4) sum += (img.data[i]! + img.data[i + 1]! + img.data[i + 2]!) / 3;
  return { width: img.width, height: img.height, mean: sum / (img.data.length / 4) };
}

function isJfif(b: Uint8Array): boolean {
  // SOI, then APP0 whose identifier is "JFIF\0" (JFIF 1.02 §A).
  return b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff && b[3] === 0xe0 && Buffer.from(b.subarray(6, 11)).toString('latin1') === 'JFIF\0';
}

test('I420 planes with padded strides encode to a JFIF of the right size and luma', async () => {
  const width = 64;
  const height = 36;
  const strideY = 80;
  const strideUV = 40;
  // Limited-range Y 180 with neutral chroma is RGB ≈ (180 − 16) × 255/219 ≈ 191; the stride padding is 0 and must not leak in.
  const y = new Uint8Array(strideY * height);
  const u = new Uint8Array(strideUV * (height / 2));
  const v = new Uint8Array(strideUV * (height / 2));
  for (let r = 0; r < height; r++) y.fill(180, r * strideY, r * strideY + width);
  for (let r = 0; r < height / 2; r++) {
    u.fill(128, r * strideUV, r * strideUV + width / 2);
    v.fill(128, r * strideUV, r * strideUV + width / 2);
  }
  const out = await encoder.encode({ y, u, v, strideY, strideUV }, width, height, 90);
  assert.ok(out instanceof Uint8Array);
  assert.ok(isJfif(out), 'JFIF APP0 after SOI');
  const { width: w, height: h, mean } = meanLuma(out);
  assert.equal(w, width);
  assert.equal(h, height);
  assert.ok(Math.abs(mean - 191) < 4, `mean luma ${mean.toFixed(1)} ≈ 191`);
});

test('I420 chroma converts with BT.601 limited range: (81, 90, 240) is red', async () => {
  const y = new Uint8Array(16 * 16).fill(81);
  const u = new Uint8Array(8 * 8).fill(90);
  const v = new Uint8Array(8 * 8).fill(240);
  const img = jpeg.decode(await encoder.encode({ y, u, v, strideY: 16, strideUV: 8 }, 16, 16, 95), { useTArray: true });
  const [r, g, b] = img.data.subarray(8 * 16 * 4 + 32, 8 * 16 * 4 + 35);
  assert.ok(r! > 235 && g! < 20 && b! < 20, `rgb ${r} ${g} ${b}`);
});

test('gray (Y only) encodes with its luma kept as is, odd sizes included', async () => {
  const width = 33;
  const height = 17;
  const y = new Uint8Array(width * height);
  // Left half dark, right half bright: the mean is checked, and the halves stay apart.
  for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) y[r * width + c] = c < 16 ? 40 : 200;
  const out = await encoder.encode({ y, strideY: width, strideUV: 0 }, width, height);
  const img = jpeg.decode(out, { useTArray: true });
  assert.equal(img.width, width);
  assert.equal(img.height, height);
  const at = (r: number, c: number): number => img.data[(r * width + c) * 4]!;
  assert.ok(Math.abs(at(8, 4) - 40) < 8, `dark side ${at(8, 4)}`);
  assert.ok(Math.abs(at(8, 28) - 200) < 8, `bright side ${at(8, 28)}`);
  const expected = (16 * 40 + 17 * 200) / 33;
  assert.ok(Math.abs(meanLuma(out).mean - expected) < 6);
});

test('the planes are copied before encode() returns, so the caller may reuse them at once', async () => {
  const y = new Uint8Array(16 * 16).fill(100);
  const pending = encoder.encode({ y, strideY: 16, strideUV: 0 }, 16, 16);
  y.fill(250); // what a FrameRing writer would do to an unpinned slot
  assert.ok(Math.abs(meanLuma(await pending).mean - 100) < 4);
});

test('bad arguments reject with the reason, and the pool keeps serving', async () => {
  const y = new Uint8Array(16 * 16);
  await assert.rejects(encoder.encode({ y, strideY: 16, strideUV: 0 }, 0, 16), /width must be an integer/);
  await assert.rejects(encoder.encode({ y, strideY: 8, strideUV: 0 }, 16, 16), /Y stride 8 is below the plane width 16/);
  await assert.rejects(encoder.encode({ y, strideY: 16, strideUV: 0 }, 16, 32), /Y plane holds 256 bytes/);
  await assert.rejects(encoder.encode({ y, u: y, strideY: 16, strideUV: 8 }, 16, 16), /V plane must be a Uint8Array/);
  await assert.rejects(encoder.encode({ y, strideY: 16, strideUV: 0 }, 16, 16, 101), /quality/);
  assert.ok((await encoder.encode({ y, strideY: 16, strideUV: 0 }, 16, 16)).length > 100);
});

test('close() ends the pool; encode afterwards rejects', async () => {
  const own = new JpegEncoder({ maxThreads: 1 });
  await own.encode({ y: new Uint8Array(64), strideY: 8, strideUV: 0 }, 8, 8);
  await own.close();
  await own.close();
  await assert.rejects(own.encode({ y: new Uint8Array(64), strideY: 8, strideUV: 0 }, 8, 8), /closed/);
});
