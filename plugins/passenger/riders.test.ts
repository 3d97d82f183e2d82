import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Box } from '../sdk/index.js';
import { assignRiders, heldPlace, riderOverlap } from './riders.js';

const box = (x: number, y: number, w: number, h: number): Box => ({ x, y, w, h });
/** A motorbike 40 × 30 px at (100, 110): rows 110–140. */
const BIKE = box(100, 110, 40, 30);
/** A person 16 × 45 px whose box ends at row `bottom`. */
const person = (x: number, bottom = 135, h = 45) => box(x, bottom - h, 16, h);

describe('riderOverlap', () => {
  it('is the share of the width over the motorbike for a box ending inside its height', () => {
    assert.equal(riderOverlap(person(110), BIKE), 1);
    assert.equal(riderOverlap(person(92), BIKE), 0.5);
    assert.equal(riderOverlap(person(132), BIKE), 0.5);
  });

  it('is 0 for someone beside it, ending above or below it, or of a size no rider has', () => {
    assert.equal(riderOverlap(person(93 - 8), BIKE), 0); // 7 of 16 px over it
    assert.equal(riderOverlap(person(110, 115), BIKE), 0); // ends in its top 30 % (farther away, behind it)
    assert.equal(riderOverlap(person(110, 150), BIKE), 0); // ends a third of its height below it (nearer the camera)
    assert.equal(riderOverlap(person(110, 135, 12), BIKE), 0); // a helmet
    assert.equal(riderOverlap(person(110, 135, 100), BIKE), 0); // someone near the camera in front
    assert.equal(riderOverlap(person(110, 144), BIKE), 1); // legs dangling a little below the wheels' row
  });
});

describe('assignRiders', () => {
  it('gives each person to the motorbike it overlaps best, never to two', () => {
    const other = box(130, 110, 40, 30); // overlaps BIKE by 10 px
    const people = [person(102), person(122), person(140), person(150)];
    // Person 1 (122–138) is all over BIKE and half over `other`; persons 2 and 3 are over `other` only.
    assert.deepEqual(assignRiders([BIKE, other], people), [[0, 1], [2, 3]]);
  });

  it('breaks a tie by the nearer centre, and lets a veto drop a person rather than pass them on', () => {
    const a = box(100, 110, 40, 30);
    const b = box(108, 110, 40, 30);
    assert.deepEqual(assignRiders([a, b], [person(120)]), [[], [0]]); // both cover it whole; b's centre is nearer
    assert.deepEqual(assignRiders([a, b], [person(120)], (_p, bike) => bike === 0), [[], []]);
  });
});

describe('heldPlace', () => {
  it('finds a person at the same place on the motorbike in its previous frame', () => {
    // The motorbike moved 13 px right; its rider with it, a pedestrian stayed.
    const previous = { bike: box(87, 110, 40, 30), people: [person(97), person(120)] };
    assert.equal(heldPlace(person(110), BIKE, previous, 13), true);
    assert.equal(heldPlace(person(120), BIKE, previous, 13), false);
    // Nobody near that place before: someone just come into view waits a frame.
    assert.equal(heldPlace(person(124), BIKE, { bike: previous.bike, people: [person(97)] }, 13), false);
  });

  it('allows the detector some wobble, more for a motorbike that travelled further', () => {
    const still = { bike: BIKE, people: [person(110)] };
    assert.equal(heldPlace(person(115), BIKE, still, 0), true); // 5 px: within 20 % of its 30 px height
    assert.equal(heldPlace(person(118), BIKE, still, 0), false);
    assert.equal(heldPlace(person(118), BIKE, still, 20), true); // within half of 20 px
  });
});
