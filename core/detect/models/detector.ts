/**
 * OnnxDetector: a user's (or the bundled) ONNX detection model on the CPU through onnxruntime-node.
 *
 * preprocess (one reused input buffer) → session.run (the decoded output only) → decode → NMS.
 * Calls are serialised: the input buffer is lent to onnxruntime for the duration of a run, and one
 * session on one thread gains nothing from overlapping runs. `detectMany` stacks images into one
 * [B, ...] run when the model's batch dimension is dynamic, else runs them one by one.
 */
import * as ort from 'onnxruntime-node';
import type { Box, DetectionSource } from '../../../plugins/sdk/vision/types.js';
import { InvalidStateError } from '../../errors.js';
import { DECODERS, nonMaxSuppression, type DecodeContext, type Detection } from './decoders.js';
import { INPUT_RECIPES, InputPreprocessor, type DetectorImage, type Letterbox } from './preprocess.js';
import { openModelSession, validateModel, type ModelLayout, type ModelSpec } from './spec.js';

/** Options beyond the model config. */
export interface OnnxDetectorOptions {
  /** Where the spec sits in the config, for error messages (default 'model'). */
  configPath?: string;
  /** Most images per batched run in detectMany (default 8). */
  maxBatch?: number;
}

/** One image for detectMany, with an optional region of it to look at. */
export interface DetectRequest {
  image: DetectorImage;
  region?: Box;
}

/** A detection model, ready to run on frames. */
export class OnnxDetector implements DetectionSource {
  /** Opens and validates `spec`'s model; throws ConfigError when the file or its shape is wrong. */
  static async create(spec: ModelSpec, options: OnnxDetectorOptions = {}): Promise<OnnxDetector> {
    const session = await openModelSession(spec, options.configPath);
    try {
      return new OnnxDetector(session, validateModel(session, spec, options.configPath), spec, options.maxBatch ?? 8);
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  private readonly preprocessor: InputPreprocessor;
  private readonly decode: DecodeContext;
  private input: Float32Array;
  private queue: Promise<unknown> = Promise.resolve();
  private inFlight = 0;
  private released?: Promise<void>;

  private constructor(
    private readonly session: ort.InferenceSession,
    /** Input and output names, sizes, labels and thresholds the model was validated with. */
    readonly layout: ModelLayout,
    private readonly spec: ModelSpec,
    private readonly maxBatch: number,
  ) {
    this.preprocessor = new InputPreprocessor(INPUT_RECIPES[layout.format], layout.inputWidth, layout.inputHeight);
    this.input = new Float32Array(this.preprocessor.imageSize);
    this.decode = { thresholds: layout.thresholds, labels: layout.labels, inputWidth: layout.inputWidth, inputHeight: layout.inputHeight };
  }

  /** Calls accepted and not finished: a caller on the frame path skips frames while this is > 0. */
  get pending(): number {
    return this.inFlight;
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.released !== undefined;
  }

  /** Detections in `image` (or in `region` of it), in frame pixels, best first. */
  detect(image: DetectorImage, region?: Box): Promise<Detection[]> {
    return this.enqueue(async () => (await this.runBatch([{ image, region }]))[0]);
  }

  /** Detections for each request, in order; one batched run per `maxBatch` images when the model allows. */
  detectMany(requests: readonly DetectRequest[]): Promise<Detection[][]> {
    return this.enqueue(async () => {
      const step = this.layout.dynamicBatch ? this.maxBatch : 1;
      const results: Detection[][] = [];
      for (let i = 0; i < requests.length; i += step) results.push(...(await this.runBatch(requests.slice(i, i + step))));
      return results;
    });
  }

  /** Releases the session once the run in progress (if any) is over. Idempotent. */
  close(): Promise<void> {
    // The queue never rejects (enqueue catches), so this runs after the last job.
    this.released ??= this.queue.then(() => this.session.release());
    return this.released;
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new InvalidStateError('OnnxDetector is closed'));
    this.inFlight++;
    const run = this.queue.then(job).finally(() => this.inFlight--);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async runBatch(requests: readonly DetectRequest[]): Promise<Detection[][]> {
    const { layout, preprocessor } = this;
    const batch = requests.length;
    const size = preprocessor.imageSize;
    if (this.input.length < batch * size) this.input = new Float32Array(batch * size);
    const boxes: Letterbox[] = requests.map((r, b) => preprocessor.run(r.image, this.input, b * size, r.region));
    const data = batch * size === this.input.length ? this.input : this.input.subarray(0, batch * size);
    const { inputWidth: w, inputHeight: h } = layout;
    const dims = preprocessor.recipe.layout === 'nchw' ? [batch, 3, h, w] : [batch, h, w, 3];
    const outputs = await this.session.run({ [layout.inputName]: new ort.Tensor('float32', data, dims) }, [layout.outputName]);
    const output = outputs[layout.outputName] as ort.Tensor;
    if (output.type !== 'float32' || output.dims[0] !== batch) {
      throw new InvalidStateError(`${layout.outputName}: expected float32 [${batch}, ...], got ${output.type} [${output.dims.join(', ')}]`);
    }
    const tensor = { data: output.data as Float32Array, dims: output.dims };
    const decoder = DECODERS[layout.format];
    return boxes.map((box, b) => nonMaxSuppression(decoder(tensor, b, box, this.decode), this.spec.iouThreshold, this.spec.maxDetections));
  }
}
