import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prng } from '../../core/testing/prng.js';
import { LumaTemplate, type LumaPlane } from './appearance.js';

/** A 200 × 100 plane of random texture (a seeded "vehicle"). */
function textured(seed: number, gain = 1): LumaPlane {
  const rand = prng(seed);
  const y = new Uint8Array(200 * 100);
  for (let i = 0; i < y.length; i++) y[i] = Math.min(255, Math.round((40 + rand() * 150) * gain));
  return { y, width: 200, height: 100, stride: 200 };
}

describe('LumaTemplate', () => {
  const box = { x: 20.5, y: 10, w: 120, h: 60 };

  it('correlates with the same picture, also brighter, and not with another or a flat one', () => {
    const template = LumaTemplate.capture(textured(1), box);
    assert.ok(template.correlate(textured(1)) > 0.99);
    assert.ok(template.correlate(textured(1, 1.2)) > 0.95, 'exposure changed');
    assert.ok(Math.abs(template.correlate(textured(2))) < 0.2, 'another vehicle, or the road it left');
    assert.equal(template.correlate({ y: new Uint8Array(200 * 100).fill(90), width: 200, height: 100, stride: 200 }), 0);
  });

  it('reads planes with a stride and ignores the part of the box outside the frame', () => {
    const plane = textured(3);
    const wide = { y: new Uint8Array(256 * 100), width: 200, height: 100, stride: 256 };
    for (let r = 0; r < 100; r++) wide.y.set(plane.y.subarray(r * 200, r * 200 + 200), r * 256);
    const template = LumaTemplate.capture(plane, { x: 150, y: 50, w: 100, h: 100 });
    assert.deepEqual(template.box, { x: 150, y: 50, w: 50, h: 50 });
    assert.ok(template.correlate(wide) > 0.99);
    assert.equal(template.correlate({ ...plane, width: 160 }), 0, 'a smaller frame');
  });
});
