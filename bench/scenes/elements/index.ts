/**
 * Scene elements beyond the road and its vehicles, for the public-safety scenes: people, objects on
 * the ground, smoke, flames, water against a gauge, weather, and what can happen to the lens. Each
 * kind lives in its own module (data type + draw function); a TrafficScene lists its elements in
 * `elements`, as plain data, so the scene's fingerprint covers them.
 *
 * renderFrame draws the elements by layer, in this order:
 *   'ground'  after the road, before the vehicles: water on the road, a gauge post, objects on the ground;
 *   'upright' after the vehicles: people (far to near, so nearer ones cover farther ones);
 *   'air'     after the signal, before the exposure: smoke, flames, fog;
 *   'lens'    after the exposure and sensor noise: a hand over the lens, a torch, defocus, a knocked camera.
 * Elements that have a place in the scene report it in the frame's truth (`FrameTruth.objects`).
 */
import type { PinholeCamera } from '../camera.js';
import type { I420Canvas } from '../canvas.js';
import { drawPerson, personVisible, type PersonElement } from './person.js';
import { drawProp, type PropElement } from './prop.js';
import { drawSmoke, type SmokeElement } from './smoke.js';
import { drawFire, type FireElement } from './fire.js';
import { drawLamps, type LampsElement } from './lamps.js';
import { drawWeather, type WeatherElement } from './weather.js';
import { drawLens, type LensElement } from './lens.js';
import { drawWater, type WaterElement } from './water.js';

export type { PersonElement } from './person.js';
export type { PropElement } from './prop.js';
export type { SmokeElement } from './smoke.js';
export type { FireElement } from './fire.js';
export type { LampsElement } from './lamps.js';
export type { WeatherElement } from './weather.js';
export type { LensElement } from './lens.js';
export type { WaterElement } from './water.js';

/** Every kind of scene element. */
export type SceneElement = PersonElement | PropElement | LensElement | WaterElement | SmokeElement | FireElement | LampsElement | WeatherElement;

/** When in the frame an element is drawn (see the file comment). */
export type ElementLayer = 'ground' | 'upright' | 'air' | 'lens';

/** One element with a place in one frame: what it is and where the camera sees it. */
export interface ObjectTruth {
  /** The element's id (unique among the scene's elements). */
  id: number;
  /** 'person', or the prop's kind ('bag', 'box', …). */
  kind: string;
  /** Image box [x, y, w, h] in pixels, clipped to the frame. */
  box: [number, number, number, number];
  /** Ground position [X, Z] of its foot, metres. */
  ground: [number, number];
}

/** What a draw function gets: the frame's time, the camera, the canvas, the scene's random stream. */
export interface DrawContext {
  t: number;
  camera: PinholeCamera;
  canvas: I420Canvas;
  rand: () => number;
  /** Where elements with a place in the scene add their truth. */
  objects: ObjectTruth[];
}

/** The layer an element is drawn in. */
export function layerOf(e: SceneElement): ElementLayer {
  switch (e.kind) {
    case 'person':
      return 'upright';
    case 'smoke':
    case 'fire':
    case 'lamps':
    case 'weather':
      return 'air';
    case 'lens':
      return 'lens';
    case 'prop':
    case 'water':
      return 'ground';
  }
}

/** Draws the scene's elements of one layer. */
export function drawElements(elements: readonly SceneElement[] | undefined, layer: ElementLayer, ctx: DrawContext): void {
  if (!elements) return;
  if (layer === 'upright') {
    // People far to near.
    const people = elements.filter((e): e is PersonElement => e.kind === 'person')
      .map((p) => ({ p, at: personVisible(p, ctx.t) }))
      .filter((x): x is { p: PersonElement; at: [number, number] } => x.at !== undefined)
      .sort((a, b) => b.at[1] - a.at[1]);
    for (const { p, at } of people) drawPerson(p, at, ctx);
    return;
  }
  for (const e of elements) {
    if (layerOf(e) !== layer) continue;
    switch (e.kind) {
      case 'prop':
        drawProp(e, ctx);
        break;
      case 'smoke':
        drawSmoke(e, ctx);
        break;
      case 'fire':
        drawFire(e, ctx);
        break;
      case 'lamps':
        drawLamps(e, ctx);
        break;
      case 'weather':
        drawWeather(e, ctx);
        break;
      case 'lens':
        drawLens(e, ctx);
        break;
      case 'water':
        drawWater(e, ctx);
        break;
      case 'person':
        break;
    }
  }
}
