import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  COLOURS, FONT_CHARACTERS, GLYPH_HEIGHT, GLYPH_WIDTH, drawLine, drawOverlay, drawText, glyph, strokeRect, textScale, textWidth, type Canvas,
} from './overlay.js';

const BG = 100;

function gray(width: number, height: number): Canvas {
  return { width, height, format: 'gray', y: new Uint8Array(width * height).fill(BG) };
}

function i420(width: number, height: number): Canvas {
  const c = ((width + 1) >> 1) * ((height + 1) >> 1);
  return { width, height, format: 'i420', y: new Uint8Array(width * height).fill(BG), u: new Uint8Array(c).fill(128), v: new Uint8Array(c).fill(128) };
}

/** The pixels that differ from the background, as "x,y". */
function changed(c: Canvas): Set<string> {
  const out = new Set<string>();
  for (let y = 0; y < c.height; y++) for (let x = 0; x < c.width; x++) if (c.y[y * c.width + x] !== BG) out.add(`${x},${y}`);
  return out;
}

describe('overlay drawing', () => {
  it('outlines a box 2 px thick exactly on its edge and touches nothing else', () => {
    const c = gray(40, 30);
    strokeRect(c, 10, 5, 30, 25, COLOURS.box);
    const want = new Set<string>();
    for (let y = 5; y < 25; y++) {
      for (let x = 10; x < 30; x++) if (x < 12 || x >= 28 || y < 7 || y >= 23) want.add(`${x},${y}`);
    }
    assert.deepEqual(changed(c), want);
    assert.equal(c.y[5 * 40 + 10], 255, 'white on gray');
  });

  it('draws in colour on i420: luma and the chroma of the 2×2 blocks under the line', () => {
    const c = i420(16, 16);
    strokeRect(c, 4, 4, 12, 12, COLOURS.box);
    assert.equal(c.y[4 * 16 + 4], COLOURS.box.y);
    const cw = 8;
    assert.deepEqual([c.u![2 * cw + 2], c.v![2 * cw + 2]], [COLOURS.box.u, COLOURS.box.v]);
    assert.deepEqual([c.u![4 * cw + 4], c.v![4 * cw + 4]], [128, 128], 'the inside keeps its chroma');
    assert.equal(c.y[8 * 16 + 8], BG);
  });

  it('clips boxes and lines partly or wholly outside the frame without throwing', () => {
    const c = gray(20, 10);
    strokeRect(c, -5, -5, 5, 5, COLOURS.box);
    strokeRect(c, 15, 8, 1e9, 1e9, COLOURS.box);
    strokeRect(c, -100, -100, -50, -50, COLOURS.box);
    drawLine(c, -1e12, 5, 1e12, 5, COLOURS.track);
    drawLine(c, 100, 100, 200, 200, COLOURS.track);
    drawText(c, 15, 8, 'OFF THE EDGE 123', COLOURS.text, 3);
    const px = changed(c);
    assert.ok(px.has('4,0') && px.has('0,4') && !px.has('2,2'), 'the visible corner of the box that starts outside');
    assert.ok(px.has('15,8') && px.has('16,9'), 'the box running off the bottom right');
    for (let x = 0; x < 20; x++) assert.ok(px.has(`${x},5`), `the long line crosses x=${x}`);
  });

  it('follows a polyline through its points', () => {
    const c = gray(30, 30);
    drawOverlay(c, { track: [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9]] });
    const px = changed(c);
    for (const p of ['3,3', '15,3', '27,3', '27,15', '27,27']) assert.ok(px.has(p), p);
    assert.ok(!px.has('15,15') && !px.has('3,27'));
  });

  it('renders text as non-empty glyphs of the 5×7 font, scaled', () => {
    const c = gray(40, 20);
    drawText(c, 1, 1, 'T', COLOURS.text, 2);
    // 'T': the top row is full (10 px at scale 2), then a 2 px stem in the middle.
    for (let x = 1; x < 11; x++) assert.ok(changed(c).has(`${x},1`) && changed(c).has(`${x},2`));
    assert.ok(changed(c).has('5,10') && changed(c).has('6,14') && !changed(c).has('1,10'));
    assert.equal(changed(c).size, 10 * 2 + 2 * 12);
    assert.equal(textWidth('RED 2.4S', 1), 8 * 6 - 1);
  });

  it('has a distinct, non-empty glyph for every character but space; lower case draws as upper', () => {
    const seen = new Map<string, string>();
    for (const ch of FONT_CHARACTERS) {
      const rows = glyph(ch);
      assert.equal(rows.length, GLYPH_HEIGHT);
      assert.ok(rows.every((r) => r < 1 << GLYPH_WIDTH), ch);
      if (ch === ' ') continue;
      assert.ok(rows.some((r) => r !== 0), `'${ch}' is empty`);
      const key = rows.join(',');
      assert.equal(seen.get(key), undefined, `'${ch}' looks like '${seen.get(key)}'`);
      seen.set(key, ch);
    }
    assert.equal(glyph('a'), glyph('A'));
    assert.equal(glyph('€'), glyph('?'));
  });

  it('labels boxes on a tag and draws the caption at the top left, scaled with the frame', () => {
    assert.deepEqual([textScale(64, 48), textScale(1280, 720), textScale(1920, 1080)], [1, 3, 5]);
    const c = gray(200, 120);
    drawOverlay(c, { boxes: [{ label: 'car', score: 1, box: [0.5, 0.5, 0.25, 0.25], trackId: 3 }], caption: 'RED 2.4S' });
    const tagRow = (y: number, x0: number, x1: number) => Array.from({ length: x1 - x0 }, (_, i) => c.y[y * 200 + x0 + i]);
    assert.ok(tagRow(3, 2, 40).some((v) => v === 255) && tagRow(3, 2, 40).some((v) => v === 0), 'caption: white text on black');
    assert.ok(tagRow(55, 100, 140).some((v) => v === 255), 'the box label above the box (box top at y=60)');
    assert.equal(c.y[60 * 200 + 120], 255, 'box top edge');
    assert.equal(c.y[100 * 200 + 20], BG, 'nothing elsewhere');
  });
});
