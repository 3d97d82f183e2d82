/**
 * RTSP/1.0 messages, RFC 2326 sections 4, 6, 7 and 10.12 (interleaved binary data).
 *
 *   DESCRIBE rtsp://cam/stream RTSP/1.0\r\n      request line | RTSP/1.0 200 OK\r\n  status line
 *   CSeq: 2\r\n                                  headers, case-insensitive names
 *   Content-Length: 312\r\n                      body length (absent = no body)
 *   \r\n
 *   <body>
 *
 *   interleaved frame on the same TCP connection:
 *   +------+---------+----------------+----------------------+
 *   | '$'  | channel | length (16 BE) | length bytes of data |
 *   +------+---------+----------------+----------------------+
 *
 * RtspStreamParser is incremental and bounded (header section, body, frame) and never throws: malformed
 * input yields one {type:'error'} and the parser skips to the next plausible frame or message start.
 */

import { ProtocolError } from '../../core/errors.js';

/** RTSP header fields: case-insensitive names, insertion order kept, repeated fields kept. */
export class RtspHeaders {
  #list: Array<[string, string]> = [];

  constructor(init?: Iterable<readonly [string, string]> | Readonly<Record<string, string | readonly string[]>>) {
    if (!init) return;
    const pairs: Iterable<readonly [string, string | readonly string[]]> =
      Symbol.iterator in init
        ? (init as Iterable<readonly [string, string]>)
        : Object.entries(init as Record<string, string | readonly string[]>);
    for (const [k, v] of pairs) {
      if (typeof v === 'string') this.append(k, v);
      else for (const one of v) this.append(k, one);
    }
  }

  /** The first value of `name`, or undefined. */
  get(name: string): string | undefined {
    const lower = name.toLowerCase();
    return this.#list.find(([k]) => k.toLowerCase() === lower)?.[1];
  }

  /** Every value of `name` in arrival order (e.g. several WWW-Authenticate fields). */
  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    return this.#list.filter(([k]) => k.toLowerCase() === lower).map(([, v]) => v);
  }

  /** Replaces every value of `name` with `value`. */
  set(name: string, value: string | number): this {
    const lower = name.toLowerCase();
    const i = this.#list.findIndex(([k]) => k.toLowerCase() === lower);
    this.delete(name);
    const entry: [string, string] = [name, String(value)];
    if (i < 0) this.#list.push(entry);
    else this.#list.splice(i, 0, entry);
    return this;
  }

  /** Adds a value without removing existing ones. */
  append(name: string, value: string | number): this {
    this.#list.push([name, String(value)]);
    return this;
  }

  /** True when `name` is present. */
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Removes every value of `name`; true when something was removed. */
  delete(name: string): boolean {
    const lower = name.toLowerCase();
    const before = this.#list.length;
    this.#list = this.#list.filter(([k]) => k.toLowerCase() !== lower);
    return this.#list.length !== before;
  }

  /** [name, value] pairs in order, names as first written. */
  entries(): IterableIterator<[string, string]> {
    return this.#list.map(([k, v]): [string, string] => [k, v])[Symbol.iterator]();
  }

  /** Same as entries(). */
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /** Number of header lines. */
  get size(): number {
    return this.#list.length;
  }
}

/** An RTSP request. */
export interface RtspRequest {
  method: string;
  uri: string;
  headers: RtspHeaders;
  body: Uint8Array;
}

/** An RTSP response. */
export interface RtspResponse {
  statusCode: number;
  reason: string;
  headers: RtspHeaders;
  body: Uint8Array;
}

/** One item parsed from an RTSP byte stream. `data` is a view into pushed bytes (the parser never writes them). */
export type RtspChunk =
  | { type: 'request'; message: RtspRequest }
  | { type: 'response'; message: RtspResponse }
  | { type: 'interleaved'; channel: number; data: Uint8Array }
  | { type: 'error'; error: ProtocolError };

