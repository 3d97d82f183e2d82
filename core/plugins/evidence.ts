/**
 * The host side of `emit({ evidence })`: checks the images a worker sent (the worker runs plugin code,
 * so its message is untrusted input), then draws each image's overlays into its planes and encodes it
 * with the snapshot encoder. Checking happens before any encoding, so an event with a bad image costs
 * no JPEG work; an encode that fails drops only that image.
 */
import { ProtocolError } from '../errors.js';
import { drawOverlay } from '../events/overlay.js';
import { MAX_NAME_LENGTH, type EvidenceInput } from '../events/model.js';
import { MAX_EVIDENCE_IMAGES, MAX_EVIDENCE_LABEL_LENGTH, frameBytes } from '../../plugins/sdk/evidence.js';
import type { Detection, EvidenceImage, FrameCopy, Point } from '../../plugins/sdk/index.js';
import type { SnapshotEncoder } from './runner.js';

/** Longest caption drawn, characters (one line across a 1080p frame at the caption's scale). */
export const MAX_CAPTION_LENGTH = 64;
/** Most points of one track. */
export const MAX_TRACK_POINTS = 4096;
/** Most boxes drawn on one image. */
export const MAX_EVIDENCE_BOXES = 64;
/** Largest side of an evidence frame (baseline JPEG's limit). */
const MAX_SIDE = 65_535;

