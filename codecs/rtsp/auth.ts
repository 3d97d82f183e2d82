/**
 * RTSP authentication: Basic (RFC 7617) and Digest (RFC 7616, with RFC 2617 / RFC 2069 compatibility),
 * header syntax from RFC 7235 section 2.1.
 *
 *   WWW-Authenticate: Digest realm="cam", nonce="a1b2", algorithm=SHA-256, qop="auth,auth-int", opaque="x"
 *                     \scheme/ \______________ auth-params, quoted-strings may hold commas _____________/
 *   Authorization:    Digest username="u", realm="cam", nonce="a1b2", uri="rtsp://cam/s", algorithm=SHA-256,
 *                     response="<hex>", qop=auth, nc=00000001, cnonce="<hex>", opaque="x"
 *
 *   HA1 = H(username:realm:password)            (-sess: H(HA1:nonce:cnonce))
 *   HA2 = H(method:uri)                         (auth-int: H(method:uri:H(body)))
 *   response = H(HA1:nonce:nc:cnonce:qop:HA2)   (no qop, RFC 2069: H(HA1:nonce:HA2))
 */

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { UnsupportedError } from '../../core/errors.js';

/** One challenge from a WWW-Authenticate header. Param names are lower-cased. */
export interface Challenge {
  /** 'Basic' or 'Digest' (normalized), other schemes as sent. */
  scheme: string;
  realm: string;
  params: Readonly<Record<string, string>>;
  /** Digest only. */
  nonce?: string;
  /** Digest algorithm upper-cased as sent ('MD5', 'SHA-256', 'MD5-SESS'...); absent means MD5. */
  algorithm?: string;
  qop?: string[];
  opaque?: string;
  stale?: boolean;
}

/** What the client authenticates with. */
export interface Credentials {
  username: string;
  password: string;
  method: string;
  uri: string;
  /** Request body, only for qop=auth-int (RTSP requests rarely have one). */
  body?: Uint8Array;
}

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

