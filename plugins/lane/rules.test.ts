import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroundPlane, type Point } from '../sdk/index.js';
import { configSchema, type LaneConfig } from './config.js';
import { buildLanes, laneAcross, laneIndexAt, TrackLog, type Lane } from './lanes.js';
import { SolidLineRule, WeavingRule } from './motion.js';
import { SpeedingRule, WrongLaneRule, WrongWayRule, type Finding, type LaneRule } from './rules.js';

// A road seen from straight above: image x 0..1 is ground X -10..10 m, image y 1..0 is Z 0..100 m.
// Lanes (X): 'down' -7..0 (traffic towards Z = 0), 'up' 0..3.5, 'bikes' 3.5..7 (motorbikes only, 40 km/h).
const toImage = (x: number, z: number): Point => [(x + 10) / 20, 1 - z / 100];
const rect = (x0: number, x1: number): Point[] => [toImage(x0, 0), toImage(x1, 0), toImage(x1, 100), toImage(x0, 100)];
const config: LaneConfig = configSchema.parse({
  ground: [[-10, 0], [10, 0], [10, 100], [-10, 100]].map(([x, z]) => ({ image: toImage(x!, z!), ground: [x, z] })),
  lanes: {
    down: { direction: [toImage(-3.5, 60), toImage(-3.5, 40)], speedLimitKmh: 50 },
    up: { direction: [toImage(1.75, 40), toImage(1.75, 60)], allowedClasses: ['car', 'truck', 'bus'], speedLimitKmh: 50 },
    bikes: { direction: [toImage(5.25, 40), toImage(5.25, 60)], allowedClasses: ['motorbike'], speedLimitKmh: 40 },
  },
});
const zones = { down: rect(-7, 0), up: rect(0, 3.5), bikes: rect(3.5, 7) };
const plane = GroundPlane.fromReferencePoints(config.ground!);
const lanes: Lane[] = buildLanes(config, zones, plane, 'test');
const lines = { centre: { from: toImage(0, 10), to: toImage(0, 90) }, bike: { from: toImage(3.5, 10), to: toImage(3.5, 90) } };

/**
 * Drives one vehicle through `rule` at 5 fps along `path(t)` (ground metres, t in s) with per-update
 * classes `cls(t)`, missing the updates where `missed(t)`, and returns the first finding with its time.
 */
function drive(rule: LaneRule, path: (t: number) => [number, number], seconds: number, cls: (t: number) => string = () => 'car',
  missed: (t: number) => boolean = () => false): { at: number; f: Finding } | undefined {
  const log = new TrackLog(1);
  for (let k = 0; k * 0.2 <= seconds + 1e-9; k++) {
    const t = k * 0.2;
    if (missed(t)) continue;
    const g = path(t);
    const before = path(Math.max(0, t - 1));
    const dt = Math.min(1, t) || 1;
    const foot = toImage(g[0], g[1]);
    log.push({ t: t * 1000, g, lane: laneIndexAt(lanes, foot), foot, box: [foot[0] - 0.01, foot[1] - 0.02, 0.02, 0.02] }, cls(t), 5,
      t > 0 ? [(g[0] - before[0]) / dt, (g[1] - before[1]) / dt] : undefined);
    const f = rule.check(log, lanes);
    if (f) return { at: Math.round(t * 10) / 10, f };
  }
  return undefined;
}

const straight = (x: number, z0: number, kmh: number) => (t: number): [number, number] => [x, z0 + (kmh / 3.6) * t];

