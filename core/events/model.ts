/**
 * What an event is: the input a plugin host hands the store, the record the store keeps, its
 * time-sortable id, and the validation that keeps a misbehaving plugin's event out of the store
 * (a bad event is a clear ProtocolError for that one append, never a crash of the writer).
 */
import { randomFillSync } from 'node:crypto';
import { ProtocolError } from '../errors.js';
import { MAX_EVIDENCE_IMAGES, MAX_EVIDENCE_LABEL_LENGTH } from '../../plugins/sdk/evidence.js';
import type { Detection, Severity } from '../../plugins/sdk/index.js';

export type { Detection, Severity };
export { MAX_EVIDENCE_IMAGES, MAX_EVIDENCE_LABEL_LENGTH };

/** An event as a plugin host appends it; times are epoch ms (Date.now() domain). */
export interface EventInput {
  camera: string;
  plugin: string;
  type: string;
  severity: Severity;
  startedAt: number;
  endedAt?: number;
  trackId?: number;
  zone?: string;
  boxes?: Detection[];
  /** JSON-compatible values only (null, boolean, finite number, string, arrays, plain objects). */
  attributes?: Record<string, unknown>;
  /** A JPEG of the frame the event was raised on. */
  snapshot?: Uint8Array;
  /** Evidence JPEGs (overlays already drawn in), at most MAX_EVIDENCE_IMAGES. */
  evidence?: EvidenceInput[];
}

/** One evidence image as a plugin host appends it. */
export interface EvidenceInput {
  /** What the image shows ('before', 'at', 'after'), at most MAX_EVIDENCE_LABEL_LENGTH characters. */
  label: string;
  /** Epoch ms the frame was captured. */
  capturedAt: number;
  jpeg: Uint8Array;
}

/** One stored evidence image as the event record lists it; the JPEG is `EventStore.evidence(id, index)`. */
export interface EvidenceEntry {
  label: string;
  capturedAt: number;
  /** Size of the JPEG. */
  bytes: number;
}

/** An event's video clip as the event record lists it; the MP4 is `EventStore.clip(id)`. */
export interface ClipEntry {
  /** Size of the MP4. */
  bytes: number;
  /** Capture times (epoch ms) of the clip's first and last frames. */
  startedAt: number;
  endedAt: number;
}

/** A committed event; the snapshot, evidence JPEGs and clip live apart (`EventStore.snapshot(id)`, `.evidence(id, i)`, `.clip(id)`). */
export interface StoredEvent extends Omit<EventInput, 'snapshot' | 'evidence'> {
  /** Time-sortable: lexicographic order of ids is `startedAt` order. */
  id: string;
  hasSnapshot: boolean;
  /** The evidence images in order (absent when the event has none). */
  evidence?: EvidenceEntry[];
  /** The video clip around the event, attached after the event is committed (absent until then, or when none is kept). */
  clip?: ClipEntry;
}

/** Where a plugin host sends events (EventStore implements it). */
export interface EventSink {
  append(e: EventInput): Promise<StoredEvent>;
}

/** Longest camera, plugin, type or zone name accepted. */
export const MAX_NAME_LENGTH = 128;
/** Most boxes one event may carry. */
export const MAX_BOXES = 256;
/** Largest snapshot accepted, bytes. */
export const MAX_SNAPSHOT_BYTES = 8 * 1024 * 1024;
/** Deepest nesting accepted in `attributes`. */
const MAX_ATTRIBUTE_DEPTH = 8;
/** Largest timestamp a 48-bit id can carry (year 10889). */
const MAX_TIME = 2 ** 48 - 1;

const SEVERITIES: ReadonlySet<string> = new Set(['info', 'warning', 'critical']);
const INPUT_KEYS: ReadonlySet<string> = new Set([
  'camera', 'plugin', 'type', 'severity', 'startedAt', 'endedAt', 'trackId', 'zone', 'boxes', 'attributes', 'snapshot', 'evidence',
]);
const EVIDENCE_KEYS: ReadonlySet<string> = new Set(['label', 'capturedAt', 'jpeg']);
const DETECTION_KEYS: ReadonlySet<string> = new Set(['label', 'score', 'box', 'trackId']);
// Control characters would sort below the separator ordered-binary puts between the parts of an index key.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function fail(path: string, message: string): never {
  throw new ProtocolError(`invalid event: ${path} ${message}`);
}

