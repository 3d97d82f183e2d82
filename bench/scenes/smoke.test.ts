import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pointInPolygon } from '../../plugins/sdk/index.js';
import { I420Canvas } from './canvas.js';
import { smokeCoverage, type SmokeElement } from './elements/smoke.js';
import { drawWeather } from './elements/weather.js';
import { playInProcess, scoreEvents } from './play.js';
import { imagePoint } from './scenario.js';
import { NOTICEABLE_ALPHA, plumeVisibleAt, quickScenarios, scenarios, SMOKE } from './smoke.js';
import { streetScene } from './street.js';

const all = scenarios();
const plumesOf = (sc: (typeof all)[number]) => (sc.scene.elements ?? []).filter((e): e is SmokeElement => e.kind === 'smoke');

describe('smoke scenarios', () => {
  it('has plume scenes and quiet scenes of at least 5 minutes in all, covering fog, clouds, exposure and busy streets', () => {
    const quiet = all.filter((s) => s.events.length === 0);
    assert.ok(all.filter((s) => s.events.length > 0).length >= 5);
    assert.ok(quiet.reduce((a, s) => a + s.scene.durationS, 0) >= 300);
    for (const s of quiet) assert.equal(plumesOf(s).length, 0, s.name);
    const weather = quiet.flatMap((s) => s.scene.elements ?? []).filter((e) => e.kind === 'weather');
    assert.ok(weather.some((e) => e.kind === 'weather' && e.fog));
    assert.ok(weather.some((e) => e.kind === 'weather' && e.clouds));
    assert.ok(quiet.some((s) => (s.scene.lighting?.amplitude ?? 0) >= 0.2));
    assert.ok(new Set(all.map((s) => s.name)).size === all.length);
  });

  it('cloud shadows darken a surface as a camera sees it: chroma\'s distance from neutral scales with luma above black', () => {
    // Guards the false smoke of smoke-quiet-clouds-2: shadows used to darken luma alone, leaving
    // chroma as it was, which no camera does and which the smoke plugin's chroma cue misread.
    const camera = streetScene({ name: 'clouds-test', width: 320, height: 180 }).camera;
    const canvas = new I420Canvas(320, 180);
    canvas.fill([110, 100, 150]);
    drawWeather({ kind: 'weather', id: 1, clouds: { count: 14, seed: 2, sizeM: 20, speedMps: 3, darkness: 0.45 } }, { t: 10, camera, canvas, rand: () => 0.5, objects: [] });
    let shaded = 0;
    for (let r = 0; r < 90; r++) {
      for (let c = 0; c < 160; c++) {
        const y = canvas.y[2 * r * 320 + 2 * c]!;
        if (y > 100) continue;
        shaded++;
        const k = (y - 16) / (110 - 16);
        assert.ok(Math.abs(canvas.u[r * 160 + c]! - (128 - 28 * k)) <= 2.5, `U at ${c},${r}: ${canvas.u[r * 160 + c]} for light ${k.toFixed(2)}`);
        assert.ok(Math.abs(canvas.v[r * 160 + c]! - (128 + 22 * k)) <= 2.5, `V at ${c},${r}: ${canvas.v[r * 160 + c]} for light ${k.toFixed(2)}`);
      }
    }
    assert.ok(shaded > 500, `shaded samples ${shaded}`);
  });

  it('expects each watched plume once, persistS after its plume first covers minArea at the noticeable opacity', () => {
    for (const sc of all.filter((s) => s.events.length > 0)) {
      const watched = sc.plugins.smoke!.zones ? plumesOf(sc).slice(0, 1) : plumesOf(sc);
      assert.equal(sc.events.length, watched.length, sc.name);
      const e = sc.events[0]!;
      const p = watched[0]!;
      const need = SMOKE.minArea * sc.scene.camera.width * sc.scene.camera.height;
      const visible = e.timeS - SMOKE.persistS;
      assert.ok(visible > p.startS, `${sc.name}: visible after the plume starts`);
      assert.ok(smokeCoverage(p, sc.scene.camera, visible + 0.05, NOTICEABLE_ALPHA) >= need, `${sc.name}: covers minArea then`);
      assert.ok(smokeCoverage(p, sc.scene.camera, visible - 0.2, NOTICEABLE_ALPHA) < need, `${sc.name}: not before`);
      assert.ok(e.toleranceS! >= 1 && e.toleranceS! <= 5);
    }
  });

  it('the plume grows in view: its noticeable coverage 6 s after it is visible is at least 1.5 times what it was', () => {
    for (const sc of all.filter((s) => s.events.length > 0)) {
      const p = plumesOf(sc)[0]!;
      const at = plumeVisibleAt(sc.scene, p)!;
      assert.ok(smokeCoverage(p, sc.scene.camera, at + 6, NOTICEABLE_ALPHA) >= 1.5 * smokeCoverage(p, sc.scene.camera, at, NOTICEABLE_ALPHA), sc.name);
    }
  });

  it('in the zone scene, the watched plume rises inside the zone and the other one outside it', () => {
    const sc = all.find((s) => s.plugins.smoke!.zones)!;
    const zone = Object.values(sc.plugins.smoke!.zones!)[0]!;
    const [inside, outside] = plumesOf(sc);
    assert.ok(pointInPolygon(imagePoint(sc.scene, inside!.x, inside!.z), zone));
    assert.ok(!pointInPolygon(imagePoint(sc.scene, outside!.x, outside!.z), zone));
  });

  it('quick scenarios are short, at 10 fps', () => {
    for (const sc of quickScenarios()) {
      assert.ok(sc.scene.durationS <= 30 && sc.scene.fps === 10);
      assert.equal(sc.events.length, 1);
    }
  });

  it('plays the quick scenario: the plugin raises the expected smoke event and nothing else', async () => {
    const sc = quickScenarios()[0]!;
    const r = await playInProcess(sc);
    const score = scoreEvents(sc.events, r.events, sc.scoredTypes);
    assert.equal(score.tp, 1, JSON.stringify(r.events));
    assert.equal(score.fp, 0, JSON.stringify(r.events));
  });
});
