import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { TestCluster, assertKeys, replyText, writeKeys, type Member } from './harness/index.js';
import { useClusterCleanup } from './harness/hooks.js';

useClusterCleanup();

/** SETs through any live member until one acknowledges; returns the member that did. */
async function setThroughAny(
  cluster: TestCluster,
  key: string,
  value: string,
  timeoutMs: number,
): Promise<Member> {
  return cluster.waitFor(
    `a member to acknowledge SET ${key}`,
    async () => {
      const errors: string[] = [];
      for (const m of cluster.live) {
        try {
          const reply = await m.command(['SET', key, value], 1000);
          if (reply.kind === 'simple' && reply.value === 'OK') return m;
          errors.push(`n${m.id}: ${JSON.stringify(reply)}`);
        } catch (err) {
          errors.push(`n${m.id}: ${(err as Error).message}`);
        }
      }
      throw new Error(errors.join('; '));
    },
    timeoutMs,
    10,
  );
}

describe('leader failure', () => {
  it(
    'kill -9 of the leader: a new leader serves writes within seconds, the old one catches up',
    { timeout: 40_000 },
    async () => {
      const cluster = await TestCluster.start({ name: 'failover' });
      const oldLeader = await cluster.waitForLeader();
      await writeKeys(oldLeader, 'before-', 200);

      const killedAt = Date.now();
      await oldLeader.kill();
      const acknowledgedBy = await setThroughAny(cluster, 'after-failover', 'ok', 10_000);
      const failoverMs = Date.now() - killedAt;
      // Election timeout is 500-1000 ms here; a pre-vote and a vote round follow it.
      assert.ok(failoverMs < 5000, `first write after the leader died took ${failoverMs} ms`);
      const newLeader = await cluster.waitForLeader();
      assert.notEqual(newLeader.id, oldLeader.id);
      process.stderr.write(
        `e2e: failover to node ${newLeader.id} served a write (via node ${acknowledgedBy.id}) after ${failoverMs} ms\n`,
      );

      // Writes the old leader never saw.
      await writeKeys(newLeader, 'during-', 300);

      oldLeader.start();
      await cluster.waitForLeader();
      const target = (await newLeader.raftInfo()).commit;
      const caughtUp = await cluster.waitForApplied(oldLeader, target);
      assert.equal(caughtUp.leader, newLeader.id);
      assert.equal(caughtUp.role, 'follower');
      // Linearizable reads through the restarted member see everything.
      await assertKeys(oldLeader, 'before-', 200);
      await assertKeys(oldLeader, 'during-', 300);
      assert.equal(await oldLeader.get('after-failover'), 'ok');
    },
  );

  it(
    'a paused (SIGSTOP) leader is replaced, and after SIGCONT it follows instead of serving',
    { timeout: 40_000 },
    async () => {
      const cluster = await TestCluster.start({ name: 'pause' });
      const oldLeader = await cluster.waitForLeader();
      await writeKeys(oldLeader, 'before-', 50);
      const oldTerm = (await oldLeader.raftInfo()).term;

      // A client holds a connection to the old leader across the pause; what it sends while the
      // leader is frozen must not be acknowledged unless it really committed.
      const stuck = await oldLeader.connect();
      oldLeader.pause();
      const pendingWrite = stuck.send(['SET', 'written-to-paused-leader', 'x'], 20_000);

      await setThroughAny(cluster, 'after-pause', 'ok', 10_000);
      const newLeader = await cluster.waitForLeader();
      assert.notEqual(newLeader.id, oldLeader.id);
      await writeKeys(newLeader, 'during-', 100);

      oldLeader.resume();
      // Check-quorum and the higher term make it step down; it must then agree on the new leader.
      const back = await cluster.waitForLeader();
      assert.equal(back.id, newLeader.id);
      const info = await oldLeader.raftInfo();
      assert.ok(info.term > oldTerm, `term ${info.term} after resuming, was ${oldTerm}`);

      // The write sent to the frozen leader: it was proposed in the old term and can only have
      // been acknowledged if it committed, in which case it is readable everywhere.
      const reply = await pendingWrite.catch((err: unknown) => ({
        kind: 'error' as const,
        message: String(err),
      }));
      stuck.close();
      const value = await newLeader.get('written-to-paused-leader');
      if (reply.kind === 'simple') {
        assert.equal(value, 'x', 'an acknowledged write must be readable');
      } else {
        assert.equal(reply.kind, 'error', `unexpected reply ${JSON.stringify(reply)}`);
      }

      const target = (await newLeader.raftInfo()).commit;
      await cluster.waitForApplied(oldLeader, target);
      await assertKeys(oldLeader, 'during-', 100);
    },
  );
});

