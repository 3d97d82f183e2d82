/**
 * RTMP media messages → a camera's Stream, for one publish: video through codecs/flv's
 * depacketizer, G.711 audio in 20 ms units, everything else counted and dropped.
 *
 *   onMetaData ──▶ which audio to expect (audiocodecid 7/8)
 *   video ──▶ FlvVideoDepacketizer ──▶ first keyframe: setTracks([video, G.711?]) ──▶ push
 *   audio ──▶ G.711 after setTracks ──▶ push;  AAC, MP3, ... ──▶ dropped, counted by codec
 *
 * The tracks are announced at the first keyframe rather than the sequence header so that the
 * G.711 track is known by then (from onMetaData, or an audio message that came first); audio
 * that starts only later has no track and is dropped, as is everything but G.711.
 */
import type { AudioTrack, Track } from '../../codecs/access-unit.js';
import { g711Format, g711Track, g711Units } from '../../codecs/flv/audio.js';
import { FlvVideoDepacketizer, type FlvVideoStats } from '../../codecs/flv/depacketizer.js';
import { audioTagCodec } from '../../codecs/flv/tag.js';
import { RateLimitedLog, createLogger } from '../log.js';
import type { Stream } from '../stream/stream.js';

const log = createLogger('rtmp');
const limited = new RateLimitedLog(log);

/** FLV audiocodecid (onMetaData) → G.711 flavour. */
const METADATA_G711: Record<number, 'PCMA' | 'PCMU'> = { 7: 'PCMA', 8: 'PCMU' };

/** Feeds one publisher's media into a camera's Stream. */
export class RtmpToStream {
  readonly #video = new FlvVideoDepacketizer();
  #announced?: Track;
  #audioTrack?: AudioTrack;
  #expectedAudio?: { codec: 'PCMA' | 'PCMU'; channels: number };
  #audioWarned = false;
  #bFramesWarned = false;

  constructor(
    readonly cameraId: string,
    readonly remote: string,
    private readonly stream: Stream,
    /** Counts one dropped audio message of `codec`. */
    private readonly audioDropped: (codec: string) => void,
  ) {}

  /** The video depacketizer's counters. */
  get videoStats(): FlvVideoStats {
    return this.#video.stats;
  }

  /** onMetaData (AMF0 object): says which audio codec is coming before any audio does. */
  metadata(meta: Record<string, unknown>): void {
    const codec = METADATA_G711[Number(meta.audiocodecid)];
    if (codec && !this.#expectedAudio) this.#expectedAudio = { codec, channels: meta.stereo === true ? 2 : 1 };
  }

  /** One video message (timestamp `dtsMs`, FLV tag body, possibly a reused buffer). */
  video(dtsMs: number, body: Uint8Array, receivedAt: number): void {
    const before = this.#video.stats;
    const units = this.#video.push(dtsMs, body, receivedAt);
    const track = this.#video.track;
    if (units.length > 0 && track && track !== this.#announced) {
      this.#announced = track;
      const audio = this.#expectedAudio;
      this.#audioTrack = audio ? g711Track(audio.codec, audio.channels) : undefined;
      log.info(`${this.cameraId}: ${track.codec}${audio ? ` and ${audio.codec}` : ''} from RTMP publisher ${this.remote}`);
      this.stream.setTracks(this.#audioTrack ? [track, this.#audioTrack] : [track]);
    }
    for (const u of units) this.stream.push(u);
    const after = this.#video.stats;
    if (after.outOfOrder > 0 && !this.#bFramesWarned) {
      this.#bFramesWarned = true;
      log.warn(`${this.cameraId}: the RTMP publisher sends B-frames; browsers play them poorly over WebRTC (set B-frames to 0 in the encoder)`);
    }
    if (after.malformed !== before.malformed || after.unsupported !== before.unsupported) {
      limited.warn(`video:${this.cameraId}`, `${this.cameraId}: dropped a video message from ${this.remote}: ${after.lastProblem}`);
    }
  }

  /** One audio message: G.711 into the stream once its track is announced; anything else dropped. */
  audio(dtsMs: number, body: Uint8Array, receivedAt: number): void {
    const g711 = g711Format(body);
    const track = this.#audioTrack;
    if (g711 && track && track.codec === g711.codec && track.channels === g711.channels) {
      for (const u of g711Units(body, dtsMs, receivedAt)) this.stream.push(u);
      return;
    }
    if (g711 && !this.#announced) this.#expectedAudio ??= g711;
    const codec = audioTagCodec(body) ?? 'unknown';
    this.audioDropped(codec);
    if (!this.#audioWarned && !(g711 && !this.#announced)) {
      this.#audioWarned = true;
      const why = g711 ? 'it started after the video was announced' : 'only G.711 audio is carried from RTMP';
      log.info(`${this.cameraId}: dropping ${codec} audio from the RTMP publisher (${why}); video continues`);
    }
  }
}