describe('lane rules', () => {
  it('wrong way: against the lane for minUpdates and minMetres, not while overtaking', () => {
    // 36 km/h (10 m/s) up the 'down' lane: 10 m after 1 s, the 6th update.
    const r = drive(new WrongWayRule(config.wrongWay), straight(-3.5, 20, 36), 8);
    assert.equal(r?.at, 1);
    assert.equal(r.f.severity, 'critical');
    assert.equal(r.f.attributes.lane, 'down');
    assert.equal(drive(new WrongWayRule(config.wrongWay), straight(-3.5, 80, -36), 6), undefined, 'with the traffic');
    // Up its own lane, then out into the 'down' lane to overtake: not wrong way.
    const overtake = (t: number): [number, number] => [t < 2 ? 1.75 : Math.max(-1.75, 1.75 - 3.5 * (t - 2)), 20 + 10 * t];
    assert.equal(drive(new WrongWayRule(config.wrongWay), overtake, 6), undefined);
    // Already out in the 'up' lane when it comes into the zones (from Z 110, beyond them): its last
    // update before was in the 'down' strip, going with that traffic, so it is overtaking too.
    const pulledOut = (t: number): [number, number] => { const z = 110 - 10 * t; return [z > 100 ? -1.75 : 1.2, z]; };
    assert.equal(drive(new WrongWayRule(config.wrongWay), pulledOut, 6), undefined);
    // Coming into the 'up' lane the same way from its own strip is wrong way.
    assert.equal(drive(new WrongWayRule(config.wrongWay), straight(1.75, 110, -36), 6)?.f.attributes.lane, 'up');
  });

  it('lane strips: beyond the polygons a ground point is placed by its position across the road', () => {
    assert.deepEqual(lanes.map((l) => l.band.map((x) => Math.round(Math.abs(x) * 10) / 10).sort((a, b) => a - b)), [[0, 7], [0, 3.5], [3.5, 7]]);
    assert.equal(laneAcross(lanes, [-1.75, 130]), 0);
    assert.equal(laneAcross(lanes, [1.75, -20]), 1);
    assert.equal(laneAcross(lanes, [5, 300]), 2);
    assert.equal(laneAcross(lanes, [12, 50]), -1, 'off the road');
  });

  it('wrong lane: a class the lane does not allow for minSeconds and minMetres, by majority of recent classes', () => {
    const r = drive(new WrongLaneRule(config.wrongLane), straight(5.25, 10, 36), 6, () => 'truck');
    assert.equal(r?.at, 2);
    assert.deepEqual(r.f.attributes.allowed, ['motorbike']);
    // A motorbike misclassified as a car once in a while is still a motorbike.
    const flicker = (t: number) => (Math.round(t * 5) % 4 === 0 ? 'car' : 'motorbike');
    assert.equal(drive(new WrongLaneRule(config.wrongLane), straight(5.25, 10, 36), 6, flicker), undefined);
    // Too slow for minMetres within the time: 2 m/s makes 10 m at 5 s.
    assert.equal(drive(new WrongLaneRule(config.wrongLane), straight(5.25, 10, 7.2), 6, () => 'truck')?.at, 5);
  });

  it('speeding: the section speed over minDistanceM above limit + tolerance, steady against a jumped box', () => {
    const r = drive(new SpeedingRule(config.speeding), straight(1.75, 10, 72), 5);
    assert.equal(r?.at, 0.8, '15 m at 20 m/s');
    assert.ok(Math.abs(Number(r.f.attributes.speedKmh) - 72) < 0.5);
    assert.equal(drive(new SpeedingRule(config.speeding), straight(1.75, 10, 54), 8), undefined, 'within the tolerance');
    assert.equal(drive(new SpeedingRule(config.speeding), straight(5.25, 10, 50), 8)?.f.attributes.limit, 40, "the bike lane's limit");
    // 36 km/h with the foot jumping 8 m ahead at 2 s (the box lost its lower half) and staying there.
    const jump = (t: number): [number, number] => [1.75, 10 + 10 * t + (t >= 2 ? 8 : 0)];
    assert.equal(drive(new SpeedingRule(config.speeding), jump, 6), undefined);
  });

  it('solid line: from beyond the band on one side to the other, once', () => {
    const change = (t: number): [number, number] => [1.75 + Math.min(3.5, Math.max(0, t - 2) * 1.5), 20 + 10 * t];
    const r = drive(new SolidLineRule(config, lines, plane, 'test'), change, 6);
    // x passes 3.5 + 0.3 at t = 2 + 2.05 / 1.5 = 3.37: the update at 3.4.
    assert.equal(r?.at, 3.4);
    assert.deepEqual([r.f.attributes.line, r.f.attributes.fromLane, r.f.attributes.lane], ['bike', 'up', 'bikes']);
    const drift = (t: number): [number, number] => [3.3 + 0.15 * Math.sin(t * 3), 20 + 10 * t];
    assert.equal(drive(new SolidLineRule(config, lines, plane, 'test'), drift, 6), undefined, 'wandering inside the band');
    // Not seen crossing: the updates from 2.5 to 3.9 s are missed (a track coasting may pick up another vehicle).
    assert.equal(drive(new SolidLineRule(config, lines, plane, 'test'), change, 6, undefined, (t) => t > 2.5 && t < 3.9), undefined);
    assert.equal(drive(new SolidLineRule(config, lines, plane, 'test'), change, 6, undefined, (t) => t > 2.5 && t < 3.1)?.at, 3.4, 'updates missed before it do not matter');
  });

  it('weaving: reversals of minSwingM within windowS; a lane change or one out-and-back is not', () => {
    // Swings of 2.4 m every second with turns at 0.6, 1.6 and 2.6 s, each confirmed 1 m later (0.6 s).
    const tri = (u: number) => Math.asin(Math.sin(Math.PI * u)) * (2 / Math.PI);
    const weave = (t: number): [number, number] => [-3.5 + 1.2 * tri(t - 0.1), 10 + 8 * t];
    const r = drive(new WeavingRule(config.weaving), weave, 8);
    assert.equal(r?.at, 3.2);
    assert.equal(r.f.attributes.reversals, 3);
    const changeOnce = (t: number): [number, number] => [-1.75 - Math.min(3.5, Math.max(0, t - 1) * 1.2), 10 + 8 * t];
    assert.equal(drive(new WeavingRule(config.weaving), changeOnce, 8), undefined);
    const outAndBack = (t: number): [number, number] => [-1.75 - 3.5 * Math.max(0, Math.sin(Math.min(Math.PI, t / 2))), 10 + 8 * t];
    assert.equal(drive(new WeavingRule(config.weaving), outAndBack, 8), undefined);
  });
});