describe('graceful shutdown', () => {
  it(
    'SIGTERM of the leader hands leadership over at once and exits 0',
    { timeout: 30_000 },
    async () => {
      // Default-sized ticks make the gap between a handover and an election unmistakable.
      const cluster = await TestCluster.start({ name: 'handover', tickMs: 100, electionTicks: 10 });
      const leader = await cluster.waitForLeader();
      await writeKeys(leader, 'k-', 100);
      const others = cluster.members.filter((m) => m !== leader);
      const before = (await leader.raftInfo()).term;

      const sentAt = Date.now();
      leader.signal('SIGTERM');
      const successor = await cluster.waitFor(
        'another member to lead',
        async () => {
          for (const m of others) {
            const info = await m.raftInfo(500);
            if (info.role === 'leader') return m;
          }
          return undefined;
        },
        10_000,
        5,
      );
      const handoverMs = Date.now() - sentAt;
      const exit = await leader.waitForExit(10_000);
      assert.deepEqual(exit, { code: 0, signal: null }, 'a SIGTERM stop exits 0');
      // Without a handover the others would wait out an election timeout (>= 1000 ms here) first.
      assert.ok(
        handoverMs < cluster.electionTimeoutMs,
        `a new leader took ${handoverMs} ms (election timeout ${cluster.electionTimeoutMs} ms)`,
      );
      process.stderr.write(`e2e: SIGTERM handover to node ${successor.id} took ${handoverMs} ms\n`);
      const handover = leader.logLines().find((l) => l.msg === 'leadership handover');
      assert.equal(handover?.handed, true, 'the old leader logs a successful handover');
      assert.ok(leader.logLines().some((l) => l.msg === 'stopped'));

      // The remaining two serve, and a new term was needed for the transfer.
      const now = await cluster.waitForLeader();
      assert.equal(now.id, successor.id);
      assert.ok((await now.raftInfo()).term > before);
      await assertKeys(now, 'k-', 100);
      assert.equal(
        replyText(await others.find((m) => m !== now)!.command(['SET', 'after', '1'])),
        'OK',
      );

      // A follower stops cleanly too.
      const follower = others.find((m) => m !== now)!;
      assert.deepEqual(await follower.stop('SIGTERM'), { code: 0, signal: null });
    },
  );

  it(
    'SHUTDOWN answers the commands before it, then stops the member as SIGTERM does',
    { timeout: 30_000 },
    async () => {
      const cluster = await TestCluster.start({ name: 'shutdown-command' });
      const leader = await cluster.waitForLeader();
      const others = cluster.members.filter((m) => m !== leader);

      // Options Redis refuses, and ABORT with nothing to abort, leave the member running.
      const refusals: [string[], string][] = [
        [['SHUTDOWN', 'SAVE', 'NOSAVE'], 'ERR syntax error'],
        [['SHUTDOWN', 'LATER'], 'ERR syntax error'],
        [['SHUTDOWN', 'ABORT', 'NOW'], 'ERR syntax error'],
        [['SHUTDOWN', 'ABORT'], 'ERR No shutdown in progress.'],
      ];
      for (const [argv, message] of refusals) {
        assert.deepEqual(await leader.command(argv), { kind: 'error', message });
      }

      // One pipeline: the write before SHUTDOWN is answered, nothing after it runs, and the
      // connection closes without a reply to SHUTDOWN itself (as with Redis).
      const received = await new Promise<string>((resolve, reject) => {
        const socket = connect(leader.ports.resp, '127.0.0.1');
        let text = '';
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString('latin1');
        });
        socket.on('error', reject);
        socket.on('close', () => {
          resolve(text);
        });
        socket.write('SET before-shutdown 1\r\nSHUTDOWN NOSAVE\r\nSET after-shutdown 1\r\n');
      });
      assert.equal(received, '+OK\r\n');
      assert.deepEqual(await leader.waitForExit(10_000), { code: 0, signal: null });
      assert.ok(
        leader.logLines().some((l) => l.msg === 'shutting down' && l.reason === 'SHUTDOWN'),
      );
      const handover = leader.logLines().find((l) => l.msg === 'leadership handover');
      assert.equal(handover?.handed, true, 'the leader handed over before stopping');

      const now = await cluster.waitForLeader(10_000, others);
      assert.equal(await now.get('before-shutdown'), '1');
      assert.equal(await now.get('after-shutdown'), null);

      // It restarts with its data and rejoins.
      leader.start();
      await cluster.waitForLeader();
      assert.equal(await leader.get('before-shutdown'), '1');
    },
  );
});
