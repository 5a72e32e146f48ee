/**
 * Regression (fault schedule "netns-3", seed 280282460): a leader paused with SIGSTOP woke
 * up, stepped a heartbeat of the new leader's higher term — its core became a follower —
 * and, before its driver had handled the Ready that says so, took a client's write. The
 * driver still believed it led and proposed; the follower core forwarded the entry to the new
 * leader, which committed it, while the driver answered the client NotLeaderError (-MOVED:
 * "not applied"). A compare-and-set and several INCRs answered -MOVED took effect; a cluster
 * client following the MOVED would have applied them twice.
 */
import { MemoryLog } from '../../src/storage/memory-log.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { NotLeaderError } from '../../src/errors.js';
import {
  MemoryStorage,
  index,
  message,
  nodeId,
  seededRandom,
  term,
  type Entry,
  type Message,
} from '../../src/raft/index.js';
import { RaftNode } from '../../src/node/raft-node.js';
import { ManualTicker } from '../../src/node/ticker.js';
import type { Transport } from '../../src/transport/transport.js';

/** Records what the node sends; delivers nothing. */
class RecordingTransport implements Transport {
  readonly sent: Message[] = [];
  start(): Promise<void> {
    return Promise.resolve();
  }
  send(messages: readonly Message[]): void {
    this.sent.push(...messages);
  }
  addPeer(): void {}
  removePeer(): void {}
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Lets the driver's setImmediate-scheduled Ready loop run to quiescence. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('RaftNode.propose', () => {
  it('refuses, and forwards nothing, once the core has stepped down but the driver has not seen it yet', async () => {
    const storage = MemoryStorage.bootstrap({
      voters: [nodeId(1)],
      learners: [],
      votersOutgoing: [],
      learnersNext: [],
      autoLeave: false,
    });
    const transport = new RecordingTransport();
    const ticker = new ManualTicker();
    const applied: Entry[] = [];
    const node = new RaftNode<string>({
      id: nodeId(1),
      log: new MemoryLog(storage),
      snapshots: { save: () => Promise.resolve() },
      initialSnapshot: undefined,
      transport,
      fsm: {
        apply: (entry) => {
          applied.push(entry);
          return 'ok';
        },
        snapshot: () => ({ serialize: () => Buffer.alloc(0) }),
        restore: () => undefined,
        applyConfChange: () => undefined,
      },
      ticker,
      logger: pino({ level: 'silent' }),
      random: seededRandom(1),
      tickMs: 10,
      electionTicks: 10,
    });
    await node.start();
    for (let i = 0; i < 30 && !node.isLeader; i++) {
      ticker.tick();
      await settle();
    }
    assert.ok(node.isLeader, 'a single voter elects itself');
    assert.equal(await node.propose(Buffer.from('before')), 'ok');

    // A heartbeat of a higher term from another leader (the paused leader woke up to it):
    // stepped by the core, not yet seen by the driver (its Ready loop runs later).
    const current = node.rawNode.raft.term;
    node.rawNode.step(
      message({
        type: 'MsgHeartbeat',
        from: nodeId(2),
        to: nodeId(1),
        term: term(current + 1),
        commit: index(0),
      }),
    );
    assert.equal(node.rawNode.raft.role, 'follower');
    assert.equal(node.isLeader, true, 'the driver has not handled the Ready yet');

    const sentBefore = transport.sent.length;
    await assert.rejects(node.propose(Buffer.from('after step-down')), (err: unknown) => {
      assert.ok(err instanceof NotLeaderError, `rejected with ${String(err)}`);
      return true;
    });
    await settle();
    const forwarded = transport.sent.slice(sentBefore).filter((m) => m.type === 'MsgProp');
    assert.deepEqual(forwarded, [], 'a refused proposal must not travel to another leader');
    assert.ok(
      applied.every((e) => Buffer.from(e.data).toString() !== 'after step-down'),
      'nor be applied here',
    );
    await node.stop();
  });
});
