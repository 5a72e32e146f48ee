/**
 * Connection and server commands against a real single-member node, byte for byte on the
 * socket: CLIENT REPLY (which decides about its own reply), CLIENT TRACKING, CLIENT SETINFO's
 * checks, CLIENT KILL's filters, TIME's microseconds, the version clients check, INFO's memory, persistence and stats
 * sections, SAVE, BGSAVE and LASTSAVE, and SHUTDOWN on an embedded node.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { InProcessCluster, type InProcessMember } from '../observe/in-process-cluster.js';

/** The RESP encoding of one command. */
function command(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** The last command of every exchange: its reply marks the end of the others'. */
const END = command('ECHO', 'end-of-exchange');
const END_REPLY = '$15\r\nend-of-exchange\r\n';

/**
 * Sends `commands` on a fresh connection, then an ECHO, and returns every byte received before
 * the ECHO's reply: whatever the commands answered, and nothing else.
 */
async function exchange(port: number, commands: string[][]): Promise<string> {
  const socket: Socket = connect(port, '127.0.0.1');
  let received = '';
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<string>((resolve, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`no end of exchange after ${JSON.stringify(received)}`));
      }, 10_000);
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
        if (received.endsWith(END_REPLY)) resolve(received.slice(0, -END_REPLY.length));
      });
      socket.once('error', reject);
      socket.once('close', () => {
        reject(new Error(`closed after ${JSON.stringify(received)}`));
      });
      socket.write(commands.map((c) => command(...c)).join('') + END);
    });
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}

