/**
 * The configuration schema, the single source of truth for validation, defaults and the README's
 * config reference (config/docs.ts walks it). Every object is strict — an unknown key is an error
 * (Frigate's rule: a typo must never be silently ignored) — and every field carries a description.
 *
 * Validation messages are written here, next to the rule they explain; config/load.ts only adds
 * the path (`http.port: expected an integer from 0 to 65535`).
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { trustProxyError } from '../core/http/client-address.js';
import { modelSchema } from '../core/detect/models/config.js';
import { checkCluster, clusterSchema, NODE_NAME_PATTERN, NODE_NAME_RULE } from './cluster.js';

/** Camera ids become URL path segments (`/whep/gate1`, `rtsp://host:8554/gate1`), so keep them plain. */
export const CAMERA_ID_PATTERN = /^[a-z0-9_-]{1,64}$/;

/** What CAMERA_ID_PATTERN allows, in words. */
export const CAMERA_ID_RULE = 'use 1-64 characters from a-z 0-9 _ -';

/** URL schemes a pulled camera may use. */
export const CAMERA_URL_SCHEMES = ['rtsp:'] as const;

/** Schemes users try that are not pulled yet: named in the error rather than called invalid. */
const PLANNED_SCHEMES = ['rtsps:', 'rtmp:'] as const;

/** An integer in [min, max] with one message for every way to miss it (wrong type, fraction, out of range). */
function intIn(min: number, max: number) {
  const error = `expected an integer from ${min} to ${max}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
}

/** A number in [min, max] (fractions allowed), one message for every way to miss it. */
function numberIn(min: number, max: number) {
  const error = `expected a number from ${min} to ${max}`;
  return z.number({ error }).min(min, { error }).max(max, { error });
}

/** A TCP/UDP port; 0 asks the OS for a free one (useful in tests). */
const port = () => intIn(0, 65535);

/** An even frame dimension (4:2:0 chroma subsampling needs even sizes). */
function evenIn(min: number, max: number) {
  const error = `expected an even integer from ${min} to ${max}`;
  return z.int({ error }).min(min, { error }).max(max, { error }).refine((n) => n % 2 === 0, { error });
}

/** An inclusive [first, last] UDP port range. */
function portRange(def: [number, number], what: string) {
  const error = 'expected [first, last] with ports from 1 to 65535';
  const p = intIn(1, 65535);
  return z
    .tuple([p, p], { error })
    .refine(([a, b]) => a <= b, { error: 'first port must not be greater than the last' })
    .default(def)
    .describe(`Inclusive UDP port range [first, last] for ${what}.`);
}

function isCameraUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.hostname !== '';
  } catch {
    return false;
  }
}

function schemeOf(value: string): string | undefined {
  return /^([a-z][a-z0-9+.-]*:)\/\//i.exec(value)?.[1]?.toLowerCase();
}

function isPlannedScheme(value: string): boolean {
  return !(PLANNED_SCHEMES as readonly string[]).includes(schemeOf(value) ?? '');
}

function hasCameraScheme(value: string): boolean {
  const m = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(value);
  return !!m && (CAMERA_URL_SCHEMES as readonly string[]).includes(m[1]!.toLowerCase());
}

/** Source URL of a pulled camera. Messages never echo the URL: it may carry a password. */
const cameraUrl = z
  .string()
  .refine(isPlannedScheme, { error: 'rtsps:// and rtmp:// pull are not supported yet; use an rtsp:// URL', abort: true })
  .refine(hasCameraScheme, { error: 'expected an rtsp:// URL', abort: true })
  .refine(isCameraUrl, { error: 'not a valid URL (is a special character in the password not %-encoded?)' });

const logSchema = z
  .strictObject({
    level: z.enum(['debug', 'info', 'warn', 'error'], { error: 'expected one of debug, info, warn, error' })
      .default('info')
      .describe('Minimum level written to the log: debug, info, warn or error.'),
  })
  .describe('Logging.');

const httpSchema = z
  .strictObject({
    host: z.string().min(1).default('0.0.0.0').describe('Address the HTTP API, WHEP endpoint and web page listen on.'),
    port: port().default(8080).describe('HTTP port (0 picks a free port).'),
    maxBodyBytes: intIn(1024, 10 * 1024 * 1024).default(65536)
      .describe('Largest accepted request body (a WHEP offer is a few KiB).'),
    corsOrigins: z.array(z.string().min(1)).default(['*'])
      .describe('Origins allowed by CORS; `*` allows any.'),
    trustProxy: z.array(z.string().min(1)).default([])
      .superRefine((entries, ctx) => {
        const error = trustProxyError(entries);
        if (error) ctx.addIssue({ code: 'custom', message: error });
      })
      .describe('Reverse proxies (addresses, CIDRs, or `loopback`, `linklocal`, `uniquelocal`) whose `X-Forwarded-For` names the client: its address is then the header\'s last entry that is not a trusted proxy, for the failed-auth brake. Empty: the header is ignored.'),
    tls: z.strictObject({
      certFile: z.string().min(1).describe('PEM certificate (chain) file.'),
      keyFile: z.string().min(1).describe('PEM private key file.'),
      passphrase: z.string().optional().describe('Passphrase of an encrypted key (redacted in logs and the API).'),
    }).optional()
      .describe('Serve HTTPS (and WSS) instead of HTTP. Browsers need HTTPS for WebRTC on any origin but localhost; or terminate TLS at a reverse proxy instead.'),
  })
  .describe('HTTP server: API, WHEP and web page.');

const rtspSchema = z
  .strictObject({
    host: z.string().min(1).default('0.0.0.0').describe('Address the RTSP server listens on.'),
    port: port().default(8554).describe('RTSP port for pushing publishers and restream viewers (0 picks a free port).'),
    udpPortRange: portRange([8000, 8099], 'RTP/RTCP over UDP with RTSP clients'),
  })
  .describe('RTSP server: accepts pushed streams and restreams every camera.');

/** An RTMP publish key goes into a URL query (`?key=`): URL-safe characters only. */
export const RTMP_KEY_PATTERN = /^[A-Za-z0-9._~-]{8,128}$/;

/** What RTMP_KEY_PATTERN allows, in words. */
export const RTMP_KEY_RULE = 'use 8-128 characters from A-Z a-z 0-9 . _ ~ -';

const rtmpSchema = z
  .strictObject({
    host: z.string().min(1).default('0.0.0.0').describe('Address the RTMP server listens on.'),
    port: port().default(1935).describe('RTMP port publishers push to (0 picks a free port).'),
  })
  .describe('RTMP ingest server: it listens only when at least one enabled camera has an `rtmp:` source.');

const cameraRtmpSchema = z
  .strictObject({
    key: z.string({ error: 'expected a string' }).regex(RTMP_KEY_PATTERN, { error: RTMP_KEY_RULE })
      .describe('Publish key: the publisher sends to `rtmp://<host>:<rtmp.port>/live/<id>?key=<key>` (redacted in logs and the API).'),
  })
  .describe('RTMP source: wait for a publisher (OBS, ffmpeg, an encoder) to push H.264 or H.265 over RTMP.');