/** Serializes a request; Content-Length is set from the body (and dropped when there is none). */
export function serializeRequest(r: RtspRequest): Buffer {
  return serialize(`${oneLine(r.method)} ${oneLine(r.uri)} RTSP/1.0`, r.headers, r.body);
}

/** Serializes a response; Content-Length is set from the body (and dropped when there is none). */
export function serializeResponse(r: RtspResponse): Buffer {
  return serialize(`RTSP/1.0 ${r.statusCode} ${oneLine(r.reason)}`, r.headers, r.body);
}

/** `$ channel len16 data` framing for RTP/RTCP over the RTSP connection (RFC 2326 10.12). */
export function serializeInterleaved(channel: number, data: Uint8Array): Buffer {
  if (data.length > 0xffff) throw new RangeError(`interleaved frame of ${data.length} bytes exceeds 65535`);
  const out = Buffer.allocUnsafe(4 + data.length);
  out[0] = 0x24;
  out[1] = channel & 0xff;
  out.writeUInt16BE(data.length, 2);
  out.set(data, 4);
  return out;
}

function serialize(startLine: string, headers: RtspHeaders, body: Uint8Array): Buffer {
  let head = `${startLine}\r\n`;
  for (const [k, v] of headers) {
    if (k.toLowerCase() === 'content-length') continue;
    head += `${oneLine(k)}: ${oneLine(v)}\r\n`;
  }
  if (body.length > 0) head += `Content-Length: ${body.length}\r\n`;
  head += '\r\n';
  const h = Buffer.from(head, 'utf8');
  return body.length > 0 ? Buffer.concat([h, body]) : h;
}

/** A CR or LF inside a field would inject a header line: collapse to a space. */
function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ');
}

/** Parser limits. */
export interface RtspParserOptions {
  /** Largest start line + header section, bytes (default 16 KiB). */
  maxHeaderBytes?: number;
  /** Largest Content-Length accepted (default 1 MiB). */
  maxBodyBytes?: number;
  /** While resynchronising, a '$' frame counts only on channels up to this (default 31). */
  resyncMaxChannel?: number;
}

const DOLLAR = 0x24;
const CR = 0x0d;
const LF = 0x0a;
const EMPTY = Buffer.alloc(0);
const STATUS_LINE = /^RTSP\/(\d)\.(\d)[ \t]+(\d{3})(?:[ \t]+(.*))?$/;
const REQUEST_LINE = /^([A-Z][A-Z0-9_-]*)[ \t]+(\S+)[ \t]+RTSP\/(\d)\.(\d)$/;
const LINE_CANDIDATE = /^(?:RTSP\/\d\.\d \d{3}|[A-Z][A-Z_]{1,30} (?:[rR][tT][sS][pP][sSuU]?:\/\/|\* ))/;
const CANDIDATE_WINDOW = 48;

/** Incremental RTSP stream parser: messages and interleaved frames from arbitrary chunk splits. */
export class RtspStreamParser {
  /** Counters for logs and tests. */
  readonly stats = { messages: 0, interleaved: 0, errors: 0, skippedBytes: 0 };
  readonly #maxHeader: number;
  readonly #maxBody: number;
  readonly #resyncMaxChannel: number;
  #buf: Buffer = EMPTY;
  #pos = 0;
  #pending: { message: RtspChunk & { type: 'request' | 'response' }; length: number } | undefined;
  #resyncing = false;
  /** While resynchronising: whether the byte at #pos starts a line. */
  #lineStart = false;

  constructor(opts: RtspParserOptions = {}) {
    this.#maxHeader = opts.maxHeaderBytes ?? 16 * 1024;
    this.#maxBody = opts.maxBodyBytes ?? 1024 * 1024;
    this.#resyncMaxChannel = opts.resyncMaxChannel ?? 31;
  }

  /** Bytes held waiting for the rest of a message or frame. */
  get buffered(): number {
    return this.#buf.length - this.#pos;
  }

