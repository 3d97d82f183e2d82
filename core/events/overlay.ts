/**
 * Draws evidence overlays straight into a frame's planes before it is encoded as JPEG: box outlines
 * with a label tag, a track polyline and a caption, in a built-in 5×7 font (below). Everything is
 * clipped to the frame, so boxes partly (or wholly) outside it, or a track running off the edge, are fine.
 *
 * Colours: i420 frames from the decoder are BT.601 limited range (Y 16–235, chroma 16–240), so colours
 * are given as limited-range YCbCr; gray frames are full range (see jpeg-worker.ts) and get white on black.
 * A drawn pixel sets its luma and the chroma sample of its 2×2 block (a 1-pixel colour fringe at odd edges).
 */
import type { Detection, FrameCopy, Point } from '../../plugins/sdk/index.js';

// ---- The font: the HD44780 character ROM's 5×7 shapes for upper-case letters, digits and the punctuation
// captions need (times, speeds, signal states); built in so drawing text needs no font file and no native
// library. Each glyph is 7 rows, top first, two hex digits per row, bit 4 the leftmost column:
//   'T' = 1f 04 04 04 04 04 04  →  #####  ..#..  ..#..  ...

/** Columns of a glyph. */
export const GLYPH_WIDTH = 5;
/** Rows of a glyph. */
export const GLYPH_HEIGHT = 7;

const HEX: Record<string, string> = {
  '0': '0e11131519110e', '1': '040c040404040e', '2': '0e11010204081f',
  '3': '1f02040201110e', '4': '02060a121f0202', '5': '1f101e0101110e', '6': '0608101e11110e',
  '7': '1f010204080808', '8': '0e11110e11110e', '9': '0e11110f01020c',
  A: '0e1111111f1111', B: '1e11111e11111e', C: '0e11101010110e', D: '1c12111111121c',
  E: '1f10101e10101f', F: '1f10101e101010', G: '0e11101711110f', H: '1111111f111111',
  I: '0e04040404040e', J: '0702020202120c', K: '11121418141211', L: '1010101010101f',
  M: '111b1515111111', N: '11111915131111', O: '0e11111111110e', P: '1e11111e101010',
  Q: '0e11111115120d', R: '1e11111e141211', S: '0f10100e01011e', T: '1f040404040404',
  U: '1111111111110e', V: '11111111110a04', W: '1111111515150a', X: '11110a040a1111',
  Y: '1111110a040404', Z: '1f01020408101f',
  ' ': '00000000000000', '.': '00000000000c0c', ',': '000000000c0408', ':': '000c0c000c0c00',
  '-': '0000001f000000', '/': '00010204081000', '(': '02040808080402', ')': '08040202020408',
  '%': '18190204081303', '#': '0a0a1f0a1f0a0a', '+': '0004041f040400', '=': '00001f001f0000',
  _: '0000000000001f', '!': '04040404040004', '?': '0e110102040004', "'": '0c040800000000',
  '<': '02040810080402', '>': '08040201020408', '*': '0004150e150400',
};

/** Glyph rows by character; lower case is drawn as upper case, anything else as '?'. */
const GLYPHS = new Map<string, Uint8Array>(
  Object.entries(HEX).map(([ch, hex]) => [ch, Uint8Array.from({ length: GLYPH_HEIGHT }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16))]),
);

/** The characters the font draws as themselves (the rest become '?'). */
export const FONT_CHARACTERS: readonly string[] = [...GLYPHS.keys()];

/** The 7 row bitmaps of `ch` (bit 4 = leftmost column). */
export function glyph(ch: string): Uint8Array {
  return GLYPHS.get(ch) ?? GLYPHS.get(ch.toUpperCase()) ?? GLYPHS.get('?')!;
}

// ---- Drawing

/** The planes drawn on: a FrameCopy's (tight strides). */
export type Canvas = Pick<FrameCopy, 'width' | 'height' | 'format' | 'y' | 'u' | 'v'>;

/** A colour as limited-range YCbCr (i420) and as a full-range gray level (gray frames). */
export interface Colour {
  y: number;
  u: number;
  v: number;
  gray: number;
}

/** The overlay palette: boxes red, the track yellow, text white on a black tag. */
export const COLOURS = {
  box: { y: 81, u: 90, v: 240, gray: 255 },
  track: { y: 210, u: 16, v: 146, gray: 255 },
  text: { y: 235, u: 128, v: 128, gray: 255 },
  tag: { y: 16, u: 128, v: 128, gray: 0 },
} as const satisfies Record<string, Colour>;

/** Thickness of box outlines and of the track, pixels. */
export const LINE_THICKNESS = 2;

/** What to draw on one evidence frame (normalised coordinates, as plugins report them). */
export interface Overlay {
  boxes?: Detection[];
  track?: Point[];
  caption?: string;
}

/** Pixels per font dot: 1 up to 399 lines, then one more per 200 lines (5 on 1080p), so text stays legible. */
export function textScale(width: number, height: number): number {
  return Math.max(1, Math.floor(Math.min(width, height) / 200));
}

