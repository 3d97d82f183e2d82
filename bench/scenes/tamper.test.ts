import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prng } from '../../core/testing/prng.js';
import { I420Canvas } from './canvas.js';
import { lensStrength, type LensElement, type LensSpec } from './elements/lens.js';
import { playInProcess, scoreEvents } from './play.js';
import { renderFrame, type TrafficScene } from './traffic.js';
import { CLEAR_S, PERSIST_S, quickScenarios, scenarios, TAMPER_TYPES } from './tamper.js';

const all = scenarios();
const lensesOf = (scene: TrafficScene) => (scene.elements ?? []).filter((e): e is LensElement => e.kind === 'lens');
const TAMPER = new Set(['cover', 'torch', 'defocus', 'move']);

/** Luma of frame `t` (s) of a scene (rendered from the start of its random stream: the picture, not the noise, matters here). */
function luma(scene: TrafficScene, t: number): Uint8Array {
  const c = new I420Canvas(scene.camera.width, scene.camera.height);
  renderFrame(scene, Math.round(t * scene.fps), c, prng(1));
  return c.y.slice();
}

function stats(y: Uint8Array, w: number): { mean: number; std: number; energy: number; saturated: number } {
  let s = 0;
  let s2 = 0;
  let e = 0;
  let sat = 0;
  for (let i = 0; i < y.length; i++) {
    s += y[i]!;
    s2 += y[i]! ** 2;
    if (i % w < w - 1) e += (y[i + 1]! - y[i]!) ** 2;
    if (y[i]! >= 235) sat++;
  }
  const mean = s / y.length;
  return { mean, std: Math.sqrt(s2 / y.length - mean * mean), energy: e / y.length, saturated: sat / y.length };
}