const iceServerSchema = z
  .strictObject({
    urls: z.union([z.string(), z.array(z.string()).min(1)], { error: 'expected a URL or a list of URLs' })
      .refine((u) => (Array.isArray(u) ? u : [u]).every((s) => /^(stuns?|turns?):/.test(s)), {
        error: 'expected stun:, stuns:, turn: or turns: URLs',
      })
      .describe('STUN/TURN URL or URLs (`stun:host:3478`, `turn:host:3478?transport=udp`).'),
    username: z.string().optional().describe('TURN username.'),
    credential: z.string().optional().describe('TURN password (redacted in logs and the API).'),
  })
  .refine(
    (s) => !(Array.isArray(s.urls) ? s.urls : [s.urls]).some((u) => u.startsWith('turn')) ||
      (s.username !== undefined && s.credential !== undefined),
    { error: 'a turn: server needs username and credential' },
  )
  .describe('A STUN/TURN server, shaped like WebRTC\'s RTCIceServer.');

const webrtcSchema = z
  .strictObject({
    udpPortRange: portRange([40000, 40999], 'WebRTC ICE/media; each viewer holds one port while it watches (one socket per peer connection), so the range caps concurrent viewers'),
    hostAddresses: z.array(z.string().refine((s) => isIP(s) !== 0, { error: 'expected an IP address' }))
      .default([])
      .describe('IP addresses advertised in host ICE candidates (e.g. the LAN or public IP); empty uses every IPv4 address of the machine\'s interfaces plus 127.0.0.1.'),
    iceServers: z.array(iceServerSchema).default([])
      .describe('STUN/TURN servers used by the server\'s ICE agent; empty means no STUN/TURN at all (LAN only).'),
  })
  .describe('WebRTC (WHEP) viewers.');