function fail(path: string, message: string): never {
  throw new ProtocolError(`invalid event: ${path} ${message}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function finite(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, 'must be a finite number');
  return v;
}

function text(v: unknown, path: string, max: number): string {
  if (typeof v !== 'string' || v.length === 0) fail(path, 'must be a non-empty string');
  if (v.length > max) fail(path, `must be at most ${max} characters`);
  return v;
}

function plane(v: unknown, need: number, path: string): Uint8Array {
  if (!(v instanceof Uint8Array)) fail(path, 'must be a Uint8Array');
  // A buffer moved by an earlier emit arrives detached, as 0 bytes.
  if (v.length < need) fail(path, `holds ${v.length} bytes, needs ${need} (a FrameHistory.snapshot can be emitted only once)`);
  return v;
}

function checkFrame(v: unknown, path: string): FrameCopy {
  if (!isObject(v)) fail(path, 'must be a FrameCopy');
  const { width, height, format } = v;
  if (!Number.isInteger(width) || (width as number) < 1 || (width as number) > MAX_SIDE) fail(`${path}.width`, `must be an integer 1..${MAX_SIDE}`);
  if (!Number.isInteger(height) || (height as number) < 1 || (height as number) > MAX_SIDE) fail(`${path}.height`, `must be an integer 1..${MAX_SIDE}`);
  if (format !== 'gray' && format !== 'i420') fail(`${path}.format`, "must be 'gray' or 'i420'");
  const w = width as number;
  const h = height as number;
  const frame: FrameCopy = {
    width: w, height: h, format,
    capturedAt: finite(v.capturedAt, `${path}.capturedAt`),
    pts: finite(v.pts, `${path}.pts`),
    y: plane(v.y, w * h, `${path}.y`),
  };
  if (format === 'i420') {
    const c = ((w + 1) >> 1) * ((h + 1) >> 1);
    frame.u = plane(v.u, c, `${path}.u`);
    frame.v = plane(v.v, c, `${path}.v`);
  }
  return frame;
}

function checkBox(v: unknown, path: string): Detection {
  if (!isObject(v)) fail(path, 'must be a detection { label, score, box }');
  const box = v.box;
  if (!Array.isArray(box) || box.length !== 4) fail(`${path}.box`, 'must be [x, y, w, h]');
  const d: Detection = {
    label: text(v.label, `${path}.label`, MAX_NAME_LENGTH),
    score: typeof v.score === 'number' ? v.score : 0,
    box: [finite(box[0], `${path}.box[0]`), finite(box[1], `${path}.box[1]`), finite(box[2], `${path}.box[2]`), finite(box[3], `${path}.box[3]`)],
  };
  if (v.trackId !== undefined) d.trackId = finite(v.trackId, `${path}.trackId`);
  return d;
}

/**
 * Checks the evidence of one event as the worker sent it and returns it typed.
 * @throws ProtocolError naming the first bad field (the event is then dropped and counted).
 */
export function checkEvidence(value: unknown): EvidenceImage[] {
  if (!Array.isArray(value)) fail('evidence', 'must be an array');
  if (value.length > MAX_EVIDENCE_IMAGES) fail('evidence', `must hold at most ${MAX_EVIDENCE_IMAGES} images, got ${value.length}`);
  return value.map((v: unknown, i): EvidenceImage => {
    const path = `evidence[${i}]`;
    if (!isObject(v)) fail(path, 'must be an object { label, frame }');
    const image: EvidenceImage = { label: text(v.label, `${path}.label`, MAX_EVIDENCE_LABEL_LENGTH), frame: checkFrame(v.frame, `${path}.frame`) };
    if (v.boxes !== undefined) {
      if (!Array.isArray(v.boxes) || v.boxes.length > MAX_EVIDENCE_BOXES) fail(`${path}.boxes`, `must be an array of at most ${MAX_EVIDENCE_BOXES} detections`);
      image.boxes = v.boxes.map((b: unknown, j) => checkBox(b, `${path}.boxes[${j}]`));
    }
    if (v.track !== undefined) {
      if (!Array.isArray(v.track) || v.track.length > MAX_TRACK_POINTS) fail(`${path}.track`, `must be an array of at most ${MAX_TRACK_POINTS} points`);
      image.track = v.track.map((p: unknown, j): Point => {
        if (!Array.isArray(p) || p.length !== 2) fail(`${path}.track[${j}]`, 'must be [x, y]');
        return [finite(p[0], `${path}.track[${j}][0]`), finite(p[1], `${path}.track[${j}][1]`)];
      });
    }
    if (v.caption !== undefined) image.caption = text(v.caption, `${path}.caption`, MAX_CAPTION_LENGTH);
    return image;
  });
}

/** Bytes of raw planes the images hold (for the runner's bound on memory waiting to be encoded). */
export function evidenceFrameBytes(images: readonly EvidenceImage[]): number {
  return images.reduce((sum, i) => sum + frameBytes(i.frame.width, i.frame.height, i.frame.format), 0);
}

/** `frame` itself, or a copy of it when an earlier image of the event already claimed one of its buffers. */
function ownPlanes(frame: FrameCopy, claimed: Set<ArrayBufferLike>): FrameCopy {
  const planes = [frame.y, frame.u, frame.v].filter((p) => p !== undefined);
  if (!planes.some((p) => claimed.has(p.buffer))) {
    for (const p of planes) claimed.add(p.buffer);
    return frame;
  }
  const copy: FrameCopy = { ...frame, y: frame.y.slice() };
  if (frame.u && frame.v) {
    copy.u = frame.u.slice();
    copy.v = frame.v.slice();
  }
  return copy;
}

/**
 * Draws each image's overlays and encodes it; resolves with the images that encoded, in order.
 * A failed encode calls `onError` and leaves that image out (the event is stored without it).
 */
export async function renderEvidence(images: readonly EvidenceImage[], encode: SnapshotEncoder, onError: (label: string, err: unknown) => void): Promise<EvidenceInput[]> {
  // Every copy is taken before anything is drawn, so an image sharing a frame never shows another's overlay.
  const claimed = new Set<ArrayBufferLike>();
  const frames = images.map((image) => ownPlanes(image.frame, claimed));
  const jobs = images.map(async (image, i) => {
    const f = frames[i]!;
    drawOverlay(f, image);
    const chroma = (f.width + 1) >> 1;
    const planes = { y: f.y, strideY: f.width, strideUV: chroma, ...(f.u && f.v ? { u: f.u, v: f.v } : {}) };
    return encode(planes, f.width, f.height, f.format);
  });
  // Started together so a pool with two threads encodes two at once.
  const results = await Promise.allSettled(jobs);
  const out: EvidenceInput[] = [];
  results.forEach((r, i) => {
    const { label, frame } = images[i]!;
    if (r.status === 'fulfilled') out.push({ label, capturedAt: frame.capturedAt, jpeg: r.value });
    else onError(label, r.reason);
  });
  return out;
}
