import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePlan } from './frames.js';

describe('decodePlan', () => {
  const detect = { fps: 5 };

  it('takes the highest fps a plugin asks for, capped at detect.fps', () => {
    assert.equal(decodePlan(detect, [{ fps: 2 }, { fps: 4 }]).fps, 4);
    assert.equal(decodePlan(detect, [{ fps: 2 }, { fps: 10 }]).fps, 5);
    assert.equal(decodePlan(detect, [{}]).fps, 5, 'a plugin without an fps gets detect.fps');
  });

  it('decodes gray only when every plugin wants luma only', () => {
    assert.equal(decodePlan(detect, [{ format: 'gray' }, { format: 'gray' }]).format, 'gray');
    assert.equal(decodePlan(detect, [{ format: 'gray' }, { format: 'i420' }]).format, 'i420');
    assert.equal(decodePlan(detect, [{ format: 'gray' }, {}]).format, 'i420');
    assert.equal(decodePlan({ ...detect, format: 'gray' }, [{ format: 'i420' }]).format, 'gray', 'detect.format wins');
  });

  it('uses the configured size, else the largest a plugin asks for, else the source size', () => {
    assert.deepEqual(pick(decodePlan({ ...detect, width: 320, height: 180 }, [{ width: 1280, height: 720 }])), [320, 180]);
    assert.deepEqual(pick(decodePlan({ ...detect, width: 320 }, [{ width: 1280, height: 720 }])), [320, undefined], 'a configured width keeps the aspect ratio');
    assert.deepEqual(pick(decodePlan(detect, [{ width: 640, height: 360 }, { width: 960, height: 540 }, {}])), [960, 540]);
    assert.deepEqual(pick(decodePlan(detect, [{}, {}])), [undefined, undefined]);
  });

  it('passes the decoder threads on', () => {
    assert.equal(decodePlan({ ...detect, threads: 0 }, [{}]).threads, 0);
    assert.equal(decodePlan(detect, [{}]).threads, undefined);
  });
});

function pick(p: { width?: number; height?: number }): [number | undefined, number | undefined] {
  return [p.width, p.height];
}