const syntheticSchema = z
  .strictObject({
    width: evenIn(16, 7680).default(1280).describe('Frame width in pixels (even).'),
    height: evenIn(16, 4320).default(720).describe('Frame height in pixels (even).'),
    fps: intIn(1, 120).default(25).describe('Frames per second.'),
    bitrateKbps: intIn(50, 50000).default(2000).describe('Target H.264 bitrate in kbit/s.'),
    gop: intIn(1, 1200).default(50).describe('Frames between keyframes.'),
    file: z.string().min(1).optional()
      .describe('An H.264 (Annex B) or MP4 clip to play in a loop instead of the test pattern, copied without re-encoding (width, height, bitrate and gop are then the clip\'s own; fps paces a raw .h264 file).'),
  })
  .describe('An ffmpeg test pattern, or a clip played in a loop, pushed into the server (no camera needed).');

const reconnectSchema = z
  .strictObject({
    initialMs: intIn(100, 60000).default(500).describe('First reconnect delay; doubles on each failure.'),
    maxMs: intIn(1000, 3600000).default(30000).describe('Largest reconnect delay.'),
  })
  .refine((r) => r.initialMs <= r.maxMs, { error: 'initialMs must not be greater than maxMs' })
  .describe('Reconnect backoff (capped exponential with jitter).');

/** Byte-size units: decimal (kB = 1000) and binary (KiB = 1024); case-insensitive, so `500mb` is 500 MB. */
const BYTE_UNITS: Readonly<Record<string, number>> = {
  b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, pb: 1e15,
  kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40, pib: 2 ** 50,
};

/** What parseByteSize accepts, in words (also its error message). */
export const BYTE_SIZE_RULE = 'expected a number of bytes or a size such as 500MB or 10GiB (units B, kB, MB, GB, TB, PB, KiB, MiB, GiB, TiB, PiB)';

/**
 * A size in bytes from a whole number (`10737418240`) or a string (`'10GiB'`, `'500 MB'`, `'1.5GiB'`,
 * `'4096'`); fractions of a unit are rounded to the nearest byte. Throws ConfigError(BYTE_SIZE_RULE).
 */
export function parseByteSize(value: string | number): number {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return value;
    throw new ConfigError(BYTE_SIZE_RULE);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = m ? BYTE_UNITS[(m[2] || 'b').toLowerCase()] : undefined;
  const bytes = m && unit !== undefined ? Math.round(Number(m[1]) * unit) : NaN;
  if (!Number.isSafeInteger(bytes)) throw new ConfigError(BYTE_SIZE_RULE);
  return bytes;
}

/** A byte size field: a number or a unit string in YAML, always a number of bytes once validated. */
function byteSize(min: number, max: number, range: string) {
  return z.union([z.number(), z.string()], { error: BYTE_SIZE_RULE }).transform((value, ctx) => {
    let bytes: number;
    try {
      bytes = parseByteSize(value);
    } catch (err) {
      ctx.issues.push({ code: 'custom', message: (err as Error).message, input: value });
      return z.NEVER;
    }
    if (bytes >= min && bytes <= max) return bytes;
    ctx.issues.push({ code: 'custom', message: `expected a size from ${range}`, input: value });
    return z.NEVER;
  });
}

/** The bundled model's name in `detector.model` (or as a model's `path`). */
export const BUNDLED_MODEL = 'centernet';

