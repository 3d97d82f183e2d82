/**
 * RTSP header values: Transport (RFC 2326 12.39), Session (12.37), Range (12.29, npt 3.6), RTP-Info (12.33).
 *
 *   Transport: RTP/AVP/TCP;unicast;interleaved=0-1 , RTP/AVP;unicast;client_port=5000-5001;mode="PLAY"
 *              \__ profile/lower-transport __/ \__ parameters (;) __/  specs separated by ','
 *   Session:   47112344;timeout=60
 *   Range:     npt=0.000-   npt=now-   npt=00:01:02.5-00:02:00
 *   RTP-Info:  url=rtsp://cam/trackID=1;seq=4321;rtptime=123456,url=rtsp://cam/trackID=2;seq=17
 */

import { ProtocolError } from '../../core/errors.js';

/** One transport specification of a Transport header. */
export interface TransportSpec {
  protocol: 'udp' | 'tcp';
  unicast: boolean;
  interleaved?: [number, number];
  clientPort?: [number, number];
  serverPort?: [number, number];
  ssrc?: number;
  /** Upper-cased, quotes removed: 'PLAY' (the default when absent) or 'RECORD'. */
  mode?: string;
  /** The transport/profile token as sent, e.g. 'RTP/AVP' or 'RTP/AVP/TCP'. */
  profile?: string;
  destination?: string;
  source?: string;
  ttl?: number;
  /** Multicast `port=` pair. */
  port?: [number, number];
}

