/**
 * Differential test: the same commands against a real redis-server and against our
 * CommandDefs, replies compared exactly (type, text, order). Runs only where redis-server is
 * installed (CI installs it); skipped otherwise. The server is started here on a private
 * unix socket with persistence off, and stopped at the end.
 *
 * Replies that depend on randomness or on hash-table order are compared by shape (length)
 * or as sorted sets; see `Step`.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { COMMAND_DEFS } from '../../src/fsm/commands/index.js';
import { Keyspace } from '../../src/fsm/keyspace.js';
import { CommandError, Status, type Result } from '../../src/fsm/result.js';
import type { Reply } from '../../src/resp/encoder.js';
import { ReplyParser, encodeCommand } from '../../src/resp/reply-parser.js';
import { seededRandom } from './helpers.js';

const hasRedis = spawnSync('redis-server', ['--version']).status === 0;

/** A minimal RESP client over one socket: one request in flight at a time. */
class Client {
  private readonly parser = new ReplyParser();
  private readonly pending: Reply[] = [];
  private waiter: (() => void) | null = null;

  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      // Bulk replies are views into `chunk`; each chunk is a fresh buffer, so they stay valid.
      this.pending.push(...this.parser.feed(chunk));
      this.waiter?.();
    });
  }

  async call(argv: readonly string[]): Promise<Reply> {
    this.socket.write(encodeCommand(argv.map((a) => Buffer.from(a, 'latin1'))));
    while (this.pending.length === 0) {
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    this.waiter = null;
    return this.pending.shift()!;
  }

  close(): void {
    this.socket.destroy();
  }
}

type Norm = null | string | Norm[];

function normRedis(r: Reply): Norm {
  switch (r.kind) {
    case 'simple':
      return `+${r.value}`;
    case 'error':
      return `!${r.message}`;
    case 'integer':
      return `:${r.value}`;
    case 'bulk':
      return `$${typeof r.value === 'string' ? r.value : r.value.toString('latin1')}`;
    case 'null':
      return null;
    case 'array':
      return r.items.map(normRedis);
    default:
      return `?${r.kind}`;
  }
}

function normOurs(r: Result): Norm {
  if (r === null) return null;
  if (typeof r === 'number' || typeof r === 'bigint') return `:${r}`;
  if (Buffer.isBuffer(r)) return `$${r.toString('latin1')}`;
  if (r instanceof Status) return `+${r.text}`;
  if (r instanceof CommandError) return `!${r.message}`;
  return r.map(normOurs);
}

/** Our side: 16 databases, SELECT handled here, every other command through COMMAND_DEFS. */
class Ours {
  readonly dbs = Array.from({ length: 16 }, () => new Keyspace());
  dbIndex = 0;
  index = 0;
  private readonly random = seededRandom(42);

  call(argv: readonly string[]): Norm {
    const name = argv[0]!.toLowerCase();
    if (name === 'select') {
      this.dbIndex = Number(argv[1]);
      return '+OK';
    }
    const d = COMMAND_DEFS.get(name);
    if (d === undefined) throw new Error(`unknown command ${name}`);
    const db = this.dbs[this.dbIndex]!;
    return normOurs(
      d.fn(
        {
          db,
          dbs: this.dbs,
          dbIndex: this.dbIndex,
          now: Date.now(),
          index: ++this.index,
          random: d.kind === 'write' ? () => Number.NaN : this.random,
        },
        argv.map((a) => Buffer.from(a, 'latin1')),
      ),
    );
  }
}

/** A command, or a command whose reply is compared as a sorted list or by length only. */
type Step = string[] | { argv: string[]; compare: 'sorted' | 'length' | 'pairs' };

function sortNorm(n: Norm): Norm {
  return Array.isArray(n) ? [...n].sort((a, b) => (String(a) < String(b) ? -1 : 1)) : n;
}

/** Sorts a flat [field, value, ...] reply by field. */
function sortPairs(n: Norm): Norm {
  if (!Array.isArray(n)) return n;
  const pairs: Norm[][] = [];
  for (let i = 0; i < n.length; i += 2) pairs.push([n[i]!, n[i + 1]!]);
  pairs.sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1));
  return pairs.flat();
}