const detectorSchema = z
  .strictObject({
    model: z.union([z.literal(BUNDLED_MODEL), modelSchema]).default(BUNDLED_MODEL)
      .describe(`The model: '${BUNDLED_MODEL}' (the bundled CenterNet COCO detector, converted from @vladmandic/human's TF.js graph on first use and cached; no download), or your own .onnx file with its format. A model whose \`path\` is '${BUNDLED_MODEL}' is the bundled one with your thresholds.`),
    workers: z.int({ error: 'expected an integer' }).min(0).max(64).default(0)
      .describe('Detector threads, each with its own model session on one core; 0: one per core.'),
    maxBatch: z.int({ error: 'expected an integer' }).min(1).max(32).default(4)
      .describe('Most frames of cameras due at once run as one batch (models with a dynamic batch dimension).'),
    batchWindowMs: z.number().min(0).max(100).default(2)
      .describe('How long a frame waits for frames of other cameras to batch with, ms.'),
    maxPending: z.int({ error: 'expected an integer' }).min(1).max(1024).default(32)
      .describe('Most frames waiting for the model; beyond them a plugin gets no detections for its frame (counted).'),
    motion: z.strictObject({
      enabled: z.boolean().default(true).describe('Run the model only around motion and the objects found last time, with a full-frame pass every fullEveryS.'),
      fullEveryS: z.number().min(0.2).max(600).default(5).describe('Seconds between full-frame passes.'),
      threshold: z.number().min(1).max(255).default(12).describe('Mean luma change of a 16-pixel cell that is motion.'),
      minSize: z.int().min(32).max(4096).default(320).describe('Smallest region sent to the model, pixels a side.'),
    }).prefault({}).describe('Motion gating, as Frigate does it.'),
    cacheDir: z.string().min(1).optional()
      .describe('Where the bundled model is converted and cached; default $STREAMSIGHT_MODEL_CACHE, else ~/.cache/streamsight/models.'),
  })
  .describe('The neural object detector (onnxruntime on the CPU) shared by every camera: trackers in plugins get model classes (person, motorbike, car, truck, bus) instead of blobs. Absent: no model, blobs only.');

/** The detector settings. */
export type DetectorConfig = z.infer<typeof detectorSchema>;

const clipsSchema = z
  .strictObject({
    enabled: z.boolean().default(true)
      .describe('Keep a video clip (MP4, not re-encoded) with every event of at least `minSeverity` on a camera that runs plugins.'),
    beforeS: intIn(0, 60).default(5).describe('Seconds of video before the event (from the keyframe at or before).'),
    afterS: intIn(0, 60).default(5).describe('Seconds of video after the event (after its end, when it has one).'),
    maxS: intIn(1, 300).default(60).describe('Longest clip in seconds: a longer event is cut this long after its start.'),
    minSeverity: z.enum(['info', 'warning', 'critical'], { error: 'expected info, warning or critical' }).default('warning')
      .describe('Events below this severity get no clip (violations are warning or critical).'),
    maxBytesPerCamera: byteSize(2 ** 20, 2 ** 32, '1MiB to 4GiB').prefault('64MiB')
      .describe("Bound on each camera's in-memory history of video the clips are cut from; a camera whose bitrate needs more keeps fewer seconds."),
  })
  .refine((c) => c.beforeS + c.afterS <= c.maxS, { error: 'beforeS + afterS must not exceed maxS', path: ['maxS'] })
  .describe('Evidence clips: the video around each violation, stored with the event and deleted with it.');

const storageSchema = z
  .strictObject({
    path: z.string().min(1).default('data')
      .describe('Folder of the event store (LMDB database with events and snapshots), relative to the working directory.'),
    maxAgeDays: intIn(1, 3650).default(30).describe('Events older than this many days are deleted.'),
    maxBytes: byteSize(2 ** 20, 2 ** 50, '1MiB to 1PiB').prefault('10GiB')
      .describe('Largest size of the stored events and snapshots; the oldest are deleted first. Bytes, or a size such as `500MB` or `10GiB`.'),
    mapSizeBytes: byteSize(2 ** 20, 2 ** 50, '1MiB to 1PiB').optional()
      .describe('LMDB map size: the most the database file may grow to, reserved as virtual address space; at least maxBytes. Default: chosen by the event store from maxBytes.'),
    clips: clipsSchema.prefault({}),
  })
  .refine((s) => s.mapSizeBytes === undefined || s.mapSizeBytes >= s.maxBytes, {
    error: 'must not be smaller than maxBytes', path: ['mapSizeBytes'],
  })
  .describe('Event store: where detected events and their snapshots are kept, and for how long.');

/** A broker URL: mqtt:// or mqtts:// (TCP, TLS) or ws:// or wss:// with a host. Messages never echo it: it may carry a password. */
function isBrokerUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return ['mqtt:', 'mqtts:', 'ws:', 'wss:'].includes(u.protocol) && u.hostname !== '';
  } catch {
    return false;
  }
}

/** An API token in the config: the token itself (16+ characters) or `sha256:` and its 64 hex digits. */
const apiTokenValue = z.string().refine((t) => /^sha256:[0-9a-f]{64}$/i.test(t) || (t.length >= 16 && !t.startsWith('sha256:')), {
  error: 'expected a token of at least 16 characters, or sha256:<64 hex digits> of one',
});