function checkName(value: unknown, path: string, max = MAX_NAME_LENGTH): string {
  if (typeof value !== 'string' || value.length === 0) fail(path, 'must be a non-empty string');
  if (value.length > max) fail(path, `must be at most ${max} characters`);
  if (CONTROL.test(value)) fail(path, 'must not contain control characters');
  return value;
}

function checkTime(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_TIME) {
    fail(path, 'must be epoch milliseconds (a finite number ≥ 0)');
  }
  return value;
}

function checkFinite(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, 'must be a finite number');
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function checkDetection(value: unknown, path: string): Detection {
  if (!isPlainObject(value)) fail(path, 'must be an object { label, score, box }');
  for (const key of Object.keys(value)) if (!DETECTION_KEYS.has(key)) fail(`${path}.${key}`, 'is not a detection field');
  const box = value.box;
  if (!Array.isArray(box) || box.length !== 4) fail(`${path}.box`, 'must be [x, y, w, h]');
  const detection: Detection = {
    label: checkName(value.label, `${path}.label`),
    score: checkFinite(value.score, `${path}.score`),
    box: [
      checkFinite(box[0], `${path}.box[0]`),
      checkFinite(box[1], `${path}.box[1]`),
      checkFinite(box[2], `${path}.box[2]`),
      checkFinite(box[3], `${path}.box[3]`),
    ],
  };
  if (value.trackId !== undefined) detection.trackId = checkFinite(value.trackId, `${path}.trackId`);
  return detection;
}

/** Rejects what JSON (the HTTP API) and msgpack (the store) would not round-trip the same. */
function checkJsonValue(value: unknown, path: string, depth: number): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(path, 'must be a finite number');
    return;
  }
  if (depth >= MAX_ATTRIBUTE_DEPTH) fail(path, `nests deeper than ${MAX_ATTRIBUTE_DEPTH} levels`);
  if (Array.isArray(value)) {
    value.forEach((item, i) => checkJsonValue(item, `${path}[${i}]`, depth + 1));
    return;
  }
  if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) checkJsonValue(item, `${path}.${key}`, depth + 1);
    return;
  }
  fail(path, `must be JSON-compatible (got ${value === undefined ? 'undefined' : typeof value})`);
}

function checkJpeg(value: unknown, path: string): Uint8Array {
  if (!(value instanceof Uint8Array)) fail(path, 'must be a Uint8Array of JPEG bytes');
  // A JPEG opens with SOI (FF D8), ITU-T T.81 B.2.1.
  if (value.length < 4 || value[0] !== 0xff || value[1] !== 0xd8) fail(path, 'is not a JPEG (no SOI marker)');
  if (value.length > MAX_SNAPSHOT_BYTES) fail(path, `must be at most ${MAX_SNAPSHOT_BYTES} bytes`);
  return value;
}

/** Checks the evidence images; returns their record entries and JPEGs, index for index. */
function checkEvidence(value: unknown): { entries: EvidenceEntry[]; jpegs: Uint8Array[] } {
  if (!Array.isArray(value)) fail('evidence', 'must be an array');
  if (value.length > MAX_EVIDENCE_IMAGES) fail('evidence', `must hold at most ${MAX_EVIDENCE_IMAGES} images`);
  const entries: EvidenceEntry[] = [];
  const jpegs: Uint8Array[] = [];
  value.forEach((item: unknown, i) => {
    const path = `evidence[${i}]`;
    if (!isPlainObject(item)) fail(path, 'must be an object { label, capturedAt, jpeg }');
    for (const key of Object.keys(item)) if (!EVIDENCE_KEYS.has(key)) fail(`${path}.${key}`, 'is not an evidence field');
    const jpeg = checkJpeg(item.jpeg, `${path}.jpeg`);
    entries.push({ label: checkName(item.label, `${path}.label`, MAX_EVIDENCE_LABEL_LENGTH), capturedAt: checkTime(item.capturedAt, `${path}.capturedAt`), bytes: jpeg.length });
    jpegs.push(jpeg);
  });
  return { entries, jpegs };
}

/**
 * Checks an event from a plugin host and returns the fields the store keeps, in a fixed order.
 * Unknown keys are rejected so a host passing the wrong shape learns it at once.
 * @throws ProtocolError naming the offending field.
 */
