/**
 * Deterministic command sequences for the differential test: the same seed always gives the
 * same sequences. Each sequence starts from empty databases and mixes string, key, hash,
 * connection and transaction commands over a small pool of keys, so commands meet each other's
 * values (wrong types, counters over text, renames onto hashes), with valid and invalid
 * arguments: wrong arity, negative ranges, int64 edges, floats Redis parses and floats it
 * refuses, empty and binary keys, values and fields.
 *
 * What is not generated, on purpose:
 * - commands Redraft does not implement (lists, sets, sorted sets, streams, scripting,
 *   pub/sub): nothing to compare;
 * - options newer than Redis 7.0, which CI installs, such as HSCAN ... NOVALUES (7.4), which
 *   Redraft accepts and 7.0 refuses;
 * - SET with an absolute expiry in the past: Redis keeps such a key until its background
 *   expiry cycle or a lookup removes it, so DBSIZE right after is timing-dependent on Redis
 *   itself (GETEX and EXPIRE with a past time delete at once and are generated);
 * - expiries that can fall due while a sequence runs (relative ones are >= 1000 s): TTLs are
 *   compared as ranges instead (see compare.ts);
 * - INFO, TIME, CLIENT LIST/INFO, COMMAND, CONFIG, HELLO's server fields, WAIT: they describe
 *   the server, not the data, and differ by design.
 */
import { seededRandom } from '../harness/index.js';

export type Arg = string | Buffer;

/**
 * How two replies are compared (see compare.ts): exactly; as unordered collections (KEYS,
 * HKEYS, HVALS, HGETALL field-value pairs); as durations or instants with a tolerance;
 * by shape only (RANDOMKEY, a SCAN page from an arbitrary cursor); HRANDFIELD's rules.
 */
export type CompareMode =
  'exact' | 'set' | 'pairs' | 'ttl-s' | 'ttl-ms' | 'shape' | 'randfield' | 'ignore';

export interface Step {
  /** Which of the sequence's two connections sends it (WATCH needs a second client). */
  readonly conn: 0 | 1;
  readonly argv: readonly Arg[];
  readonly mode: CompareMode;
  /**
   * Iterate SCAN / HSCAN to the end (the cursor at argv[1] or argv[2] replaced each round)
   * and compare the union of what was returned, as keys or as field-value pairs.
   */
  readonly iterate?: 'keys' | 'pairs';
}

export interface Sequence {
  readonly id: number;
  /** Switch both connections to RESP3 with HELLO 3 first. */
  readonly resp3: boolean;
  /**
   * Send each run of consecutive commands on one connection as one pipeline (one write),
   * instead of one command at a time: Redraft dispatches pipelined reads and writes
   * concurrently and must still answer as if it ran them one by one.
   */
  readonly pipelined: boolean;
  readonly steps: readonly Step[];
}