const authSchema = z
  .strictObject({
    tokens: z.array(z.strictObject({
      name: z.string().min(1).max(100).describe('Who holds the token; logged, never the token.'),
      token: apiTokenValue.describe('The token (16+ characters, e.g. `${OPS_TOKEN}` from the environment), or `sha256:<hex>` of it so the file does not hold it.'),
      role: z.enum(['admin', 'viewer'], { error: 'expected admin or viewer' })
        .describe('`admin`: everything, including zones and plugin config. `viewer`: read the API, watch, mint viewer tokens.'),
    })).default([])
      .describe('API tokens (`Authorization: Bearer <token>`, or `?token=`). With none, the HTTP API is open to anyone who can reach it.'),
    viewerTokenSecret: z.string().min(32, { error: 'must be at least 32 characters' }).optional()
      .describe('Secret that signs viewer tokens (HMAC-SHA256). Default: random at each start, so tokens die with the process; set it (the same on every node) to keep them valid across restarts and nodes.'),
    viewerTokenMaxTtlS: intIn(1, 86400).default(3600).describe('Longest lifetime of a viewer token, seconds.'),
    failedAuth: z.strictObject({
      maxFailures: intIn(1, 10000).default(10).describe('Wrong credentials one address may send within `windowS`.'),
      windowS: intIn(1, 86400).default(60).describe('The window, seconds.'),
      blockS: intIn(1, 86400).default(300).describe('How long an address past the limit is refused (429), seconds.'),
    }).prefault({}).describe('Brake on guessing tokens, per client address.'),
  })
  .describe('Access control: API tokens with roles, and short-lived viewer tokens for one camera.');

const overloadSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Shed plugin work when the machine is overloaded, so the relay keeps its latency.'),
    lagHighMs: intIn(5, 10000).default(50)
      .describe("The main loop's p99 delay (ms, over a second) above which plugin work is shed: the relay runs on that loop."),
    lagLowMs: intIn(1, 10000).default(25).describe('The p99 delay (ms) below which shedding is relaxed.'),
    escalateAfterS: intIn(0, 600).default(3).describe('Seconds the delay must stay high before shedding one more level.'),
    relaxAfterS: intIn(0, 3600).default(10).describe('Seconds the delay must stay low before giving one level back.'),
    minFpsScale: z.union([z.literal(1), z.literal(0.5), z.literal(0.25), z.literal(0.125), z.literal(0.0625)], { error: 'expected 1, 0.5, 0.25, 0.125 or 0.0625' }).default(0.25)
      .describe("Plugins' fps are halved per level down to this factor; the levels after that pause plugins, lowest `priority` first."),
    warmupS: intIn(0, 600).default(20).describe('Seconds after start in which nothing is shed: starting every worker, decoder and camera at once delays the loop by itself.'),
  })
  .refine((o) => o.lagLowMs < o.lagHighMs, { error: 'must be below lagHighMs', path: ['lagLowMs'] })
  .describe('Overload: plugin frames are skipped, then the lowest-priority plugins paused, before the relay is slowed. Visible in `/api/load`, `/api/plugins` and `/metrics`.');

