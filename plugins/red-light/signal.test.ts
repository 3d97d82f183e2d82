import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { I420Canvas } from '../../bench/scenes/canvas.js';
import { renderFrame, signalPhase, type SignalPlan, type TrafficScene } from '../../bench/scenes/traffic.js';
import { prng } from '../../core/testing/prng.js';
import type { Frame, Point } from '../sdk/index.js';
import { SignalReader, type LampColour, type SignalState } from './signal.js';

const W = 160;
const H = 120;
const OPTIONS = { rise: 40, chroma: 20, window: 5, minOn: 2, holdMs: 2000 };

/** A small empty road with a signal at the top right, lighting drifting by ±15 %. */
function lampScene(signal: Partial<SignalPlan> = {}): TrafficScene {
  return {
    name: 'lamps', camera: { width: W, height: H, focalPx: 144, heightM: 8, pitchRad: (22 * Math.PI) / 180 }, fps: 10, durationS: 40, seed: 5,
    road: { laneCentres: [1.75], directions: [1], laneWidth: 3.5, nearZ: 6, farZ: 60 }, vehicles: [],
    signal: { at: [140, 16], radius: 5, redS: 20, greenS: 15, amberS: 3, offsetS: 30, ...signal },
    lighting: { amplitude: 0.15, periodS: 20 }, noise: 4,
  };
}

/** The lamps' zones as the scenarios draw them: the square around each disc. */
function lamps(s: SignalPlan): { colour: LampColour; polygon: Point[] }[] {
  return (['red', 'amber', 'green'] as const).map((colour, i) => {
    const [cx, cy, r] = [s.at[0], s.at[1] + i * 2.1 * s.radius, s.radius];
    return { colour, polygon: [[cx - r, cy - r], [cx + r, cy - r], [cx + r, cy + r], [cx - r, cy + r]].map(([x, y]) => [x! / W, y! / H] as Point) };
  });
}

function frameOf(canvas: I420Canvas, t: number): Frame {
  return { cameraId: 'c', pts: 0, capturedAt: t * 1000, seq: 0, width: W, height: H, format: 'i420', y: canvas.y, u: canvas.u, v: canvas.v, strideY: W, strideUV: canvas.cw };
}

/** Plays the scene into a reader: per frame the truth and the reading, and the reader. */
function play(scene: TrafficScene, opts = OPTIONS, occlude?: (t: number) => boolean) {
  const reader = new SignalReader(lamps(scene.signal!), opts);
  const canvas = new I420Canvas(W, H);
  const rand = prng(scene.seed);
  const out: { t: number; truth: SignalState; got: SignalState; since: number; redOn: boolean; redLit: boolean }[] = [];
  for (let i = 0; i < scene.durationS * scene.fps; i++) {
    const t = i / scene.fps;
    renderFrame(scene, i, canvas, rand);
    if (occlude?.(t)) canvas.fillPolygon([[120, 0], [160, 0], [160, 60], [120, 60]], [200, 128, 128]);
    const got = reader.update(frameOf(canvas, t));
    out.push({ t, truth: signalPhase(scene.signal!, t), got, since: reader.since, redOn: reader.lamps[0]!.on, redLit: reader.lamps[0]!.lit });
  }
  return { out, reader };
}

/** Frames whose reading differs from the truth, leaving out the 0.3 s after each change of phase. */
function mistakes(out: ReturnType<typeof play>['out'], s: SignalPlan): typeof out {
  const cycle = s.redS + s.greenS + s.amberS;
  const changes = [0, s.redS, s.redS + s.greenS];
  return out.filter((f) => {
    const p = (((f.t + s.offsetS) % cycle) + cycle) % cycle;
    return f.t > 0.5 && f.got !== f.truth && !changes.some((c) => p >= c && p < c + 0.3);
  });
}