export function validateEventInput(input: unknown): { event: Omit<StoredEvent, 'id' | 'hasSnapshot'>; snapshot?: Uint8Array; evidence?: Uint8Array[] } {
  if (!isPlainObject(input)) fail('event', 'must be an object');
  for (const key of Object.keys(input)) if (!INPUT_KEYS.has(key)) fail(key, 'is not an event field');
  const severity = input.severity;
  if (typeof severity !== 'string' || !SEVERITIES.has(severity)) fail('severity', "must be 'info', 'warning' or 'critical'");
  const event: Omit<StoredEvent, 'id' | 'hasSnapshot'> = {
    camera: checkName(input.camera, 'camera'),
    plugin: checkName(input.plugin, 'plugin'),
    type: checkName(input.type, 'type'),
    severity: severity as Severity,
    startedAt: checkTime(input.startedAt, 'startedAt'),
  };
  if (input.endedAt !== undefined) {
    event.endedAt = checkTime(input.endedAt, 'endedAt');
    if (event.endedAt < event.startedAt) fail('endedAt', 'must not be before startedAt');
  }
  if (input.trackId !== undefined) event.trackId = checkFinite(input.trackId, 'trackId');
  if (input.zone !== undefined) event.zone = checkName(input.zone, 'zone');
  if (input.boxes !== undefined) {
    if (!Array.isArray(input.boxes)) fail('boxes', 'must be an array');
    if (input.boxes.length > MAX_BOXES) fail('boxes', `must hold at most ${MAX_BOXES} detections`);
    event.boxes = input.boxes.map((d, i) => checkDetection(d, `boxes[${i}]`));
  }
  if (input.attributes !== undefined) {
    if (!isPlainObject(input.attributes)) fail('attributes', 'must be a plain object');
    checkJsonValue(input.attributes, 'attributes', 0);
    event.attributes = input.attributes;
  }
  const out: ReturnType<typeof validateEventInput> = { event };
  if (input.snapshot !== undefined) out.snapshot = checkJpeg(input.snapshot, 'snapshot');
  if (input.evidence !== undefined) {
    const { entries, jpegs } = checkEvidence(input.evidence);
    // No images is no evidence: the record then reads the same as an event that never had any.
    if (entries.length > 0) {
      event.evidence = entries;
      out.evidence = jpegs;
    }
  }
  return out;
}

// ---- Ids: ULID layout (https://github.com/ulid/spec): 48-bit ms timestamp, then 80 random bits, both in
// Crockford base32, whose alphabet is in ASCII order, so string order is time order.
//
//   TTTTTTTTTT RRRRRRRRRRRRRRRR
//   10 chars   16 chars
//   ms (48 b)  random (80 b), incremented instead of redrawn within one ms so same-ms ids keep call order

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;
/** Length of an event id. */
export const ID_LENGTH = TIME_CHARS + RANDOM_CHARS;
const ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** The 10-character time prefix of every id whose timestamp is `ms` (floored). */
export function idTimePrefix(ms: number): string {
  let t = Math.floor(Math.min(Math.max(ms, 0), MAX_TIME));
  const out = new Array<string>(TIME_CHARS);
  for (let i = TIME_CHARS - 1; i >= 0; i--) {
    out[i] = ALPHABET[t % 32]!;
    t = Math.floor(t / 32);
  }
  return out.join('');
}

/** The timestamp (epoch ms) an id carries. */
export function idTime(id: string): number {
  let t = 0;
  for (let i = 0; i < TIME_CHARS; i++) t = t * 32 + ALPHABET.indexOf(id[i]!);
  return t;
}

/** Whether `s` has the shape of an event id. */
export function isEventId(s: string): boolean {
  return ID_PATTERN.test(s);
}

/** Makes time-sortable ids; one generator per store keeps same-millisecond ids in append order. */
export class IdGenerator {
  #lastPrefix = '';
  #random = new Uint8Array(RANDOM_CHARS);

  /** A new id for an event that started at `ms`. */
  next(ms: number): string {
    const prefix = idTimePrefix(ms);
    if (prefix !== this.#lastPrefix || !this.#increment()) {
      randomFillSync(this.#random);
      for (let i = 0; i < RANDOM_CHARS; i++) this.#random[i]! &= 31;
      this.#lastPrefix = prefix;
    }
    let out = prefix;
    for (let i = 0; i < RANDOM_CHARS; i++) out += ALPHABET[this.#random[i]!];
    return out;
  }

  /** Adds one to the random part; false on overflow (then a fresh random part is drawn). */
  #increment(): boolean {
    for (let i = RANDOM_CHARS - 1; i >= 0; i--) {
      if (this.#random[i]! < 31) {
        this.#random[i]!++;
        return true;
      }
      this.#random[i] = 0;
    }
    return false;
  }
}