const mqttSchema = z
  .strictObject({
    url: z.string({ error: 'expected a URL such as mqtt://host:1883' })
      .refine(isBrokerUrl, { error: 'expected an mqtt://, mqtts://, ws:// or wss:// URL with a host' })
      .describe('The broker, e.g. `mqtt://broker.lan:1883` (mqtts://, ws:// and wss:// also work).'),
    username: z.string().optional().describe('Broker username.'),
    password: z.string().optional().describe('Broker password (redacted in logs and the API).'),
    clientId: z.string().min(1).max(128).optional()
      .describe('MQTT client id, also the availability topic\'s middle level; default `streamsight-<hostname>`. Two servers must not share one. With `cluster:`, each node appends `-<node>` to it (default `streamsight-<node>`), so one shared config gives every node its own.'),
    topicPrefix: z.string().regex(/^[^#+\u0000]+$/, { error: 'expected a topic without wildcards (+, #)' })
      .refine((t) => !t.startsWith('/') && !t.endsWith('/'), { error: 'must not start or end with /' })
      .default('streamsight')
      .describe('First level(s) of every topic: `{prefix}/{camera}/events`, `{prefix}/stats`, ...'),
    node: z.string().min(1).max(200).optional().describe('This server\'s name in the stats message; default the cluster node\'s name, else the host name.'),
    statsIntervalS: intIn(1, 3600).default(10).describe('Seconds between `{prefix}/stats` messages (camera state and plugin health).'),
    maxQueuedEvents: intIn(1, 1_000_000).default(10000)
      .describe('Most events and count messages kept in memory while the broker is away or has not acknowledged them; beyond it the oldest are dropped and counted.'),
    keepaliveS: intIn(5, 3600).default(30)
      .describe('MQTT keepalive, seconds: the broker publishes the last will (`offline`) when it hears nothing for 1.5 times this.'),
  })
  .describe('Publish events, per-minute counts, camera state and plugin health to an MQTT broker. Absent: no MQTT.');

/** The MQTT publisher settings. */
export type MqttConfig = z.infer<typeof mqttSchema>;

/** Frame rate bounds shared by detect.fps and a plugin's fps. */
const FPS_RANGE = [0.1, 60] as const;
const fps = () => numberIn(...FPS_RANGE);
const isFps = (n: unknown): n is number => typeof n === 'number' && n >= FPS_RANGE[0] && n <= FPS_RANGE[1];

const detectSchema = z
  .strictObject({
    width: evenIn(16, 7680).optional()
      .describe('Width of the frames decoded for plugins (even); default: what the plugins ask for, else the source width.'),
    height: evenIn(16, 4320).optional()
      .describe('Height of the frames decoded for plugins (even); default: what the plugins ask for, else the source height.'),
    fps: fps().default(5)
      .describe('Frames per second published to plugins (every frame is decoded, since later frames depend on it; the extra ones are not published); no plugin on the camera may ask for more.'),
    format: z.enum(['i420', 'gray'], { error: 'expected i420 or gray' }).optional()
      .describe('Pixel format given to plugins: i420 (colour) or gray (luma only, cheaper); default: what the plugins ask for.'),
    threads: z.int({ error: 'expected an integer' }).min(0).max(16).default(1)
      .describe('ffmpeg decoder threads. 1 gives the lowest latency; 0 (one per core) or more is for sources one core cannot decode in real time (such as 4K), each extra thread delaying frames by one frame interval.'),
    model: z.boolean({ error: 'expected true or false' }).default(true)
      .describe("Whether this camera's plugins get their objects from the neural detector (the top-level `detector:`), when one is configured; false keeps them on the blob detector."),
  })
  .describe('Decoding for plugins: size, rate and pixel format of the frames they analyse. Used only when the camera has plugins.');

/** Zone and line names travel in events and API queries, so they follow the camera id rule. */
const geometryName = () => z.string().regex(CAMERA_ID_PATTERN, { error: CAMERA_ID_RULE });

/** A point [x, y] in normalised image coordinates (0..1, origin top left), as plugins/sdk's Point. */
export type Point = [number, number];

const POINT_RULE = 'expected [x, y] with 0 ≤ x, y ≤ 1';
const unitInterval = { type: 'number', minimum: 0, maximum: 1 };

function isPoint(v: unknown): v is Point {
  return Array.isArray(v) && v.length === 2 && v.every((c) => typeof c === 'number' && Number.isFinite(c) && c >= 0 && c <= 1);
}

/**
 * One point, checked as a whole so a bad coordinate is reported at the point
 * (`zones.road[2]: expected [x, y] ...`) rather than at `[2][0]`. The meta gives the docs its shape.
 */
const point = () => z
  .unknown()
  .refine((v) => v !== undefined, { error: 'is required', abort: true })
  .refine(isPoint, { error: POINT_RULE })
  .transform((v) => v as Point)
  .meta({ type: 'array', prefixItems: [unitInterval, unitInterval] });

// A refine, not .min(3): zod runs length checks on anything with a length, so a string would get both messages.
const zoneSchema = z.array(point(), { error: 'expected a list of [x, y] points' })
  .refine((zone) => zone.length >= 3, { error: 'a zone needs at least 3 points' })
  .describe('A polygon: at least 3 points [x, y], normalised 0..1 from the top-left corner.');

const lineSchema = z
  .strictObject({
    from: point().describe('Start point [x, y], normalised 0..1.'),
    to: point().describe('End point [x, y], normalised 0..1.'),
  })
  // zod runs this even when from or to failed their own rule (then they may be null): compare only real points.
  .refine((l) => !isPoint(l.from) || !isPoint(l.to) || l.from[0] !== l.to[0] || l.from[1] !== l.to[1], { error: 'from and to must be different points' })
  .describe('A line segment from → to, e.g. for counting crossings.');

/** Plugin names: a `plugins/<name>/` folder or a `streamsight-plugin-<name>` package. */
export const PLUGIN_NAME_PATTERN = /^[a-z0-9-]{1,64}$/;

/** What PLUGIN_NAME_PATTERN allows, in words. */
export const PLUGIN_NAME_RULE = 'use 1-64 characters from a-z 0-9 -';

const pluginSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('A disabled plugin is kept in the config but not started.'),
    fps: fps().optional()
      .describe("Frames per second the plugin analyses (at most detect.fps); default: the plugin's own, capped at detect.fps."),
    latencyBudgetMs: intIn(1, 60000).optional()
      .describe("Time allowed from capture to result before a budget miss is counted (a hang past 4× restarts the plugin); default: the plugin's own."),
    priority: intIn(0, 100).default(50)
      .describe('Under overload (see `overload`), plugins of lower priority are paused first; the highest priority present is never paused.'),
    zones: z.record(geometryName(), zoneSchema).default({}).describe('Named polygons the plugin watches.'),
    lines: z.record(geometryName(), lineSchema).default({}).describe('Named lines the plugin watches.'),
    config: z.unknown().optional()
      .describe("The plugin's own settings; checked by the plugin's schema when it loads, not here."),
  })
  .describe('One plugin run on this camera, named by its folder `plugins/<name>/` or package `streamsight-plugin-<name>`.');

