import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Point, Vehicle } from '../sdk/index.js';
import { RedLightJudge, type RedCrossing } from './judge.js';
import type { SignalState } from './signal.js';

// A 640x360 picture: the stop line along row 160 from x 300 to 640, the junction rows 60-120 above it.
const LINE = { from: [300, 160] as Point, to: [640, 160] as Point };
const JUNCTION: Point[] = [[200, 60], [640, 60], [640, 120], [200, 120]];
const OPTS = { graceMs: 500, afterMs: 1000, bandPx: 3.6, height: 360 };
/** Row of the horizon: box edges of a vehicle driving away scale towards it. */
const HORIZON = -50;

/** A vehicle driving away whose box bottom is at `bottom`: its top follows in perspective, its ground Z grows with height in the image. */
function car(id: number, x: number, bottom: number, t: number, opts: { top?: number; h?: number } = {}): Vehicle {
  const h = opts.h ?? 0.35 * (bottom - HORIZON);
  const top = opts.top ?? bottom - h;
  const z = 2000 / (bottom - HORIZON);
  return {
    id, cls: 'car', confirmed: true, box: { x: x - 25, y: top, w: 50, h: bottom - top }, foot: [x, bottom], ground: [2, z],
    history: [], firstSeenMs: 0, lastSeenMs: t, missed: 0, stationaryMs: 0,
  };
}

/** The signal as a function of time (ms): red from `redAt`, green from `greenAt`. */
function lights(redAt: number, greenAt = Infinity): (t: number) => { state: SignalState; since: number } {
  return (t) => (t >= greenAt ? { state: 'green', since: greenAt } : t >= redAt ? { state: 'red', since: redAt } : { state: 'amber', since: redAt - 3000 });
}

/** Feeds one vehicle's box bottoms (one per 100 ms from t = 0) and collects what the judge says. */
function drive(bottoms: number[], signal: (t: number) => { state: SignalState; since: number }, opts: { x?: number; top?: (i: number) => number | undefined; removeAfter?: boolean } = {}) {
  const judge = new RedLightJudge(LINE, JUNCTION, OPTS);
  const seen = { crossed: [] as RedCrossing[], dropped: [] as number[], due: [] as { c: RedCrossing; t: number }[] };
  bottoms.forEach((b, i) => {
    const t = i * 100;
    const r = judge.update(t, [car(7, opts.x ?? 450, b, t, { top: opts.top?.(i) })], signal(t));
    seen.crossed.push(...r.crossed);
    seen.dropped.push(...r.dropped);
    seen.due.push(...r.due.map((c) => ({ c, t })));
  });
  if (opts.removeAfter) {
    const gone = judge.forget([7]);
    seen.dropped.push(...gone.dropped);
    seen.due.push(...gone.due.map((c) => ({ c, t: bottoms.length * 100 })));
    assert.equal(judge.size, 0);
  }
  return seen;
}

/** Box bottoms from `from` to `to` moving `step` pixels a frame. */
function ramp(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let b = from; step < 0 ? b >= to : b <= to; b += step) out.push(b);
  return out;
}

describe('RedLightJudge', () => {
  it('raises a vehicle crossing on red past the grace time once it is in the junction and the after frame is due', () => {
    // Bottom at 250 at t = 0, 20 px a frame: on the line (row 160) at t = 450 ms; red since -2 s.
    const seen = drive([...ramp(250, 50, -20), ...ramp(45, 10, -5)], lights(-2000));
    assert.equal(seen.crossed.length, 1);
    const c = seen.crossed[0]!;
    assert.ok(Math.abs(c.crossedAt - 450) < 1e-6, `crossed at ${c.crossedAt}`);
    assert.equal(c.redForMs, 2450);
    assert.equal(seen.due.length, 1, 'one event');
    assert.equal(seen.due[0]!.t, 1500, 'due at the first frame 1 s after the crossing');
    assert.equal(seen.due[0]!.c.junctionAt, 700, 'first frame with the bottom in the junction (row 110)');
  });

  it('ignores crossings inside the grace time, on amber, and on green', () => {
    const rows = ramp(250, 40, -20); // crosses at 450 ms, in the junction from 700 ms
    assert.equal(drive(rows, lights(0)).crossed.length, 0, '0.45 s into red: inside the grace');
    assert.equal(drive(rows, lights(600)).crossed.length, 0, 'amber, although red by the junction');
    assert.equal(drive(rows, lights(-30_000, -10_000)).crossed.length, 0, 'green');
    assert.equal(drive(rows, lights(-50)).crossed.length, 1, '0.5 s into red: past the grace');
  });

  it('drops a vehicle that stops past the line and moves on only on green', () => {
    const stop = [...ramp(250, 150, -20), ...Array(30).fill(150), ...ramp(150, 40, -20)];
    const seen = drive(stop, lights(-5000, 3000));
    assert.equal(seen.crossed.length, 1);
    assert.deepEqual(seen.dropped, [7]);
    assert.equal(seen.due.length, 0);
  });

  it('still raises one that stops past the line and creeps into the junction while red', () => {
    const creep = [...ramp(250, 150, -20), ...Array(20).fill(150), ...ramp(150, 40, -4)];
    const seen = drive(creep, lights(-5000));
    assert.equal(seen.due.length, 1);
    assert.equal(seen.dropped.length, 0);
  });

  it('drops the candidate when the red it crossed on gives way to a new phase before the junction', () => {
    const seen = drive([...ramp(250, 150, -20), ...Array(10).fill(150), ...ramp(150, 40, -20)], lights(-5000, 1200));
    assert.deepEqual(seen.dropped, [7]);
    assert.equal(seen.due.length, 0);
  });

  it('does not judge a track born past the line, off the drawn segment, or driving the other way', () => {
    assert.equal(drive(ramp(150, 40, -20), lights(-5000)).crossed.length, 0, 'born past the line');
    assert.equal(drive(ramp(250, 40, -20), lights(-5000), { x: 250 }).crossed.length, 0, 'left of the segment');
    assert.equal(drive(ramp(40, 250, 20), lights(-5000)).crossed.length, 0, 'towards the camera');
  });

  it('does not take a box whose bottom rises while its top stays put for a vehicle moving', () => {
    // A car standing with its bottom at 200, then its blob loses its lower part: the bottom climbs
    // past the line into the junction, the top stays at row 112 (the eroding-ghost artefact).
    const bottoms = [...ramp(260, 200, -20), ...Array(20).fill(200), ...ramp(195, 112, -5)];
    const seen = drive(bottoms, lights(-5000), { top: (i) => (i > 3 ? 112 : undefined) });
    assert.equal(seen.crossed.length, 0);
    assert.equal(seen.due.length, 0);
  });

  it('on removal emits a confirmed violation still waiting for its after frame, and drops an unconfirmed one', () => {
    const confirmed = drive(ramp(250, 110, -20), lights(-5000), { removeAfter: true }); // in the junction at 700 ms, gone at 800
    assert.equal(confirmed.due.length, 1);
    assert.equal(confirmed.due[0]!.t, 800);
    const unconfirmed = drive(ramp(250, 140, -20), lights(-5000), { removeAfter: true });
    assert.deepEqual(unconfirmed.dropped, [7]);
    assert.equal(unconfirmed.due.length, 0);
  });
});
