import { join, resolve } from 'node:path';
import { BUNDLED_MODEL, cameraPlugins, type Config, type DetectorConfig } from '../config/schema.js';
import { ConfigError } from './errors.js';
import { AccessPolicy } from './auth/access.js';
import { ApiTokens, FailedAuthLimiter } from './auth/api-tokens.js';
import { ViewerTokens } from './auth/viewer-token.js';
import type { DetectorService, DetectorStats } from './detect/service.js';
import { Camera } from './camera/camera.js';
import { decodePlan, type DecodePlan } from './camera/frames.js';
import { Emitter } from './emitter.js';
import { JpegEncoder } from './events/snapshots.js';
import { probeFfmpeg } from './ffmpeg.js';
import { ClipRecorder, type ClipStats } from './events/clips.js';
import { CountStore } from './events/counts.js';
import { EventStore } from './events/store.js';
import type { StoredEvent } from './events/model.js';
import { PluginHost, type DetectionsMessage } from './plugins/host.js';
import type { CountSink } from './plugins/runner.js';
import type { ShedPolicy } from './plugins/shedder.js';
import { PluginReconfigurer } from './plugins/reconfigure.js';
import { PluginRegistry } from './plugins/registry.js';
import { createHttpApp } from './http/app.js';
import { MqttPublisher, type MqttStats } from './mqtt/publisher.js';
import { ClusterMap, remoteCameraInfo } from './cluster/cluster.js';
import { CountReporter, type ReporterStats } from './cluster/reporter.js';
import type { CameraInfo, CameraMetrics, ServerLike } from './http/types.js';
import { createLogger, setLogLevel } from './log.js';
import { RtmpServer } from './rtmp/server.js';
import { RtspServer, type RtspAccessRequest, type RtspAccessResult } from './rtsp/server.js';
import { basicChallenge, digestChallenge, parseAuthorization, verifyAuthorization } from '../codecs/rtsp/auth.js';
import type { Stream } from './stream/stream.js';
import { resolveHostAddresses } from './webrtc/ice.js';
import { WhepService } from './webrtc/whep.js';

const log = createLogger('server');

/** Where a running server listens. */
export interface ServerAddresses {
  httpPort: number;
  rtspPort: number;
  /** The RTMP ingest port, when an enabled camera has an `rtmp:` source (else nothing listens). */
  rtmpPort?: number;
  /** Page URL printed at start. */
  pageUrl: string;
}

/**
 * The root of the ownership tree: owns the cameras, the RTSP server (push + restream), the
 * RTMP ingest server (when a camera has an `rtmp:` source), the WHEP service and the HTTP app,
 * and closes them in reverse order.
 */
export class Server {
  readonly cameras = new Map<string, Camera>();
  readonly whep: WhepService;
  readonly rtsp: RtspServer;
  /** The RTMP ingest server, when a camera has an `rtmp:` source. */
  readonly rtmp?: RtmpServer;
  #http: ReturnType<typeof createHttpApp>;
  #addresses?: ServerAddresses;
  #closed = false;
  #store?: EventStore;
  #counts?: CountStore;
  #jpeg?: JpegEncoder;
  #detector?: DetectorService;
  #host?: PluginHost;
  #registry?: PluginRegistry;
  #mqtt?: MqttPublisher;
  /** With `cluster:`: who this node is and who runs each camera. */
  readonly cluster?: ClusterMap;
  #reporter?: CountReporter;
  #clips?: ClipRecorder;
  #access?: AccessPolicy;
  readonly #reconfigure: PluginReconfigurer;
  /** Relays committed events and plugin detections to the WebSocket, which subscribes before start. */
  readonly #bus = new Emitter<{ event: [StoredEvent]; detections: [DetectionsMessage] }>();

