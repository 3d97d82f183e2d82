import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OcclusionStitcher, type EndedTrack } from './stitch.js';

/** A motorbike last seen at Z 24 m in the lane at X −5.25, driving towards the camera at 9 m/s. */
const bike = (over: Partial<EndedTrack> = {}): EndedTrack => ({ id: 7, t: 10_000, foot: [100, 150], ground: [-5.25, 24], velocity: { vx: 0, vz: -9 }, ...over });

describe('OcclusionStitcher', () => {
  it('hands a hidden vehicle to the track that starts where it would be by now', () => {
    const s = new OcclusionStitcher();
    s.ended(bike());
    // 2 s later, 18 m on: it shows again 1 m short of where a constant speed puts it, 0.4 m aside.
    assert.equal(s.takeOver(12_000, [-4.85, 7])?.id, 7);
    assert.equal(s.takeOver(12_000, [-4.85, 7]), undefined, 'taken once');
  });

  it('leaves a track alone that starts in the next lane, behind it, or after it is forgotten', () => {
    const s = new OcclusionStitcher(3000);
    s.ended(bike());
    assert.equal(s.takeOver(12_000, [-1.75, 6]), undefined, 'next lane');
    assert.equal(s.takeOver(12_000, [-5.25, 20]), undefined, 'where it was, not where it went');
    assert.equal(s.takeOver(13_500, [-5.25, -7.5]), undefined, 'forgotten after 3 s');
  });

  it('does not carry a vehicle that was standing when it vanished', () => {
    const s = new OcclusionStitcher();
    s.ended(bike({ velocity: { vx: 0, vz: -0.3 } }));
    assert.equal(s.takeOver(11_000, [-5.25, 24]), undefined);
  });

  it('picks the nearest of two hidden vehicles', () => {
    const s = new OcclusionStitcher();
    s.ended(bike());
    s.ended(bike({ id: 8, ground: [-5.25, 27] }));
    assert.equal(s.takeOver(11_000, [-5.25, 17.6])?.id, 8);
    assert.equal(s.takeOver(11_000, [-5.25, 15.2])?.id, 7);
  });

  it('hands over the vehicle that matched when an older one is forgotten in the same call', () => {
    // Found in the lane plugin: the old list index of the match pointed at another vehicle once the
    // expired one before it was removed, so a track far up the road took over a motorbike at the kerb.
    const s = new OcclusionStitcher(3000);
    s.ended(bike({ id: 1, t: 6_000 }));
    s.ended(bike({ id: 2, t: 10_000, ground: [3.9, 33.8], velocity: { vx: 1.2, vz: 10 } }));
    s.ended(bike({ id: 3, t: 11_200, ground: [-5, 10], velocity: { vx: 0, vz: -8 } }));
    assert.equal(s.takeOver(11_600, [5.3, 51.1])?.id, 2);
    assert.equal(s.takeOver(11_600, [-5, 6.8])?.id, 3);
  });

  it('takes back a vehicle that was only lost', () => {
    const s = new OcclusionStitcher();
    s.ended(bike());
    s.withdraw(7);
    assert.equal(s.takeOver(12_000, [-4.85, 7]), undefined);
  });
});