/** One camera: exactly one source (url, push, rtmp or synthetic) plus how to consume it. */
export const cameraSchema = z
  .strictObject({
    name: z.string().min(1).max(200).optional().describe('Display name; defaults to the camera id.'),
    location: z.string().min(1).max(200).optional()
      .describe('Where the camera stands, e.g. "Le Loi x Nguyen Hue, northbound approach": shown on the dashboard with its events and evidence.'),
    gate: z.string().regex(CAMERA_ID_PATTERN, { error: CAMERA_ID_RULE }).optional()
      .describe('The gate (entry point) this camera counts traffic for: vehicle counts and the daily traffic report are grouped by gate.'),
    url: cameraUrl.optional()
      .describe('Pull source: an rtsp:// URL (rtsps:// and rtmp:// pull are not supported yet).'),
    username: z.string().optional().describe('RTSP username, instead of putting it in the URL.'),
    password: z.string().optional().describe('RTSP password, instead of putting it in the URL (redacted in logs and the API).'),
    push: z.boolean().optional()
      .describe('Push source: wait for a publisher at `rtsp://<host>:<rtsp.port>/<id>` (e.g. `ffmpeg ... -f rtsp`).'),
    publishAuth: z.strictObject({
      username: z.string().min(1).max(200).describe('User name the publisher gives.'),
      password: z.string().min(8, { error: 'must be at least 8 characters' }).max(200).describe('Password the publisher gives (redacted in logs and the API).'),
    }).optional()
      .describe('With `push`: credentials an RTSP publisher must give (Digest or Basic), e.g. `rtsp://user:pass@host:8554/<id>`. Without them anyone who reaches the RTSP port may publish this camera.'),
    rtmp: cameraRtmpSchema.optional(),
    synthetic: syntheticSchema.optional(),
    transport: z.enum(['tcp', 'udp'], { error: 'expected tcp or udp' }).default('tcp')
      .describe('RTP transport when pulling: tcp (interleaved, robust) or udp.'),
    onDemand: z.boolean().default(false).describe('Connect only while a viewer or plugin consumes the stream.'),
    onDemandCloseAfterMs: intIn(0, 3600000).default(10000)
      .describe('With onDemand, disconnect this long after the last consumer leaves.'),
    timeoutMs: intIn(1000, 120000).default(10000)
      .describe('Response timeout, and stall timeout: no media for this long means reconnect.'),
    reconnect: reconnectSchema.prefault({}),
    enabled: z.boolean().default(true).describe('A disabled camera is kept in the config but not started.'),
    node: z.string().regex(NODE_NAME_PATTERN, { error: NODE_NAME_RULE }).optional()
      .describe('With `cluster:`, the node that runs this camera (one of `cluster.nodes`); required there, not allowed without it.'),
    detect: detectSchema.prefault({}),
    plugins: z.record(z.string().regex(PLUGIN_NAME_PATTERN, { error: PLUGIN_NAME_RULE }), pluginSchema)
      .default({})
      .describe('Plugins (detectors) run on this camera, by plugin name; each gets decoded frames in its own worker thread.'),
  })
  .superRefine((cam, ctx) => {
    const sources = [cam.url !== undefined, cam.push === true, cam.rtmp !== undefined, cam.synthetic !== undefined].filter(Boolean).length;
    if (sources !== 1) ctx.addIssue({ code: 'custom', message: 'exactly one of url, push, rtmp, synthetic is required' });
    if (cam.publishAuth !== undefined && cam.push !== true) ctx.addIssue({ code: 'custom', path: ['publishAuth'], message: 'only for push cameras (push: true)' });
    if (cam.url !== undefined && (cam.username !== undefined || cam.password !== undefined)) {
      try {
        const u = new URL(cam.url);
        if (u.username || u.password) {
          const path = [cam.username !== undefined ? 'username' : 'password'];
          ctx.addIssue({ code: 'custom', path, message: 'credentials are given both here and in the url; use one' });
        }
      } catch { /* the url rule reports it */ }
    }
    // A plugin can never get more frames than are decoded; say so rather than silently slowing it down.
    // (This runs even when fields failed their own rules, so only valid rates are compared.)
    const detectFps = cam.detect?.fps;
    for (const [name, plugin] of Object.entries(cam.plugins ?? {})) {
      if (isFps(detectFps) && isFps(plugin?.fps) && plugin.fps > detectFps) {
        ctx.addIssue({ code: 'custom', path: ['plugins', name, 'fps'], message: `must not be greater than detect.fps (${detectFps})` });
      }
    }
  })
  .describe('A camera.');

