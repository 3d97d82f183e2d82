/**
 * Paints the zone editor's surface: the camera snapshot, the plugin's zones (lamp zones in their
 * lamp's colour) and directed lines with an arrow from → to, the selection, and the shape being
 * drawn with a rubber band to the pointer.
 */
import type { PluginGeometry, Point } from '../api';
import { lampRoleOf, type Selection, type Tool } from './model';

/** What the surface shows besides the saved shapes. */
export interface Scene {
  image: HTMLImageElement | undefined;
  geometry: PluginGeometry | undefined;
  selection: Selection | undefined;
  tool: Tool;
  draft: Point[];
  pointer: Point | undefined;
}

const ZONE = '#38bdf8';
const LINE = '#f472b6';
const SELECTED = '#facc15';
const DRAFT = '#4ade80';
const LAMP: Record<string, string> = { red: '#ef4444', amber: '#f59e0b', green: '#22c55e' };

/** Pixel distance within which a click closes a polygon on its first point. */
export const CLOSE_RADIUS_PX = 10;

/** A name tag centred on (x, y), kept inside the canvas; `size` in canvas pixels. */
function label(ctx: CanvasRenderingContext2D, text: string, x: number, y: number, colour: string, size: number): void {
  ctx.font = `600 ${size}px system-ui, sans-serif`;
  const w = ctx.measureText(text).width + size * 0.6;
  const h = size * 1.4;
  const cx = Math.min(Math.max(x, w / 2), ctx.canvas.width - w / 2);
  const cy = Math.min(Math.max(y, h / 2), ctx.canvas.height - h / 2);
  ctx.fillStyle = 'rgba(0,0,0,.65)';
  ctx.fillRect(cx - w / 2, cy - h / 2, w, h);
  ctx.fillStyle = colour;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(text, cx, cy);
}

function arrow(ctx: CanvasRenderingContext2D, from: Point, to: Point, colour: string, width: number, head: number): void {
  ctx.strokeStyle = colour;
  ctx.fillStyle = colour;
  ctx.lineWidth = width;
  ctx.beginPath();
  ctx.moveTo(from[0], from[1]);
  ctx.lineTo(to[0], to[1]);
  ctx.stroke();
  // The head sits at the middle too, so the direction reads even when the end is off to a side.
  const angle = Math.atan2(to[1] - from[1], to[0] - from[0]);
  for (const [x, y] of [to, [(from[0] + to[0]) / 2, (from[1] + to[1]) / 2] as Point]) {
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x - head * Math.cos(angle - 0.45), y - head * Math.sin(angle - 0.45));
    ctx.lineTo(x - head * Math.cos(angle + 0.45), y - head * Math.sin(angle + 0.45));
    ctx.closePath();
    ctx.fill();
  }
  ctx.beginPath();
  ctx.arc(from[0], from[1], width + 2, 0, Math.PI * 2);
  ctx.fill();
}

/** Paints `scene` onto `canvas` (whose size is the snapshot's). */
export function paint(canvas: HTMLCanvasElement, scene: Scene): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const w = canvas.width;
  const h = canvas.height;
  const px = ([x, y]: Point): Point => [x * w, y * h];
  // Text and strokes scale with the snapshot so they read the same on a 360p and a 4K frame.
  const font = Math.max(10, Math.round(h / 28));
  ctx.clearRect(0, 0, w, h);
  if (scene.image) ctx.drawImage(scene.image, 0, 0, w, h);
  else {
    ctx.fillStyle = '#1f2937';
    ctx.fillRect(0, 0, w, h);
  }
  const g = scene.geometry;
  if (g) {
    for (const [name, poly] of Object.entries(g.zones)) {
      if (poly.length < 2) continue;
      const selected = scene.selection?.kind === 'zone' && scene.selection.name === name;
      const role = lampRoleOf(g, name);
      const colour = selected ? SELECTED : role ? LAMP[role] ?? ZONE : ZONE;
      ctx.beginPath();
      poly.forEach((p, i) => (i ? ctx.lineTo(...px(p)) : ctx.moveTo(...px(p))));
      ctx.closePath();
      ctx.fillStyle = `${colour}${selected ? '55' : '26'}`;
      ctx.fill();
      ctx.strokeStyle = colour;
      ctx.lineWidth = selected ? 3 : 2;
      ctx.stroke();
      const xs = poly.map((p) => p[0] * w);
      const ys = poly.map((p) => p[1] * h);
      const top = Math.min(...ys);
      const bottom = Math.max(...ys);
      if (bottom - top < font * 2) {
        // A small region (a signal lamp): a compact tag to its left, so stacked lamps stay legible.
        const tag = role ?? name;
        ctx.font = `600 ${Math.round(font * 0.75)}px system-ui, sans-serif`;
        const tw = ctx.measureText(tag).width;
        label(ctx, tag, Math.min(...xs) - tw / 2 - font * 0.6, (top + bottom) / 2, colour, Math.round(font * 0.75));
      } else {
        label(ctx, name, xs.reduce((a, b) => a + b, 0) / xs.length, ys.reduce((a, b) => a + b, 0) / ys.length, colour, font);
      }
    }
    for (const [name, l] of Object.entries(g.lines)) {
      const selected = scene.selection?.kind === 'line' && scene.selection.name === name;
      const colour = selected ? SELECTED : LINE;
      arrow(ctx, px(l.from), px(l.to), colour, selected ? 3 : 2, font);
      const [mx, my] = px([(l.from[0] + l.to[0]) / 2, (l.from[1] + l.to[1]) / 2]);
      label(ctx, name, mx, my - font * 1.2, colour, font);
    }
  }
  const draft = scene.draft.map(px);
  if (draft.length) {
    const pointer = scene.pointer ? px(scene.pointer) : undefined;
    if (scene.tool === 'line') {
      if (pointer) arrow(ctx, draft[0]!, pointer, DRAFT, 2, font);
      ctx.fillStyle = DRAFT;
      ctx.beginPath();
      ctx.arc(draft[0]![0], draft[0]![1], 4, 0, Math.PI * 2);
      ctx.fill();
    } else {
      ctx.strokeStyle = DRAFT;
      ctx.lineWidth = 2;
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      draft.forEach((p, i) => (i ? ctx.lineTo(...p) : ctx.moveTo(...p)));
      if (pointer) ctx.lineTo(...pointer);
      ctx.stroke();
      ctx.setLineDash([]);
      // The first point grows when the pointer is close enough that a click would close the shape.
      const first = draft[0]!;
      const near = pointer && draft.length >= 3 && Math.hypot(pointer[0] - first[0], pointer[1] - first[1]) < CLOSE_RADIUS_PX * (w / canvas.clientWidth || 1);
      ctx.fillStyle = DRAFT;
      for (const [i, p] of draft.entries()) {
        ctx.beginPath();
        ctx.arc(p[0], p[1], i === 0 && near ? 8 : 4, 0, Math.PI * 2);
        ctx.fill();
      }
    }
  }
}
