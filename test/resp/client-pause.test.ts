/**
 * CLIENT PAUSE and UNPAUSE against a real single-member node, on raw sockets so that a held
 * command is seen not to be answered: what WRITE and ALL hold, that held replies keep their
 * order, INFO clients while paused, argument errors, a client that leaves while held, and
 * that the leader's expiry sweep waits for the pause to end.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { ClientPause } from '../../src/resp/client-pause.js';
import { encodeCommand } from '../../src/resp/reply-parser.js';
import { InProcessCluster, type InProcessMember } from '../observe/in-process-cluster.js';

/** One connection: commands go out as sent, replies pile up in `received`. */
class RawClient {
  received = '';
  private readonly socket: Socket;
  private waiters: (() => void)[] = [];

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (chunk: Buffer) => {
      this.received += chunk.toString('latin1');
      for (const w of this.waiters) w();
    });
  }

  send(...commands: string[][]): void {
    this.socket.write(Buffer.concat(commands.map((c) => encodeCommand(c))));
  }

  /** Resolves once what arrived from `from` on ends with `suffix`; rejects after 10 s. */
  async until(suffix: string, from = 0): Promise<string> {
    const done = (): boolean =>
      this.received.length - from >= suffix.length && this.received.endsWith(suffix);
    if (done()) return this.received;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(`waited for ${JSON.stringify(suffix)}, got ${JSON.stringify(this.received)}`),
        );
      }, 10_000);
      const check = (): void => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve(this.received);
      };
      this.waiters.push(check);
    });
  }

  /** Sends an ECHO and waits for it: every reply before it has been received. */
  async roundTrip(...commands: string[][]): Promise<string> {
    const start = this.received.length;
    this.send(...commands, ['ECHO', 'mark']);
    const all = await this.until('$4\r\nmark\r\n', start);
    return all.slice(start, all.length - '$4\r\nmark\r\n'.length);
  }

  close(): void {
    this.socket.destroy();
  }
}

function infoField(info: string, field: string): string | undefined {
  return new RegExp(`${field}:([^\\r]*)`).exec(info)?.[1];
}