/** Splits on `sep` outside double quotes. */
function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of s) {
    if (ch === '"') quoted = !quoted;
    if (ch === sep && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function unquote(v: string): string {
  const t = v.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

/** `5000-5001` → [5000, 5001]; a single `5000` → [5000, 5001]; undefined when out of range. */
function parsePair(v: string, max: number): [number, number] | undefined {
  const m = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(v);
  if (!m) return undefined;
  const a = Number(m[1]);
  const b = m[2] !== undefined ? Number(m[2]) : a + 1;
  return a <= max && b <= max + 1 ? [a, b] : undefined;
}

/** Parses a Transport header into its specs; specs that are not RTP/AVP[/UDP|/TCP] are skipped. */
export function parseTransport(header: string): TransportSpec[] {
  const specs: TransportSpec[] = [];
  for (const specText of splitOutsideQuotes(header, ',')) {
    const params = splitOutsideQuotes(specText, ';').map((p) => p.trim()).filter((p) => p !== '');
    const profile = params.shift();
    const pm = profile && /^RTP\/(S?AVPF?)(?:\/(UDP|TCP))?$/i.exec(profile);
    if (!pm) continue;
    const spec: TransportSpec = {
      protocol: pm[2]?.toUpperCase() === 'TCP' ? 'tcp' : 'udp',
      unicast: true,
      profile,
    };
    for (const p of params) {
      const eq = p.indexOf('=');
      const key = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
      const value = eq < 0 ? '' : unquote(p.slice(eq + 1));
      switch (key) {
        case 'unicast':
          spec.unicast = true;
          break;
        case 'multicast':
          spec.unicast = false;
          break;
        case 'interleaved':
          spec.interleaved = parsePair(value, 255);
          break;
        case 'client_port':
          spec.clientPort = parsePair(value, 65535);
          break;
        case 'server_port':
          spec.serverPort = parsePair(value, 65535);
          break;
        case 'port':
          spec.port = parsePair(value, 65535);
          break;
        case 'ssrc': {
          // RFC 2326 says 8 hex digits; some servers send fewer, a few send more (take the low 32 bits' worth).
          const hex = /^[0-9a-f]{1,8}$/i.test(value) ? value : /^[0-9a-f]+$/i.test(value) ? value.slice(-8) : '';
          if (hex) spec.ssrc = Number.parseInt(hex, 16) >>> 0;
          break;
        }
        case 'mode':
          spec.mode = value.toUpperCase();
          break;
        case 'destination':
          if (value) spec.destination = value;
          break;
        case 'source':
          if (value) spec.source = value;
          break;
        case 'ttl': {
          const ttl = Number.parseInt(value, 10);
          if (Number.isFinite(ttl)) spec.ttl = ttl;
          break;
        }
        default:
          break; // append, layers, unknown extensions: ignored
      }
    }
    for (const k of ['interleaved', 'clientPort', 'serverPort', 'port'] as const) {
      if (spec[k] === undefined) delete spec[k]; // a malformed pair leaves the key absent, not undefined
    }
    specs.push(spec);
  }
  return specs;
}

/** Formats one spec as a Transport header value (`RTP/AVP/TCP;unicast;interleaved=0-1`). */
export function formatTransport(spec: TransportSpec): string {
  const parts = [spec.protocol === 'tcp' ? 'RTP/AVP/TCP' : 'RTP/AVP', spec.unicast ? 'unicast' : 'multicast'];
  if (spec.destination) parts.push(`destination=${spec.destination}`);
  if (spec.source) parts.push(`source=${spec.source}`);
  if (spec.interleaved) parts.push(`interleaved=${spec.interleaved[0]}-${spec.interleaved[1]}`);
  if (spec.ttl !== undefined) parts.push(`ttl=${spec.ttl}`);
  if (spec.port) parts.push(`port=${spec.port[0]}-${spec.port[1]}`);
  if (spec.clientPort) parts.push(`client_port=${spec.clientPort[0]}-${spec.clientPort[1]}`);
  if (spec.serverPort) parts.push(`server_port=${spec.serverPort[0]}-${spec.serverPort[1]}`);
  if (spec.ssrc !== undefined) parts.push(`ssrc=${(spec.ssrc >>> 0).toString(16).toUpperCase().padStart(8, '0')}`);
  if (spec.mode) parts.push(`mode="${spec.mode.toUpperCase()}"`);
  return parts.join(';');
}

/** Parses a Session header (`id;timeout=60`); throws ProtocolError when the id is empty. */
export function parseSession(header: string): { id: string; timeoutSec?: number } {
  const [idPart, ...params] = header.split(';');
  const id = (idPart ?? '').trim();
  if (id === '') throw new ProtocolError(`Session header "${header.slice(0, 64)}" has no session id`);
  const out: { id: string; timeoutSec?: number } = { id };
  for (const p of params) {
    const m = /^\s*timeout\s*=\s*"?(\d+)"?\s*$/i.exec(p);
    if (m) out.timeoutSec = Number(m[1]);
  }
  return out;
}

/** A parsed Range header; npt times in seconds, `start` undefined for `now`. */
export interface RangeSpec {
  unit: string;
  start?: number;
  end?: number;
  /** The raw range value after `unit=` (kept for clock= and smpte= ranges, which are not decoded). */
  value: string;
  /** `;time=` parameter, when present. */
  time?: string;
}

/** npt-time: `now`, `123.45`, or `hh:mm:ss[.frac]`; undefined for `now` or bad input. */
function parseNpt(s: string): number | undefined {
  const t = s.trim();
  if (t === '' || t.toLowerCase() === 'now') return undefined;
  if (/^\d+(?:\.\d*)?$/.test(t)) return Number(t);
  const m = /^(\d+):(\d{1,2}):(\d{1,2}(?:\.\d*)?)$/.exec(t);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : undefined;
}

/** Parses a Range header (`npt=0-`, `npt=now-`, `npt=10-20.5`); undefined when malformed. */
export function parseRange(header: string): RangeSpec | undefined {
  const [range, ...params] = header.split(';');
  const m = /^\s*([a-zA-Z-]+)\s*=\s*(.*?)\s*$/.exec(range ?? '');
  if (!m) return undefined;
  const unit = m[1]!.toLowerCase();
  const out: RangeSpec = { unit, value: m[2]! };
  for (const p of params) {
    const t = /^\s*time\s*=\s*(\S+)\s*$/i.exec(p);
    if (t) out.time = t[1]!;
  }
  if (unit !== 'npt') return out;
  const dash = m[2]!.indexOf('-');
  if (dash < 0) return undefined;
  const a = m[2]!.slice(0, dash);
  const b = m[2]!.slice(dash + 1);
  const start = parseNpt(a);
  const end = parseNpt(b);
  if ((start === undefined && a.trim() !== '' && a.trim().toLowerCase() !== 'now') || (end === undefined && b.trim() !== '')) {
    return undefined;
  }
  if (start !== undefined) out.start = start;
  if (end !== undefined) out.end = end;
  return out;
}

/** One RTP-Info entry. */
export interface RtpInfoEntry {
  url: string;
  seq?: number;
  rtptime?: number;
}

/** Parses an RTP-Info header; entries without url= are skipped. */
export function parseRtpInfo(header: string): RtpInfoEntry[] {
  const out: RtpInfoEntry[] = [];
  // Split before each "url=" rather than on every comma: URLs may carry commas in their query.
  for (const entry of header.split(/\s*,\s*(?=url\s*=)/i)) {
    const params = entry.split(';');
    const urlPart = /^\s*url\s*=\s*"?([^"]*)"?\s*$/i.exec(params[0] ?? '');
    if (!urlPart) continue;
    const info: RtpInfoEntry = { url: urlPart[1]! };
    for (const p of params.slice(1)) {
      const m = /^\s*(seq|rtptime)\s*=\s*(\d+)\s*$/i.exec(p);
      if (!m) continue;
      const n = Number(m[2]);
      if (m[1]!.toLowerCase() === 'seq') {
        if (n <= 0xffff) info.seq = n;
      } else if (n <= 0xffffffff) info.rtptime = n;
    }
    out.push(info);
  }
  return out;
}