const s = (line: string): string[] => line.split(' ');

const SCRIPT: Step[] = [
  // Key space: types, existence, deletion.
  s('FLUSHALL'),
  s('TYPE nokey'),
  s('SET s 1'),
  s('TYPE s'),
  s('HSET h a 1'),
  s('TYPE h'),
  s('EXISTS s s h nokey'),
  s('TOUCH s h nokey'),
  s('DEL s nokey s'),
  s('UNLINK h'),
  s('DBSIZE'),
  // Expiry options and errors.
  s('SET s 1'),
  s('EXPIRE s 10 nx xx'),
  s('EXPIRE s 10 gt lt'),
  s('EXPIRE s 10 nx gt'),
  s('EXPIRE s 10 xx gt'),
  s('EXPIRE s 10 foo'),
  s('EXPIRE s abc foo'),
  s('EXPIRE s abc'),
  s('EXPIRE s -0'),
  s('EXPIRE s 9223372036854775807'),
  s('EXPIRE s 9223372036854776'),
  s('EXPIRE s 9223372036854775'),
  s('PEXPIRE s 9223372036854775807'),
  s('EXPIREAT s 9223372036854775807'),
  s('EXPIRE s -9223372036854776'),
  s('EXPIRE s -9223372036854775'),
  s('EXISTS s'),
  s('SET s 1'),
  s('EXPIRE s 100 gt'),
  s('EXPIRE s 100 lt'),
  s('TTL s'),
  s('EXPIRE s 50 gt'),
  s('EXPIRE s 200 gt'),
  s('TTL s'),
  s('EXPIRE s 100 xx'),
  s('EXPIRE s 100 nx'),
  s('PERSIST s'),
  s('PERSIST s'),
  s('PERSIST nokey'),
  s('EXPIRE s -1 lt'),
  s('EXISTS s'),
  s('SET s 1'),
  s('EXPIRE s 0'),
  s('EXISTS s'),
  s('SET s 1'),
  s('EXPIRE s 100'),
  s('PEXPIRE s -5 gt'),
  s('EXISTS s'),
  s('EXPIRE missing 10'),
  s('TTL missing'),
  s('PTTL missing'),
  s('EXPIRETIME missing'),
  s('PEXPIRETIME missing'),
  s('SET s 1'),
  s('TTL s'),
  s('PTTL s'),
  s('EXPIRETIME s'),
  s('EXPIREAT s 100000000000'),
  s('EXPIRETIME s'),
  s('PEXPIRETIME s'),
  s('PEXPIREAT s 100000000000499'),
  s('EXPIRETIME s'),
  s('PEXPIREAT s 100000000000500'),
  s('EXPIRETIME s'),
  s('PEXPIRETIME s'),
  // RENAME and COPY.
  s('RENAME nokey x'),
  s('RENAMENX nokey x'),
  s('RENAME s s'),
  s('RENAMENX s s'),
  s('RENAME s t'),
  s('EXPIRETIME t'),
  s('HSET h2 f v'),
  s('RENAMENX t h2'),
  s('RENAME t h2'),
  s('TYPE h2'),
  s('COPY h2 h2'),
  s('COPY h2 h2 db 1'),
  s('COPY h2 h2 db 16'),
  s('COPY h2 h2 db -1'),
  s('COPY h2 h2 db abc'),
  s('COPY h2 h2 db 4294967296'),
  s('COPY h2 h2 db'),
  s('COPY h2 h2 replace foo'),
  s('COPY nokey t2'),
  s('COPY h2 t2'),
  s('COPY h2 t2'),
  s('COPY h2 t2 replace'),
  s('COPY h2 t3 db 1 db 2'),
  s('SELECT 2'),
  s('EXISTS t3'),
  s('EXPIRETIME t3'),
  s('SELECT 0'),
  // OBJECT.
  s('SET i 12'),
  s('OBJECT ENCODING i'),
  s('OBJECT ENCODING nokey'),
  s('SET s2 0123'),
  s('OBJECT ENCODING s2'),
  s('SET s3 -0'),
  s('OBJECT ENCODING s3'),
  s('SET s4 9223372036854775807'),
  s('OBJECT ENCODING s4'),
  s('SET s5 9223372036854775808'),
  s('OBJECT ENCODING s5'),
  s('SET s7 -9223372036854775808'),
  s('OBJECT ENCODING s7'),
  s('SET s8 ' + 'x'.repeat(44)),
  s('OBJECT ENCODING s8'),
  s('SET s9 ' + 'x'.repeat(45)),
  s('OBJECT ENCODING s9'),
  // Strings edited in place stay raw, whatever their content; a new write starts over.
  s('APPEND i 3'),
  s('OBJECT ENCODING i'),
  s('EXPIRE i 100'),
  s('OBJECT ENCODING i'),
  s('INCR i'),
  s('OBJECT ENCODING i'),
  s('APPEND fresh 12'),
  s('OBJECT ENCODING fresh'),
  s('APPEND fresh abc'),
  s('OBJECT ENCODING fresh'),
  s('SET fresh 7'),
  s('OBJECT ENCODING fresh'),
  s('SETRANGE fresh 0 8'),
  s('OBJECT ENCODING fresh'),
  s('SETRANGE patched 2 ab'),
  s('OBJECT ENCODING patched'),
  s('COPY patched patched2'),
  s('OBJECT ENCODING patched2'),
  s('RENAME patched2 patched3'),
  s('OBJECT ENCODING patched3'),
  s('SET kept 5'),
  ['SETRANGE', 'kept', '0', ''],
  s('OBJECT ENCODING kept'),
  s('OBJECT ENCODING h2'),
  s('HSET big f ' + 'v'.repeat(65)),
  s('OBJECT ENCODING big'),
  s('OBJECT REFCOUNT i'),
  s('OBJECT REFCOUNT s4'),
  s('SET n 9999'),
  s('OBJECT REFCOUNT n'),
  s('SET n 10000'),
  s('OBJECT REFCOUNT n'),
  s('OBJECT REFCOUNT h2'),
  s('OBJECT REFCOUNT nokey'),
  s('OBJECT FREQ s4'),
  s('OBJECT FREQ nokey'),
  s('OBJECT IDLETIME nokey'),
  s('OBJECT foo'),
  s('OBJECT FOO s'),
  s('OBJECT encoding'),
  s('OBJECT encoding s extra'),
  s('OBJECT'),
  s('OBJECT help'),
  s('OBJECT help extra'),
  // FLUSH*, SCAN arguments.
  s('FLUSHDB foo'),
  s('FLUSHDB sync sync'),
  s('FLUSHALL async'),
  s('FLUSHALL sync'),
  s('FLUSHDB ASYNC'),
  s('RANDOMKEY'),
  s('SCAN'),
  s('SCAN abc'),
  s('SCAN -1'),
  s('SCAN 18446744073709551615'),
  s('SCAN 18446744073709551616'),
  s('SCAN +5'),
  ['SCAN', ' 5'],
  ['SCAN', ''],
  s('SCAN 0 count 0'),
  s('SCAN 0 count abc'),
  s('SCAN 0 count'),
  s('SCAN 0 match'),
  s('SCAN 0 type'),
  s('SCAN 0 type foo'),
  s('SCAN 0 foo'),
  s('KEYS'),
  s('SET k1 v'),
  s('SET k2 v'),
  s('HSET k3 f v'),
  s('SCAN 0 TYPE hash'),
  s('SCAN 0 TYPE STRING MATCH k1'),
  { argv: s('KEYS k*'), compare: 'sorted' },
  { argv: s('KEYS *'), compare: 'sorted' },
  { argv: s('KEYS k[13]'), compare: 'sorted' },
  s('RANDOMKEY k'),
  { argv: s('RANDOMKEY'), compare: 'length' },
  // Hashes.
  s('FLUSHALL'),
  s('HSET h'),
  s('HSET h a'),
  s('HSET h a 1 b'),
  s('HSET h a 1 b 2'),
  s('HSET h a 3 c 4'),
  s('HMSET h a'),
  s('HMSET h x 1'),
  s('HSETNX h a 9'),
  s('HSETNX h z 9'),
  s('HGETALL h'),
  s('HKEYS h'),
  s('HVALS h'),
  s('HGET h a'),
  s('HGET h nope'),
  s('HGET nokey a'),
  s('HMGET nokey a b'),
  s('HMGET h a nope'),
  s('HGETALL nokey'),
  s('HDEL h a a b'),
  s('HDEL nokey a'),
  s('HEXISTS h c'),
  s('HEXISTS h q'),
  s('HLEN h'),
  s('HLEN nokey'),
  s('HKEYS nokey'),
  s('HSTRLEN h c'),
  s('HSTRLEN h nope'),
  s('HSTRLEN nokey x'),
  s('HINCRBY h c abc'),
  s('HINCRBY h c -0'),
  s('HINCRBY h c 9223372036854775800'),
  s('HINCRBY h c 10'),
  s('HINCRBY h c 9223372036854775807'),
  s('HINCRBY h c -9223372036854775808'),
  s('HSET h s abc'),
  s('HINCRBY h s 1'),
  s('HINCRBYFLOAT h s 1'),
  s('HSET h j 01'),
  s('HINCRBY h j 1'),
  s('HINCRBY nokey2 f 5'),
  s('HINCRBYFLOAT h f 0.1'),
  s('HINCRBYFLOAT h f 0.2'),
  s('HINCRBYFLOAT h f inf'),
  s('HINCRBYFLOAT h f nan'),
  s('HINCRBYFLOAT h f abc'),
  s('HINCRBYFLOAT h g 1e400'),
  s('HINCRBYFLOAT h g 1e5000'),
  ['HINCRBYFLOAT', 'h', 'g', ' 1'],
  s('HINCRBYFLOAT h g 0x10'),
  s('HINCRBYFLOAT h g 1e-400'),
  s('HINCRBYFLOAT h g2 0.000003814697265625'),
  s('HINCRBYFLOAT h g3 -0.0000000000000000001'),
  s('HINCRBYFLOAT h g4 1e30'),
  s('HINCRBYFLOAT h g5 1.5e-5000'),
  s('HINCRBYFLOAT h g6 1.1e4932'),
  s('HINCRBYFLOAT h g6 1.1e4932'),
  s('HSET h i inf'),
  s('HINCRBYFLOAT h i 1'),
  s('SET str x'),
  s('HGET str a'),
  s('HSET str a 1'),
  s('HINCRBY str a 1'),
  s('HINCRBYFLOAT str a 1'),
  s('HINCRBYFLOAT str a abc'),
  s('HINCRBY str a abc'),
  s('HRANDFIELD str'),
  s('HRANDFIELD str 1'),
  s('HRANDFIELD nokey'),
  s('HRANDFIELD nokey 1'),
  s('HRANDFIELD nokey 0 withvalues'),
  s('HRANDFIELD h abc'),
  s('HRANDFIELD h 1 foo'),
  s('HRANDFIELD h 1 withvalues foo'),
  s('HRANDFIELD h -9223372036854775808'),
  s('HRANDFIELD h -9223372036854775807 withvalues'),
  s('HRANDFIELD h 4611686018427387904 withvalues'),
  s('HRANDFIELD nokey 4611686018427387904 withvalues'),
  s('HRANDFIELD nokey abc'),
  s('HRANDFIELD str abc'),
  s('HRANDFIELD h 0'),
  { argv: s('HRANDFIELD h 4611686018427387903 withvalues'), compare: 'pairs' },
  { argv: s('HRANDFIELD h'), compare: 'length' },
  { argv: s('HRANDFIELD h -30 withvalues'), compare: 'length' },
  { argv: s('HRANDFIELD h 3'), compare: 'length' },
  s('HSCAN nokey 0 foo'),
  s('HSCAN str 0'),
  s('HSCAN h abc'),
  s('HSCAN h 0 count 0'),
  s('HSCAN nokey abc'),
  s('HSET small a 1 b 2 c 3'),
  s('HSCAN small 0'),
  s('HSCAN small 7 COUNT 1'),
  s('HSCAN small 0 MATCH b*'),
  s('HGETALL small'),
  s('HDEL small a'),
  s('HSET small a 4'),
  s('HGETALL small'),
  { argv: s('HGETALL h'), compare: 'pairs' },
  // LCS: the string, its length, and match ranges (which depend on how ties are broken).
  s('SET a ohmytext'),
  s('SET b mynewtext'),
  s('LCS a b'),
  s('LCS a b LEN'),
  s('LCS a b IDX'),
  s('LCS a b idx minmatchlen 4 withmatchlen'),
  s('LCS a b IDX WITHMATCHLEN MINMATCHLEN -3'),
  s('LCS a b LEN IDX'),
  s('LCS a b MINMATCHLEN'),
  s('LCS a b MINMATCHLEN x'),
  s('LCS a b FOO'),
  s('LCS a nokey'),
  s('LCS nokey nokey IDX'),
  s('LCS a h'),
  s('LCS h nokey LEN'),
  s('SET x ACCGGTCGAGTGCGCGGAAGCCGGCCGAA'),
  s('SET y GTCGTTCGGAATGCCGTTGCTCTGTAAA'),
  s('LCS x y'),
  s('LCS y x IDX WITHMATCHLEN'),
  s('SET p aaaabbbbaaaa'),
  s('SET q abababab'),
  s('LCS p q IDX'),
  s('LCS q p IDX WITHMATCHLEN'),
  s('LCS p p IDX'),
];