/** Fills the pixels [x0, x1) × [y0, y1), clipped to the canvas. */
export function fillRect(c: Canvas, x0: number, y0: number, x1: number, y1: number, colour: Colour): void {
  const left = Math.max(0, Math.floor(x0));
  const top = Math.max(0, Math.floor(y0));
  const right = Math.min(c.width, Math.floor(x1));
  const bottom = Math.min(c.height, Math.floor(y1));
  if (left >= right || top >= bottom) return;
  const luma = c.format === 'i420' ? colour.y : colour.gray;
  for (let row = top; row < bottom; row++) c.y.fill(luma, row * c.width + left, row * c.width + right);
  if (c.format !== 'i420' || !c.u || !c.v) return;
  const cw = (c.width + 1) >> 1;
  for (let row = top >> 1; row <= (bottom - 1) >> 1; row++) {
    c.u.fill(colour.u, row * cw + (left >> 1), row * cw + ((right - 1) >> 1) + 1);
    c.v.fill(colour.v, row * cw + (left >> 1), row * cw + ((right - 1) >> 1) + 1);
  }
}

/** Outlines the box [x0, x1) × [y0, y1) with lines `t` pixels thick drawn inside it. */
export function strokeRect(c: Canvas, x0: number, y0: number, x1: number, y1: number, colour: Colour, t = LINE_THICKNESS): void {
  fillRect(c, x0, y0, x1, y0 + t, colour);
  fillRect(c, x0, y1 - t, x1, y1, colour);
  fillRect(c, x0, y0, x0 + t, y1, colour);
  fillRect(c, x1 - t, y0, x1, y1, colour);
}

/**
 * Draws a line `t` pixels thick from (x0, y0) to (x1, y1). The segment is first clipped to the canvas
 * (Liang–Barsky), so a far-away endpoint costs nothing and never loops over pixels off the frame.
 */
export function drawLine(c: Canvas, x0: number, y0: number, x1: number, y1: number, colour: Colour, t = LINE_THICKNESS): void {
  const dx = x1 - x0;
  const dy = y1 - y0;
  let lo = 0;
  let hi = 1;
  const edges: [number, number][] = [[-dx, x0 + t], [dx, c.width + t - x0], [-dy, y0 + t], [dy, c.height + t - y0]];
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q < 0) return;
    } else if (p < 0) lo = Math.max(lo, q / p);
    else hi = Math.min(hi, q / p);
  }
  if (lo > hi) return;
  const [ax, ay] = [Math.round(x0 + lo * dx), Math.round(y0 + lo * dy)];
  const [bx, by] = [Math.round(x0 + hi * dx), Math.round(y0 + hi * dy)];
  // Step along the longer axis; the t×t square per step gives the thickness.
  const steps = Math.max(Math.abs(bx - ax), Math.abs(by - ay), 1);
  const half = Math.floor(t / 2);
  for (let i = 0; i <= steps; i++) {
    const x = Math.round(ax + ((bx - ax) * i) / steps) - half;
    const y = Math.round(ay + ((by - ay) * i) / steps) - half;
    fillRect(c, x, y, x + t, y + t, colour);
  }
}

/** Width in pixels of `text` at `scale` (one dot of space between glyphs). */
export function textWidth(text: string, scale: number): number {
  return text.length === 0 ? 0 : (text.length * (GLYPH_WIDTH + 1) - 1) * scale;
}

/** Height in pixels of a line of text at `scale`. */
export function textHeight(scale: number): number {
  return GLYPH_HEIGHT * scale;
}

/** Draws `text` with its top-left corner at (x, y), each font dot a `scale`×`scale` square. */
export function drawText(c: Canvas, x: number, y: number, text: string, colour: Colour, scale: number): void {
  for (let i = 0; i < text.length; i++) {
    const gx = x + i * (GLYPH_WIDTH + 1) * scale;
    if (gx >= c.width) return; // the rest is off the frame
    const rows = glyph(text[i]!);
    for (let row = 0; row < GLYPH_HEIGHT; row++) {
      const bits = rows[row]!;
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        if (bits & (0x10 >> col)) fillRect(c, gx + col * scale, y + row * scale, gx + (col + 1) * scale, y + (row + 1) * scale, colour);
      }
    }
  }
}

/** Draws `text` on a black tag (legible on any background) with its top-left corner at (x, y). */
export function drawTag(c: Canvas, x: number, y: number, text: string, scale: number): void {
  const pad = scale;
  fillRect(c, x, y, x + textWidth(text, scale) + 2 * pad, y + textHeight(scale) + 2 * pad, COLOURS.tag);
  drawText(c, x + pad, y + pad, text, COLOURS.text, scale);
}

/** Draws the track, then the boxes with their labels, then the caption at the top left. */
export function drawOverlay(c: Canvas, o: Overlay): void {
  const { width: w, height: h } = c;
  const scale = textScale(w, h);
  const tagHeight = textHeight(scale) + 2 * scale;
  const track = o.track ?? [];
  for (let i = 1; i < track.length; i++) {
    const [ax, ay] = track[i - 1]!;
    const [bx, by] = track[i]!;
    drawLine(c, ax * w, ay * h, bx * w, by * h, COLOURS.track);
  }
  for (const d of o.boxes ?? []) {
    const [bx, by, bw, bh] = d.box;
    const x0 = Math.round(bx * w);
    const y0 = Math.round(by * h);
    strokeRect(c, x0, y0, Math.round((bx + bw) * w), Math.round((by + bh) * h), COLOURS.box);
    const label = d.trackId === undefined ? d.label : `${d.label} #${d.trackId}`;
    // Above the box when there is room, else just inside its top edge.
    drawTag(c, Math.max(0, x0), y0 - tagHeight >= 0 ? y0 - tagHeight : Math.max(0, y0) + LINE_THICKNESS, label, scale);
  }
  if (o.caption) drawTag(c, scale * 2, scale * 2, o.caption, scale);
}
