/**
 * ensureCenternetOnnx converts @vladmandic/human's centernet once and reuses the cache, and the
 * converted model finds the pedestrians of real vtest.avi frames (a sanity check; box accuracy
 * against hand labels is a separate test).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { CENTERNET_DETECTIONS, CENTERNET_INPUT, CENTERNET_SIZE, COCO_PERSON, defaultModelCache, ensureCenternetOnnx, readDetections, type CachedModel } from './model.js';
import { centernetInput } from './preprocess.js';
import { VTEST_HEIGHT, VTEST_WIDTH, vtestFrame } from './vtest.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'streamsight-centernet-'));
after(() => rmSync(cacheDir, { recursive: true, force: true }));

describe('ensureCenternetOnnx', () => {
  let first: CachedModel;
  before(() => {
    first = ensureCenternetOnnx(cacheDir);
  });

  it('converts on first use into the cache folder', () => {
    assert.equal(first.converted, true);
    assert.equal(first.path, join(cacheDir, 'centernet.onnx'));
    assert.ok(statSync(first.path).size > 4e6, 'float32 weights of a ~2M-parameter network');
  });

  it('reuses the cached file while the source hash matches', () => {
    const again = ensureCenternetOnnx(cacheDir);
    assert.deepEqual(again, { ...first, converted: false });
  });

  it('converts again when the recorded hash is stale', () => {
    writeFileSync(`${first.path}.sha256`, 'stale\n');
    assert.equal(ensureCenternetOnnx(cacheDir).converted, true);
    assert.equal(ensureCenternetOnnx(cacheDir).converted, false);
  });

  it('defaults to $STREAMSIGHT_MODEL_CACHE, then the XDG cache', () => {
    assert.equal(defaultModelCache({ STREAMSIGHT_MODEL_CACHE: '/srv/models' }), '/srv/models');
    assert.equal(defaultModelCache({ XDG_CACHE_HOME: '/c' }), '/c/streamsight/models');
  });
});

describe('converted centernet on vtest.avi', () => {
  // Frames 100 and 700 each show at least three walking people in clear view (checked by eye).
  for (const frame of [100, 700]) {
    it(`finds people in frame ${frame}`, async () => {
      const session = await ort.InferenceSession.create(ensureCenternetOnnx(cacheDir).path);
      const input = centernetInput(vtestFrame(frame), VTEST_WIDTH, VTEST_HEIGHT);
      const outputs = await session.run({ [CENTERNET_INPUT]: new ort.Tensor('float32', input, [1, CENTERNET_SIZE, CENTERNET_SIZE, 3]) });
      const people = readDetections(outputs[CENTERNET_DETECTIONS].data as Float32Array).filter((d) => d.classIndex === COCO_PERSON && d.score > 0.5);
      assert.ok(people.length >= 3, `expected >= 3 people above 0.5, got ${people.length}`);
      for (const p of people) {
        assert.ok(p.x1 >= 0 && p.y1 >= 0 && p.x2 <= CENTERNET_SIZE && p.y2 <= CENTERNET_SIZE, 'box inside the input');
        // Upright pedestrians: in the 512×512 stretch of a 4:3 frame a person is still taller than wide.
        assert.ok(p.y2 - p.y1 > p.x2 - p.x1, `person box ${JSON.stringify(p)} is taller than wide`);
      }
      await session.release();
    });
  }
});
