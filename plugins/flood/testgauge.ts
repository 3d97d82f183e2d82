/**
 * Hand-built gauge frames for the flood tests: a board of black and white bands with ticks, standing
 * in water with ripples and a weak reflection, plus sensor noise from a seeded stream.
 */
import { prng } from '../../core/testing/prng.js';

/** A gray frame W × H with the board in columns [BOARD_X0, BOARD_X1) and rows [BOARD_TOP, BOARD_BOTTOM). */
export const W = 64;
export const H = 160;
export const BOARD_X0 = 20;
export const BOARD_X1 = 44;
export const BOARD_TOP = 10;
export const BOARD_BOTTOM = 150;
/** Rows per painted band (a marking period is two bands). */
export const BAND = 5;

/** The board's zone, normalised (its columns, all its rows). */
export const BOARD_ZONE: [number, number][] = [[BOARD_X0 / W, BOARD_TOP / H], [BOARD_X1 / W, BOARD_TOP / H], [BOARD_X1 / W, BOARD_BOTTOM / H], [BOARD_X0 / W, BOARD_BOTTOM / H]];

/**
 * Draws the gauge with the water's surface at row `waterRow` (rows from it down are water) into a
 * new luma plane: `gain` scales everything (lighting), `noise` is the sensor noise amplitude.
 */
export function gaugeFrame(waterRow: number, o: { gain?: number; noise?: number; seed?: number; t?: number } = {}): Uint8Array {
  const { gain = 1, noise = 4, seed = 1, t = 0 } = o;
  const rand = prng(seed);
  const y = new Uint8Array(W * H);
  const board = (r: number, x: number): number => {
    const band = Math.floor((r - BOARD_TOP) / BAND);
    const split = BOARD_X0 + Math.round(0.55 * (BOARD_X1 - BOARD_X0));
    if (x < split) return band % 2 === 0 ? 35 : 210;
    return (r - BOARD_TOP) % (2 * BAND) === 0 || (x > split + 4 && x < split + 8 && (r - BOARD_TOP) % (2 * BAND) === 4) ? 35 : 210;
  };
  for (let r = 0; r < H; r++) {
    for (let x = 0; x < W; x++) {
      let v: number;
      if (r >= waterRow) {
        // Water: a muddy level, drifting ripple highlights, and the board above mirrored at a fifth of its contrast.
        const ripple = Math.sin(1.3 * r + 2 * Math.sin(0.2 * x + t) + 1.9 * t) * Math.sin(0.4 * x - t);
        v = 96 + (ripple > 0.8 ? 80 * (ripple - 0.8) : 0);
        const mirror = 2 * waterRow - 1 - r;
        if (x >= BOARD_X0 && x < BOARD_X1 && mirror >= BOARD_TOP) v += 0.2 * (board(mirror, Math.min(BOARD_X1 - 1, x + (r % 3) - 1)) - 120);
      } else if (x >= BOARD_X0 && x < BOARD_X1 && r >= BOARD_TOP && r < BOARD_BOTTOM) v = board(r, x);
      else v = 110;
      y[r * W + x] = Math.max(0, Math.min(255, v * gain + (rand() + rand() - 1) * noise));
    }
  }
  return y;
}
