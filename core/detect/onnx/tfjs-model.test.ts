/**
 * Reading tfjs weights: float16 and affine uint8 dequantization, manifest/data size checks, and
 * the axis permutation used to turn TF filters and constants into ONNX layout.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeWeights, float16ToFloat32, permute, type TfjsGraphModel } from './tfjs-model.js';

function manifest(weights: TfjsGraphModel['weightsManifest'][number]['weights']): TfjsGraphModel {
  return { modelTopology: { node: [] }, weightsManifest: [{ paths: ['w.bin'], weights }] };
}

describe('tfjs weights', () => {
  it('decodes binary16, including subnormals, infinities and NaN', () => {
    assert.equal(float16ToFloat32(0x3c00), 1);
    assert.equal(float16ToFloat32(0xc000), -2);
    assert.equal(float16ToFloat32(0x7bff), 65504);
    assert.equal(float16ToFloat32(0x0001), 2 ** -24);
    assert.equal(float16ToFloat32(0x7c00), Infinity);
    assert.ok(Number.isNaN(float16ToFloat32(0x7e00)));
  });

  it('dequantizes float16 and uint8 weights and reads int32 ones as stored', () => {
    const bytes = new Uint8Array([0x00, 0x3c, 0x00, 0xb8, 0, 2, 255, 7, 0, 0, 0]);
    const weights = decodeWeights(
      manifest([
        { name: 'half', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } },
        { name: 'byte', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', min: -1, scale: 0.5 } },
        { name: 'int', shape: [], dtype: 'int32' },
      ]),
      bytes,
    );
    assert.deepEqual(Array.from(weights.get('half')!.values), [1, -0.5]);
    assert.deepEqual(Array.from(weights.get('byte')!.values), [-1, 0, 126.5]);
    assert.deepEqual(Array.from(weights.get('int')!.values), [7]);
  });

  it('rejects weight data that does not match the manifest', () => {
    const spec = manifest([{ name: 'w', shape: [2], dtype: 'float32' }]);
    assert.throws(() => decodeWeights(spec, new Uint8Array(4)), /w runs past the end/);
    assert.throws(() => decodeWeights(spec, new Uint8Array(12)), /manifest covers 8 bytes, data has 12/);
  });

  it('permutes axes: an HWIO filter to OIHW', () => {
    // [h=1, w=2, in=2, out=3] holding its own flat index w*6 + i*3 + o.
    const hwio = Float32Array.from({ length: 12 }, (_, k) => k);
    const { values, dims } = permute(hwio, [1, 2, 2, 3], [3, 2, 0, 1]);
    assert.deepEqual(dims, [3, 2, 1, 2]);
    // OIHW[o][i][0][w] = HWIO[0][w][i][o] = w*6 + i*3 + o
    const expected = [];
    for (let o = 0; o < 3; o++) for (let i = 0; i < 2; i++) for (let w = 0; w < 2; w++) expected.push(w * 6 + i * 3 + o);
    assert.deepEqual(Array.from(values), expected);
  });
});
