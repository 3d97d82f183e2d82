/**
 * Mutation inputs for the fuzz targets, as fast-check arbitraries: mostly valid seeds (recorded
 * packets, camera SDPs, config files) changed a few bytes at a time, plus some pure random bytes.
 *
 *   seed bytes ──[op, a, b, c] × 0..6──▶ mutated bytes      op: bit flip, byte set, dictionary byte,
 *                                                           truncate, delete, insert, duplicate,
 *                                                           splice another seed, token, arithmetic,
 *                                                           16/32-bit boundary value
 *
 * An op is four integers, so fast-check can shrink a failing input to the fewest, smallest changes.
 */
import fc from 'fast-check';

/** Bytes that steer parsers onto their edge paths: separators, '$', CR/LF, sign and boundary values. */
const INTERESTING = [0x00, 0x01, 0x02, 0x03, 0x7f, 0x80, 0xff, 0xfe, 0x24, 0x0d, 0x0a, 0x20, 0x09, 0x3a, 0x3d, 0x3b, 0x2c, 0x2f, 0x22, 0x2d, 0x30, 0x39, 0x5c];
const BOUNDARY_16 = [0x0000, 0x0001, 0x7fff, 0x8000, 0xffff, 0xfffe, 0x0100, 0x00ff];
const BOUNDARY_32 = [0x00000000, 0xffffffff, 0x7fffffff, 0x80000000, 0x00010000, 0x0000ffff];

/** How to mutate: the seeds and the tokens worth inserting (header names, SDP keys...). */
export interface MutationOptions {
  /** Inserted whole by the token op; text targets give their keywords. */
  tokens?: readonly string[];
  /** Most mutation ops per input (default 6). */
  maxOps?: number;
  /** Weight of pure random inputs against mutated seeds, out of 10 (default 1). */
  randomWeight?: number;
  /** Largest pure random input (default 512 bytes). */
  maxRandomLength?: number;
}

/** One mutation: its kind and three numbers it reads positions, lengths and values from. */
export type Op = [kind: number, a: number, b: number, c: number];
const OP_KINDS = 11;

const op: fc.Arbitrary<Op> = fc.tuple(fc.nat(OP_KINDS - 1), fc.nat(), fc.nat(), fc.nat());