describe('SignalReader', () => {
  for (const [name, plan] of [
    ['plain LED lamps', {}],
    ['lamps flickering in 30 % of frames', { flicker: 0.3 }],
    ['lamps saturating to a white core', { saturate: true }],
    ['saturating and flickering lamps', { saturate: true, flicker: 0.2 }],
  ] as const) {
    it(`reads ${name} frame by frame, through the lighting drift`, () => {
      const scene = lampScene(plan);
      const { out } = play(scene);
      const wrong = mistakes(out, scene.signal!);
      assert.deepEqual(wrong.map((f) => `${f.t.toFixed(1)} ${f.truth}→${f.got}`), []);
      assert.ok(!out.some((f) => f.t > 0.5 && f.got === 'unknown'), 'never unknown');
    });
  }

  it('smooths a flickering lamp: lit in k of the last n frames', () => {
    const scene = lampScene({ flicker: 0.3 });
    const red = play(scene).out.filter((f) => f.truth === 'red' && signalPhase(scene.signal!, f.t - 0.5) === 'red');
    const share = (k: 'redOn' | 'redLit') => red.filter((f) => f[k]).length / red.length;
    assert.ok(share('redOn') < 0.8, `raw reading on in ${share('redOn')}`);
    assert.ok(share('redLit') > 0.97, `smoothed lit in ${share('redLit')}`);
  });

  it("dates each red from the lamp's first lit frame, not from when smoothing confirms it", () => {
    const scene = { ...lampScene({ flicker: 0.2 }), durationS: 50 }; // reds from 8 s and 46 s
    const { out } = play(scene);
    const s = scene.signal!;
    const cycle = s.redS + s.greenS + s.amberS;
    let reds = 0;
    for (let k = 1; k < out.length; k++) {
      if (out[k]!.got !== 'red' || out[k - 1]!.got === 'red') continue;
      const trueStart = Math.ceil((out[k]!.t + s.offsetS - s.redS) / cycle) * cycle - s.offsetS;
      // A flickered-out first frame may push the onset one or two frames later.
      assert.ok(out[k]!.since / 1000 >= trueStart - 1e-6 && out[k]!.since / 1000 <= trueStart + 0.25, `red at ${trueStart} dated ${out[k]!.since / 1000}`);
      reds++;
    }
    assert.ok(reds >= 2);
  });

  it('learns each lamp off-state only while another lamp is the brightest', () => {
    const scene = lampScene();
    const { reader } = play({ ...scene, durationS: 15 }); // red from 8 s to 15 s: red lit at the end
    const [red, amber] = reader.lamps;
    assert.ok(red!.lit && red!.y - red!.offY > 10, `red lit above its off-state: ${red!.y} vs ${red!.offY}`);
    assert.ok(Math.abs(amber!.y - amber!.offY) < 6, `amber at its off-state: ${amber!.y} vs ${amber!.offY}`);
  });

  it('skips frames in which something bright hides the whole signal, and turns unknown if it stays', () => {
    const scene = lampScene();
    // Green from 0 to 5 s; hidden 1-2 s (a truck's side passing) and from 3 s on.
    const { out } = play({ ...scene, durationS: 6 }, OPTIONS, (t) => (t >= 1 && t < 2) || t >= 3);
    assert.ok(out.filter((f) => f.t >= 0.5 && f.t < 5.05).every((f) => f.got === 'green' || f.got === 'unknown'), 'never red nor amber');
    assert.ok(out.filter((f) => f.t >= 0.5 && f.t < 4.9).every((f) => f.got === 'green'), 'held through 1 s of occlusion');
    assert.equal(out.at(-1)!.got, 'unknown', 'unknown 2 s into a long occlusion');
  });

  it("drops to unknown when no lamp has been lit for the hold time, and back when one lights", () => {
    const scene = lampScene({ flicker: 1 }); // every lamp always dark
    const { out } = play({ ...scene, durationS: 4 });
    assert.ok(out.every((f) => f.got === 'unknown'));
    const { out: withHold } = play({ ...lampScene(), durationS: 12 }, { ...OPTIONS, holdMs: 0 });
    assert.ok(!withHold.some((f) => f.t > 0.5 && f.got === 'unknown'), 'a steadily lit signal never needs the hold');
  });
});