describe('CLIENT PAUSE on a real node', () => {
  let cluster: InProcessCluster;
  let leader: InProcessMember;
  const clients: RawClient[] = [];
  const client = (): RawClient => {
    const c = new RawClient(leader.respPort);
    clients.push(c);
    return c;
  };

  before(async () => {
    cluster = await InProcessCluster.start(1);
    leader = await cluster.waitForLeader();
  });
  after(async () => {
    for (const c of clients) c.close();
    await cluster.stop();
  });

  it('WRITE holds writes and what follows them, answers reads; UNPAUSE lets them go in order', async () => {
    const admin = client();
    const writer = client();
    assert.equal(await admin.roundTrip(['SET', 'paused-key', 'before']), '+OK\r\n');
    assert.equal(await admin.roundTrip(['CLIENT', 'PAUSE', '100000', 'WRITE']), '+OK\r\n');

    // Reads and read-only transactions are served during a WRITE pause.
    const reader = client();
    assert.equal(
      await reader.roundTrip(
        ['GET', 'paused-key'],
        ['PING'],
        ['MULTI'],
        ['GET', 'paused-key'],
        ['EXEC'],
      ),
      '$6\r\nbefore\r\n+PONG\r\n+OK\r\n+QUEUED\r\n*1\r\n$6\r\nbefore\r\n',
    );

    // A write is held, and so is everything its connection sends after it.
    writer.send(['SET', 'paused-key', 'after'], ['GET', 'paused-key'], ['PING']);
    const info = await admin.roundTrip(['INFO', 'clients']);
    assert.equal(infoField(info, 'blocked_clients'), '1');
    assert.equal(infoField(info, 'paused_reason'), 'client_pause');
    assert.equal(infoField(info, 'paused_actions'), 'write');
    assert.ok(Number(infoField(info, 'paused_timeout_milliseconds')) > 90_000, info);
    assert.equal(await reader.roundTrip(['GET', 'paused-key']), '$6\r\nbefore\r\n');
    assert.equal(writer.received, '');

    // A transaction that writes is queued as usual, and held at its EXEC.
    const txClient = client();
    txClient.send(['MULTI'], ['INCR', 'paused-counter'], ['EXEC']);
    await txClient.until('+OK\r\n+QUEUED\r\n');
    const withTx = await admin.roundTrip(['INFO', 'clients']);
    assert.equal(infoField(withTx, 'blocked_clients'), '2');
    assert.equal(txClient.received, '+OK\r\n+QUEUED\r\n');

    assert.equal(await admin.roundTrip(['CLIENT', 'UNPAUSE']), '+OK\r\n');
    await writer.until('+PONG\r\n');
    assert.equal(writer.received, '+OK\r\n$5\r\nafter\r\n+PONG\r\n');
    assert.equal(await txClient.until('*1\r\n:1\r\n'), '+OK\r\n+QUEUED\r\n*1\r\n:1\r\n');
    const resumed = await admin.roundTrip(['INFO', 'clients']);
    assert.equal(infoField(resumed, 'blocked_clients'), '0');
    assert.equal(infoField(resumed, 'paused_actions'), 'none');
  });

  it("ALL holds every command, the pausing client's own too, until the timeout", async () => {
    const admin = client();
    const other = client();
    const sentAt = Date.now();
    admin.send(['CLIENT', 'PAUSE', '300'], ['PING']);
    other.send(['PING']);
    await other.until('+PONG\r\n');
    const answeredAfter = Date.now() - sentAt;
    assert.ok(answeredAfter >= 295, `PING answered ${answeredAfter} ms after the pause`);
    assert.equal(await admin.until('+OK\r\n+PONG\r\n'), '+OK\r\n+PONG\r\n');
  });

  it('a client that leaves while held loses what it sent, as in Redis', async () => {
    const admin = client();
    assert.equal(await admin.roundTrip(['DEL', 'left-key']), ':0\r\n');
    assert.equal(await admin.roundTrip(['CLIENT', 'PAUSE', '100000', 'WRITE']), '+OK\r\n');
    const leaving = client();
    leaving.send(['SET', 'left-key', 'never']);
    // Held: INFO counts it; then it goes away.
    let connected: number;
    for (;;) {
      const info = await admin.roundTrip(['INFO', 'clients']);
      connected = Number(infoField(info, 'connected_clients'));
      if (infoField(info, 'blocked_clients') === '1') break;
    }
    leaving.close();
    for (;;) {
      const info = await admin.roundTrip(['INFO', 'clients']);
      if (Number(infoField(info, 'connected_clients')) === connected - 1) break;
    }
    assert.equal(await admin.roundTrip(['CLIENT', 'UNPAUSE']), '+OK\r\n');
    // A write sent after the unpause is ordered after anything the pause let go.
    assert.equal(
      await admin.roundTrip(['SET', 'probe', '1'], ['EXISTS', 'left-key']),
      '+OK\r\n:0\r\n',
    );
  });

  it('expires nothing while paused: an expired key stays, unseen, until the pause ends', async () => {
    const admin = client();
    // The key expires 50 ms after the pause starts: the sweep (every 100 ms) cannot beat it.
    assert.equal(
      await admin.roundTrip(
        ['SELECT', '5'],
        ['SET', 'expiring', 'v', 'PX', '50'],
        ['CLIENT', 'PAUSE', '100000', 'WRITE'],
      ),
      '+OK\r\n+OK\r\n+OK\r\n',
    );
    // Long enough for several sweeps of an unpaused leader.
    await delay(400);
    // Expired, so invisible to reads, but not deleted: DBSIZE still counts it, as in Redis.
    assert.equal(await admin.roundTrip(['GET', 'expiring'], ['DBSIZE']), '$-1\r\n:1\r\n');
    assert.equal(await admin.roundTrip(['CLIENT', 'UNPAUSE']), '+OK\r\n');
    // The next sweeps delete it.
    while ((await admin.roundTrip(['DBSIZE'])) !== ':0\r\n') await delay(20);
  });

  it("refuses a bad timeout or mode with Redis's errors", async () => {
    const c = client();
    assert.equal(
      await c.roundTrip(
        ['CLIENT', 'PAUSE', 'soon'],
        ['CLIENT', 'PAUSE', '-1'],
        ['CLIENT', 'PAUSE', '10', 'READS'],
        ['CLIENT', 'PAUSE', '10', 'WRITE', 'extra'],
        ['CLIENT', 'PAUSE'],
        ['CLIENT', 'UNPAUSE', 'now'],
      ),
      '-ERR timeout is not an integer or out of range\r\n' +
        '-ERR timeout is negative\r\n' +
        '-ERR syntax error\r\n' +
        '-ERR syntax error\r\n' +
        "-ERR wrong number of arguments for 'client|pause' command\r\n" +
        "-ERR wrong number of arguments for 'client|unpause' command\r\n",
    );
  });
});

describe('ClientPause', () => {
  it('never weakens a pause: the stronger mode and the later end win', () => {
    let now = 1_000;
    const pause = new ClientPause(() => now);
    pause.pause(200, 'all');
    pause.pause(10, 'write');
    assert.deepEqual(pause.status(), { held: 0, actions: 'all', remainingMs: 200 });
    now += 50;
    pause.pause(500, 'write');
    assert.deepEqual(pause.status(), { held: 0, actions: 'all', remainingMs: 500 });
    assert.notEqual(pause.holds('other'), undefined);
    pause.unpause();
    assert.deepEqual(pause.status(), { held: 1, actions: 'none', remainingMs: 0 });
    assert.equal(pause.holds('write'), undefined);
  });

  it('WRITE holds only writes', async () => {
    const pause = new ClientPause();
    pause.pause(60_000, 'write');
    assert.equal(pause.holds('other'), undefined);
    const held = pause.holds('write');
    assert.notEqual(held, undefined);
    assert.equal(pause.status().held, 1);
    pause.unpause();
    await held;
    assert.equal(pause.status().held, 0);
  });
});