describe('tamper scenarios', () => {
  it('has every kind of tamper, some put right again, and quiet scenes of over 10 minutes', () => {
    const types = new Set(all.flatMap((s) => s.events.map((e) => e.type)));
    for (const t of TAMPER_TYPES) assert.ok(types.has(t), t);
    const quiet = all.filter((s) => s.events.length === 0);
    assert.ok(quiet.length >= 4);
    assert.ok(quiet.every((s) => s.scoredTypes.length > 0 && lensesOf(s.scene).every((e) => !TAMPER.has(e.effect))));
    assert.ok(quiet.reduce((a, s) => a + s.scene.durationS, 0) >= 600);
    for (const q of quickScenarios()) assert.ok(q.scene.durationS <= 30 && q.scene.fps === 10 && q.events.length > 0, q.name);
  });

  it('keeps scenes plain data (the fingerprint hashes them)', () => {
    for (const s of [...all, ...quickScenarios()]) assert.deepEqual(JSON.parse(JSON.stringify(s.scene)), s.scene);
  });

  it('expects each tamper persistS after it is half on, and camera-restored clearS after it is half off', () => {
    for (const s of [...all, ...quickScenarios()]) {
      const want: [string, number][] = [];
      const names: Record<string, string> = { cover: 'camera-covered', torch: 'camera-blinded', defocus: 'camera-defocused', move: 'camera-moved' };
      const tampers = lensesOf(s.scene).filter((e) => TAMPER.has(e.effect)).sort((a, b) => a.fromS - b.fromS);
      for (const e of tampers) {
        const ramp = e.rampS ?? 0.4;
        assert.ok(ramp <= 1, 'the onset is defined to within ±0.5 s');
        // Half on at fromS + ramp / 2, by the element's own strength curve.
        assert.ok(Math.abs(lensStrength(e, e.fromS + ramp / 2) - 0.5) < 1e-9);
        want.push([names[e.effect]!, e.fromS + ramp / 2 + PERSIST_S]);
        if (e.untilS !== undefined) {
          assert.ok(e.untilS - e.fromS >= PERSIST_S + 3, `${s.name}: the tamper lasts well past persistS`);
          want.push(['camera-restored', e.untilS + ramp / 2 + CLEAR_S]);
        }
      }
      // One tamper at a time, with a normal stretch between them well past clearS.
      for (let i = 1; i < tampers.length; i++) assert.ok(tampers[i]!.fromS - (tampers[i - 1]!.untilS ?? Infinity) >= CLEAR_S + 5, s.name);
      const got = s.events.map((e) => [e.type, e.timeS] as [string, number]);
      assert.deepEqual(got, want.filter(([, t]) => t <= s.scene.durationS - 1).sort((a, b) => a[1] - b[1]), s.name);
    }
  });

  it('draws each lens effect as the thing it stands for', () => {
    const quick = quickScenarios()[0]!.scene;
    const w = quick.camera.width;
    const plain = stats(luma(quick, 5), w);
    const with_ = (e: LensSpec) => stats(luma({ ...quick, elements: [...(quick.elements ?? []).filter((x) => x.kind !== 'lens'), { kind: 'lens', id: 1, ...e }] }, 5), w);
    const cover = with_({ effect: 'cover', fromS: 1, colour: [60, 115, 150], leak: 'left' });
    // The light leaking in at the left edge is a smooth ramp: contrast, but no edges.
    assert.ok(cover.energy < plain.energy / 3 && cover.mean < plain.mean, 'a cover darkens and flattens the picture');
    const torch = with_({ effect: 'torch', fromS: 1, at: [0.5, 0.5], radius: 0.15, colour: [210, 110, 150] });
    assert.ok(torch.saturated > 0.15 && torch.mean > plain.mean + 40, 'a torch saturates and lifts');
    const soft = with_({ effect: 'defocus', fromS: 1, blur: 0.01 });
    assert.ok(soft.energy < plain.energy / 2 && Math.abs(soft.mean - plain.mean) < 3, 'a blur keeps the light, loses the edges');
    const dim = with_({ effect: 'gain', fromS: 1, gain: 0.5 });
    assert.ok(Math.abs(dim.mean - (16 + (plain.mean - 16) * 0.5)) < 2, 'an exposure step scales luma');
    const before = with_({ effect: 'gain', fromS: 9, gain: 0.5 });
    assert.ok(Math.abs(before.mean - plain.mean) < 1e-9, 'nothing happens before fromS');
  });

  it('turns the camera: the picture moves by focal × tan(yaw) pixels', () => {
    const quick = quickScenarios()[0]!.scene;
    const scene: TrafficScene = { ...quick, noise: 0, elements: (quick.elements ?? []).filter((e) => e.kind !== 'lens') };
    const yawDeg = 3;
    const a = luma(scene, 5);
    const b = luma({ ...scene, elements: [...scene.elements!, { kind: 'lens', id: 1, effect: 'move', fromS: 1, yawDeg, pitchDeg: 0, noise: 0 }] }, 5);
    const { width: w, height: h, focalPx } = scene.camera;
    // The best horizontal shift of the middle rows (where a small yaw moves everything almost alike).
    let best = 0;
    let bestErr = Infinity;
    for (let d = -60; d <= 60; d++) {
      let err = 0;
      for (let y = h / 2 - 20; y < h / 2 + 20; y++) for (let x = 80; x < w - 80; x++) err += Math.abs(b[y * w + x]! - a[y * w + x + d]!);
      if (err < bestErr) [best, bestErr] = [d, err];
    }
    assert.ok(Math.abs(best - focalPx * Math.tan((yawDeg * Math.PI) / 180)) <= 2, `shift ${best}`);
  });

  it('plays the quick cover scene: covered on time, restored on time, nothing else', async () => {
    const sc = quickScenarios()[0]!;
    const played = await playInProcess(sc);
    const score = scoreEvents(sc.events, played.events, sc.scoredTypes);
    assert.equal(score.tp, sc.events.length, JSON.stringify(played.events.map((e) => [e.type, e.timeS])));
    assert.equal(score.fp, 0);
    const covered = played.events.find((e) => e.type === 'camera-covered')!;
    assert.equal(covered.snapshot, true);
    assert.deepEqual(covered.evidence, ['before', 'at']);
  });
});