  /** Feeds bytes; returns everything completed by them, in order. Never throws. */
  push(chunk: Uint8Array): RtspChunk[] {
    const c = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.#buf = this.#pos >= this.#buf.length ? c : Buffer.concat([this.#buf.subarray(this.#pos), c]);
    this.#pos = 0;
    const out: RtspChunk[] = [];
    for (;;) {
      if (this.#resyncing && !this.#resync()) break;
      const buf = this.#buf;
      const pos = this.#pos;
      const avail = buf.length - pos;
      if (this.#pending) {
        const { message, length } = this.#pending;
        if (avail < length) break;
        message.message.body = Uint8Array.prototype.slice.call(buf, pos, pos + length);
        this.#pos += length;
        this.#pending = undefined;
        this.stats.messages++;
        out.push(message);
        continue;
      }
      if (avail === 0) break;
      const first = buf[pos]!;
      if (first === DOLLAR) {
        if (avail < 4) break;
        const length = buf.readUInt16BE(pos + 2);
        if (avail < 4 + length) break;
        this.stats.interleaved++;
        out.push({ type: 'interleaved', channel: buf[pos + 1]!, data: buf.subarray(pos + 4, pos + 4 + length) });
        this.#pos += 4 + length;
        continue;
      }
      if (first === CR || first === LF) {
        this.#pos++; // blank lines between messages (keep-alive CRLFs) are legal padding
        continue;
      }
      const end = findHeadEnd(buf, pos, this.#maxHeader);
      if (end < 0) {
        if (avail > this.#maxHeader) {
          this.#fail(out, `RTSP header section exceeds ${this.#maxHeader} bytes`, pos + 1);
          continue;
        }
        const bad = implausibleStart(buf, pos);
        if (bad) {
          this.#fail(out, bad, pos + 1);
          continue;
        }
        break;
      }
      // The same start-line rule as for a partial head, so the verdict never depends on TCP segmentation.
      const badStart = implausibleStart(buf, pos);
      if (badStart) {
        this.#fail(out, badStart, pos + 1);
        continue;
      }
      const head = parseHead(buf.toString('latin1', pos, end));
      if (typeof head === 'string') {
        this.#fail(out, head, pos + 1);
        continue;
      }
      const cl = head.message.headers.get('content-length');
      let length = 0;
      if (cl !== undefined) {
        if (!/^\s*\d+\s*$/.test(cl)) {
          this.#fail(out, `invalid Content-Length "${cl.slice(0, 32)}"`, end);
          continue;
        }
        length = Number(cl);
        if (length > this.#maxBody) {
          this.#fail(out, `RTSP body of ${length} bytes exceeds ${this.#maxBody}`, end);
          continue;
        }
      }
      this.#pos = end;
      this.#pending = { message: head, length };
    }
    return out;
  }

  #fail(out: RtspChunk[], message: string, resumeAt: number): void {
    this.stats.errors++;
    out.push({ type: 'error', error: new ProtocolError(message) });
    this.#lineStart = this.#buf[resumeAt - 1] === LF;
    this.stats.skippedBytes += resumeAt - this.#pos;
    this.#pos = resumeAt;
    this.#resyncing = true;
  }

  /** Skips to the next plausible frame or message start; false when more bytes are needed to decide. */
  #resync(): boolean {
    const buf = this.#buf;
    for (let i = this.#pos; i < buf.length; i++) {
      const b = buf[i]!;
      const lineStart = i === this.#pos ? this.#lineStart : buf[i - 1] === LF;
      let verdict: 'yes' | 'no' | 'maybe' = 'no';
      if (b === DOLLAR) {
        if (i + 5 > buf.length) verdict = 'maybe';
        // RTP and RTCP both carry version 2 in the top bits of their first byte; 8 bytes is the smallest RTCP.
        else if (buf[i + 1]! <= this.#resyncMaxChannel && buf.readUInt16BE(i + 2) >= 8 && buf[i + 4]! >> 6 === 2)
          verdict = 'yes';
      } else if (lineStart && b >= 0x41 && b <= 0x5a) {
        const window = buf.toString('latin1', i, Math.min(buf.length, i + CANDIDATE_WINDOW));
        if (LINE_CANDIDATE.test(window)) verdict = 'yes';
        else if (window.length < CANDIDATE_WINDOW && /^[A-Za-z0-9/.:_ *-]*$/.test(window)) verdict = 'maybe';
      }
      if (verdict === 'no') continue;
      this.stats.skippedBytes += i - this.#pos;
      this.#pos = i;
      if (verdict === 'maybe') {
        this.#lineStart = lineStart;
        return false;
      }
      this.#resyncing = false;
      return true;
    }
    this.stats.skippedBytes += buf.length - this.#pos;
    this.#lineStart = buf[buf.length - 1] === LF ? true : buf.length === this.#pos ? this.#lineStart : false;
    this.#pos = buf.length;
    return false;
  }
}

/** Offset just past the blank line ending the head (CRLFCRLF or LFLF), or -1 within `limit` bytes. */
function findHeadEnd(buf: Buffer, from: number, limit: number): number {
  const stop = Math.min(buf.length, from + limit + 4);
  for (let i = buf.indexOf(LF, from); i >= 0 && i < stop; i = buf.indexOf(LF, i + 1)) {
    if (buf[i + 1] === LF) return i + 2;
    if (buf[i + 1] === CR && buf[i + 2] === LF) return i + 3;
  }
  return -1;
}

/** Why the (possibly partial) start line at `pos` cannot begin a message, or undefined if it still can. */
function implausibleStart(buf: Buffer, pos: number): string | undefined {
  const b = buf[pos]!;
  if (b < 0x41 || b > 0x5a) return `unexpected byte 0x${b.toString(16).padStart(2, '0')} where an RTSP message should start`;
  const nl = buf.indexOf(LF, pos);
  const lineEnd = nl < 0 ? buf.length : nl;
  for (let i = pos; i < lineEnd; i++) {
    const c = buf[i]!;
    // Control characters only: a reason phrase may carry octets >= 0x80 (RFC 2326 15.1, TEXT of RFC 2616 2.2).
    if ((c < 0x20 || c === 0x7f) && c !== 0x09 && c !== CR) return 'binary data in an RTSP start line';
  }
  if (nl < 0) return undefined;
  const line = buf.toString('latin1', pos, lineEnd).replace(/\r$/, '');
  return STATUS_LINE.test(line) || REQUEST_LINE.test(line) ? undefined : `malformed RTSP start line "${line.slice(0, 64)}"`;
}

/** Parses start line + headers (text ends with the blank line); a string is the error message. */
function parseHead(text: string): (RtspChunk & { type: 'request' | 'response' }) | string {
  const lines = text.split(/\r?\n/);
  const start = (lines[0] ?? '').trim();
  const headers = new RtspHeaders();
  const parsed: Array<[string, string]> = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const last = parsed[parsed.length - 1];
    if ((line[0] === ' ' || line[0] === '\t') && last) {
      last[1] = `${last[1]} ${line.trim()}`; // obsolete line folding (RFC 2616 2.2)
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue; // a header line without a name carries nothing usable; ignore it
    parsed.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  for (const [k, v] of parsed) headers.append(k, v);
  let m = STATUS_LINE.exec(start);
  if (m) {
    const reason = m[4]?.trim() ?? '';
    return { type: 'response', message: { statusCode: Number(m[3]), reason, headers, body: EMPTY } };
  }
  m = REQUEST_LINE.exec(start);
  if (m) return { type: 'request', message: { method: m[1]!, uri: m[2]!, headers, body: EMPTY } };
  return `malformed RTSP start line "${start.slice(0, 64)}"`;
}
