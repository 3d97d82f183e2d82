/** Synthetic units and sinks for the stream hub tests. */
import type { AudioUnit, Track, Unit, VideoUnit } from '../../../codecs/access-unit.js';
import type { ReaderSink } from '../reader.js';

/** A video unit of `size` bytes whose pts identifies it. */
export function video(pts: number, keyframe = false, size = 100): VideoUnit {
  return { kind: 'video', codec: 'H264', pts, keyframe, nalus: [new Uint8Array(size)], receivedAt: pts };
}

/** An audio unit of `size` bytes. */
export function audio(pts: number, size = 160): AudioUnit {
  return { kind: 'audio', codec: 'PCMA', clockRate: 8000, pts, payload: new Uint8Array(size), receivedAt: pts };
}

/** An H.264 video track plus a PCMA audio track. */
export const TRACKS: readonly Track[] = [
  { kind: 'video', codec: 'H264', payloadType: 96, clockRate: 90000, fmtp: {} },
  { kind: 'audio', codec: 'PCMA', payloadType: 8, clockRate: 8000, channels: 1, fmtp: {} },
];

/** A sink that records what it receives; `congested` is settable, `throwOn` makes write throw. */
export class RecordingSink implements ReaderSink {
  readonly units: Unit[] = [];
  readonly catchUps: boolean[] = [];
  readonly tracks: (readonly Track[])[] = [];
  isCongested = false;
  throwOn?: (u: Unit) => boolean;
  constructor(readonly name: string) {}
  write(unit: Unit, catchUp: boolean): void {
    if (this.throwOn?.(unit)) throw new Error(`${this.name} broke`);
    this.units.push(unit);
    this.catchUps.push(catchUp);
  }
  congested(): boolean {
    return this.isCongested;
  }
  onTracks(tracks: readonly Track[]): void {
    this.tracks.push(tracks);
  }
  /** pts of received units, video prefixed 'v', audio 'a'. */
  get log(): string[] {
    return this.units.map((u) => `${u.kind === 'video' ? (u.keyframe ? 'K' : 'v') : 'a'}${u.pts}`);
  }
}

/** Waits until every scheduled setImmediate drain has run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
}