  /** `configPath`: the file `config` was read from; the zone editor saves into it (none: saves are refused). */
  constructor(readonly config: Config, opts: { configPath?: string } = {}) {
    setLogLevel(config.log.level);
    this.cluster = ClusterMap.fromConfig(config);
    const self = this;
    this.#reconfigure = new PluginReconfigurer({
      config,
      ...(opts.configPath !== undefined ? { configPath: opts.configPath } : {}),
      get host() {
        return self.#host;
      },
      get registry() {
        return self.#registry;
      },
      frames: (id) => this.cameras.get(id)?.frames,
    });
    for (const [id, cameraConfig] of Object.entries(config.cameras)) {
      if (cameraConfig.enabled === false) continue;
      if (this.cluster && !this.cluster.isOwn(id)) continue; // another node runs it
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
        authorize: (request) => this.#authorizeRtsp(request),
      },
    );
    if ([...this.cameras.values()].some((c) => c.source === 'rtmp')) {
      this.rtmp = new RtmpServer({ host: config.rtmp.host, port: config.rtmp.port }, (id) => {
        const camera = this.cameras.get(id);
        if (camera?.source !== 'rtmp' || !camera.config.rtmp) return undefined;
        return {
          stream: camera.stream, key: camera.config.rtmp.key,
          onPublish: () => camera.onPublish(), onRefused: (reason) => camera.onPublishRefused(reason),
        };
      });
    }
    this.whep = new WhepService(
      { portRange: config.webrtc.udpPortRange, hostAddresses: resolveHostAddresses(config.webrtc.hostAddresses), iceServers: config.webrtc.iceServers },
      { get: (id) => this.#streamForViewer(id) },
    );
    const serverLike: ServerLike = {
      cameras: (): CameraInfo[] => this.#cameraList(),
      camera: (id) => {
        const info = this.cameras.get(id)?.info();
        return info && this.cluster ? { ...info, node: this.cluster.node } : info;
      },
      whep: this.whep,
      ...(this.cluster ? { cluster: this.cluster } : {}),
      get events() {
        return self.#store;
      },
      get plugins() {
        return self.#host;
      },
      get counts() {
        return self.#counts;
      },
      cameraSnapshot: (id) => this.#cameraSnapshot(id),
      metrics: () => {
        const clips = this.clipStats();
        const mqtt = this.mqttStats();
        const load = this.#host?.load();
        const rtmp = this.rtmp?.stats;
        return {
          cameras: [...this.cameras.values()].map((c) => this.#cameraMetrics(c)),
          ...(clips ? { clips } : {}), ...(mqtt ? { mqtt } : {}), ...(load ? { load } : {}), ...(rtmp ? { rtmp } : {}),
        };
      },
      onEvent: (listener) => this.#bus.on('event', listener),
      onDetections: (listener) => this.#bus.on('detections', listener),
      detectorStats: () => this.detectorStats(),
      geometry: (id) => this.#reconfigure.geometry(id),
      saveGeometry: (id, plugin, patch) => this.#reconfigure.save(id, plugin, patch),
    };
    const access = (this.#access = accessPolicy(config));
    this.#http = createHttpApp(serverLike, {
      ...(access ? { access } : {}),
      ...(config.http.tls ? { tls: config.http.tls } : {}),
      host: config.http.host,
      port: config.http.port,
      maxBodyBytes: config.http.maxBodyBytes,
      corsOrigins: config.http.corsOrigins,
      trustProxy: config.http.trustProxy,
    });
  }

  /** Ports the server is bound to (after start). */
  get addresses(): ServerAddresses {
    if (!this.#addresses) throw new Error('server not started');
    return this.#addresses;
  }

  /** Opens the event store and the plugin host, binds the RTSP, RTMP (if used) and HTTP ports, then starts every camera. */
  async start(): Promise<ServerAddresses> {
    await this.#startPlugins();
    const rtspPort = await this.rtsp.listen();
    const rtmpPort = await this.rtmp?.listen();
    const httpPort = await this.#http.listen();
    const host = this.config.http.host === '0.0.0.0' || this.config.http.host === '::' ? '127.0.0.1' : this.config.http.host;
    this.#addresses = { httpPort, rtspPort, ...(rtmpPort !== undefined ? { rtmpPort } : {}), pageUrl: `${this.config.http.tls ? 'https' : 'http'}://${host}:${httpPort}/` };
    for (const camera of this.cameras.values()) camera.start();
    return this.#addresses;
  }

  /**
   * The detection side: plugin registry, durable event store, JPEG encoder pool and the plugin
   * host, and a decoder on every camera that has plugins. A plugin config that its own schema
   * rejects fails the start with a ConfigError naming the path.
   */
  async #startPlugins(): Promise<void> {
    const wanted = cameraPlugins(this.config).filter(({ cameraId }) => this.cameras.has(cameraId));
    const registry = (this.#registry = wanted.length > 0 ? await PluginRegistry.load() : undefined);
    registry?.validateCameraPlugins(wanted);
    const { storage } = this.config;
    this.#store = await EventStore.open({
      path: resolve(storage.path),
      maxAgeMs: storage.maxAgeDays * 86_400_000,
      maxBytes: storage.maxBytes,
      mapSize: storage.mapSizeBytes,
    });
    this.#store.on('event', (e) => this.#bus.emit('event', e));
    this.#counts = await CountStore.open({ path: join(resolve(storage.path), 'counts') });
    this.#startMqtt();
    if (!registry) return;
    await probeFfmpeg();
    for (const failure of registry.failures) log.warn(`plugin ${failure.where} not loaded: ${failure.error}`);
    const det = this.config.detector;
    const usesModel = (id: string) => det !== undefined && this.config.cameras[id]!.detect.model;
    if (det && wanted.some((w) => usesModel(w.cameraId))) this.#detector = await startDetector(det);
    const detector = this.#detector;
    const jpeg = (this.#jpeg = new JpegEncoder());
    const host = (this.#host = new PluginHost({
      registry,
      events: this.#store,
      counts: this.#countSink(this.#counts),
      objects: this.#counts,
      gates: Object.fromEntries(Object.entries(this.config.cameras).flatMap(([id, c]) => (c.gate ? [[id, c.gate]] : []))),
      snapshotEncoder: (planes, width, height) => jpeg.encode(planes, width, height),
      overload: this.#overloadPolicy(),
      ...(detector ? { detector: (camera: string) => (usesModel(camera) ? detector.connect(camera) : undefined) } : {}),
    }));
    host.on('detections', (m) => this.#bus.emit('detections', m));
    this.#startClips(new Set(wanted.map((w) => w.cameraId)));
    const plans = new Map<string, DecodePlan>();
    for (const cameraId of new Set(wanted.map((w) => w.cameraId))) {
      const requests = wanted
        .filter((w) => w.cameraId === cameraId)
        .map(({ pluginName, settings }) => {
          const defaults = registry.get(pluginName)?.definition.defaults;
          return { fps: settings.fps ?? defaults?.fps, ...defaults?.input };
        });
      plans.set(cameraId, decodePlan(this.config.cameras[cameraId]!.detect, requests));
    }
    for (const { cameraId, pluginName, settings } of wanted) {
      const frames = this.cameras.get(cameraId)!.decodeFor(plans.get(cameraId)!);
      host.add(cameraId, pluginName, settings, frames);
    }
  }

  /** `storage.clips`: a history of each camera with plugins, cut into a clip for each violation. */
  #startClips(cameraIds: ReadonlySet<string>): void {
    const opts = this.config.storage.clips;
    const store = this.#store!;
    if (!opts.enabled || cameraIds.size === 0) return;
    const clips = (this.#clips = new ClipRecorder(store, opts));
    for (const id of cameraIds) clips.watch(id, this.cameras.get(id)!.stream);
    store.on('event', (e) => clips.event(e));
  }

  /**
   * RTSP access: a push camera with `publishAuth` needs its credentials (Digest or Basic) to
   * ANNOUNCE; with API tokens, a restream reader needs one (or a viewer token for the camera) as
   * `?token=` or as the Basic password. Failures count against the address like HTTP's.
   */
  #authorizeRtsp(r: RtspAccessRequest): RtspAccessResult {
    const access = this.#access;
    const retry = access?.retryAfterS(r.address) ?? 0;
    if (retry > 0) return { ok: false, status: 429, reason: `Too Many Requests (retry in ${retry} s)` };
    if (r.mode === 'publish') {
      const creds = this.#cameraFor(r.path)?.config.publishAuth;
      if (!creds) return { ok: true };
      if (verifyAuthorization(r.authorization, { method: r.method, realm: RTSP_REALM, nonce: r.nonce, ...creds })) return { ok: true };
      if (r.authorization) {
        access?.recordFailure(r.address);
        log.warn(`rtsp: publisher ${r.address} gave wrong credentials for ${r.path}`);
      }
      return { ok: false, status: 401, reason: 'Unauthorized', challenges: [digestChallenge({ realm: RTSP_REALM, nonce: r.nonce, algorithm: 'MD5' }), basicChallenge(RTSP_REALM)] };
    }
    if (!access?.enabled) return { ok: true };
    const d = access.viewCamera(rtspToken(r), r.path, r.address);
    if (d.allowed) return { ok: true };
    return d.status === 401
      ? { ok: false, status: 401, reason: 'Unauthorized', challenges: [basicChallenge(RTSP_REALM)] }
      : { ok: false, status: d.status, reason: d.status === 403 ? 'Forbidden' : 'Too Many Requests' };
  }

  /** `overload:` as the plugin host's shedding policy (false: off). */
  #overloadPolicy(): false | Partial<ShedPolicy> {
    const o = this.config.overload;
    if (!o.enabled) return false;
    return {
      lagHighMs: o.lagHighMs, lagLowMs: o.lagLowMs, escalateAfterMs: o.escalateAfterS * 1000, relaxAfterMs: o.relaxAfterS * 1000,
      minFpsScale: o.minFpsScale, warmupMs: o.warmupS * 1000,
    };
  }

  /** The evidence clip recorder's counters, when clips are kept. */
  clipStats(): ClipStats | undefined {
    return this.#clips?.stats;
  }

  /**
   * `mqtt:`: publishes committed events and the stats from now on (the broker is reached in the
   * background). With `cluster:` the client id and node name are this node's; on the reporter node,
   * the other nodes' count rows are gathered into the count store (core/cluster/reporter.ts).
   */
  #startMqtt(): void {
    const m = this.config.mqtt;
    if (!m) return;
    const cluster = this.cluster;
    const opts = cluster ? { ...m, clientId: cluster.publisherClientId(m.clientId), node: m.node ?? cluster.node } : m;
    const mqtt = (this.#mqtt = new MqttPublisher(opts, {
      cameras: () => [...this.cameras.values()].map((c) => c.info()),
      plugins: () => this.#host?.stats() ?? [],
    }));
    this.#store!.on('event', (e) => mqtt.event(e));
    mqtt.start();
    if (cluster?.isReporter) {
      this.#reporter = new CountReporter({
        url: m.url, username: m.username, password: m.password, keepaliveS: m.keepaliveS, topicPrefix: m.topicPrefix,
        clientId: cluster.reporterClientId(m.clientId), node: cluster.node, isOwn: (camera) => cluster.isOwn(camera),
      }, this.#counts!);
      this.#reporter.start();
    }
  }

  /** The reporter's counters, when this node is the cluster's reporter. */
  reporterStats(): ReporterStats | undefined {
    return this.#reporter?.stats();
  }

  /** `GET /api/cameras`: with `cluster:`, every enabled camera in config order, the other nodes' ones as `remote` with their `node`. */
  #cameraList(): CameraInfo[] {
    const cluster = this.cluster;
    if (!cluster) return [...this.cameras.values()].map((c) => c.info());
    const out: CameraInfo[] = [];
    for (const [id, config] of Object.entries(this.config.cameras)) {
      if (!config.enabled) continue;
      const own = this.cameras.get(id);
      out.push(own ? { ...own.info(), node: cluster.node } : remoteCameraInfo(id, config));
    }
    return out;
  }

  /** The count store, with each committed crossing also tallied for MQTT when it is configured. */
  #countSink(counts: CountStore): CountSink {
    const mqtt = this.#mqtt;
    if (!mqtt) return counts;
    return {
      add: async (c) => {
        await counts.add(c);
        mqtt.crossing(c);
      },
    };
  }

  /** The MQTT publisher's counters, when `mqtt:` is configured. */
  mqttStats(): MqttStats | undefined {
    return this.#mqtt?.stats();
  }

  /** The neural detector's counters, when one runs. */
  detectorStats(): DetectorStats | undefined {
    return this.#detector?.stats();
  }

  /** The latest decoded frame of a camera as JPEG. */
  async #cameraSnapshot(id: string): Promise<Uint8Array | undefined> {
    const latest = this.cameras.get(id)?.frames?.latest();
    if (!latest || !this.#jpeg) return undefined;
    const { ring, ref } = latest;
    if (!ring.pin(ref)) return undefined;
    try {
      // encode() copies the planes before it returns, so the slot is unpinned at once.
      return await this.#jpeg.encode(ring.planes(ref.slot), ring.layout.width, ring.layout.height);
    } finally {
      ring.unpin(ref);
    }
  }

  #cameraMetrics(c: Camera): CameraMetrics {
    const s = c.stream.stats;
    return {
      id: c.id,
      fpsIn: s.fps ?? 0,
      fpsDecoded: c.frames?.stats.fpsOut,
      bitrateBps: s.bitrateBps ?? 0,
      viewers: c.viewers,
      reconnects: c.reconnects,
    };
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
    await this.#host?.close();
    // After the plugins (no new events) and before the store: pending clips are cut from what is held.
    await this.#clips?.close();
    // After the plugins (their last events are committed) and before the stores.
    await this.#mqtt?.close();
    await this.#reporter?.close();
    await this.#detector?.close();
    for (const camera of this.cameras.values()) camera.close();
    await this.rtsp.close();
    await this.rtmp?.close();
    await this.#jpeg?.close();
    await this.#store?.close();
    await this.#counts?.close();
  }
}

