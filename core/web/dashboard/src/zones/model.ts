/**
 * The zone editor's pure half: the shapes being edited, names, rounding, hit tests and the
 * config bookkeeping (lamp roles, renames) — no DOM, so the rules are easy to read in one place.
 */
import type { PluginGeometry, Point } from '../api';

/** The drawing tools; 'lamp' is a polygon that also becomes config.lamps[role]. */
export type Tool = 'select' | 'polygon' | 'line' | 'lamp';

/** The signal lamps a red-light style plugin reads. */
export const LAMP_ROLES = ['red', 'amber', 'green'] as const;
/** One lamp role. */
export type LampRole = (typeof LAMP_ROLES)[number];

/** A zone or line picked in the list or on the canvas. */
export interface Selection {
  kind: 'zone' | 'line';
  name: string;
}

/** What the schema accepts as a zone or line name. */
export const NAME_PATTERN = /^[A-Za-z0-9_-]+$/;

/** Why `name` cannot name a new `kind` in `g`, or undefined when it can. */
export function nameProblem(g: PluginGeometry, kind: 'zone' | 'line', name: string): string | undefined {
  if (!name) return 'Enter a name for the new shape first';
  if (!NAME_PATTERN.test(name)) return 'Names use only letters, digits, _ and -';
  if (kind === 'zone' ? name in g.zones : name in g.lines) return `A ${kind} named '${name}' already exists`;
  return undefined;
}

/** Normalised coordinates rounded to 5 decimals (about 0.02 px on a 4K frame) and clamped to 0..1. */
export function roundPoint([x, y]: Point): Point {
  const r = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 1e5) / 1e5;
  return [r(x), r(y)];
}

/** A deep copy, so edits never touch the geometry as loaded (the dirty check compares them). */
export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Whether the point lies inside the polygon (even-odd rule). */
export function insidePolygon([px, py]: Point, poly: Point[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Distance in pixels from `p` to segment a–b, all in pixel space. */
export function segmentDistance(p: Point, a: Point, b: Point): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2));
  return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
}

/** The shape under a click at normalised `p` on a w×h surface: lines first (they are thin), then the smallest zone. */
export function hitTest(g: PluginGeometry, p: Point, w: number, h: number): Selection | undefined {
  const px: Point = [p[0] * w, p[1] * h];
  for (const [name, l] of Object.entries(g.lines)) {
    if (segmentDistance(px, [l.from[0] * w, l.from[1] * h], [l.to[0] * w, l.to[1] * h]) < 8) return { kind: 'line', name };
  }
  let best: { name: string; area: number } | undefined;
  for (const [name, poly] of Object.entries(g.zones)) {
    if (!insidePolygon(p, poly)) continue;
    const area = Math.abs(poly.reduce((s, [x, y], i) => { const [nx, ny] = poly[(i + 1) % poly.length]!; return s + x * ny - nx * y; }, 0));
    if (!best || area < best.area) best = { name, area };
  }
  return best && { kind: 'zone', name: best.name };
}

/** Whether the plugin's config reads signal lamps (the lamp tool is offered only then). */
export function hasLamps(g: PluginGeometry | undefined): boolean {
  return !!g?.config && typeof g.config === 'object' && 'lamps' in g.config;
}

/** The lamp role whose zone is `name`, if any. */
export function lampRoleOf(g: PluginGeometry, name: string): string | undefined {
  const lamps = g.config?.lamps as Record<string, unknown> | undefined;
  if (!lamps || typeof lamps !== 'object') return undefined;
  return Object.entries(lamps).find(([, v]) => v === name)?.[0];
}

/**
 * Replaces every string in `value` equal to `from` by `to` (config refers to zones and lines by
 * name), and keys of nested maps keyed by zone (`lanes: { lane1: … }`). Top-level keys are the
 * plugin's own fields (`junction: junction`), so they keep their names.
 */
function renameRefs(value: unknown, from: string, to: string, depth = 0): unknown {
  if (value === from) return to;
  if (Array.isArray(value)) return value.map((v) => renameRefs(v, from, to, depth + 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [depth > 0 && k === from ? to : k, renameRefs(v, from, to, depth + 1)]));
  }
  return value;
}

/**
 * `g` with a zone or line renamed; the config's references to the old name follow it, so e.g.
 * `stopLine: stop_line` or a lane in `splitBy` keeps pointing at the renamed shape.
 */
export function renamed(g: PluginGeometry, sel: Selection, to: string): PluginGeometry {
  const next = clone(g);
  const rekey = <V,>(rec: Record<string, V>) => Object.fromEntries(Object.entries(rec).map(([k, v]) => [k === sel.name ? to : k, v]));
  if (sel.kind === 'zone') next.zones = rekey(next.zones);
  else next.lines = rekey(next.lines);
  if (next.config) next.config = renameRefs(next.config, sel.name, to) as Record<string, unknown>;
  return next;
}

/** `g` without the zone or line (a lamp role that pointed at a deleted zone is dropped too). */
export function deleted(g: PluginGeometry, sel: Selection): PluginGeometry {
  const next = clone(g);
  if (sel.kind === 'zone') {
    delete next.zones[sel.name];
    const role = lampRoleOf(next, sel.name);
    if (role) delete (next.config!.lamps as Record<string, unknown>)[role];
  } else {
    delete next.lines[sel.name];
  }
  return next;
}
