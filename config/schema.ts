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
  })
  .describe('HTTP server: API, WHEP and web page.');

const rtspSchema = z
  .strictObject({
    host: z.string().min(1).default('0.0.0.0').describe('Address the RTSP server listens on.'),
    port: port().default(8554).describe('RTSP port for pushing publishers and restream viewers (0 picks a free port).'),
    udpPortRange: portRange([8000, 8099], 'RTP/RTCP over UDP with RTSP clients'),
  })
  .describe('RTSP server: accepts pushed streams and restreams every camera.');

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
    udpPortRange: portRange([40000, 40199], 'WebRTC ICE/media'),
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
  })
  .describe('An ffmpeg test pattern pushed into the server (no camera needed).');

const reconnectSchema = z
  .strictObject({
    initialMs: intIn(100, 60000).default(500).describe('First reconnect delay; doubles on each failure.'),
    maxMs: intIn(1000, 3600000).default(30000).describe('Largest reconnect delay.'),
  })
  .refine((r) => r.initialMs <= r.maxMs, { error: 'initialMs must not be greater than maxMs' })
  .describe('Reconnect backoff (capped exponential with jitter).');

/** One camera: exactly one source (url, push or synthetic) plus how to consume it. */
export const cameraSchema = z
  .strictObject({
    name: z.string().min(1).max(200).optional().describe('Display name; defaults to the camera id.'),
    url: cameraUrl.optional()
      .describe('Pull source: an rtsp:// URL (rtsps:// and rtmp:// pull are not supported yet).'),
    username: z.string().optional().describe('RTSP username, instead of putting it in the URL.'),
    password: z.string().optional().describe('RTSP password, instead of putting it in the URL (redacted in logs and the API).'),
    push: z.boolean().optional()
      .describe('Push source: wait for a publisher at `rtsp://<host>:<rtsp.port>/<id>` (e.g. `ffmpeg ... -f rtsp`).'),
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
  })
  .superRefine((cam, ctx) => {
    const sources = [cam.url !== undefined, cam.push === true, cam.synthetic !== undefined].filter(Boolean).length;
    if (sources !== 1) ctx.addIssue({ code: 'custom', message: 'exactly one of url, push, synthetic is required' });
    if (cam.url !== undefined && (cam.username !== undefined || cam.password !== undefined)) {
      try {
        const u = new URL(cam.url);
        if (u.username || u.password) {
          const path = [cam.username !== undefined ? 'username' : 'password'];
          ctx.addIssue({ code: 'custom', path, message: 'credentials are given both here and in the url; use one' });
        }
      } catch { /* the url rule reports it */ }
    }
  })
  .describe('A camera.');

/** The whole configuration file. */
export const configSchema = z
  .strictObject({
    log: logSchema.prefault({}),
    http: httpSchema.prefault({}),
    rtsp: rtspSchema.prefault({}),
    webrtc: webrtcSchema.prefault({}),
    cameras: z
      .record(
        z.string().regex(CAMERA_ID_PATTERN, { error: CAMERA_ID_RULE }),
        cameraSchema,
      )
      .default({})
      .describe('Cameras by id; the id names the stream in every URL (`/whep/<id>`, `rtsp://host:8554/<id>`).'),
  })
  .describe('streamsight configuration.');

/** A validated configuration with every default applied. */
export type Config = z.infer<typeof configSchema>;
/** One validated camera. */
export type CameraConfig = z.infer<typeof cameraSchema>;
/** One STUN/TURN server, shaped like WebRTC's RTCIceServer. */
export type IceServerConfig = z.infer<typeof iceServerSchema>;
/** Synthetic test-pattern settings. */
export type SyntheticConfig = z.infer<typeof syntheticSchema>;

