import type { Config } from '../config/schema.js';
import { Camera } from './camera/camera.js';
import { createHttpApp } from './http/app.js';
import type { CameraInfo, ServerLike } from './http/types.js';
import { createLogger, setLogLevel } from './log.js';
import { RtspServer } from './rtsp/server.js';
import type { Stream } from './stream/stream.js';
import { resolveHostAddresses } from './webrtc/ice.js';
import { WhepService } from './webrtc/whep.js';

const log = createLogger('server');

/** Where a running server listens. */
export interface ServerAddresses {
  httpPort: number;
  rtspPort: number;
  /** Page URL printed at start. */
  pageUrl: string;
}

/**
 * The root of the ownership tree: owns the cameras, the RTSP server (push + restream),
 * the WHEP service and the HTTP app, and closes them in reverse order.
 */
export class Server {
  readonly cameras = new Map<string, Camera>();
  readonly whep: WhepService;
  readonly rtsp: RtspServer;
  #http: ReturnType<typeof createHttpApp>;
  #addresses?: ServerAddresses;
  #closed = false;

  constructor(readonly config: Config) {
    setLogLevel(config.log.level);
    for (const [id, cameraConfig] of Object.entries(config.cameras)) {
      if (cameraConfig.enabled === false) continue;
      this.cameras.set(id, new Camera(id, cameraConfig, () => `rtsp://127.0.0.1:${this.addresses.rtspPort}`));
    }
    this.rtsp = new RtspServer(
      { host: config.rtsp.host, port: config.rtsp.port, udpPortRange: config.rtsp.udpPortRange },
      {
        streamFor: (path) => this.#cameraFor(path)?.stream,
        canPublish: (path) => this.#cameraFor(path)?.canPublish ?? false,
        publish: (path) => {
          const camera = this.#cameraFor(path);
          if (!camera) throw new Error(`no camera at ${path}`);
          camera.onPublish();
          return camera.stream;
        },
        unpublish: (path) => this.#cameraFor(path)?.stream.setOffline(),
      },
    );
    this.whep = new WhepService(
      { portRange: config.webrtc.udpPortRange, hostAddresses: resolveHostAddresses(config.webrtc.hostAddresses), iceServers: config.webrtc.iceServers },
      { get: (id) => this.#streamForViewer(id) },
    );
    const serverLike: ServerLike = {
      cameras: (): CameraInfo[] => [...this.cameras.values()].map((c) => c.info()),
      camera: (id) => this.cameras.get(id)?.info(),
      whep: this.whep,
    };
    this.#http = createHttpApp(serverLike, {
      host: config.http.host,
      port: config.http.port,
      maxBodyBytes: config.http.maxBodyBytes,
      corsOrigins: config.http.corsOrigins,
    });
  }

  /** Ports the server is bound to (after start). */
  get addresses(): ServerAddresses {
    if (!this.#addresses) throw new Error('server not started');
    return this.#addresses;
  }

  /** Binds the RTSP and HTTP ports, then starts every camera. */
  async start(): Promise<ServerAddresses> {
    const rtspPort = await this.rtsp.listen();
    const httpPort = await this.#http.listen();
    const host = this.config.http.host === '0.0.0.0' || this.config.http.host === '::' ? '127.0.0.1' : this.config.http.host;
    this.#addresses = { httpPort, rtspPort, pageUrl: `http://${host}:${httpPort}/` };
    for (const camera of this.cameras.values()) camera.start();
    return this.#addresses;
  }

  /** Path of an RTSP URL → camera (`/gate1`, `gate1/`, `gate1?x` all name gate1). */
  #cameraFor(path: string): Camera | undefined {
    const id = path.replace(/^\/+/, '').replace(/[/?].*$/, '');
    return this.cameras.get(id);
  }

  #streamForViewer(id: string): Stream | undefined {
    const camera = this.cameras.get(id);
    camera?.demand();
    return camera?.stream;
  }

  /** Stops everything; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#http.close();
    this.whep.close();
    for (const camera of this.cameras.values()) camera.close();
    await this.rtsp.close();
  }
}

/** Starts a server on a validated config and logs where to look. */
export async function startServer(config: Config): Promise<Server> {
  const server = new Server(config);
  try {
    const { pageUrl, rtspPort } = await server.start();
    log.info(`streamsight is running: open ${pageUrl} (RTSP on :${rtspPort}, ${server.cameras.size} camera(s))`);
  } catch (err) {
    await server.close();
    throw err;
  }
  return server;
}
