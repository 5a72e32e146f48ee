/**
 * How a Redraft reply is held against Redis's reply to the same command.
 *
 * Replies are compared exactly — type, RESP2 null flavour (`$-1` versus `*-1`), RESP3 type
 * (map versus array), bytes, error text — except for this allow-list of intended differences:
 *
 * - `set`: KEYS, HKEYS, HVALS, and iterated SCAN results are compared as multisets: Redis's
 *   order follows its hash table, Redraft's its insertion order.
 * - `pairs`: HGETALL and iterated HSCAN as sets of field-value pairs, for the same reason.
 * - `ttl-s` / `ttl-ms`: TTL, PTTL, EXPIRETIME, PEXPIRETIME may differ by the time between the
 *   two servers running the commands (2 s / 2000 ms); -1 and -2 must match exactly.
 * - `shape`: RANDOMKEY, OBJECT IDLETIME and a SCAN/HSCAN page from an arbitrary cursor: only the
 *   reply type (and an error's text) must match, the choice of key or page is the server's.
 * - `randfield`: HRANDFIELD's choice is random: the type and count must match, and when the
 *   count covers the whole hash, the members too.
 * - `ignore`: HELLO's reply (server version, connection id).
 * An error reply is always compared exactly, whatever the mode.
 */
import type { Reply } from '../../../src/resp/encoder.js';
import type { Arg, CompareMode } from './generator.js';

/** Printable ASCII as is, everything else escaped: binary-safe and unambiguous. */
export function showBytes(b: Buffer | string): string {
  const buf = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  let out = '';
  for (const c of buf) {
    if (c === 0x22 || c === 0x5c) out += `\\${String.fromCharCode(c)}`;
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x0a) out += '\\n';
    else out += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return `"${out}"`;
}

export function showArgv(argv: readonly Arg[]): string {
  return argv.map((a, i) => (i === 0 ? String(a) : showBytes(a))).join(' ');
}

/** A reply as one line of text that keeps every distinction the comparison makes. */
export function showReply(r: Reply): string {
  switch (r.kind) {
    case 'simple':
      return `+${r.value}`;
    case 'error':
      return `-${r.message}`;
    case 'integer':
      return `:${String(r.value)}`;
    case 'bulk':
      return showBytes(r.value);
    case 'verbatim':
      return `=${r.format}:${showBytes(r.value)}`;
    case 'null':
      return r.array ? '(nil array)' : '(nil)';
    case 'array':
      return `[${r.items.map(showReply).join(', ')}]`;
    case 'map':
      return `%{${r.items.map(showReply).join(', ')}}`;
    case 'set':
      return `~{${r.items.map(showReply).join(', ')}}`;
    case 'push':
      return `>[${r.items.map(showReply).join(', ')}]`;
    case 'double':
      return `,${String(r.value)}`;
    case 'boolean':
      return `#${r.value ? 't' : 'f'}`;
    case 'bignum':
      return `(${r.value.toString()}`;
  }
}

const sorted = (xs: readonly string[]): string => [...xs].sort().join(' | ');

/** Items of an array-like reply (array, set, map flattened), or undefined. */
function items(r: Reply): readonly Reply[] | undefined {
  return r.kind === 'array' || r.kind === 'set' || r.kind === 'map' ? r.items : undefined;
}

/** Field-value pairs from a flat list (RESP2, RESP3 map) or a list of pairs (RESP3). */
function pairs(r: Reply): string[] | undefined {
  const xs = items(r);
  if (xs === undefined) return undefined;
  if (xs.every((x) => x.kind === 'array' && x.items.length === 2)) {
    return xs.map((x) => (x.kind === 'array' ? x.items.map(showReply).join(' => ') : ''));
  }
  const out: string[] = [];
  for (let i = 0; i + 1 < xs.length; i += 2)
    out.push(`${showReply(xs[i]!)} => ${showReply(xs[i + 1]!)}`);
  return out;
}

/**
 * Returns undefined when `actual` (Redraft) is acceptable for `expected` (Redis) under `mode`,
 * else a short reason. `argv` is the command, for the modes that depend on its arguments.
 */
export function mismatch(
  mode: CompareMode,
  expected: Reply,
  actual: Reply,
  argv: readonly Arg[],
): string | undefined {
  const e = showReply(expected);
  const a = showReply(actual);
  if (expected.kind === 'error' || actual.kind === 'error') return e === a ? undefined : 'differs';
  if (mode === 'ignore') return expected.kind === actual.kind ? undefined : 'reply type differs';
  if (e === a) return undefined;
  switch (mode) {
    case 'exact':
      return 'differs';
    case 'set': {
      if (expected.kind !== actual.kind) return 'reply type differs';
      const ei = items(expected);
      const ai = items(actual);
      if (ei === undefined || ai === undefined) return 'differs';
      return sorted(ei.map(showReply)) === sorted(ai.map(showReply))
        ? undefined
        : 'differs as a set';
    }
    case 'pairs': {
      if (expected.kind !== actual.kind) return 'reply type differs';
      const ep = pairs(expected);
      const ap = pairs(actual);
      if (ep === undefined || ap === undefined) return 'differs';
      return sorted(ep) === sorted(ap) ? undefined : 'differs as a set of pairs';
    }
    case 'ttl-s':
    case 'ttl-ms': {
      if (expected.kind !== 'integer' || actual.kind !== 'integer') return 'differs';
      const x = Number(expected.value);
      const y = Number(actual.value);
      if (x < 0 || y < 0) return 'differs';
      const tolerance = mode === 'ttl-s' ? 2 : 2000;
      return Math.abs(x - y) <= tolerance ? undefined : `differs by more than ${tolerance}`;
    }
    case 'shape':
      return expected.kind === actual.kind ? undefined : 'reply type differs';
    case 'randfield': {
      if (expected.kind !== actual.kind) return 'reply type differs';
      const ei = items(expected);
      const ai = items(actual);
      if (ei === undefined || ai === undefined) return undefined; // one field or nil
      if (ei.length !== ai.length) return 'count differs';
      const count = Number(String(argv[2] ?? '0'));
      // A count at least the hash's size returns the whole hash: the members are known.
      const whole = count >= 100;
      return !whole || sorted(ei.map(showReply)) === sorted(ai.map(showReply))
        ? undefined
        : 'members differ';
    }
  }
}
