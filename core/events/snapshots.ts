/**
 * JPEG snapshots of decoded frames, encoded off the main thread by a small piscina pool running
 * jpeg-js (jpeg-worker.ts). Used for event snapshots and `GET /api/cameras/:id/snapshot.jpg`.
 */
import { Piscina } from 'piscina';
import type { FramePlanes, PixelFormat } from '../decode/frame-ring.js';
import { createLogger } from '../log.js';
import { fromSource } from '../worker-url.js';
import type { JpegTask } from './jpeg-worker.js';

const log = createLogger('snapshots');

/** Default JPEG quality (1–100). */
export const DEFAULT_JPEG_QUALITY = 80;
/** Largest side jpeg-js (and baseline JPEG) accepts. */
const MAX_SIDE = 65_535;

/** Pool size: 1 thread kept warm, at most `maxThreads` (default 2). */
export interface JpegEncoderOptions {
  maxThreads?: number;
}

/** Encodes I420 or gray planes to JPEG in worker threads. */
export class JpegEncoder {
  readonly #pool: Piscina<JpegTask, Uint8Array>;
  #closing?: Promise<void>;

  constructor(opts: JpegEncoderOptions = {}) {
    const maxThreads = Math.min(Math.max(Math.floor(opts.maxThreads ?? 2), 1), 2);
    // worker-url.ts's workerEntry (a data: URL bootstrap) cannot serve piscina, which imports its task file
    // by path from its own worker.js; that worker is plain JS, so `--import tsx` in execArgv does load the .ts
    // (resolved here, not against the working directory, which need not be the repo).
    this.#pool = new Piscina({
      filename: new URL(fromSource ? './jpeg-worker.ts' : './jpeg-worker.js', import.meta.url).href,
      execArgv: fromSource ? ['--import', import.meta.resolve('tsx')] : [],
      minThreads: 1,
      maxThreads,
      idleTimeout: 30_000,
    });
    // A worker that fails outside a task (it could not even load) is replaced by piscina; unheard,
    // the 'error' would take the whole server down.
    this.#pool.on('error', (err: Error) => log.warn(`JPEG worker failed: ${err.message}`));
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Encodes one frame: Y, U, V planes (i420) or Y alone (gray). The planes are copied before this returns,
   * so a caller holding a pinned FrameRing slot may unpin as soon as the call returns.
   */
  encode(planes: FramePlanes, width: number, height: number, quality = DEFAULT_JPEG_QUALITY): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new Error('JpegEncoder is closed'));
    let task: JpegTask;
    try {
      task = packTask(planes, width, height, quality);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#pool.run(task, { transferList: [task.pixels] });
  }

  /** Destroys the pool (its threads end); pending encodes reject. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#pool.destroy();
    return this.#closing;
  }
}

function checkPlane(plane: Uint8Array | undefined, stride: number, w: number, h: number, name: string): Uint8Array {
  if (!(plane instanceof Uint8Array)) throw new TypeError(`${name} plane must be a Uint8Array`);
  if (!Number.isInteger(stride) || stride < w) throw new RangeError(`${name} stride ${stride} is below the plane width ${w}`);
  if (plane.length < stride * (h - 1) + w) throw new RangeError(`${name} plane holds ${plane.length} bytes, ${w}x${h} at stride ${stride} needs ${stride * (h - 1) + w}`);
  return plane;
}

/** Copies the planes, stride removed, into one transferable buffer. */
function packTask(planes: FramePlanes, width: number, height: number, quality: number): JpegTask {
  for (const [name, v] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_SIDE) throw new RangeError(`${name} must be an integer 1..${MAX_SIDE}, got ${v}`);
  }
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new RangeError(`quality must be an integer 1..100, got ${quality}`);
  const format: PixelFormat = planes.u !== undefined || planes.v !== undefined ? 'i420' : 'gray';
  const cw = (width + 1) >> 1;
  const ch = (height + 1) >> 1;
  const out = new Uint8Array(width * height + (format === 'i420' ? 2 * cw * ch : 0));
  const copy = (plane: Uint8Array, stride: number, w: number, h: number, at: number): void => {
    if (stride === w) out.set(plane.subarray(0, w * h), at);
    else for (let row = 0; row < h; row++) out.set(plane.subarray(row * stride, row * stride + w), at + row * w);
  };
  copy(checkPlane(planes.y, planes.strideY, width, height, 'Y'), planes.strideY, width, height, 0);
  if (format === 'i420') {
    copy(checkPlane(planes.u, planes.strideUV, cw, ch, 'U'), planes.strideUV, cw, ch, width * height);
    copy(checkPlane(planes.v, planes.strideUV, cw, ch, 'V'), planes.strideUV, cw, ch, width * height + cw * ch);
  }
  return { width, height, quality, format, pixels: out.buffer };
}
