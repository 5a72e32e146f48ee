import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import pino from 'pino';
import {
  joinBackoffMs,
  requestJoin,
  retryableJoinError,
  type JoinOptions,
} from '../../cmd/join.js';
import { RedraftError } from '../../src/errors.js';
import { AdminConnectionError } from '../../src/resp/admin-client.js';
import { RespParser } from '../../src/resp/parser.js';
import { freePorts } from '../e2e/harness/ports.js';

describe('redraft server --join retries', () => {
  it('retries while the cluster cannot answer yet, and stops at a refusal', () => {
    assert.equal(retryableJoinError(new AdminConnectionError('ECONNREFUSED')), true);
    for (const code of [
      'NO_LEADER',
      'NOT_LEADER',
      'CHANGE_IN_PROGRESS',
      'LEADERSHIP_LOST',
    ] as const) {
      assert.equal(retryableJoinError(new RedraftError(code, 'x')), true, code);
    }
    for (const code of ['MEMBER_EXISTS', 'INVALID_CHANGE', 'BAD_REQUEST', 'INTERNAL'] as const) {
      assert.equal(retryableJoinError(new RedraftError(code, 'x')), false, code);
    }
    assert.equal(retryableJoinError(new Error('bug')), false);
  });

  it('backs off exponentially up to a few seconds', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 50].map(joinBackoffMs),
      [250, 500, 1000, 2000, 4000, 5000, 5000, 5000],
    );
  });
});

/**
 * A stand-in for a member's RESP port that answers HELLO and then each `__raft` request with
 * the next scripted answer (a JSON reply, as src/resp/raft-commands.ts sends). It tests how
 * the joining side reads answers; the real exchange is tested end to end (test/e2e).
 */
async function scriptedMember(
  answers: string[],
): Promise<{ address: string; close: () => void; asked: () => number }> {
  let asked = 0;
  const server = createServer((socket) => {
    const parser = new RespParser();
    socket.on('data', (chunk: Buffer) => {
      for (const argv of parser.feed(chunk)) {
        const name = argv[0]!.toString().toLowerCase();
        if (name === 'hello') {
          socket.write('%1\r\n$6\r\nserver\r\n$5\r\nredis\r\n');
          continue;
        }
        asked++;
        const answer = answers.shift() ?? '{"error":{"code":"INTERNAL","message":"no more"}}';
        socket.write(`$${Buffer.byteLength(answer)}\r\n${answer}\r\n`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    asked: () => asked,
    close: () => {
      server.close();
    },
  };
}

const SELF = {
  id: 4,
  peerAddr: '127.0.0.1:7004',
  respAddr: '127.0.0.1:6382',
  httpAddr: '127.0.0.1:8083',
  grpcAddr: '127.0.0.1:9093',
};

const MEMBERS = [
  {
    id: 1,
    role: 'voter',
    isLeader: true,
    peerAddr: 'h:1',
    respAddr: 'h:2',
    httpAddr: 'h:3',
    grpcAddr: 'h:4',
  },
];

function joinOptions(address: string, overrides: Partial<JoinOptions> = {}): JoinOptions {
  return {
    address,
    password: '',
    self: SELF,
    logger: pino({ level: 'silent' }),
    timeoutMs: 60_000,
    requestTimeoutMs: 5_000,
    signal: new AbortController().signal,
    received: () => false,
    ...overrides,
  };
}

describe('redraft server --join asking a member', () => {
  it('retries the refusals that mean "not yet", then returns the members', async () => {
    const member = await scriptedMember([
      '{"error":{"code":"NO_LEADER","message":"no leader is known"}}',
      '{"error":{"code":"CHANGE_IN_PROGRESS","message":"busy"}}',
      JSON.stringify({ ok: MEMBERS }),
    ]);
    try {
      assert.deepEqual(await requestJoin(joinOptions(member.address)), MEMBERS);
      assert.equal(member.asked(), 3);
    } finally {
      member.close();
    }
  });

  it('stops at a final refusal, unless this node already received the log', async () => {
    const exists = '{"error":{"code":"MEMBER_EXISTS","message":"node 4 is already a learner"}}';
    const member = await scriptedMember([exists, exists]);
    try {
      await assert.rejects(
        requestJoin(joinOptions(member.address)),
        /cannot join the cluster through 127\.0\.0\.1:\d+: node 4 is already a learner/,
      );
      // An earlier attempt whose answer was lost added us: we hold entries, so it is us.
      assert.deepEqual(
        await requestJoin(joinOptions(member.address, { received: () => true })),
        [],
      );
      assert.equal(member.asked(), 2);
    } finally {
      member.close();
    }
  });

  it('gives up waiting when the server is told to stop', async () => {
    const [port] = await freePorts(1);
    const stop = new AbortController();
    const joining = requestJoin(joinOptions(`127.0.0.1:${port}`, { signal: stop.signal }));
    stop.abort();
    await assert.rejects(
      joining,
      (err: unknown) => err instanceof Error && err.name === 'AbortError',
    );
  });
});