/** The whole configuration file. */
export const configSchema = z
  .strictObject({
    log: logSchema.prefault({}),
    http: httpSchema.prefault({}),
    rtsp: rtspSchema.prefault({}),
    rtmp: rtmpSchema.prefault({}),
    webrtc: webrtcSchema.prefault({}),
    storage: storageSchema.prefault({}),
    detector: detectorSchema.optional(),
    mqtt: mqttSchema.optional(),
    overload: overloadSchema.prefault({}),
    auth: authSchema.optional(),
    cluster: clusterSchema.optional(),
    cameras: z
      .record(
        z.string().regex(CAMERA_ID_PATTERN, { error: CAMERA_ID_RULE }),
        cameraSchema,
      )
      .default({})
      .describe('Cameras by id; the id names the stream in every URL (`/whep/<id>`, `rtsp://host:8554/<id>`).'),
  })
  .superRefine(checkCluster)
  .describe('streamsight configuration.');

/** A validated configuration with every default applied. */
export type Config = z.infer<typeof configSchema>;
/** One validated camera. */
export type CameraConfig = z.infer<typeof cameraSchema>;
/** One STUN/TURN server, shaped like WebRTC's RTCIceServer. */
export type IceServerConfig = z.infer<typeof iceServerSchema>;
/** Synthetic test-pattern settings. */
export type SyntheticConfig = z.infer<typeof syntheticSchema>;
/** Event store location and retention. */
export type StorageConfig = z.infer<typeof storageSchema>;
/** How a camera's frames are decoded for its plugins. */
export type DetectConfig = z.infer<typeof detectSchema>;
/** One plugin's settings on one camera (its `config` is still unchecked). */
export type PluginSettings = z.infer<typeof pluginSchema>;
/** A named line, as plugins/sdk's Geometry lines. */
export type LineConfig = z.infer<typeof lineSchema>;

/** One plugin to run on one camera. */
export interface CameraPlugin {
  cameraId: string;
  pluginName: string;
  settings: PluginSettings;
}

/** Every enabled plugin of every enabled camera, in file order: what the plugin host starts. */
export function cameraPlugins(config: Config): CameraPlugin[] {
  const out: CameraPlugin[] = [];
  for (const [cameraId, camera] of Object.entries(config.cameras)) {
    if (!camera.enabled) continue;
    for (const [pluginName, settings] of Object.entries(camera.plugins)) {
      if (settings.enabled) out.push({ cameraId, pluginName, settings });
    }
  }
  return out;
}

