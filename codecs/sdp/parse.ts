/**
 * SDP parser, RFC 8866 (Session Description Protocol), tolerant of what IP cameras send.
 *
 *   v=0                                        session section: v o s i u e p c b t r z k a
 *   o=<user> <sess-id> <sess-version> IN IP4 <addr>
 *   s=<session name>
 *   c=IN IP4 <addr>                            optional at session level when every m= has one
 *   t=0 0
 *   a=<name>[:<value>]  ...
 *   m=<media> <port>[/<n>] <proto> <fmt> ...   one media section per m= line, until the next m=
 *   c=... b=... a=...
 *
 * Tolerated quirks: CRLF, LF or CR line ends, blank lines, a BOM, trailing spaces, missing c=, odd
 * o= values (kept as the raw string), unknown line types (ignored), `x = value` spacing, a malformed
 * m= line (its whole section is skipped). Only input with no usable m= section is rejected.
 */

import { ProtocolError } from '../../core/errors.js';

/** One `a=` line: `a=name:value` or the flag form `a=name`. */
export interface SdpAttribute {
  name: string;
  value?: string;
}

/** One `m=` section and the lines that follow it. */
export interface MediaDescription {
  type: string;
  port: number;
  /** The `/<n>` suffix of the port field (RFC 8866 5.14), when present. */
  portCount?: number;
  protocol: string;
  formats: string[];
  attributes: SdpAttribute[];
  connection?: string;
  bandwidth?: string[];
}

/** A parsed SDP document; unknown session-level lines are dropped. */
export interface SessionDescription {
  version: number;
  origin?: string;
  sessionName: string;
  /** `i=` session information, when present. */
  information?: string;
  connection?: string;
  /** Session-level `b=` lines. */
  bandwidth?: string[];
  timing?: string;
  attributes: SdpAttribute[];
  media: MediaDescription[];
}

const LINE = /^([a-zA-Z])\s*=\s?(.*)$/;

/** Parses an SDP document; throws ProtocolError only when it has no usable media section. */
export function parseSdp(text: string): SessionDescription {
  if (typeof text !== 'string' || text.trim() === '') throw new ProtocolError('SDP is empty');
  const d: SessionDescription = { version: 0, sessionName: '', attributes: [], media: [] };
  let current: MediaDescription | undefined;
  // True while skipping the lines of a malformed m= section, so they do not attach to the session.
  let skipping = false;
  let sdpLines = 0;
  let badMedia = 0;
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    const m = LINE.exec(line);
    if (!m) continue; // not an SDP line at all: ignored, counted below via sdpLines
    sdpLines++;
    const type = m[1]!.toLowerCase();
    const value = m[2]!.trim();
    if (type === 'm') {
      current = parseMediaLine(value);
      skipping = current === undefined;
      if (current) d.media.push(current);
      else badMedia++;
      continue;
    }
    if (skipping) continue;
    if (current) {
      if (type === 'a') current.attributes.push(parseAttribute(value));
      else if (type === 'c') current.connection ??= value;
      else if (type === 'b') (current.bandwidth ??= []).push(value);
      continue;
    }
    switch (type) {
      case 'v': {
        const v = Number.parseInt(value, 10);
        d.version = Number.isFinite(v) ? v : 0;
        break;
      }
      case 'o':
        d.origin = value;
        break;
      case 's':
        d.sessionName = value;
        break;
      case 'i':
        d.information = value;
        break;
      case 'c':
        d.connection ??= value;
        break;
      case 'b':
        (d.bandwidth ??= []).push(value);
        break;
      case 't':
        d.timing ??= value;
        break;
      case 'a':
        d.attributes.push(parseAttribute(value));
        break;
      default:
        break; // u e p r z k and unknown types carry nothing we use
    }
  }
  if (sdpLines === 0) throw new ProtocolError('SDP has no "x=value" lines: not a session description');
  if (d.media.length === 0) {
    throw new ProtocolError(
      badMedia > 0
        ? `SDP has ${badMedia} malformed m= line(s) and no usable media description`
        : 'SDP has no media description (m= line)',
    );
  }
  return d;
}

/** `m=<media> <port>[/<n>] <proto> <fmt> ...`; undefined when the line cannot be a media line. */
function parseMediaLine(value: string): MediaDescription | undefined {
  const parts = value.split(/\s+/);
  if (parts.length < 3) return undefined;
  const [type, portField, protocol, ...formats] = parts as [string, string, string, ...string[]];
  const pm = /^(\d+)(?:\/(\d+))?$/.exec(portField);
  if (!/^[a-zA-Z][\w-]*$/.test(type) || !pm) return undefined;
  const port = Number(pm[1]);
  if (port > 65535) return undefined;
  const md: MediaDescription = { type: type.toLowerCase(), port, protocol, formats, attributes: [] };
  if (pm[2] !== undefined) md.portCount = Number(pm[2]);
  return md;
}

/** `name:value` or `name`; the value keeps everything after the first colon. */
export function parseAttribute(value: string): SdpAttribute {
  const i = value.indexOf(':');
  if (i < 0) return { name: value };
  return { name: value.slice(0, i).trim(), value: value.slice(i + 1).trim() };
}

/** The value of the first attribute called `name` (case-insensitive), or undefined. */
export function attributeValue(attrs: readonly SdpAttribute[], name: string): string | undefined {
  const lower = name.toLowerCase();
  return attrs.find((a) => a.name.toLowerCase() === lower)?.value;
}

/** The values of every attribute called `name` (case-insensitive). */
export function attributeValues(attrs: readonly SdpAttribute[], name: string): string[] {
  const lower = name.toLowerCase();
  const out: string[] = [];
  for (const a of attrs) if (a.name.toLowerCase() === lower && a.value !== undefined) out.push(a.value);
  return out;
}
