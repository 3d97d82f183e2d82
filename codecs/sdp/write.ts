/**
 * SDP writer, RFC 8866 section 5 (line order is mandatory), CRLF line ends.
 *
 *   v=0
 *   o=- <sess-id> <sess-version> IN IP4 <addr>
 *   s=<name>                  ("s= " when the name is empty, RFC 8866 5.3)
 *   [i=] [c=] [b=]* t=0 0 [a=]*
 *   { m=<media> <port>[/<n>] <proto> <fmt>...  [c=] [b=]* [a=]* }*
 */

import type { SdpAttribute, SessionDescription } from './parse.js';

const CRLF = '\r\n';

/** Serializes a session description with CRLF line ends; fills o=, t= when missing. */
export function writeSdp(d: SessionDescription): string {
  const out: string[] = [];
  out.push(`v=${d.version}`);
  out.push(`o=${clean(d.origin) || '- 0 0 IN IP4 127.0.0.1'}`);
  out.push(`s=${clean(d.sessionName) || ' '}`);
  if (d.information !== undefined) out.push(`i=${clean(d.information)}`);
  if (d.connection !== undefined) out.push(`c=${clean(d.connection)}`);
  for (const b of d.bandwidth ?? []) out.push(`b=${clean(b)}`);
  out.push(`t=${clean(d.timing) || '0 0'}`);
  for (const a of d.attributes) out.push(attributeLine(a));
  for (const m of d.media) {
    const port = m.portCount !== undefined ? `${m.port}/${m.portCount}` : `${m.port}`;
    out.push(`m=${[m.type, port, m.protocol, ...m.formats].map(clean).join(' ')}`);
    if (m.connection !== undefined) out.push(`c=${clean(m.connection)}`);
    for (const b of m.bandwidth ?? []) out.push(`b=${clean(b)}`);
    for (const a of m.attributes) out.push(attributeLine(a));
  }
  return out.join(CRLF) + CRLF;
}

/** `a=name` or `a=name:value`. */
function attributeLine(a: SdpAttribute): string {
  return a.value === undefined ? `a=${clean(a.name)}` : `a=${clean(a.name)}:${clean(a.value)}`;
}

/** A line break inside a value would inject a line: collapse it to a space. */
function clean(s: string | undefined): string {
  return s === undefined ? '' : s.replace(/[\r\n]+/g, ' ');
}
