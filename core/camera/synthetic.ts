import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { ffmpegPath } from '../ffmpeg.js';
import { createLogger } from '../log.js';
import { Backoff } from './backoff.js';

const log = createLogger('synthetic');

/** What a synthetic camera generates. */
export interface SyntheticOptions {
  width: number;
  height: number;
  fps: number;
  bitrateKbps: number;
  gop: number;
  /** A clip to loop instead of the test pattern. */
  file?: string;
}

/**
 * A camera with no hardware: ffmpeg renders a moving test pattern, encodes H.264 and pushes it
 * over RTSP (ANNOUNCE/RECORD) into our own server, so it travels the same path as a real push.
 * ffmpeg is restarted with backoff whenever it exits.
 */
export class SyntheticPublisher {
  #child?: ChildProcess;
  #timer?: NodeJS.Timeout;
  #closed = false;
  #backoff = new Backoff({ initialMs: 500, maxMs: 10_000 });
  /** How many times ffmpeg was (re)started. */
  starts = 0;

  constructor(
    private readonly id: string,
    private readonly opts: SyntheticOptions,
    /** Our own RTSP URL for this camera, known once the server is bound. */
    private readonly targetUrl: () => string,
  ) {}

  /** Starts ffmpeg. */
  start(): void {
    if (this.#closed || this.#child) return;
    const { width, height, fps, bitrateKbps, gop, file } = this.opts;
    const rawH264 = file !== undefined && /\.(h264|264)$/i.test(file);
    const input = rawH264
      // A raw .h264 stream cannot be seeked, so -stream_loop ends ffmpeg at the end of the file (and
      // the camera would republish every loop): it is fed through stdin again and again instead.
      // It has no timestamps; -framerate paces it, so the loop point is seamless and pts keep rising.
      ? ['-re', '-f', 'h264', '-framerate', String(fps), '-i', 'pipe:0', '-c', 'copy']
      : file
      // A recorded clip in a container, looped and copied.
      ? ['-re', '-stream_loop', '-1', '-i', file, '-c', 'copy']
      : [
        '-re', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`,
        '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
        '-profile:v', 'main', '-bf', '0', '-g', String(gop), '-keyint_min', String(gop),
        '-b:v', `${bitrateKbps}k`, '-maxrate', `${bitrateKbps}k`, '-bufsize', `${bitrateKbps * 2}k`,
      ];
    const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', ...input, '-f', 'rtsp', '-rtsp_transport', 'tcp', this.targetUrl()];
    this.starts++;
    const child = spawn(ffmpegPath(), args, { stdio: [rawH264 ? 'pipe' : 'ignore', 'ignore', 'pipe'] });
    this.#child = child;
    if (rawH264) feedForever(file!, child);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    const startedAt = Date.now();
    child.on('error', (err) => log.error(`${this.id}: cannot start ffmpeg: ${err.message}`));
    child.on('close', (code, signal) => {
      this.#child = undefined;
      if (this.#closed) return;
      if (Date.now() - startedAt > 30_000) this.#backoff.reset();
      const delay = this.#backoff.next();
      log.warn(`${this.id}: ffmpeg exited (${signal ?? code}); restarting in ${delay} ms. ${stderr.trim().split('\n').pop() ?? ''}`);
      this.#timer = setTimeout(() => this.start(), delay);
    });
  }

  /** Stops ffmpeg for good. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#child?.kill('SIGKILL');
  }
}

/** Writes `file` into the child's stdin over and over (with backpressure) until the child goes away. */
function feedForever(file: string, child: ChildProcess): void {
  const stdin = child.stdin!;
  let input: ReturnType<typeof createReadStream> | undefined;
  stdin.on('error', () => undefined); // EPIPE when ffmpeg exits: the close handler restarts it
  stdin.once('close', () => input?.destroy()); // the file's descriptor goes with the child
  const once = (): void => {
    if (stdin.destroyed) return;
    input = createReadStream(file);
    input.on('error', (err) => {
      log.error(`cannot read ${file}: ${err.message}`);
      stdin.end();
    });
    input.on('end', once);
    input.pipe(stdin, { end: false });
  };
  once();
}
