/**
 * Redraft as a library: a replicated counter on a 3-node in-process cluster.
 *
 * It proposes on the leader, shows a follower refusing a write and serving a linearizable
 * read, survives stopping the leader, brings that node back from what it persisted, and
 * stops cleanly. Run it with `npm run example`.
 */
import {
  NotLeaderError,
  jsonCodec,
  startCluster,
  type ReplicatedStateMachine,
  type StateSnapshot,
} from 'redraft';

/** What the counter's log holds. Plain JSON, so `jsonCodec` can carry it. */
type CounterCommand = { op: 'add'; amount: number } | { op: 'reset' };

/**
 * The application's state machine. `apply` is deterministic: every replica applies the same
 * commands in the same order and ends with the same value. It rejects a bad command by
 * throwing before it changes anything; the proposer receives the error.
 */
class Counter implements ReplicatedStateMachine<CounterCommand, number> {
  value = 0;

  apply(command: CounterCommand): number {
    if (command.op === 'reset') {
      this.value = 0;
    } else {
      if (!Number.isSafeInteger(command.amount)) {
        throw new RangeError(`can only add integers, got ${command.amount}`);
      }
      this.value += command.amount;
    }
    return this.value;
  }

  snapshot(): StateSnapshot {
    const value = this.value; // frozen now; serialized whenever the node gets to it
    return { serialize: () => new TextEncoder().encode(JSON.stringify({ value })) };
  }

  restore(data: Uint8Array): void {
    this.value = (JSON.parse(new TextDecoder().decode(data)) as { value: number }).value;
  }
}

const cluster = await startCluster({
  size: 3,
  stateMachine: () => new Counter(),
  codec: jsonCodec<CounterCommand>(),
});
try {
  const leader = await cluster.waitForLeader();
  console.log(`leader: node ${leader.id}`);

  let total = 0;
  for (let amount = 1; amount <= 5; amount++) total = await leader.propose({ op: 'add', amount });
  console.log(`counter after five adds: ${total}`);

  // Followers refuse writes and name the leader; nothing was proposed, so the caller may
  // send the command there. (`cluster.propose` does exactly that.)
  const follower = cluster.runningNodes().find((node) => node.id !== leader.id)!;
  await follower.waitForLeader();
  try {
    await follower.propose({ op: 'add', amount: 100 });
  } catch (err) {
    if (!(err instanceof NotLeaderError)) throw err;
    console.log(`node ${follower.id} refuses writes: leader is node ${err.leaderId}`);
  }
  const seen = await follower.read('linearizable', (counter) => counter.value);
  console.log(`linearizable read on node ${follower.id}: ${seen}`);

  try {
    await cluster.propose({ op: 'add', amount: 0.5 });
  } catch (err) {
    console.log(`rejected by every replica: ${(err as Error).message}`);
  }

  await cluster.stopNode(leader.id, { transferLeadership: false });
  const next = await cluster.waitForLeader();
  console.log(`stopped node ${leader.id}; new leader: node ${next.id}`);
  console.log(`counter after failover: ${await cluster.propose({ op: 'add', amount: 10 })}`);

  const back = await cluster.restartNode(leader.id);
  await back.waitForLeader(); // a linearizable read asks the leader, so it needs to know one
  const caughtUp = await back.read('linearizable', (counter) => counter.value);
  console.log(`restarted node ${back.id} reads ${caughtUp}`);
} finally {
  await cluster.stop();
}
console.log('cluster stopped');
