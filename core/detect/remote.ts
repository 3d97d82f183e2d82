/**
 * The plugin worker's side of the detector service (service.ts): a DetectionSource that asks the
 * service, over a MessagePort, for the detections of the frame being processed. The frame is named,
 * not sent: its ring's shared memory and slot, pinned by the plugin host until this plugin's result.
 *
 * Several trackers of one plugin asking for the same frame share one request. An answer that does
 * not come within `timeoutMs` (the service is overloaded) or an error gives no detections for that
 * frame, counted: the plugin runs on, a frame short.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Frame } from '../../plugins/sdk/types.js';
import type { DetectionSource, ObjectDetection } from '../../plugins/sdk/vision/types.js';
import type { DetectReplyMessage, DetectRequestMessage } from './service.js';

/** Where a frame's pixels are: its ring's shared memory and slot (undefined: not a ring frame). */
export type FrameLocator = (frame: Frame) => { sab: SharedArrayBuffer; slot: number; seq: number } | undefined;

export class RemoteDetectionSource implements DetectionSource {
  readonly #port: MessagePort;
  readonly #locate: FrameLocator;
  readonly #timeoutMs: number;
  readonly #waiting = new Map<number, { resolve: (d: ObjectDetection[]) => void; timer: NodeJS.Timeout }>();
  #nextId = 1;
  #last: { frame: Frame; answer: Promise<ObjectDetection[]> } | undefined;
  /** Frames answered with no detections because of an error or a timeout. */
  failed = 0;
  lastError = '';

  constructor(port: MessagePort, locate: FrameLocator, timeoutMs = 2000) {
    this.#port = port;
    this.#locate = locate;
    this.#timeoutMs = timeoutMs;
    port.on('message', (m: DetectReplyMessage) => this.#onReply(m));
    // The port alone must not keep the worker alive.
    port.unref();
  }

  detect(frame: Frame): Promise<ObjectDetection[]> {
    if (this.#last?.frame === frame) return this.#last.answer;
    const where = this.#locate(frame);
    const answer = where ? this.#ask(where, frame.capturedAt) : Promise.resolve(this.#fail('the frame is not in a ring'));
    this.#last = { frame, answer };
    return answer;
  }

  close(): void {
    for (const [, w] of this.#waiting) {
      clearTimeout(w.timer);
      w.resolve([]);
    }
    this.#waiting.clear();
    this.#port.close();
  }

  #ask(where: { sab: SharedArrayBuffer; slot: number; seq: number }, capturedAt: number): Promise<ObjectDetection[]> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        resolve(this.#fail(`no answer within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#waiting.set(id, { resolve, timer });
      const m: DetectRequestMessage = { type: 'detect', id, sab: where.sab, slot: where.slot, seq: where.seq, capturedAt };
      this.#port.postMessage(m);
    });
  }

  #onReply(m: DetectReplyMessage): void {
    const w = this.#waiting.get(m?.id);
    if (!w) return;
    this.#waiting.delete(m.id);
    clearTimeout(w.timer);
    if (m.type === 'detections') w.resolve(m.detections);
    else w.resolve(this.#fail(m.message));
  }

  #fail(reason: string): ObjectDetection[] {
    this.failed++;
    this.lastError = reason;
    return [];
  }
}
