import type { CameraConfig } from '../../config/schema.js';
import { WEBRTC_AUDIO_CODECS } from '../../codecs/access-unit.js';
import { Emitter } from '../emitter.js';
import type { CameraInfo } from '../http/types.js';
import { createLogger, redactUrl } from '../log.js';
import { Stream } from '../stream/stream.js';
import { UnitHistory } from '../stream/unit-history.js';
import { RtspPullSource } from './rtsp-pull.js';
import { Decoder } from '../decode/decoder.js';
import { CameraFrames, type DecodePlan } from './frames.js';
import { SyntheticPublisher } from './synthetic.js';

const log = createLogger('camera');

/** Where a camera's media comes from. */
export type CameraSourceKind = 'pull' | 'push' | 'rtmp' | 'synthetic';

/** A camera's connection state as the API reports it. */
export type CameraState = 'connecting' | 'online' | 'offline' | 'idle';

/**
 * One camera: owns its Stream and the source that feeds it (mediasoup's ownership tree:
 * Server → Camera → Stream → Reader). A pull camera dials the camera; a push camera waits for
 * a publisher on the RTSP server, an RTMP camera for one on the RTMP server (core/rtmp, which
 * checks its key); a synthetic camera starts an ffmpeg publisher.
 * With `onDemand`, a pull camera connects only while the stream has readers.
 */
export class Camera extends Emitter<{ close: [] }> {
  readonly stream: Stream;
  readonly source: CameraSourceKind;
  #pull?: RtspPullSource;
  #synthetic?: SyntheticPublisher;
  /** Decoded frames, when plugins run on this camera. */
  frames?: CameraFrames;
  #idleTimer?: NodeJS.Timeout;
  #pullRunning = false;
  #closed = false;
  /** Number of times a publisher (push/synthetic) connected, after the first. */
  #republishes = 0;
  #published = false;
  /** Why the last publish to this camera was refused (wrong key, busy), for the API's lastError. */
  #publishError?: string;

  constructor(
    readonly id: string,
    readonly config: CameraConfig,
    /** RTSP URL of our own server, for the synthetic publisher to push to. */
    selfRtspUrl: () => string,
  ) {
    super();
    this.stream = new Stream(id);
    if (config.url) {
      this.source = 'pull';
      this.#pull = new RtspPullSource(
        {
          url: config.url,
          transport: config.transport,
          username: config.username,
          password: config.password,
          timeoutMs: config.timeoutMs,
          backoff: config.reconnect,
        },
        this.stream,
      );
    } else if (config.synthetic) {
      this.source = 'synthetic';
      this.#synthetic = new SyntheticPublisher(id, config.synthetic, () => `${selfRtspUrl()}/${id}`);
    } else if (config.rtmp) {
      this.source = 'rtmp';
    } else {
      this.source = 'push';
    }
    this.stream.on('readers', (count) => this.#onReaders(count));
  }

  /** True once close() ran. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Decodes the stream for plugins (call before start). The decoder is a reader of the stream. */
  decodeFor(plan: DecodePlan): CameraFrames {
    this.frames ??= new CameraFrames(this.stream, plan);
    return this.frames;
  }

  /** Starts the source (an on-demand pull camera waits for its first reader) and the decoder. */
  start(): void {
    if (this.#pull && !this.config.onDemand) this.#startPull();
    this.#synthetic?.start();
    this.frames?.start();
  }

  /** Asks an on-demand camera to connect now (a viewer is about to attach). */
  demand(): void {
    if (this.#pull && this.config.onDemand) {
      clearTimeout(this.#idleTimer);
      this.#startPull();
    }
  }

  /** Whether a publisher may push into this camera over RTSP (an RTMP camera takes RTMP only: it has a key). */
  get canPublish(): boolean {
    return this.source === 'push' || this.source === 'synthetic';
  }

  /** Called by the RTSP or RTMP server when a publisher is accepted. */
  onPublish(): void {
    if (this.#published) this.#republishes++;
    this.#published = true;
    this.#publishError = undefined;
  }

  /** Called by the RTMP server when it refused a publisher of this camera; `reason` holds no key. */
  onPublishRefused(reason: string): void {
    this.#publishError = `publish refused: ${reason}`;
  }

  #startPull(): void {
    if (this.#pullRunning || !this.#pull) return;
    this.#pullRunning = true;
    log.info(`${this.id}: connecting to ${redactUrl(this.config.url ?? '')}`);
    this.#pull.start();
  }

  #onReaders(count: number): void {
    if (!this.#pull || !this.config.onDemand) return;
    clearTimeout(this.#idleTimer);
    if (count > 0) {
      this.#startPull();
    } else if (this.#pullRunning) {
      this.#idleTimer = setTimeout(() => {
        if (this.stream.readers.size > 0 || !this.#pullRunning) return;
        log.info(`${this.id}: no consumers for ${this.config.onDemandCloseAfterMs} ms, disconnecting`);
        this.#pullRunning = false;
        this.#pull?.stop();
      }, this.config.onDemandCloseAfterMs);
    }
  }

  /** The camera's state for the API. */
  get state(): CameraState {
    if (this.stream.state === 'online') return 'online';
    if (this.#pull && this.config.onDemand && !this.#pullRunning) return 'idle';
    if (this.#pull) return this.#pull.stats.reconnects > 0 ? 'offline' : 'connecting';
    return 'offline';
  }

  /** Reconnects of a pulled camera, or publishers that came back for a push/synthetic one. */
  get reconnects(): number {
    return this.#pull ? this.#pull.stats.reconnects : this.#republishes;
  }

  /** Readers that are viewers or restream clients: every reader but the plugins' decoder and the clips' history. */
  get viewers(): number {
    let n = 0;
    for (const r of this.stream.readers) if (!(r.sink instanceof Decoder) && !(r.sink instanceof UnitHistory)) n++;
    return n;
  }

  /** What GET /api/cameras reports for this camera. Never contains credentials. */
  info(): CameraInfo {
    const s = this.stream.stats;
    const audio = this.stream.tracks.find((t) => t.kind === 'audio');
    let readersDropped = 0;
    for (const r of this.stream.readers) readersDropped += r.stats.dropped;
    const pull = this.#pull?.stats;
    return {
      id: this.id,
      name: this.config.name,
      location: this.config.location,
      source: this.source,
      state: this.state,
      url: this.config.url ? redactUrl(this.config.url) : undefined,
      codec: s.codec,
      profile: s.profile,
      width: s.width,
      height: s.height,
      fps: s.fps === undefined ? undefined : Math.round(s.fps * 10) / 10,
      bitrateBps: s.bitrateBps === undefined ? undefined : Math.round(s.bitrateBps),
      audio: audio ? { codec: audio.codec, playable: WEBRTC_AUDIO_CODECS.has(audio.codec) } : undefined,
      viewers: this.viewers,
      packetsLost: pull?.packetsLost ?? 0,
      ...(pull ? { packetsReordered: pull.packetsReordered } : {}),
      framesDropped: readersDropped + (pull?.droppedUnits ?? 0),
      reconnects: this.reconnects,
      lastError: pull?.lastError ?? this.#publishError,
    };
  }

  /** Stops the source and closes the stream and its readers. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    this.#pull?.close();
    this.#synthetic?.close();
    this.frames?.close();
    this.stream.close();
    this.emit('close');
  }
}