describe('connection commands on a real node', () => {
  let cluster: InProcessCluster;
  let leader: InProcessMember;

  before(async () => {
    cluster = await InProcessCluster.start(1);
    leader = await cluster.waitForLeader();
  });
  after(async () => {
    await cluster.stop();
  });

  it('CLIENT REPLY OFF drops every reply until ON; SKIP drops only the next one', async () => {
    const text = await exchange(leader.respPort, [
      ['PING'],
      ['CLIENT', 'REPLY', 'OFF'],
      ['SET', 'reply-key', 'v1'],
      ['GET', 'reply-key'],
      ['CLIENT', 'REPLY', 'ON'],
      ['CLIENT', 'REPLY', 'SKIP'],
      ['GET', 'reply-key'],
      ['GET', 'reply-key'],
      ['CLIENT', 'REPLY', 'SOMETIMES'],
    ]);
    assert.equal(text, '+PONG\r\n+OK\r\n$2\r\nv1\r\n-ERR syntax error\r\n');
  });

  it('CLIENT TRACKING off is accepted, on is refused; CLIENT SETINFO refuses what CLIENT LIST cannot show', async () => {
    const text = await exchange(leader.respPort, [
      ['CLIENT', 'TRACKING', 'off'],
      ['CLIENT', 'TRACKING', 'on'],
      ['CLIENT', 'SETINFO', 'lib-name', 'redis-py'],
      ['CLIENT', 'SETINFO', 'LIB-VER', 'bad version'],
      ['CLIENT', 'SETINFO', 'lib-ver', '5.0.1'],
      ['CLIENT', 'INFO'],
    ]);
    const [tracking, refused, name, badVersion, version, ...info] = text.split('\r\n');
    assert.equal(tracking, '+OK');
    assert.equal(refused, '-ERR CLIENT TRACKING is not supported by Redraft');
    assert.equal(name, '+OK');
    assert.equal(badVersion, '-ERR lib-ver cannot contain spaces, newlines or special characters.');
    assert.equal(version, '+OK');
    assert.match(info.join('\n'), / lib-name=redis-py lib-ver=5\.0\.1\n/);
  });

  it('CLIENT KILL checks its filters as Redis does, and spares the caller unless SKIPME no', async () => {
    const victim = connect(leader.respPort, '127.0.0.1');
    await once(victim, 'connect');
    const closed = once(victim, 'close');
    const victimAddr = `${victim.localAddress!}:${victim.localPort!}`;
    const refused = await exchange(leader.respPort, [
      ['CLIENT', 'KILL', 'ID', 'abc'],
      ['CLIENT', 'KILL', 'ID', '0'],
      ['CLIENT', 'KILL', 'TYPE', 'bogus'],
      ['CLIENT', 'KILL', 'USER', 'alice'],
      ['CLIENT', 'KILL', 'SKIPME', 'maybe'],
      ['CLIENT', 'KILL', 'ADDR'],
      ['CLIENT', 'KILL', '127.0.0.1:1'],
      ['CLIENT', 'KILL', 'TYPE', 'master'],
      ['CLIENT', 'KILL', 'ADDR', victimAddr, 'TYPE', 'normal', 'USER', 'default'],
    ]);
    assert.equal(
      refused,
      [
        '-ERR client-id should be greater than 0',
        '-ERR client-id should be greater than 0',
        "-ERR Unknown client type 'bogus'",
        "-ERR No such user 'alice'",
        '-ERR syntax error',
        // Three arguments are the old form, CLIENT KILL addr: "ADDR" is no client's address.
        '-ERR No such client',
        '-ERR No such client',
        ':0',
        ':1',
        '',
      ].join('\r\n'),
    );
    await closed;

    // The caller: spared by default, closed after its reply with SKIPME no.
    const self = connect(leader.respPort, '127.0.0.1');
    await once(self, 'connect');
    const selfAddr = `${self.localAddress!}:${self.localPort!}`;
    let received = '';
    self.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    const selfClosed = once(self, 'close');
    self.write(
      command('CLIENT', 'KILL', 'ADDR', selfAddr) +
        command('CLIENT', 'KILL', 'ADDR', selfAddr, 'SKIPME', 'no') +
        command('PING'),
    );
    await selfClosed;
    assert.equal(received, ':0\r\n:1\r\n');
  });

  it('CLIENT, COMMAND and CONFIG subcommands check their arguments as Redis 7.0 does', async () => {
    const text = await exchange(leader.respPort, [
      ['CLIENT', 'ID', 'extra'],
      ['CLIENT', 'GETNAME', 'extra'],
      ['CLIENT', 'REPLY'],
      ['CLIENT', 'TRACKING'],
      ['CLIENT', 'NO-EVICT', 'maybe'],
      ['CLIENT', 'NO-EVICT', 'on'],
      ['CLIENT', 'LIST', 'TYPE', 'bogus'],
      ['CLIENT', 'LIST', 'ID', '1', 'abc'],
      ['CLIENT', 'LIST', 'TYPE', 'normal', 'ID', '1'],
      ['CLIENT', 'LIST', 'TYPE', 'pubsub'],
      ['CLIENT', 'LIST', 'ID', '999999'],
      ['COMMAND', 'COUNT', 'extra'],
      ['COMMAND', 'GETKEYS', 'get'],
      ['COMMAND', 'GETKEYS', 'nosuch', 'a'],
      ['COMMAND', 'GETKEYS', 'ping', 'a'],
      ['COMMAND', 'GETKEYS', 'get', 'a', 'b'],
      ['COMMAND', 'GETKEYS', 'mset', 'a', 'b', 'c', 'd'],
      ['COMMAND', 'INFO', 'nosuch'],
      ['COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'hs*'],
      ['COMMAND', 'LIST', 'FILTERBY', 'MODULE', 'search'],
      ['COMMAND', 'LIST', 'FILTERBY', 'BOGUS', 'x'],
      ['CONFIG', 'RESETSTAT', 'extra'],
      ['CONFIG', 'GET'],
      ['WAIT', '0', '-1'],
      ['WAIT', '-1', '0'],
    ]);
    const arity = (name: string): string => `-ERR wrong number of arguments for '${name}' command`;
    assert.equal(
      text,
      [
        arity('client|id'),
        arity('client|getname'),
        arity('client|reply'),
        arity('client|tracking'),
        '-ERR syntax error',
        '+OK',
        "-ERR Unknown client type 'bogus'",
        '-ERR Invalid client ID',
        '-ERR syntax error',
        '$0\r\n',
        '$0\r\n',
        arity('command|count'),
        arity('command|getkeys'),
        '-ERR Invalid command specified',
        '-ERR The command has no key arguments',
        '-ERR Invalid number of arguments specified for command',
        '*2\r\n$1\r\na\r\n$1\r\nc',
        '*1\r\n$-1',
        '*4\r\n$4\r\nhset\r\n$6\r\nhsetnx\r\n$7\r\nhstrlen\r\n$5\r\nhscan',
        '*0',
        '-ERR syntax error',
        arity('config|resetstat'),
        arity('config|get'),
        '-ERR timeout is negative',
        ':0',
        '',
      ].join('\r\n'),
    );
  });

  it('CLIENT, COMMAND and CONFIG answer HELP', async () => {
    for (const command of ['CLIENT', 'COMMAND', 'CONFIG']) {
      const text = await exchange(leader.respPort, [[command, 'HELP']]);
      assert.match(
        text,
        new RegExp(
          `^\\*\\d+\\r\\n\\+${command} <subcommand> \\[<arg> \\[value\\] \\[opt\\] \\.\\.\\.\\]\\. Subcommands are:\\r\\n`,
        ),
      );
      assert.match(text, /\+HELP\r\n\+ {4}Print this help\.\r\n$/);
    }
  });

  it('MULTI queues the server commands Redis queues, and refuses those Redis refuses', async () => {
    const queued = await exchange(leader.respPort, [
      ['MULTI'],
      ['CONFIG', 'GET', 'databases'],
      ['CLIENT', 'SETNAME', 'in-multi'],
      ['CLIENT', 'GETNAME'],
      ['CLIENT', 'KILL', 'ID', '999999'],
      ['WAIT', '0', '0'],
      ['EXEC'],
    ]);
    assert.equal(
      queued,
      '+OK\r\n' +
        '+QUEUED\r\n'.repeat(5) +
        '*5\r\n*2\r\n$9\r\ndatabases\r\n$2\r\n16\r\n+OK\r\n$8\r\nin-multi\r\n:0\r\n:0\r\n',
    );
    for (const refused of [['SHUTDOWN'], ['SAVE']]) {
      const text = await exchange(leader.respPort, [['MULTI'], refused, ['EXEC']]);
      assert.equal(
        text,
        '+OK\r\n-ERR Command not allowed inside a transaction\r\n' +
          '-EXECABORT Transaction discarded because of previous errors.\r\n',
      );
    }
    // HELLO is queued too, and switches the protocol at its place in EXEC's reply, as Redis
    // 7.0 does (captured from redis-server 7.0.15): the array header and the replies before it
    // in RESP2, its own map and what follows (nils included) in RESP3.
    const switched = await exchange(leader.respPort, [
      ['MULTI'],
      ['ECHO', 'a'],
      ['HELLO', '3'],
      ['EXISTS', 'no-such-key'],
      ['GET', 'no-such-key'],
      ['EXEC'],
      ['GET', 'no-such-key'],
    ]);
    assert.match(
      switched,
      new RegExp(
        '^\\+OK\\r\\n(\\+QUEUED\\r\\n){4}\\*4\\r\\n\\$1\\r\\na\\r\\n' +
          '%7\\r\\n\\$6\\r\\nserver\\r\\n\\$5\\r\\nredis\\r\\n[^]*\\$5\\r\\nproto\\r\\n:3\\r\\n[^]*' +
          '\\$7\\r\\nmodules\\r\\n\\*0\\r\\n:0\\r\\n_\\r\\n_\\r\\n$',
      ),
    );
    // (SAVE waits for that snapshot, so that none is in progress when the next test starts.)
    assert.match(
      await exchange(leader.respPort, [['MULTI'], ['BGSAVE'], ['EXEC'], ['SAVE']]),
      /^\+OK\r\n\+QUEUED\r\n\*1\r\n\+Background saving scheduled\r\n\+OK\r\n$/,
    );
    assert.equal(
      await exchange(leader.respPort, [['MULTI'], ['HELLO', '4'], ['EXEC']]),
      '+OK\r\n+QUEUED\r\n*1\r\n-NOPROTO unsupported protocol version\r\n',
    );
    assert.equal(
      await exchange(leader.respPort, [['MULTI'], ['CLIENT', 'ID', 'x'], ['EXEC']]),
      "+OK\r\n-ERR wrong number of arguments for 'client|id' command\r\n" +
        '-EXECABORT Transaction discarded because of previous errors.\r\n',
    );
  });

  it('TIME gives microseconds, not milliseconds times 1000', async () => {
    const before = Date.now();
    const text = await exchange(
      leader.respPort,
      Array.from({ length: 5 }, () => ['TIME']),
    );
    const after = Date.now();
    const pairs = [...text.matchAll(/\*2\r\n\$\d+\r\n(\d+)\r\n\$\d+\r\n(\d+)\r\n/g)];
    assert.equal(pairs.length, 5, text);
    for (const [, seconds, micros] of pairs) {
      const ms = Number(seconds) * 1000 + Number(micros) / 1000;
      assert.ok(ms >= before - 1 && ms <= after + 1, `${ms} not within [${before}, ${after}]`);
      assert.ok(Number(micros) < 1_000_000);
    }
    // Five multiples of 1000 in a row would be one chance in 10^15.
    assert.ok(
      pairs.some(([, , micros]) => Number(micros) % 1000 !== 0),
      text,
    );
  });

  it('SHUTDOWN is refused on a node whose owner decides when it stops', async () => {
    // The in-process members are embedded nodes: their RESP server has no process to stop.
    assert.equal(
      await exchange(leader.respPort, [['SHUTDOWN'], ['PING']]),
      '-ERR SHUTDOWN is not available: this node is stopped by the program embedding it\r\n+PONG\r\n',
    );
  });

  /** INFO's `field:value` lines, from a RESP2 bulk reply. */
  function infoFields(reply: string): Map<string, string> {
    const fields = new Map<string, string>();
    for (const line of reply.split('\r\n')) {
      const at = line.indexOf(':');
      if (at > 0 && !line.startsWith('#')) fields.set(line.slice(0, at), line.slice(at + 1));
    }
    return fields;
  }

  it('answers as Redis 7.0.15, with its own version apart', async () => {
    const text = await exchange(leader.respPort, [
      ['INFO', 'server'],
      ['HELLO', '3'],
    ]);
    const server = infoFields(text.slice(0, text.indexOf('%7')));
    assert.equal(server.get('redis_version'), '7.0.15');
    assert.ok((server.get('redraft_version') ?? '') !== '');
    assert.match(text, /\$7\r\nversion\r\n\$6\r\n7\.0\.15\r\n/);
  });

  it('reports memory, persistence and stats; SAVE, BGSAVE and LASTSAVE act on snapshots', async () => {
    const startedBefore = Math.floor(Date.now() / 1000);
    // INFO is answered as it arrives, so the SET goes first, on its own.
    assert.equal(await exchange(leader.respPort, [['SET', 'persisted', 'yes']]), '+OK\r\n');
    const first = await exchange(leader.respPort, [['INFO']]);
    const before = infoFields(first);
    assert.equal(before.get('loading'), '0');
    assert.equal(before.get('aof_enabled'), '1');
    assert.equal(before.get('maxmemory_policy'), 'noeviction');
    assert.ok(Number(before.get('used_memory')) > 0);
    assert.ok(Number(before.get('rdb_changes_since_last_save')) > 0, first);
    assert.ok(Number(before.get('total_connections_received')) >= 1);
    const commandsBefore = Number(before.get('total_commands_processed'));
    assert.ok(commandsBefore >= 2);

    // SAVE waits for the SET before it; INFO, answered as it arrives, goes in the next exchange.
    const saved = await exchange(leader.respPort, [
      ['SET', 'persisted', 'again'],
      ['SAVE'],
      ['LASTSAVE'],
      ['BGSAVE', 'NOW'],
      ['BGSAVE'],
    ]);
    const [, ok, lastsave, badOption, started] = saved.split('\r\n');
    assert.equal(ok, '+OK');
    assert.ok(Number(lastsave!.slice(1)) >= startedBefore - 1, lastsave);
    assert.equal(badOption, '-ERR syntax error');
    assert.equal(started, '+Background saving started');
    const after = infoFields(await exchange(leader.respPort, [['INFO', 'persistence', 'stats']]));
    assert.equal(after.get('rdb_changes_since_last_save'), '0');
    assert.ok(Number(after.get('redraft_snapshot_index')) > 0);
    assert.ok(Number(after.get('rdb_last_save_time')) >= startedBefore - 1);
    assert.ok(Number(after.get('total_commands_processed')) >= commandsBefore + 6);
  });
});
