/**
 * The zone editor's drawing surface: the camera's latest frame (retried while the server has
 * not decoded one yet) on a canvas, with the pointer turned into normalised points. Polygons
 * close on a click on their first point, Enter or a double-click; lines take two clicks; Esc
 * drops the shape being drawn.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { authed, type PluginGeometry, type Point } from '../api';
import { CLOSE_RADIUS_PX, paint } from './draw';
import { hitTest, roundPoint, type Selection, type Tool } from './model';

/** How often, and how many times, a 503 snapshot is asked again before giving up. */
const SNAPSHOT_RETRY_MS = 1000;
const SNAPSHOT_TRIES = 30;

/** Loads the camera's snapshot as an Image, retrying on 503; `version` bumps force a reload. */
function useSnapshot(camera: string, version: number): { image?: HTMLImageElement; status: string } {
  const [state, setState] = useState<{ image?: HTMLImageElement; status: string }>({ status: 'loading snapshot…' });
  useEffect(() => {
    let stopped = false;
    let url: string | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async (attempt: number) => {
      try {
        const res = await fetch(authed(`/api/cameras/${encodeURIComponent(camera)}/snapshot.jpg?t=${Date.now()}`), { cache: 'no-store' });
        if (stopped) return;
        if (res.status === 503 && attempt < SNAPSHOT_TRIES) {
          setState((s) => ({ ...s, status: 'waiting for the first decoded frame…' }));
          timer = setTimeout(() => void load(attempt + 1), SNAPSHOT_RETRY_MS);
          return;
        }
        if (!res.ok) {
          setState({ status: res.status === 404 ? 'this camera decodes no frames (no plugins)' : `snapshot: HTTP ${res.status}` });
          return;
        }
        url = URL.createObjectURL(await res.blob());
        const img = new Image();
        img.onload = () => !stopped && setState({ image: img, status: '' });
        img.src = url;
      } catch (err) {
        if (!stopped) setState({ status: `snapshot: ${(err as Error).message}` });
      }
    };
    void load(0);
    return () => {
      stopped = true;
      clearTimeout(timer);
      if (url) URL.revokeObjectURL(url);
    };
  }, [camera, version]);
  return state;
}

/** Props of the surface: what to show and where finished shapes and picks go. */
export interface SurfaceProps {
  camera: string;
  geometry: PluginGeometry | undefined;
  selection: Selection | undefined;
  tool: Tool;
  snapshotVersion: number;
  /** A finished shape (≥3 points for a polygon, 2 for a line); false keeps it open (e.g. no name yet). */
  onComplete: (points: Point[]) => boolean;
  onSelect: (sel: Selection | undefined) => void;
}

/** The canvas the operator draws on. */
export function Surface({ camera, geometry, selection, tool, snapshotVersion, onComplete, onSelect }: SurfaceProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const { image, status } = useSnapshot(camera, snapshotVersion);
  const [draft, setDraft] = useState<Point[]>([]);
  const [pointer, setPointer] = useState<Point>();
  const width = image?.naturalWidth ?? 1280;
  const height = image?.naturalHeight ?? 720;

  useEffect(() => setDraft([]), [tool, camera, geometry === undefined]);
  // Painted in the layout phase so the canvas never shows a frame behind the state.
  useLayoutEffect(() => {
    if (canvas.current) paint(canvas.current, { image, geometry, selection, tool, draft, pointer });
  });

  const at = (e: MouseEvent): Point => {
    const r = canvas.current!.getBoundingClientRect();
    return roundPoint([(e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height]);
  };
  /** Distance on screen between two normalised points. */
  const screenDist = (a: Point, b: Point) => {
    const r = canvas.current!.getBoundingClientRect();
    return Math.hypot((a[0] - b[0]) * r.width, (a[1] - b[1]) * r.height);
  };
  const finish = (points: Point[]) => {
    // A double-click adds its point twice before the dblclick event: drop repeats.
    const clean = points.filter((p, i) => i === 0 || screenDist(p, points[i - 1]!) > 2);
    if (clean.length < 3) return;
    if (onComplete(clean)) setDraft([]);
    else setDraft(clean);
  };

  const onClick = (e: MouseEvent) => {
    const p = at(e);
    if (tool === 'select') {
      const r = canvas.current!.getBoundingClientRect();
      onSelect(geometry ? hitTest(geometry, p, r.width, r.height) : undefined);
      return;
    }
    if (tool === 'line') {
      if (draft.length === 0) setDraft([p]);
      else if (screenDist(draft[0]!, p) > 2) {
        if (onComplete([draft[0]!, p])) setDraft([]);
      }
      return;
    }
    if (draft.length >= 3 && screenDist(draft[0]!, p) < CLOSE_RADIUS_PX) finish(draft);
    else setDraft((d) => [...d, p]);
  };

  // Keys go through a ref to the latest handler: a listener re-added by an effect would still see
  // the previous render's draft between a click and the effect (an Enter right after a click was lost).
  const onKeyRef = useRef<(e: KeyboardEvent) => void>();
  onKeyRef.current = (e: KeyboardEvent) => {
    const target = e.target as HTMLElement | null;
    const typing = target && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName) && target.dataset.testid !== 'zone-name';
    if (typing) return;
    if (e.key === 'Escape') setDraft([]);
    else if (e.key === 'Enter' && (tool === 'polygon' || tool === 'lamp') && draft.length >= 3) {
      e.preventDefault();
      finish(draft);
    }
  };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => onKeyRef.current?.(e);
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const hint = tool === 'select' ? 'Click a zone or line to select it.'
    : tool === 'line' ? (draft.length ? 'Click the end point (the arrow shows from → to). Esc cancels.' : 'Click the start point of the line.')
    : draft.length >= 3 ? 'Click the first point, press Enter or double-click to close. Esc cancels.'
    : 'Click to add points (at least 3).';

  return (
    <div class="surface">
      <canvas
        ref={canvas}
        width={width}
        height={height}
        class={`zone-canvas tool-${tool}`}
        data-testid="zone-canvas"
        onClick={onClick}
        onDblClick={() => (tool === 'polygon' || tool === 'lamp') && finish(draft)}
        onMouseMove={(e) => draft.length && setPointer(at(e))}
        onMouseLeave={() => setPointer(undefined)}
      />
      <p class="hint">{status || hint}{draft.length > 0 && ` (${draft.length} point${draft.length > 1 ? 's' : ''})`}</p>
    </div>
  );
}