const BIN_KEY = Buffer.from([0x00, 0x62, 0x0d, 0x0a, 0xff]);
const KEYS: readonly Arg[] = ['a', 'b', 'c', 'h', 'n', 'f', '', BIN_KEY];
const HASH_KEYS: readonly Arg[] = ['h', 'h', 'h', 'g', 'a', BIN_KEY];
const FIELDS: readonly Arg[] = [
  'f',
  'g',
  'x1',
  'num',
  'flt',
  '',
  Buffer.from([0x00, 0x0d, 0x0a, 0xfe]),
];
const VALUES: readonly Arg[] = [
  '',
  'v',
  'hello world',
  '0',
  '1',
  '-1',
  '10',
  '-0',
  '+1',
  ' 1',
  '1 ',
  '007',
  '3.14',
  '1e3',
  '0.1',
  '9223372036854775807',
  '-9223372036854775808',
  '9223372036854775808',
  'inf',
  'nan',
  '0x10',
  'x'.repeat(60),
  // Past a listpack's 64 bytes: a hash given it becomes a hashtable for good; and a raw string.
  'y'.repeat(65),
  '\u00fcn\u00efc\u00f8de',
  Buffer.from([0x00, 0x0d, 0x0a, 0xff, 0x80]),
];
const INTEGERS: readonly string[] = [
  '0',
  '1',
  '-1',
  '5',
  '100',
  '-100',
  '9223372036854775807',
  '-9223372036854775808',
  '9223372036854775808',
  '-9223372036854775809',
  '18446744073709551615',
  'abc',
  '',
  '1.5',
  ' 1',
  '+1',
  '-0',
  '00',
  '1e3',
  '2147483648',
];
const FLOATS: readonly string[] = [
  '0',
  '1',
  '-1',
  '0.1',
  '0.2',
  '1.5',
  '-2.5',
  '1e3',
  '1e-3',
  '1e300',
  '1e308',
  '1e400',
  '-1e400',
  '1e5000',
  'inf',
  '-inf',
  'nan',
  'abc',
  '',
  '.5',
  '5.',
  '+.5',
  '0x10',
  '0x1p-2',
  '1e',
  '3.0000000000000000001',
  ' 1',
  '1 ',
  '9223372036854775807',
  '123456789.123456789',
];
const RANGES: readonly string[] = [
  '0',
  '1',
  '2',
  '3',
  '-1',
  '-2',
  '-5',
  '-100',
  '100',
  '9223372036854775807',
  '-9223372036854775808',
  'x',
];
/** 536870912 is one past the 512 MiB limit: an error, never an allocation of it. */
const OFFSETS: readonly string[] = ['0', '1', '3', '10', '100', '-1', 'x', '536870912'];
/** Relative expiries long enough never to fall due during the test, and invalid ones. */
const SECONDS: readonly string[] = [
  '1000',
  '100000',
  '0',
  '-5',
  'abc',
  '9223372036854775807',
  '9223372036854775',
  '100000000000000',
  '1.5',
  '',
];
const MILLIS: readonly string[] = [
  '100000',
  '100000000',
  '0',
  '-1',
  'abc',
  '9223372036854775807',
  '100000000000000000',
];
/** Absolute expiries: 2100-01-01, the past (EXPIREAT/GETEX delete at once), invalid. */
const FAR_SECONDS = '4102444800';
const FAR_MILLIS = '4102444800000';
const ABS_SECONDS: readonly string[] = [FAR_SECONDS, '1', '0', '-1', '9223372036854775807', 'x'];
const ABS_MILLIS: readonly string[] = [FAR_MILLIS, '1', '0', '-1', '9223372036854775807', 'x'];
const DBS: readonly string[] = [
  '0',
  '1',
  '2',
  '15',
  '16',
  '-1',
  'abc',
  '1.5',
  '01',
  '-0',
  '+1',
  '2147483648',
  '9223372036854775808',
];
const PATTERNS: readonly string[] = [
  '*',
  'a*',
  '?',
  '[ab]',
  '[^a]*',
  '[a-c]',
  'h*',
  '\\*',
  '*[',
  '[',
  'a\\',
  '',
  '*\u0000*',
  '[!a]',
];