/** A tiny deterministic byte source for inserted runs (xorshift32). */
function bytesFrom(seed: number, n: number): Uint8Array {
  let x = seed | 1;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Applies one op; pure (returns a new array when the length changes, else mutates a copy made by the caller). */
function apply(buf: Uint8Array, [kind, a, b, c]: Op, seeds: readonly Uint8Array[], tokens: readonly Uint8Array[]): Uint8Array {
  const len = buf.length;
  const at = len === 0 ? 0 : a % len;
  switch (kind) {
    case 0: // bit flip
      if (len > 0) buf[at] = buf[at]! ^ (1 << (b & 7));
      return buf;
    case 1: // random byte
      if (len > 0) buf[at] = b & 0xff;
      return buf;
    case 2: // interesting byte
      if (len > 0) buf[at] = INTERESTING[b % INTERESTING.length]!;
      return buf;
    case 3: // truncate
      return buf.subarray(0, a % (len + 1));
    case 4: { // delete a chunk
      const n = 1 + (b % 32);
      return concat(buf.subarray(0, at), buf.subarray(Math.min(len, at + n)));
    }
    case 5: // insert random bytes
      return concat(buf.subarray(0, at), bytesFrom(c, 1 + (b % 24)), buf.subarray(at));
    case 6: { // duplicate a chunk somewhere (repeated headers, repeated NAL units)
      const n = 1 + (b % 96);
      const chunk = buf.slice(at, Math.min(len, at + n));
      const to = len === 0 ? 0 : c % (len + 1);
      return concat(buf.subarray(0, to), chunk, buf.subarray(to));
    }
    case 7: { // splice: our head, another seed's tail
      const other = seeds[b % seeds.length]!;
      const from = other.length === 0 ? 0 : c % other.length;
      return concat(buf.subarray(0, at), other.subarray(from));
    }
    case 8: { // insert a token
      if (tokens.length === 0) return buf;
      return concat(buf.subarray(0, at), tokens[b % tokens.length]!, buf.subarray(at));
    }
    case 9: // small arithmetic
      if (len > 0) buf[at] = (buf[at]! + (b % 35) - 17) & 0xff;
      return buf;
    default: { // 16- or 32-bit boundary value, big-endian
      if (len === 0) return buf;
      if (b & 1) {
        const v = BOUNDARY_32[(b >> 1) % BOUNDARY_32.length]!;
        for (let i = 0; i < 4 && at + i < len; i++) buf[at + i] = (v >>> (24 - 8 * i)) & 0xff;
      } else {
        const v = BOUNDARY_16[(b >> 1) % BOUNDARY_16.length]!;
        buf[at] = v >> 8;
        if (at + 1 < len) buf[at + 1] = v & 0xff;
      }
      return buf;
    }
  }
}

/** A list of up to `max` mutation ops, for inputs that mutate parts of a structure (one packet of a sequence). */
export function mutationOps(max = 4): fc.Arbitrary<Op[]> {
  return fc.array(op, { maxLength: max });
}

/** Seed `index` with `ops` applied (exported so a failing case can be replayed by hand). */
export function mutate(seeds: readonly Uint8Array[], index: number, ops: readonly Op[], tokens: readonly Uint8Array[] = []): Uint8Array {
  // A copy even when the seed is a Buffer (whose slice() is a view: the ops would edit the seed itself).
  let buf: Uint8Array = new Uint8Array(seeds[index % seeds.length]!);
  for (const o of ops) {
    buf = apply(buf, o, seeds, tokens);
    if (buf.length > 1 << 20) buf = buf.subarray(0, 1 << 20); // duplication must not snowball
  }
  return buf;
}

/** Mostly mutated seeds, sometimes pure random bytes. */
export function mutatedBytes(seeds: readonly Uint8Array[], opts: MutationOptions = {}): fc.Arbitrary<Uint8Array> {
  if (seeds.length === 0) throw new Error('mutatedBytes needs at least one seed');
  const tokens = (opts.tokens ?? []).map((t) => new Uint8Array(Buffer.from(t, 'latin1')));
  const mutated = fc
    .tuple(fc.nat(seeds.length - 1), fc.array(op, { maxLength: opts.maxOps ?? 6 }))
    .map(([i, ops]) => mutate(seeds, i, ops, tokens));
  const randomWeight = opts.randomWeight ?? 1;
  return fc.oneof(
    { arbitrary: mutated, weight: 10 - randomWeight },
    { arbitrary: fc.uint8Array({ maxLength: opts.maxRandomLength ?? 512 }), weight: randomWeight },
  );
}

/** Text seeds mutated as bytes and read back as latin1 (every byte a character), plus random strings. */
export function mutatedText(seeds: readonly string[], opts: MutationOptions = {}): fc.Arbitrary<string> {
  const bytes = seeds.map((s) => new Uint8Array(Buffer.from(s, 'latin1')));
  const mutated = mutatedBytes(bytes, { ...opts, randomWeight: 0 }).map((b) => Buffer.from(b).toString('latin1'));
  const randomWeight = opts.randomWeight ?? 1;
  if (randomWeight === 0) return mutated;
  return fc.oneof(
    { arbitrary: mutated, weight: 10 - randomWeight },
    // Random bytes read as latin1 and as UTF-8 (multi-byte characters, U+FFFD). fc.string({ unit: 'binary' })
    // would do too, but its code-point tables hold ~80 MB of heap and blur the memory samples.
    {
      arbitrary: fc.tuple(fc.uint8Array({ maxLength: opts.maxRandomLength ?? 256 }), fc.boolean())
        .map(([b, utf8]) => Buffer.from(b).toString(utf8 ? 'utf8' : 'latin1')),
      weight: randomWeight,
    },
  );
}

/** Cut points for chunked arrival: `parts` positions in [0, 1) of the input length. */
export const splitPoints: fc.Arbitrary<number[]> = fc.array(fc.nat(0xffff), { maxLength: 8 });

/** Splits `buf` into chunks at `points` (fractions of 65536 of its length). */
export function chunksOf(buf: Uint8Array, points: readonly number[]): Uint8Array[] {
  const cuts = [...new Set(points.map((p) => Math.floor((p / 0x10000) * buf.length)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of cuts) {
    if (c <= prev) continue;
    out.push(buf.subarray(prev, c));
    prev = c;
  }
  out.push(buf.subarray(prev));
  return out;
}

/**
 * A run of consecutive items (packets, tags) from a recording, edited: the way a real stream
 * breaks. Starts at `start`, takes `length` items, mutates some, swaps some, inserts strays.
 */
export interface SequenceRun {
  start: number;
  length: number;
  /** [index in the run, ops on that item's bytes]. */
  edits: Array<[number, Op[]]>;
  /** Pairs of run indexes swapped (reordering). */
  swaps: Array<[number, number]>;
  /** [index, bytes] inserted (random or mutated items from anywhere). */
  inserts: Array<[number, Uint8Array]>;
  /** Target-defined: e.g. start with the SDP's parameter sets, or prepend the sequence header. */
  primed: boolean;
}

/** Runs of up to `window` items of `items`. */
export function runOf(items: readonly Uint8Array[], window = 48): fc.Arbitrary<SequenceRun> {
  return fc.record({
    start: fc.nat(items.length - 1),
    length: fc.integer({ min: 1, max: window }),
    edits: fc.array(fc.tuple(fc.nat(window - 1), mutationOps(4)), { maxLength: 4 }),
    swaps: fc.array(fc.tuple(fc.nat(window - 1), fc.nat(window - 1)), { maxLength: 2 }),
    inserts: fc.array(fc.tuple(fc.nat(window), mutatedBytes(items, { maxRandomLength: 64 })), { maxLength: 2 }),
    primed: fc.boolean(),
  });
}

/** The items of a run, edits applied. */
export function buildRun(items: readonly Uint8Array[], r: SequenceRun): Uint8Array[] {
  const run: Uint8Array[] = [];
  for (let i = 0; i < r.length; i++) run.push(items[(r.start + i) % items.length]!);
  for (const [i, ops] of r.edits) if (i < run.length) run[i] = mutate([run[i]!], 0, ops);
  for (const [a, b] of r.swaps) if (a < run.length && b < run.length) [run[a], run[b]] = [run[b]!, run[a]!];
  for (const [i, bytes] of r.inserts) run.splice(Math.min(i, run.length), 0, bytes);
  return run;
}
