/**
 * A ServerLike with the issue-3 members, all in memory: two cameras, an event store, plugin
 * stats, a snapshot source and listeners the tests push events and detections through.
 */
import { Emitter } from '../../emitter.js';
import type {
  CameraInfo, CountStoreLike, DetectionsMessage, EventStoreLike, HistogramSnapshot, MetricsSnapshot, PluginStats, ServerLike, StoredEventLike,
} from '../types.js';
import { MemoryEventStore } from './memory-event-store.js';

/** Smallest well-formed JPEG-looking bytes (SOI … EOI); the routes never decode them. */
export const FAKE_JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0xff, 0xd9]);

const camera = (id: string, extra: Partial<CameraInfo> = {}): CameraInfo => ({
  id, source: 'synthetic', state: 'online', viewers: 0, packetsLost: 0, framesDropped: 0, reconnects: 0, ...extra,
});

/** The in-memory server; fields are public so tests can change them. */
export class MemoryDetectionServer implements ServerLike {
  list: CameraInfo[] = [camera('gate1', { fps: 25, bitrateBps: 2_000_000, viewers: 2, reconnects: 1 }), camera('yard')];
  readonly memoryStore = new MemoryEventStore();
  /** The store the routes see; a test may swap in the real one or remove it. */
  events?: EventStoreLike = this.memoryStore;
  /** The count store the routes see; none until a test sets one. */
  counts?: CountStoreLike;
  /** Camera id → its latest JPEG; a camera missing here has no decoded frame yet. */
  frames = new Map<string, Uint8Array>([['gate1', FAKE_JPEG]]);
  pluginStats: PluginStats[] = [];
  pluginHistograms: Array<{ camera: string; plugin: string; histogram: HistogramSnapshot }> = [];
  metricsSnapshot?: MetricsSnapshot;
  readonly bus = new Emitter<{ event: [StoredEventLike]; detections: [DetectionsMessage] }>();

  cameras(): CameraInfo[] {
    return this.list;
  }
  camera(id: string): CameraInfo | undefined {
    return this.list.find((c) => c.id === id);
  }
  whep = {
    createSession: (): Promise<{ id: string; answerSdp: string }> => Promise.reject(new Error('no WHEP here')),
    deleteSession: (): boolean => false,
  };
  plugins = { stats: (): PluginStats[] => this.pluginStats, histograms: () => this.pluginHistograms };
  async cameraSnapshot(id: string): Promise<Uint8Array | undefined> {
    return this.frames.get(id);
  }
  metrics?(): MetricsSnapshot;
  onEvent(listener: (e: StoredEventLike) => void): () => void {
    return this.bus.on('event', listener);
  }
  onDetections(listener: (m: DetectionsMessage) => void): () => void {
    return this.bus.on('detections', listener);
  }
}
