/**
 * Strict query-string parsing, the config's habit applied to URLs: an unknown parameter, a
 * repeated one or a malformed value is a 400 naming the parameter, never silently ignored
 * (a typo like `?camrea=gate1` would otherwise return every camera's events).
 */
import { ProtocolError } from '../errors.js';

/** Turns one raw (decoded) value into the parsed one, or throws ProtocolError naming `name`. */
export type QueryValueParser<T> = (value: string, name: string) => T;

/** Parameter name → its value parser. */
export type QuerySpec = Record<string, QueryValueParser<unknown>>;

/** The parsed query: each parameter that was given, parsed. */
export type ParsedQuery<S extends QuerySpec> = { [K in keyof S]?: ReturnType<S[K]> };

/**
 * Parses `raw` (the part after `?`, as uWS getQuery() returns it) against `spec`.
 * `+` is a space (application/x-www-form-urlencoded), as browsers and URLSearchParams encode it.
 */
export function parseQuery<S extends QuerySpec>(raw: string | undefined, spec: S): ParsedQuery<S> {
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (const piece of (raw ?? '').split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const name = decodeComponent(eq < 0 ? piece : piece.slice(0, eq), 'query parameter name');
    const value = decodeComponent(eq < 0 ? '' : piece.slice(eq + 1), name);
    if (!Object.hasOwn(spec, name)) {
      throw new ProtocolError(`${printable(name)}: unknown parameter (expected one of ${Object.keys(spec).join(', ')})`);
    }
    if (seen.has(name)) throw new ProtocolError(`${name}: given more than once`);
    seen.add(name);
    out[name] = spec[name]!(value, name);
  }
  return out as ParsedQuery<S>;
}

function decodeComponent(text: string, what: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    throw new ProtocolError(`${printable(what)}: malformed percent-encoding`);
  }
}

/** A name safe to echo in an error message (bounded, no control characters). */
function printable(name: string): string {
  const clean = name.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 40)}…` : clean;
}

const ID = /^[a-z0-9_.-]{1,128}$/;

/** An id: camera, plugin or event type names (`gate1`, `red-light`, `zone.enter`). */
export const idParam: QueryValueParser<string> = (value, name) => {
  if (!ID.test(value)) throw new ProtocolError(`${name}: expected an id of 1 to 128 characters from a-z 0-9 _ . -`);
  return value;
};

/** An integer in [min, max]. */
export function intParam(min: number, max: number): QueryValueParser<number> {
  return (value, name) => {
    if (!/^\d{1,9}$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new ProtocolError(`${name}: expected an integer from ${min} to ${max}`);
    }
    return Number(value);
  };
}

/** An opaque token (cursor): URL-safe characters only, bounded. */
export const tokenParam: QueryValueParser<string> = (value, name) => {
  if (!/^[A-Za-z0-9_.~:-]{1,512}$/.test(value)) throw new ProtocolError(`${name}: malformed (pass the 'next' of the previous page as-is)`);
  return value;
};

/** A point in time: ISO 8601 with a zone (or a bare date, read as UTC midnight) or epoch milliseconds → epoch ms. */
export const timeParam: QueryValueParser<number> = (value, name) => {
  const ms = parseTime(value);
  if (ms === undefined) {
    // A raw '+' in an offset arrives as a space: say so, it is the usual mistake.
    const hint = / \d{2}(:?\d{2})?$/.test(value) ? " (encode '+' as %2B)" : '';
    throw new ProtocolError(`${name}: expected an ISO 8601 time or epoch milliseconds${hint}`);
  }
  return ms;
};

/** Latest time a JS Date can hold (ECMA-262 §21.4.1.1). */
const MAX_TIME = 8.64e15;

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?))?$/;

/**
 * Epoch ms for an ISO 8601 / RFC 3339 time or an epoch-ms integer; undefined when invalid.
 * Fields are range-checked here because Date.parse rolls `02-30` over to March. A date-time
 * without a zone is refused: the server's local zone is not the caller's. Times before 1970 are
 * refused too (no event is that old, and epoch ms are unsigned here).
 */
export function parseTime(value: string): number | undefined {
  if (/^\d{1,16}$/.test(value)) {
    const ms = Number(value);
    return ms <= MAX_TIME ? ms : undefined;
  }
  const m = ISO.exec(value);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (m[4] === undefined) return Date.UTC(year, month - 1, day);
  const [hour, minute, second] = [Number(m[4]), Number(m[5]), Number(m[6] ?? '0')];
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const millis = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  let offsetMin = 0;
  const zone = m[8]!;
  if (zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '');
    const [oh, om] = [Number(digits.slice(0, 2)), Number(digits.slice(2) || '0')];
    if (oh > 23 || om > 59) return undefined;
    offsetMin = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMin * 60_000;
  return utc >= 0 && utc <= MAX_TIME ? utc : undefined;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