/** Hash functions per Digest algorithm (RFC 7616 6.1). */
const DIGEST_HASH: Readonly<Record<string, string>> = { 'MD5': 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' };

/** Tokenizes `scheme a=b, c="d,e", scheme2 ...` into challenges (scheme + params, or a token68). */
function parseAuthList(s: string): Array<{ scheme: string; params: Record<string, string>; token68?: string }> {
  const out: Array<{ scheme: string; params: Record<string, string>; token68?: string }> = [];
  let i = 0;
  const skip = (chars: RegExp) => {
    while (i < s.length && chars.test(s[i]!)) i++;
  };
  const token = () => {
    const start = i;
    while (i < s.length && TOKEN.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  const value = () => {
    if (s[i] !== '"') {
      const start = i;
      while (i < s.length && s[i] !== ',' && !/\s/.test(s[i]!)) i++;
      return s.slice(start, i);
    }
    let v = '';
    for (i++; i < s.length && s[i] !== '"'; i++) v += s[i] === '\\' && i + 1 < s.length ? s[++i] : s[i];
    i++; // closing quote (or past the end when unterminated: tolerated)
    return v;
  };
  while (i < s.length) {
    skip(/[\s,]/);
    const scheme = token();
    if (scheme === '') {
      i++; // stray character: skip it
      continue;
    }
    const ch: { scheme: string; params: Record<string, string>; token68?: string } = { scheme, params: {} };
    out.push(ch);
    skip(/[ \t]/);
    const t68 = /^[A-Za-z0-9._~+/-]+=*(?=\s*(?:,|$))/.exec(s.slice(i));
    if (t68) {
      ch.token68 = t68[0]; // `Basic dXNlcjpwYXNz` (RFC 7235 token68)
      i += t68[0].length;
      continue;
    }
    for (;;) {
      skip(/[\s,]/);
      const at = i;
      const name = token();
      if (name === '') break;
      skip(/[ \t]/);
      if (s[i] !== '=') {
        i = at; // a bare token: the next challenge's scheme
        break;
      }
      i++;
      skip(/[ \t]/);
      ch.params[name.toLowerCase()] = value();
    }
  }
  return out;
}

function normalizeScheme(s: string): string {
  const l = s.toLowerCase();
  return l === 'basic' ? 'Basic' : l === 'digest' ? 'Digest' : s;
}

/** Parses every WWW-Authenticate value (each may hold several challenges) into challenges. */
export function parseWwwAuthenticate(headerValues: readonly string[]): Challenge[] {
  const out: Challenge[] = [];
  for (const v of headerValues) {
    for (const c of parseAuthList(v)) {
      const p = c.params;
      const ch: Challenge = { scheme: normalizeScheme(c.scheme), realm: p['realm'] ?? '', params: p };
      if (ch.scheme === 'Digest') {
        if (p['nonce'] !== undefined) ch.nonce = p['nonce'];
        if (p['algorithm'] !== undefined) ch.algorithm = p['algorithm'].toUpperCase();
        if (p['qop'] !== undefined) ch.qop = p['qop'].split(',').map((q) => q.trim().toLowerCase()).filter(Boolean);
        if (p['opaque'] !== undefined) ch.opaque = p['opaque'];
        if (p['stale'] !== undefined) ch.stale = p['stale'].toLowerCase() === 'true';
      }
      out.push(ch);
    }
  }
  return out;
}

/** Hash name and -sess flag for a Digest algorithm, or undefined when unsupported. */
function digestAlgorithm(alg: string | undefined): { hash: string; sess: boolean } | undefined {
  const a = (alg ?? 'MD5').toUpperCase();
  const sess = a.endsWith('-SESS');
  const hash = DIGEST_HASH[sess ? a.slice(0, -5) : a];
  return hash ? { hash, sess } : undefined;
}

/** Strength order for pickChallenge; 0 means unusable. */
function strength(c: Challenge): number {
  if (c.scheme === 'Basic') return 1;
  if (c.scheme !== 'Digest' || c.nonce === undefined) return 0;
  const alg = digestAlgorithm(c.algorithm);
  if (!alg) return 0;
  const base = alg.hash === 'sha512-256' ? 8 : alg.hash === 'sha256' ? 6 : 4;
  return alg.sess ? base - 1 : base;
}

/** The strongest challenge we can answer (Digest SHA-512-256 > SHA-256 > MD5 > Basic), or undefined. */
export function pickChallenge(challenges: readonly Challenge[]): Challenge | undefined {
  let best: Challenge | undefined;
  for (const c of challenges) if (strength(c) > (best ? strength(best) : 0)) best = c;
  return best;
}

/** True when the challenge is Basic or a Digest we can compute. */
export function isSupportedChallenge(c: Challenge): boolean {
  return strength(c) > 0;
}

function h(hash: string, s: string | Uint8Array): string {
  return createHash(hash).update(s).digest('hex');
}

function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Digest response hex for the given parameters (RFC 7616 3.4.1). */
export function digestResponse(p: {
  algorithm?: string; username: string; realm: string; password: string; method: string; uri: string;
  nonce: string; qop?: string; nc?: string; cnonce?: string; body?: Uint8Array;
}): string {
  const alg = digestAlgorithm(p.algorithm);
  if (!alg) throw new UnsupportedError(`Digest algorithm ${p.algorithm} is not supported`);
  let ha1 = h(alg.hash, `${p.username}:${p.realm}:${p.password}`);
  if (alg.sess) ha1 = h(alg.hash, `${ha1}:${p.nonce}:${p.cnonce ?? ''}`);
  const ha2 =
    p.qop === 'auth-int'
      ? h(alg.hash, `${p.method}:${p.uri}:${h(alg.hash, p.body ?? new Uint8Array(0))}`)
      : h(alg.hash, `${p.method}:${p.uri}`);
  return p.qop
    ? h(alg.hash, `${ha1}:${p.nonce}:${p.nc ?? ''}:${p.cnonce ?? ''}:${p.qop}:${ha2}`)
    : h(alg.hash, `${ha1}:${p.nonce}:${ha2}`);
}

/**
 * The Authorization header answering `ch` (Basic or Digest). `nc` is the nonce count for this nonce (1 for the
 * first request); `opts.cnonce` fixes the client nonce for tests. Throws UnsupportedError for other schemes.
 */
export function authorizationHeader(ch: Challenge, creds: Credentials, nc = 1, opts: { cnonce?: string } = {}): string {
  if (ch.scheme === 'Basic') {
    return `Basic ${Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64')}`;
  }
  if (ch.scheme !== 'Digest') throw new UnsupportedError(`authentication scheme ${ch.scheme} is not supported`);
  if (ch.nonce === undefined) throw new UnsupportedError('Digest challenge without a nonce');
  const qop = ch.qop?.includes('auth') ? 'auth' : ch.qop?.includes('auth-int') ? 'auth-int' : undefined;
  const cnonce = opts.cnonce ?? randomBytes(16).toString('hex');
  const ncHex = (nc >>> 0).toString(16).padStart(8, '0');
  const sess = digestAlgorithm(ch.algorithm)?.sess ?? false;
  const response = digestResponse({
    algorithm: ch.algorithm, username: creds.username, realm: ch.realm, password: creds.password,
    method: creds.method, uri: creds.uri, nonce: ch.nonce, qop, nc: ncHex, cnonce, body: creds.body,
  });
  const parts = [
    `username=${quote(creds.username)}`, `realm=${quote(ch.realm)}`, `nonce=${quote(ch.nonce)}`,
    `uri=${quote(creds.uri)}`, `response=${quote(response)}`,
  ];
  // Echo algorithm only when the server named it: some cameras reject an algorithm they did not offer.
  if (ch.params['algorithm'] !== undefined) parts.push(`algorithm=${ch.params['algorithm']}`);
  if (ch.opaque !== undefined) parts.push(`opaque=${quote(ch.opaque)}`);
  if (qop) parts.push(`qop=${qop}`, `nc=${ncHex}`, `cnonce=${quote(cnonce)}`);
  else if (sess) parts.push(`cnonce=${quote(cnonce)}`);
  return `Digest ${parts.join(', ')}`;
}

/** A parsed Authorization header: scheme, lower-cased params, and the token68 of Basic. */
export function parseAuthorization(header: string): { scheme: string; params: Record<string, string>; token68?: string } | undefined {
  const c = parseAuthList(header)[0];
  return c ? { ...c, scheme: normalizeScheme(c.scheme) } : undefined;
}

/** A fresh server nonce (128 random bits, hex). */
export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

/** WWW-Authenticate value for a Digest challenge (server side). */
export function digestChallenge(p: { realm: string; nonce: string; algorithm?: string; qop?: boolean; opaque?: string; stale?: boolean }): string {
  const parts = [`realm=${quote(p.realm)}`, `nonce=${quote(p.nonce)}`];
  if (p.algorithm) parts.push(`algorithm=${p.algorithm}`);
  if (p.qop) parts.push('qop="auth"');
  if (p.opaque !== undefined) parts.push(`opaque=${quote(p.opaque)}`);
  if (p.stale) parts.push('stale=TRUE');
  return `Digest ${parts.join(', ')}`;
}

/** WWW-Authenticate value for a Basic challenge (server side). */
export function basicChallenge(realm: string): string {
  return `Basic realm=${quote(realm)}`;
}

/** Constant-time string comparison (hashing first so lengths never leak through timing). */
function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/**
 * Server side: true when `header` (an Authorization value) proves `password` for `username`. Digest must name our
 * realm and nonce; `uri`, when given, must match the Digest uri. Unknown schemes and algorithms are rejected.
 */
export function verifyAuthorization(
  header: string | undefined,
  o: { method: string; realm: string; nonce: string; username: string; password: string; uri?: string },
): boolean {
  if (!header) return false;
  const a = parseAuthorization(header);
  if (!a) return false;
  if (a.scheme === 'Basic') {
    const decoded = Buffer.from(a.token68 ?? '', 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const okUser = safeEqual(decoded.slice(0, colon), o.username);
    const okPass = safeEqual(decoded.slice(colon + 1), o.password);
    return okUser && okPass;
  }
  if (a.scheme !== 'Digest') return false;
  const p = a.params;
  if (p['username'] !== o.username || p['realm'] !== o.realm || p['nonce'] !== o.nonce) return false;
  if (p['uri'] === undefined || p['response'] === undefined) return false;
  if (o.uri !== undefined && p['uri'] !== o.uri) return false;
  if (!digestAlgorithm(p['algorithm'])) return false;
  const qop = p['qop']?.toLowerCase();
  if (qop !== undefined && qop !== 'auth' && qop !== 'auth-int') return false;
  if (qop && (p['nc'] === undefined || p['cnonce'] === undefined)) return false;
  const expected = digestResponse({
    algorithm: p['algorithm'], username: o.username, realm: o.realm, password: o.password, method: o.method,
    uri: p['uri'], nonce: o.nonce, qop, nc: p['nc'], cnonce: p['cnonce'],
  });
  return safeEqual(expected, p['response'].toLowerCase());
}