/** Realm of the RTSP server's challenges. */
const RTSP_REALM = 'streamsight';

/** A restream reader's token: `?token=` on the URL, else the password of Basic credentials. */
function rtspToken(r: RtspAccessRequest): string | undefined {
  try {
    const t = new URL(r.uri).searchParams.get('token');
    if (t) return t;
  } catch {
    // not an absolute URL: no query to read
  }
  const a = r.authorization ? parseAuthorization(r.authorization) : undefined;
  if (a?.scheme !== 'Basic' || !a.token68) return undefined;
  const decoded = Buffer.from(a.token68, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : undefined;
}

/** `auth:` as the HTTP access policy; undefined without it (the API is open). */
function accessPolicy(config: Config): AccessPolicy | undefined {
  const a = config.auth;
  const loopback = ['127.0.0.1', '::1', 'localhost'].includes(config.http.host);
  if (!a?.tokens.length && !loopback) {
    log.warn(`no API tokens (auth.tokens): the HTTP API, WHEP and /ws on ${config.http.host}:${config.http.port} are open to anyone who can reach them`);
  }
  if (!a) return undefined;
  if (a.tokens.length > 0) log.info(`auth: ${a.tokens.length} API token(s) (${a.tokens.map((t) => `${t.name}: ${t.role}`).join(', ')})`);
  return new AccessPolicy(
    new ApiTokens(a.tokens),
    new ViewerTokens(a.viewerTokenSecret, { maxTtlS: a.viewerTokenMaxTtlS }),
    new FailedAuthLimiter(a.failedAuth),
  );
}

/** Starts a server on a validated config and logs where to look. */
export async function startServer(config: Config, opts: { configPath?: string } = {}): Promise<Server> {
  const server = new Server(config, opts);
  try {
    const { pageUrl, rtspPort, rtmpPort } = await server.start();
    const node = server.cluster ? `, node ${server.cluster.node}${server.cluster.isReporter ? ', the reporter' : ''}` : '';
    log.info(`streamsight is running: open ${pageUrl} (RTSP on :${rtspPort}${rtmpPort !== undefined ? `, RTMP on :${rtmpPort}` : ''}, ${server.cameras.size} camera(s)${node})`);
  } catch (err) {
    await server.close();
    throw err;
  }
  return server;
}

/**
 * Starts the detector service for `detector:`: the bundled model is converted on first use (cached);
 * onnxruntime is loaded only now, when a model is configured.
 */
async function startDetector(det: DetectorConfig): Promise<DetectorService> {
  const [{ DetectorService }, { modelSchema }, { ensureCenternetOnnx, defaultModelCache }] = await Promise.all([
    import('./detect/service.js'), import('./detect/models/config.js'), import('./detect/onnx/model.js'),
  ]);
  const bundled = () => ensureCenternetOnnx(det.cacheDir ?? defaultModelCache()).path;
  let spec;
  if (det.model === BUNDLED_MODEL) spec = modelSchema.parse({ path: bundled(), format: 'centernet' });
  else if (det.model.path === BUNDLED_MODEL) {
    if (det.model.format !== 'centernet') throw new ConfigError(`the bundled model '${BUNDLED_MODEL}' has format 'centernet', not '${det.model.format}'`, 'detector.model.format');
    spec = { ...det.model, path: bundled() };
  } else spec = det.model;
  const m = det.motion;
  const service = await DetectorService.start({
    spec, configPath: 'detector.model', workers: det.workers, maxBatch: det.maxBatch, batchWindowMs: det.batchWindowMs, maxPending: det.maxPending,
    gate: m.enabled ? { fullEveryMs: m.fullEveryS * 1000, threshold: m.threshold, minSize: m.minSize } : false,
  });
  log.info(`detector: ${spec.format} model ${spec.path}, input ${service.layout.inputWidth}×${service.layout.inputHeight}${service.layout.dynamicBatch ? ', batched' : ''}`);
  return service;
}
