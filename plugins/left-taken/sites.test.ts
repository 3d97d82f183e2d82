import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectedComponents } from '../sdk/index.js';
import { measureRegions, SiteTracker, type Region } from './sites.js';

const W = 20;
const H = 10;

/** A region with a box and onset, for the tracker. */
const region = (x: number, y: number, w: number, h: number, onsetMs = 1000, area = w * h): Region => ({ label: 1, area, box: { x, y, w, h }, onsetMs, visibleShare: 1, spentShare: 0 });

describe('measureRegions', () => {
  it('gives each large enough component its box, median onset and shares of visible and reported cells', () => {
    const mask = new Uint8Array(W * H);
    const onset = new Float64Array(W * H);
    const visible = new Uint8Array(W * H);
    const spent = new Uint8Array(W * H);
    // A 4 × 3 object put down at 5000, two of its cells touched earlier by the owner's foot, one cell
    // the closing filled in (no onset), and three cells covered by a passer-by now.
    for (let y = 2; y < 5; y++) for (let x = 3; x < 7; x++) {
      const p = y * W + x;
      mask[p] = 255;
      onset[p] = 5000;
      visible[p] = 255;
    }
    onset[2 * W + 3] = 3000;
    onset[2 * W + 4] = 3500;
    onset[4 * W + 6] = 0;
    for (const p of [3 * W + 3, 3 * W + 4, 3 * W + 5]) visible[p] = 0;
    spent[2 * W + 3] = 1;
    // A speck of 2 cells.
    mask[8 * W + 15] = mask[8 * W + 16] = 255;
    onset[8 * W + 15] = onset[8 * W + 16] = 9000;
    const cc = new ConnectedComponents(W, H);
    cc.label(mask);
    const regions = measureRegions(cc, onset, visible, spent, 4, new Float64Array(W * H));
    assert.equal(regions.length, 1);
    assert.deepEqual(regions[0], { label: 1, area: 12, box: { x: 3, y: 2, w: 4, h: 3 }, onsetMs: 5000, visibleShare: 9 / 12, spentShare: 1 / 12 });
    assert.equal(measureRegions(cc, onset, visible, spent, 2, new Float64Array(W * H)).length, 2);
  });
});

describe('SiteTracker', () => {
  it('starts a site for a new region, follows it as it changes shape, and drops it when unseen for forgetMs', () => {
    const sites = new SiteTracker(2000);
    const r1 = region(10, 10, 8, 20, 1000);
    assert.equal(sites.update([r1], 4000).created.length, 1);
    const site = sites.sites[0]!;
    // The owner walks away: the region shrinks to the bag (inside the old box), with its own onset.
    const bag = region(12, 24, 6, 5, 1600);
    assert.equal(sites.update([bag], 5000).created.length, 0);
    assert.equal(site.region, bag);
    assert.equal(site.onsetMs, 1600);
    assert.deepEqual(site.box, bag.box);
    assert.equal(sites.update([], 6000).dropped.length, 0);
    assert.equal(site.region, undefined);
    assert.equal(sites.update([], 7001).dropped[0], site);
    assert.equal(sites.sites.length, 0);
  });

  it('keeps pieces of one object on its site rather than starting new ones', () => {
    const sites = new SiteTracker(2000);
    sites.update([region(10, 10, 10, 6)], 1000);
    const { created } = sites.update([region(10, 10, 6, 6, 1000, 30), region(17, 11, 3, 4, 1000, 10)], 1200);
    assert.equal(created.length, 0);
    assert.equal(sites.sites.length, 1);
    assert.deepEqual(sites.sites[0]!.box, { x: 10, y: 10, w: 6, h: 6 });
    // Two pieces that appear in the same frame, two cells apart (a bag taken, and the patch its shadow
    // left), make one site; a region farther away is a site of its own.
    const more = sites.update([region(10, 10, 6, 6), region(40, 10, 6, 5, 1000, 30), region(48, 12, 3, 3, 1000, 9), region(60, 10, 4, 4)], 1400);
    assert.deepEqual(more.created.map((s) => s.box.x), [40, 60]);
  });

  it('keeps a site on its own object when a larger region of a passer-by overlaps it', () => {
    const sites = new SiteTracker(2000);
    sites.update([region(10, 10, 6, 4, 1000), region(20, 3, 5, 14, 1500)], 1000);
    const bagSite = sites.sites.find((s) => s.box.x === 10);
    const personSite = sites.sites.find((s) => s.box.x === 20);
    // The passer-by's region now reaches over the bag; the bag is its own region still.
    const bag = region(10, 10, 6, 4, 1000);
    const person = region(9, 3, 16, 16, 1500, 150);
    sites.update([person, bag], 1200);
    assert.equal(bagSite!.region, bag);
    assert.equal(personSite!.region, person);
  });

  it('keeps a reported site where it was reported, and finds the unreported pieces beside it', () => {
    const sites = new SiteTracker(2000);
    // Found apart (three cells between them), then the bag's region grows to within a cell of the other.
    sites.update([region(10, 10, 6, 6), region(19, 12, 3, 3), region(40, 10, 4, 4)], 800);
    assert.equal(sites.sites.length, 3);
    sites.update([region(10, 10, 8, 6), region(19, 12, 3, 3), region(40, 10, 4, 4)], 1000);
    const [bag] = sites.sites.filter((s) => s.box.x === 10);
    assert.deepEqual(sites.piecesOf(bag!).map((s) => s.box.x), [19]);
    bag!.reported = 'removed';
    // A passer-by's region swallows it: the site takes the region, but its box stays.
    sites.update([region(6, 4, 16, 20, 9000), region(19, 12, 3, 3), region(40, 10, 4, 4)], 1200);
    assert.deepEqual(bag!.box, { x: 10, y: 10, w: 8, h: 6 });
    assert.equal(bag!.onsetMs, 1000);
  });

  it('says when a site overlaps one already reported', () => {
    const sites = new SiteTracker(2000);
    sites.update([region(10, 10, 8, 6)], 1000);
    sites.sites[0]!.reported = 'left';
    // Another region appears away from it: a new site...
    sites.update([region(10, 10, 8, 6), region(30, 10, 4, 4)], 1200);
    assert.equal(sites.sites.length, 2);
    assert.equal(sites.overlapsReported(sites.sites[1]!), false);
    // ...that grows to within two cells of the reported one: a piece of it.
    sites.update([region(10, 10, 8, 6), region(20, 10, 14, 4)], 1400);
    assert.equal(sites.overlapsReported(sites.sites[1]!), true);
    assert.equal(sites.overlapsReported(sites.sites[0]!), false);
  });
});
