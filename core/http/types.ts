/**
 * What the HTTP layer needs from the server: a read-only view of the cameras and the WHEP
 * service. core/server.ts implements it; tests use a small in-memory one.
 */

/** A camera as the API shows it (`GET /api/cameras`). URLs are redacted before they get here. */
export interface CameraInfo {
  id: string;
  name?: string;
  source: 'pull' | 'push' | 'synthetic';
  state: 'connecting' | 'online' | 'offline' | 'idle';
  /** Source URL with credentials replaced by `***` (log.redactUrl). */
  url?: string;
  codec?: string;
  profile?: string;
  width?: number;
  height?: number;
  fps?: number;
  bitrateBps?: number;
  audio?: { codec: string; playable: boolean };
  viewers: number;
  packetsLost: number;
  framesDropped: number;
  reconnects: number;
  lastError?: string;
}

/** The WHEP side the routes call (core/webrtc/whep.ts WhepService satisfies it). */
export interface WhepLike {
  /** Answers an SDP offer; throws ProtocolError / UnsupportedError / InvalidStateError. */
  createSession(cameraId: string, offerSdp: string): Promise<{ id: string; answerSdp: string; etag?: string }>;
  /** Ends a session; false when the id is unknown. */
  deleteSession(id: string): boolean;
}

/** The server as seen by core/http. */
export interface ServerLike {
  /** Every configured camera, in configuration order. */
  cameras(): CameraInfo[];
  /** One camera, or undefined when the id is unknown. */
  camera(id: string): CameraInfo | undefined;
  /** The WHEP service that owns the viewers' peer connections. */
  whep: WhepLike;
}