class Rand {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = seededRandom(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  some<T>(xs: readonly T[], min: number, max: number): T[] {
    return Array.from({ length: min + this.int(max - min + 1) }, () => this.pick(xs));
  }
}

type Gen = (r: Rand) => { argv: Arg[]; mode?: CompareMode; iterate?: 'keys' | 'pairs' };

const k = (r: Rand): Arg => r.pick(KEYS);
const hk = (r: Rand): Arg => r.pick(HASH_KEYS);
const v = (r: Rand): Arg => r.pick(VALUES);
const f = (r: Rand): Arg => r.pick(FIELDS);
const i = (r: Rand): string => r.pick(INTEGERS);

function setOptions(r: Rand): Arg[] {
  const out: Arg[] = [];
  for (let n = r.int(4); n > 0; n--) {
    switch (r.int(10)) {
      case 0:
        out.push('NX');
        break;
      case 1:
        out.push('XX');
        break;
      case 2:
        out.push('GET');
        break;
      case 3:
        out.push('KEEPTTL');
        break;
      case 4:
        out.push(r.pick(['EX', 'ex']), r.pick(SECONDS));
        break;
      case 5:
        out.push('PX', r.pick(MILLIS));
        break;
      case 6:
        // Absolute expiries for SET stay in the future (see the header).
        if (r.chance(0.5)) out.push('EXAT', r.pick([FAR_SECONDS, '0', '-1', 'x']));
        else out.push('PXAT', r.pick([FAR_MILLIS, '0', '-1', 'x']));
        break;
      case 7:
        out.push('PXAT', FAR_MILLIS);
        break;
      case 8:
        out.push(r.pick(['EX', 'PX', 'BOGUS']));
        break;
      default:
        out.push(r.pick(['nx', 'get', 'xx']));
    }
  }
  return out;
}

function getexOptions(r: Rand): Arg[] {
  switch (r.int(9)) {
    case 0:
      return [];
    case 1:
      return ['EX', r.pick(SECONDS)];
    case 2:
      return ['PX', r.pick(MILLIS)];
    case 3:
      return ['EXAT', r.pick(ABS_SECONDS)];
    case 4:
      return ['PXAT', r.pick(ABS_MILLIS)];
    case 5:
      return ['PERSIST'];
    case 6:
      return ['PERSIST', 'EX', '1000'];
    case 7:
      return ['KEEPTTL'];
    default:
      return [r.pick(['EX', 'BOGUS', 'persist'])];
  }
}

const expireFlag = (r: Rand): Arg[] =>
  r.chance(0.6) ? [] : r.some(['NX', 'XX', 'GT', 'LT', 'nx', 'BOGUS'], 1, 2);

const STRING_GENS: readonly Gen[] = [
  (r) => ({ argv: ['GET', k(r)] }),
  (r) => ({ argv: ['GET', k(r)] }),
  (r) => ({ argv: ['SET', k(r), v(r)] }),
  (r) => ({ argv: ['SET', k(r), v(r)] }),
  (r) => ({ argv: ['SET', k(r), v(r), ...setOptions(r)] }),
  (r) => ({ argv: ['SET', k(r), v(r), ...setOptions(r)] }),
  (r) => ({ argv: ['SETNX', k(r), v(r)] }),
  (r) => ({ argv: ['SETEX', k(r), r.pick(SECONDS), v(r)] }),
  (r) => ({ argv: ['PSETEX', k(r), r.pick(MILLIS), v(r)] }),
  (r) => ({ argv: ['GETSET', k(r), v(r)] }),
  (r) => ({ argv: ['GETDEL', k(r)] }),
  (r) => ({ argv: ['GETEX', k(r), ...getexOptions(r)] }),
  (r) => ({ argv: ['MGET', ...r.some(KEYS, 1, 4)] }),
  (r) => ({ argv: [r.pick(['MSET', 'MSETNX']), ...r.some(KEYS, 1, 3).flatMap((x) => [x, v(r)])] }),
  (r) => ({ argv: [r.pick(['MSET', 'MSETNX']), k(r), v(r), k(r)] }),
  (r) => ({ argv: [r.pick(['INCR', 'DECR']), r.pick(['n', 'n', 'a', 'h', ''])] }),
  (r) => ({ argv: [r.pick(['INCRBY', 'DECRBY']), r.pick(['n', 'n', 'a', 'h']), i(r)] }),
  (r) => ({ argv: ['INCRBYFLOAT', r.pick(['f', 'f', 'n', 'a', 'h']), r.pick(FLOATS)] }),
  (r) => ({ argv: ['INCRBYFLOAT', 'f', r.pick(['0.1', '0.2', '-0.3', '1.1', '2.675'])] }),
  (r) => ({ argv: ['APPEND', k(r), v(r)] }),
  (r) => ({ argv: ['STRLEN', k(r)] }),
  (r) => ({ argv: [r.pick(['GETRANGE', 'SUBSTR']), k(r), r.pick(RANGES), r.pick(RANGES)] }),
  (r) => ({ argv: ['SETRANGE', k(r), r.pick(OFFSETS), r.pick(['', 'X', 'abc', '\u0000'])] }),
  (r) => ({
    argv: [
      'LCS',
      k(r),
      k(r),
      ...r.some(
        ['LEN', 'IDX', 'IDX', 'WITHMATCHLEN', 'MINMATCHLEN', r.pick(['0', '2', '-1'])],
        0,
        3,
      ),
    ],
  }),
];

const KEY_GENS: readonly Gen[] = [
  (r) => ({ argv: [r.pick(['DEL', 'UNLINK']), ...r.some(KEYS, 1, 3)] }),
  (r) => ({ argv: [r.pick(['EXISTS', 'TOUCH']), ...r.some(KEYS, 1, 4)] }),
  (r) => ({ argv: ['TYPE', k(r)] }),
  (r) => ({ argv: [r.pick(['RENAME', 'RENAMENX']), k(r), k(r)] }),
  (r) => {
    const argv: Arg[] = ['COPY', k(r), k(r)];
    if (r.chance(0.4)) argv.push('DB', r.pick(DBS));
    if (r.chance(0.4)) argv.push('REPLACE');
    if (r.chance(0.1)) argv.push('BOGUS');
    return { argv };
  },
  (r) => ({ argv: ['MOVE', k(r), r.pick(DBS)] }),
  (r) => ({
    argv: [
      'COPY',
      k(r),
      k(r),
      ...r.pick<Arg[]>([
        [],
        ['REPLACE'],
        ['DB', r.pick(DBS)],
        ['DB', r.pick(DBS), 'REPLACE'],
        ['BOGUS'],
      ]),
    ],
  }),
  (r) => ({ argv: ['SWAPDB', r.pick(DBS), r.pick(DBS)] }),
  (r) => ({ argv: ['KEYS', r.pick(PATTERNS)], mode: 'set' }),
  (r) => {
    const argv: Arg[] = ['SCAN', '0'];
    if (r.chance(0.5)) argv.push('MATCH', r.pick(PATTERNS));
    if (r.chance(0.5)) argv.push('COUNT', r.pick(['1', '2', '10', '1000']));
    if (r.chance(0.3)) argv.push('TYPE', r.pick(['string', 'hash', 'list', 'bogus']));
    return { argv, iterate: 'keys', mode: 'set' };
  },
  (r) => ({
    argv: [
      'SCAN',
      r.pick(['abc', '-1', '18446744073709551616', '0']),
      r.pick(['COUNT', 'MATCH', 'TYPE', 'BOGUS']),
      r.pick(['0', '-1', 'x', '*']),
    ],
    mode: 'shape',
  }),
  () => ({ argv: ['RANDOMKEY'], mode: 'shape' }),
  () => ({ argv: ['DBSIZE'] }),
  (r) => ({
    argv: [r.pick(['EXPIRE', 'EXPIRE', 'PEXPIRE']), k(r), r.pick(SECONDS), ...expireFlag(r)],
  }),
  (r) => ({ argv: ['PEXPIRE', k(r), r.pick(MILLIS), ...expireFlag(r)] }),
  (r) => ({ argv: ['EXPIREAT', k(r), r.pick(ABS_SECONDS), ...expireFlag(r)] }),
  (r) => ({ argv: ['PEXPIREAT', k(r), r.pick(ABS_MILLIS), ...expireFlag(r)] }),
  (r) => ({ argv: ['TTL', k(r)], mode: 'ttl-s' }),
  (r) => ({ argv: ['PTTL', k(r)], mode: 'ttl-ms' }),
  (r) => ({ argv: ['EXPIRETIME', k(r)], mode: 'ttl-s' }),
  (r) => ({ argv: ['PEXPIRETIME', k(r)], mode: 'ttl-ms' }),
  (r) => ({ argv: ['PERSIST', k(r)] }),
  (r) => ({
    argv: ['OBJECT', r.pick(['ENCODING', 'REFCOUNT', 'FREQ', 'encoding', 'BOGUS']), k(r)],
  }),
  () => ({ argv: ['OBJECT', 'IDLETIME', 'a'], mode: 'shape' }),
];

const HASH_GENS: readonly Gen[] = [
  (r) => ({ argv: ['HSET', hk(r), ...r.some(FIELDS, 1, 3).flatMap((x) => [x, v(r)])] }),
  (r) => ({ argv: ['HSET', hk(r), ...r.some(FIELDS, 1, 3).flatMap((x) => [x, v(r)])] }),
  (r) => ({ argv: ['HSET', hk(r), f(r), v(r), f(r)] }),
  (r) => ({ argv: ['HMSET', hk(r), ...r.some(FIELDS, 1, 2).flatMap((x) => [x, v(r)])] }),
  (r) => ({ argv: ['HSETNX', hk(r), f(r), v(r)] }),
  (r) => ({ argv: ['HGET', hk(r), f(r)] }),
  (r) => ({ argv: ['HMGET', hk(r), ...r.some(FIELDS, 1, 3)] }),
  (r) => ({ argv: ['HDEL', hk(r), ...r.some(FIELDS, 1, 3)] }),
  (r) => ({ argv: ['HEXISTS', hk(r), f(r)] }),
  (r) => ({ argv: ['HLEN', hk(r)] }),
  (r) => ({ argv: ['HSTRLEN', hk(r), f(r)] }),
  (r) => ({ argv: [r.pick(['HKEYS', 'HVALS']), hk(r)], mode: 'set' }),
  (r) => ({ argv: ['HGETALL', hk(r)], mode: 'pairs' }),
  (r) => ({ argv: ['HINCRBY', hk(r), r.pick(['num', 'num', 'f', 'flt']), i(r)] }),
  (r) => ({ argv: ['HINCRBYFLOAT', hk(r), r.pick(['flt', 'flt', 'num', 'f']), r.pick(FLOATS)] }),
  (r) => {
    const argv: Arg[] = ['HRANDFIELD', hk(r)];
    if (r.chance(0.7))
      argv.push(
        r.pick([
          '1',
          '3',
          '-3',
          '0',
          '100',
          '-100',
          'abc',
          '9223372036854775807',
          '-9223372036854775808',
        ]),
      );
    if (argv.length === 3 && r.chance(0.5))
      argv.push(r.pick(['WITHVALUES', 'withvalues', 'BOGUS']));
    return { argv, mode: 'randfield' };
  },
  (r) => {
    const argv: Arg[] = ['HSCAN', hk(r), '0'];
    if (r.chance(0.4)) argv.push('MATCH', r.pick(PATTERNS));
    if (r.chance(0.4)) argv.push('COUNT', r.pick(['1', '10', '0', 'x']));
    return { argv, iterate: 'pairs', mode: 'pairs' };
  },
  (r) => ({
    argv: ['HSCAN', hk(r), r.pick(['x', '-1', '0']), r.pick(['COUNT', 'MATCH', 'BOGUS'])],
    mode: 'shape',
  }),
];

/** Names no Redis has, to compare the unknown-command error. */
export const UNKNOWN_COMMANDS: readonly string[] = ['nosuchcmd', 'gett', 'hsett'];

const CONNECTION_GENS: readonly Gen[] = [
  (r) => ({ argv: r.pick([['PING'], ['PING', 'hi'], ['PING', 'a', 'b'], ['ping', '']]) }),
  (r) => ({ argv: r.pick([['ECHO', 'x'], ['ECHO'], ['ECHO', BIN_KEY], ['ECHO', 'a', 'b']]) }),
  // No password is configured on either side: the default user takes any password.
  (r) => ({
    argv: r.pick([
      ['AUTH', 'default', 'anything'],
      ['AUTH', 'default', ''],
      ['AUTH', 'someone', 'x'],
      ['AUTH', 'x'],
      ['AUTH', 'a', 'b', 'c'],
    ]),
  }),
  (r) => ({ argv: ['SELECT', r.pick(DBS)] }),
  (r) => ({ argv: [r.pick(['NOSUCHCMD', 'GETT', 'hsett']), ...r.some(['a', 'b', BIN_KEY], 0, 2)] }),
  // Redis quotes arguments only up to 128 bytes.
  () => ({ argv: ['NOSUCHCMD', 'x'.repeat(100), 'y'.repeat(50), 'z'] }),
];

/** Commands with the wrong number of arguments: Redis checks arity before anything else. */
const ARITY_GENS: readonly Gen[] = [
  (r) => ({
    argv: r.pick([
      ['GET'],
      ['GET', 'a', 'b'],
      ['SET', 'a'],
      ['SETNX', 'a'],
      ['SETEX', 'a', '10'],
      ['GETDEL'],
      ['GETEX'],
      ['MGET'],
    ]),
  }),
  (r) => ({
    argv: r.pick([
      ['INCR'],
      ['INCRBY', 'n'],
      ['INCRBYFLOAT', 'f'],
      ['APPEND', 'a'],
      ['STRLEN'],
      ['GETRANGE', 'a', '0'],
      ['SETRANGE', 'a', '0'],
      ['LCS', 'a'],
    ]),
  }),
  (r) => ({
    argv: r.pick([
      ['DEL'],
      ['EXISTS'],
      ['TYPE'],
      ['RENAME', 'a'],
      ['COPY', 'a'],
      ['MOVE', 'a'],
      ['SWAPDB', '0'],
      ['SWAPDB', '0', '1', '2'],
      ['KEYS'],
      ['SCAN'],
      ['RANDOMKEY', 'x'],
      ['DBSIZE', 'x'],
    ]),
  }),
  (r) => ({
    argv: r.pick([['EXPIRE', 'a'], ['TTL'], ['PERSIST'], ['OBJECT'], ['EXPIRETIME', 'a', 'b']]),
  }),
  (r) => ({
    argv: r.pick([
      ['HSET', 'h', 'f'],
      ['HSET', 'h'],
      ['HGET', 'h'],
      ['HMGET', 'h'],
      ['HDEL', 'h'],
      ['HLEN'],
      ['HGETALL'],
      ['HINCRBY', 'h', 'f'],
      ['HSCAN', 'h'],
      ['HRANDFIELD'],
    ]),
  }),
  (r) => ({
    argv: r.pick([
      ['MULTI', 'x'],
      ['WATCH'],
      ['SELECT'],
      ['SELECT', '1', '2'],
      ['FLUSHDB', 'x', 'y'],
    ]),
  }),
  (r) => ({
    argv: r.pick([
      ['EXEC', 'x'],
      ['DISCARD', 'x'],
      ['UNWATCH', 'x'],
      ['PING', 'a', 'b'],
    ]),
  }),
];

function single(r: Rand, gens: readonly Gen[]): Step {
  const g = r.pick(gens)(r);
  const step: Step = { conn: 0, argv: g.argv, mode: g.mode ?? 'exact' };
  return g.iterate === undefined ? step : { ...step, iterate: g.iterate };
}

/** A data command for inside a transaction (no iterated scans: they cannot be queued). */
function queued(r: Rand): Step {
  for (;;) {
    const s = single(r, r.pick([STRING_GENS, STRING_GENS, KEY_GENS, HASH_GENS]));
    if (s.iterate === undefined) return s;
  }
}

/** A modification by the other connection, or one that Redis does not count as one. */
function otherTouches(r: Rand, key: Arg): Step[] {
  const choices: Arg[][] = [
    ['SET', key, 'theirs'],
    ['DEL', key],
    ['INCR', key],
    ['EXPIRE', key, '1000'],
    ['PERSIST', key],
    ['SET', key, 'x', 'NX'],
    ['HSET', key, 'f', '1'],
    ['APPEND', key, ''],
    ['GET', key],
    ['SELECT', '1'],
    ['MOVE', key, '1'],
    ['SWAPDB', '0', '1'],
  ];
  const argv = r.pick(choices);
  const steps: Step[] = [{ conn: 1, argv, mode: 'exact' }];
  if (argv[0] === 'SELECT')
    steps.push(
      { conn: 1, argv: ['SET', key, 'other-db'], mode: 'exact' },
      { conn: 1, argv: ['SELECT', '0'], mode: 'exact' },
    );
  return steps;
}

function transaction(r: Rand): Step[] {
  const steps: Step[] = [];
  const s = (argv: Arg[], conn: 0 | 1 = 0): void => {
    steps.push({ conn, argv, mode: 'exact' });
  };
  switch (r.int(9)) {
    case 0:
    case 1: {
      s(['MULTI']);
      for (let n = 1 + r.int(4); n > 0; n--) steps.push(queued(r));
      s([r.pick(['EXEC', 'EXEC', 'EXEC', 'DISCARD'])]);
      break;
    }
    case 2: {
      // A command refused while queueing (arity, unknown) aborts EXEC.
      s(['MULTI']);
      steps.push(queued(r));
      steps.push(single(r, r.chance(0.5) ? ARITY_GENS : CONNECTION_GENS));
      steps.push(queued(r));
      s(['EXEC']);
      break;
    }
    case 3:
    case 4: {
      const key = r.pick(['a', 'n', 'h', 'c']);
      s(r.chance(0.8) ? ['WATCH', key] : ['WATCH', key, r.pick(KEYS)]);
      if (r.chance(0.7)) steps.push(...otherTouches(r, key));
      if (r.chance(0.15)) s(['UNWATCH']);
      s(['MULTI']);
      for (let n = 1 + r.int(3); n > 0; n--) steps.push(queued(r));
      s(['EXEC']);
      break;
    }
    case 5: {
      // SELECT inside MULTI takes effect at EXEC, and not at all after DISCARD or an abort.
      s(['MULTI']);
      s(['SELECT', r.pick(['2', '2', '16', 'x'])]);
      s(['SET', 'a', 'in-tx']);
      s([r.pick(['EXEC', 'DISCARD'])]);
      s(['GET', 'a']);
      s(['SELECT', '0']);
      break;
    }
    case 6: {
      // Transaction commands out of place.
      const shapes: Arg[][][] = [
        [['EXEC']],
        [['DISCARD']],
        [['MULTI'], ['MULTI'], ['EXEC']],
        [['MULTI'], ['WATCH', 'a'], ['EXEC']],
        [['MULTI'], ['UNWATCH'], ['EXEC']],
        [['MULTI'], ['EXEC'], ['EXEC']],
        [['MULTI'], ['PING'], ['ECHO', 'e'], ['EXEC']],
        [['MULTI'], ['DISCARD'], ['DISCARD']],
      ];
      for (const argv of r.pick(shapes)) s(argv);
      break;
    }
    case 7: {
      // Run-time errors inside EXEC fail alone.
      s(['MULTI']);
      s(['SET', 'a', 'text']);
      s(['INCR', 'a']);
      s(['HSET', 'a', 'f', 'v']);
      s(['INCRBYFLOAT', 'a', '1']);
      s(['GET', 'a']);
      s(['EXEC']);
      break;
    }
    default: {
      // WATCH of a missing key that another client creates and deletes again.
      s(['WATCH', 'c']);
      s(['SET', 'c', '1'], 1);
      s(['DEL', 'c'], 1);
      s(['MULTI']);
      s(['SET', 'c', 'mine']);
      s(['EXEC']);
      s(['GET', 'c']);
      break;
    }
  }
  return steps;
}

/** `count` sequences from `seed`; each starts from empty databases (the runner flushes). */
export function generate(seed: number, count: number): Sequence[] {
  const r = new Rand(seed);
  const out: Sequence[] = [];
  for (let id = 0; id < count; id++) {
    const steps: Step[] = [];
    const length = 5 + r.int(9);
    while (steps.length < length) {
      const roll = r.int(100);
      if (roll < 30) steps.push(single(r, STRING_GENS));
      else if (roll < 50) steps.push(single(r, KEY_GENS));
      else if (roll < 72) steps.push(single(r, HASH_GENS));
      else if (roll < 78) steps.push(single(r, CONNECTION_GENS));
      else if (roll < 84) steps.push(single(r, ARITY_GENS));
      else steps.push(...transaction(r));
    }
    out.push({ id, resp3: r.chance(0.25), pipelined: r.chance(0.35), steps });
  }
  return out;
}

/** Every command name the sequences use, lower-case, for the implemented-command probe. */
export function commandNames(sequences: readonly Sequence[]): string[] {
  const names = new Set<string>();
  for (const s of sequences) for (const st of s.steps) names.add(String(st.argv[0]).toLowerCase());
  return [...names].sort();
}