describe(
  'differential against redis-server',
  { skip: hasRedis ? false : 'redis-server not installed' },
  () => {
    let server: ChildProcess | undefined;
    let dir = '';
    let client: Client | undefined;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'redraft-diff-'));
      const sock = join(dir, 'redis.sock');
      server = spawn(
        'redis-server',
        ['--port', '0', '--unixsocket', sock, '--save', '', '--appendonly', 'no', '--dir', dir],
        { stdio: 'ignore' },
      );
      for (let attempt = 0; ; attempt++) {
        try {
          const socket = await new Promise<Socket>((resolve, reject) => {
            const so = connect(sock);
            so.once('connect', () => {
              resolve(so);
            });
            so.once('error', reject);
          });
          client = new Client(socket);
          break;
        } catch (err) {
          if (attempt > 100) throw err;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    });

    after(() => {
      client?.close();
      server?.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    });

    it('answers a script of key-space and hash commands exactly as Redis', async () => {
      const ours = new Ours();
      const mismatches: string[] = [];
      for (const step of SCRIPT) {
        const argv = Array.isArray(step) ? step : step.argv;
        const compare = Array.isArray(step) ? 'exact' : step.compare;
        let want = normRedis(await client!.call(argv));
        let got = ours.call(argv);
        if (compare === 'sorted') [want, got] = [sortNorm(want), sortNorm(got)];
        if (compare === 'pairs') [want, got] = [sortPairs(want), sortPairs(got)];
        if (compare === 'length') {
          want = Array.isArray(want) ? `len ${want.length}` : typeof want;
          got = Array.isArray(got) ? `len ${got.length}` : typeof got;
        }
        const a = JSON.stringify(want);
        const b = JSON.stringify(got);
        if (a !== b) mismatches.push(`${argv.join(' ')}\n  redis: ${a}\n  ours:  ${b}`);
      }
      assert.deepEqual(mismatches, []);
    });

    it('matches KEYS patterns byte for byte, quirks included', async () => {
      const rnd = seededRandom(7);
      const alphabet = [
        'a',
        'b',
        '-',
        '^',
        ']',
        '[',
        '\\',
        '*',
        '?',
        '\x00',
        '\x7f',
        '\x80',
        '\xff',
      ];
      const word = (max: number): string => {
        let out = '';
        for (let n = rnd(max + 1); n > 0; n--) out += alphabet[rnd(alphabet.length)]!;
        return out;
      };
      const ours = new Ours();
      await client!.call(['FLUSHALL']);
      ours.call(['FLUSHALL']);
      for (let i = 0; i < 400; i++) {
        const k = word(5);
        await client!.call(['SET', k, 'v']);
        ours.call(['SET', k, 'v']);
      }
      const mismatches: string[] = [];
      for (let i = 0; i < 600; i++) {
        const pattern = word(7);
        const want = sortNorm(normRedis(await client!.call(['KEYS', pattern])));
        const got = sortNorm(ours.call(['KEYS', pattern]));
        if (JSON.stringify(want) !== JSON.stringify(got)) mismatches.push(JSON.stringify(pattern));
      }
      assert.deepEqual(mismatches, []);
    });

    it('computes HINCRBYFLOAT bit for bit', async () => {
      const rnd = seededRandom(11);
      const digits = (n: number): string =>
        Array.from({ length: n }, () => String(rnd(10))).join('');
      const sign = (): string => ['', '-', '+'][rnd(3)]!;
      const gens: (() => string)[] = [
        () => `${sign()}${digits(1 + rnd(3))}.${digits(rnd(4))}`,
        () => `${sign()}0.${digits(1 + rnd(25))}`,
        () => `${sign()}${digits(1 + rnd(30))}`,
        () => `${sign()}${digits(1 + rnd(3))}e${rnd(2) ? '-' : ''}${rnd(60)}`,
        () => `${sign()}${digits(1 + rnd(2))}.${digits(rnd(3))}e${rnd(2) ? '-' : ''}${rnd(5000)}`,
        () => `${sign()}0x${rnd(65536).toString(16)}p${rnd(2) ? '-' : ''}${rnd(100)}`,
        () => `${sign()}${digits(1 + rnd(19))}.${digits(1 + rnd(19))}`,
        () => `${sign()}${String(rnd(1000) / 8)}`,
      ];
      const ours = new Ours();
      const mismatches: string[] = [];
      for (let t = 0; t < 150; t++) {
        await client!.call(['DEL', 'hf']);
        ours.call(['DEL', 'hf']);
        for (let i = 0; i < 8; i++) {
          const inc = gens[rnd(gens.length)]!();
          const argv = ['HINCRBYFLOAT', 'hf', 'f', inc];
          const want = JSON.stringify(normRedis(await client!.call(argv)));
          const got = JSON.stringify(ours.call(argv));
          if (want !== got) mismatches.push(`${inc}: redis ${want} ours ${got}`);
        }
      }
      assert.deepEqual(mismatches, []);
    });

    it('iterates a SCAN and a large HSCAN to the same set as Redis', async () => {
      const ours = new Ours();
      await client!.call(['FLUSHALL']);
      ours.call(['FLUSHALL']);
      const fields: string[] = [];
      for (let i = 0; i < 300; i++) {
        await client!.call(['SET', `key:${i}`, 'v']);
        ours.call(['SET', `key:${i}`, 'v']);
        fields.push(`f${i}`, `v${i}`);
      }
      await client!.call(['HSET', 'bighash', ...fields]);
      ours.call(['HSET', 'bighash', ...fields]);
      const full = async (call: (argv: string[]) => Promise<Norm>, argv: string[], at: number) => {
        const seen: Norm[] = [];
        let cursor = '0';
        do {
          const args = [...argv];
          args[at] = cursor;
          const r = (await call(args)) as [string, Norm[]];
          cursor = r[0].slice(1);
          seen.push(...r[1]);
        } while (cursor !== '0');
        // A set: Redis may return an element twice if its table resizes meanwhile.
        return sortNorm([...new Set(seen.map((x) => JSON.stringify(x)))]);
      };
      const redisCall = async (argv: string[]): Promise<Norm> =>
        normRedis(await client!.call(argv));
      const oursCall = (argv: string[]): Promise<Norm> => Promise.resolve(ours.call(argv));
      for (const [argv, at] of [
        [['SCAN', '0', 'COUNT', '17'], 1],
        [['SCAN', '0', 'MATCH', 'key:1*'], 1],
        [['HSCAN', 'bighash', '0', 'COUNT', '13', 'MATCH', 'f2*'], 2],
        [['HSCAN', 'bighash', '0'], 2],
      ] as [string[], number][]) {
        assert.deepEqual(
          await full(oursCall, argv, at),
          await full(redisCall, argv, at),
          argv.join(' '),
        );
      }
    });
  },
);
