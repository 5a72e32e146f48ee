/**
 * SLOWLOG: the log itself (what an entry keeps, redaction, trimming), and SLOWLOG with CONFIG
 * GET/SET on a real node through ioredis, with the replies redis-server 7.0.15 gives.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { SlowLog } from '../../src/resp/slowlog.js';
import { InProcessCluster, type InProcessMember } from '../observe/in-process-cluster.js';

const args = (...a: string[]): Buffer[] => a.map((s) => Buffer.from(s));
const text = (b: readonly Buffer[]): string[] => b.map((x) => x.toString());

describe('the slow log', () => {
  it('keeps commands at or over the threshold, newest first, at most maxLen', () => {
    const log = new SlowLog(1000, 3);
    assert.equal(log.wants(999.9), false);
    assert.equal(log.wants(1000), true);
    for (let i = 0; i < 5; i++) log.add(args('SET', `k${i}`, 'v'), 1000 + i, '1.2.3.4:5', 'app');
    assert.equal(log.length, 3);
    const [newest, , oldest] = log.newest(10);
    assert.deepEqual(
      [newest!.id, text(newest!.args), newest!.durationUs, newest!.peer, newest!.clientName],
      [4, ['SET', 'k4', 'v'], 1004, '1.2.3.4:5', 'app'],
    );
    assert.equal(oldest!.id, 2);
    assert.deepEqual(
      log.newest(1).map((e) => e.id),
      [4],
    );
    log.maxLen = 1;
    assert.deepEqual(
      log.newest(10).map((e) => e.id),
      [4],
      'a smaller maxLen drops the oldest at once',
    );
    log.reset();
    assert.equal(log.length, 0);
    log.add(args('GET', 'k'), 5000, 'p', '');
    assert.equal(log.newest(1)[0]!.id, 5, 'ids go on after a reset, as in Redis');
  });

  it('shows exactly the newest maxLen however many commands it has logged', () => {
    const log = new SlowLog(0, 4);
    for (let i = 0; i < 1000; i++) {
      log.add(args('SET', `k${i}`, 'v'), 1, 'p', '');
      const visible = log.newest(100).map((e) => e.id);
      const expected = Array.from({ length: Math.min(i + 1, 4) }, (_, k) => i - k);
      assert.deepEqual(visible, expected, `after ${i + 1} commands`);
      assert.equal(log.length, expected.length);
    }
    assert.deepEqual(
      log.newest(2).map((e) => text(e.args)[1]),
      ['k999', 'k998'],
    );
    log.maxLen = 0;
    assert.equal(log.length, 0);
    assert.deepEqual(log.newest(10), []);
    log.add(args('GET', 'k'), 1, 'p', '');
    assert.equal(log.length, 0, 'slowlog-max-len 0 keeps nothing');
    log.maxLen = 2;
    log.add(args('GET', 'k'), 1, 'p', '');
    assert.deepEqual(
      log.newest(5).map((e) => e.id),
      [1001],
      'an entry logged while max-len was 0 does not come back when it grows',
    );
  });

  it('0 logs every command; -1 none', () => {
    assert.equal(new SlowLog(0, 1).wants(0), true);
    assert.equal(new SlowLog(-1, 1).wants(1e9), false);
  });

  it('cuts long arguments and long commands as Redis does, and copies what it keeps', () => {
    const log = new SlowLog(0, 10);
    const big = Buffer.alloc(200, 'x');
    const many = args('MSET', ...Array.from({ length: 40 }, (_, i) => String(i)));
    log.add([Buffer.from('SET'), Buffer.from('k'), big], 1, 'p', '');
    log.add(many, 1, 'p', '');
    const [manyEntry, bigEntry] = log.newest(2);
    assert.equal(
      bigEntry!.args[2]!.toString(),
      `${'x'.repeat(128)}... (72 more bytes)`,
      'at most 128 bytes, then how many more',
    );
    assert.equal(manyEntry!.args.length, 32);
    assert.equal(manyEntry!.args[30]!.toString(), '29');
    assert.equal(manyEntry!.args[31]!.toString(), '... (10 more arguments)');
    many[1]!.write('Z');
    assert.equal(manyEntry!.args[1]!.toString(), '0', 'the request buffer is not kept');
  });

  it('redacts the credentials of AUTH and HELLO ... AUTH, not the rest', () => {
    const log = new SlowLog(0, 10);
    log.add(args('auth', 'user', 'pw'), 1, 'p', '');
    log.add(args('HELLO', '3', 'AUTH', 'default', 'pw', 'SETNAME', 'me'), 1, 'p', '');
    const [hello, auth] = log.newest(2);
    assert.deepEqual(text(auth!.args), ['auth', '(redacted)', '(redacted)']);
    assert.deepEqual(text(hello!.args), [
      'HELLO',
      '3',
      'AUTH',
      '(redacted)',
      '(redacted)',
      'SETNAME',
      'me',
    ]);
  });
});

describe('SLOWLOG and its settings on a real node', () => {
  let cluster: InProcessCluster;
  let leader: InProcessMember;
  let client: Redis;

  before(async () => {
    cluster = await InProcessCluster.start(1);
    leader = await cluster.waitForLeader();
    client = new Redis(leader.respPort, '127.0.0.1', { lazyConnect: true });
    await client.connect();
  });
  after(async () => {
    client.disconnect();
    await cluster.stop();
  });

  it("starts with Redis's defaults, changed by CONFIG SET all or nothing", async () => {
    assert.deepEqual(await client.call('CONFIG', 'GET', 'slowlog*'), [
      'slowlog-log-slower-than',
      '10000',
      'slowlog-max-len',
      '128',
    ]);
    const refusals: [string[], string][] = [
      [
        ['slowlog-max-len', '5', 'slowlog-log-slower-than', 'abc'],
        "CONFIG SET failed (possibly related to argument 'slowlog-log-slower-than') - argument couldn't be parsed into an integer",
      ],
      [
        ['slowlog-log-slower-than', '-2'],
        "CONFIG SET failed (possibly related to argument 'slowlog-log-slower-than') - argument must be between -1 and 9223372036854775807 inclusive",
      ],
      [
        ['slowlog-max-len', '1', 'slowlog-max-len', '2'],
        "CONFIG SET failed (possibly related to argument 'slowlog-max-len') - duplicate parameter",
      ],
      [['nosuch', '1'], "Unknown option or number of arguments for CONFIG SET - 'nosuch'"],
      [['slowlog-max-len', '1', 'x'], "wrong number of arguments for 'config|set' command"],
    ];
    for (const [pairs, message] of refusals)
      await assert.rejects(client.call('CONFIG', 'SET', ...pairs), { message: `ERR ${message}` });
    assert.deepEqual(await client.call('CONFIG', 'GET', 'slowlog-max-len'), [
      'slowlog-max-len',
      '128',
    ]);
  });

  it('logs every command at threshold 0: a write, a read, a transaction as its EXEC', async () => {
    await client.call('CLIENT', 'SETNAME', 'tester');
    assert.equal(
      await client.call('CONFIG', 'SET', 'SLOWLOG-LOG-SLOWER-THAN', '0', 'slowlog-max-len', '4'),
      'OK',
    );
    await client.call('SLOWLOG', 'RESET');
    await client.set('k', 'v');
    await client.get('k');
    await client.multi().set('a', '1').get('a').exec();
    const entries = (await client.call('SLOWLOG', 'GET', '-1')) as [
      number,
      number,
      number,
      string[],
      string,
      string,
    ][];
    // MULTI, EXEC, GET, SET: four kept of five (SLOWLOG RESET is the oldest, dropped); the
    // queued SET and GET are not logged on their own.
    assert.deepEqual(
      entries.map((e) => e[3]),
      [['exec'], ['multi'], ['get', 'k'], ['set', 'k', 'v']],
    );
    const [id, time, micros, , peer, name] = entries[3]!;
    assert.equal(entries[0]![0], id + 3, 'ids count up');
    assert.ok(Math.abs(time - Date.now() / 1000) < 60, `a Unix time in seconds: ${time}`);
    assert.ok(Number.isInteger(micros) && micros >= 0);
    assert.match(peer, /^127\.0\.0\.1:\d+$/);
    assert.equal(name, 'tester');
    assert.equal(await client.call('SLOWLOG', 'LEN'), 4);
    assert.deepEqual(await client.call('SLOWLOG', 'GET', '0'), []);
    assert.equal(((await client.call('SLOWLOG', 'GET', '1')) as unknown[]).length, 1);
    await client.call('CONFIG', 'SET', 'slowlog-log-slower-than', '-1');
    await client.call('SLOWLOG', 'RESET');
    await client.get('k');
    assert.equal(await client.call('SLOWLOG', 'LEN'), 0, '-1 logs nothing');
    await client.call(
      'CONFIG',
      'SET',
      'slowlog-log-slower-than',
      '10000',
      'slowlog-max-len',
      '128',
    );
  });

  it("answers errors and HELP with Redis's texts", async () => {
    const refusals: [string[], string][] = [
      [['GET', 'x'], 'count should be greater than or equal to -1'],
      [['GET', '-2'], 'count should be greater than or equal to -1'],
      [
        ['GET', '1', '2'],
        "unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.",
      ],
      [['LEN', 'x'], "wrong number of arguments for 'slowlog|len' command"],
      [['FOO'], "unknown subcommand 'FOO'. Try SLOWLOG HELP."],
    ];
    for (const [a, message] of refusals)
      await assert.rejects(client.call('SLOWLOG', ...a), { message: `ERR ${message}` });
    const help = (await client.call('SLOWLOG', 'HELP')) as string[];
    assert.equal(help[0], 'SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:');
    assert.equal(help.at(-1), '    Prints this help.');
  });
});
