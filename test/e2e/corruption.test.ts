import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestCluster, assertKeys, writeKeys, type Member } from './harness/index.js';
import {
  damageWriteAheadLog,
  flipByte,
  garbleEntry,
  garbleUncommittedTail,
  logPosition,
  repair,
  snapshotFiles,
  snapshotIndexOf,
  tearWriteAheadLog,
  truncateHalf,
} from './harness/damage.js';
import { useClusterCleanup } from './harness/hooks.js';

useClusterCleanup();

/** The error message of the member's fatal log line. */
function fatalMessage(member: Member): string {
  const fatal = member.logLines().find((l) => l.level >= 60);
  assert.ok(fatal !== undefined, `no fatal line in:\n${member.logText()}`);
  const err = fatal.err as { message?: unknown } | undefined;
  const message = String(err?.message);
  // The same words go to stderr for whoever runs the server by hand (pino adds the cause).
  const plain = member
    .logText()
    .split('\n')
    .find((l) => l.startsWith('redraft: cannot start: '));
  assert.ok(
    plain !== undefined && message.startsWith(plain.slice('redraft: cannot start: '.length)),
    member.logText(),
  );
  return message;
}

/** Entries between snapshots in the clusters of these tests. */
const SNAPSHOT_ENTRIES = 200;

/** A cluster with frequent snapshots, `count` keys written, and a follower that has them all. */
async function loadedCluster(
  name: string,
  count: number,
): Promise<{ cluster: TestCluster; leader: Member; follower: Member }> {
  const cluster = await TestCluster.start({ name, snapshotEntries: SNAPSHOT_ENTRIES });
  const leader = await cluster.waitForLeader();
  const follower = cluster.members.find((m) => m !== leader)!;
  await writeKeys(leader, 'k-', count);
  await cluster.waitForApplied(follower, (await leader.raftInfo()).commit);
  return { cluster, leader, follower };
}

describe('damaged data on disk', () => {
  it(
    'a corrupted newest snapshot file is refused and the member still serves the right data',
    { timeout: 45_000 },
    async () => {
      const { cluster, leader, follower } = await loadedCluster('bad-snapshot', 1500);
      // Snapshots are written in the background: wait until the newest file is also recorded
      // in the log (its 'snapshot taken' line), so that it is the one a restart must use. A
      // file saved but not yet recorded would simply be passed over for the recorded one.
      // It must also be the last snapshot the follower will take: one recorded while applies
      // ran on lets the next start at once (SNAPSHOT_ENTRIES applied since), and a file that
      // next one saves before the kill would be what the restart loads instead.
      const { applied } = await follower.raftInfo();
      const newest = await cluster.waitFor(
        'two snapshot files on the follower, the newest recorded and the last one due',
        () => {
          const files = snapshotFiles(follower.dataDir);
          const last = files[files.length - 1];
          if (files.length < 2 || last === undefined) return undefined;
          if (applied - snapshotIndexOf(last) >= SNAPSHOT_ENTRIES) return undefined;
          const recorded = follower
            .logLines()
            .some(
              (l) =>
                l.msg === 'snapshot taken and log compacted' && l.index === snapshotIndexOf(last),
            );
          return recorded ? last : undefined;
        },
        10_000,
      );
      await follower.kill();
      flipByte(newest);

      follower.start();
      const refused = await follower.waitForLog(
        'that it refuses the damaged snapshot',
        (l) => l.msg === 'refusing corrupt snapshot',
        10_000,
      );
      assert.ok(String(refused.file).length > 0 && newest.endsWith(String(refused.file)));
      await cluster.waitForLeader();
      const restored = follower
        .logLines()
        .find((l) => l.msg === 'restored state machine from snapshot');
      assert.ok(restored !== undefined, 'it starts from an older valid snapshot');
      assert.equal(restored.how, 'rewound');
      assert.ok(Number(restored.index) < snapshotIndexOf(newest));
      assert.ok(
        follower
          .logLines()
          .some(
            (l) => l.msg === 'fell back to an older snapshot file; the log is replayed from it',
          ),
      );

      await writeKeys(leader, 'after-', 100);
      await cluster.waitForApplied(follower, (await leader.raftInfo()).commit);
      await assertKeys(follower, 'k-', 1500);
      await assertKeys(follower, 'after-', 100);

      // With every snapshot file damaged (here: cut short) nothing can rebuild the state the log
      // starts after: the member refuses to start rather than serve a partial state.
      await follower.kill();
      for (const f of snapshotFiles(follower.dataDir)) truncateHalf(f);
      follower.start();
      const exit = await follower.waitForExit(15_000);
      assert.equal(exit.code, 1);
      assert.match(fatalMessage(follower), /holds no valid snapshot file/);
      await assertKeys(leader, 'after-', 100);
    },
  );

  it(
    'a torn write at the end of the log is discarded on recovery and the member rejoins',
    { timeout: 45_000 },
    async () => {
      const { cluster, leader, follower } = await loadedCluster('torn-tail', 300);
      await follower.kill();
      tearWriteAheadLog(follower.dataDir);
      await writeKeys(leader, 'meanwhile-', 100);

      follower.start();
      await cluster.waitForLeader();
      await writeKeys(leader, 'after-', 100);
      await cluster.waitForApplied(follower, (await leader.raftInfo()).commit);
      await assertKeys(follower, 'k-', 300);
      await assertKeys(follower, 'meanwhile-', 100);
      await assertKeys(follower, 'after-', 100);
    },
  );

  it(
    'damaged log entries, committed or not, stop the member from starting with a clear message',
    { timeout: 45_000 },
    async () => {
      const { cluster, leader, follower } = await loadedCluster('bad-entries', 300);
      const other = cluster.members.find((m) => m !== leader && m !== follower)!;

      // Past the commit index. The entry may have been acknowledged, and the leader would
      // never send it again, so the member must not come back without it.
      await follower.kill();
      const tail = await garbleUncommittedTail(follower.dataDir);
      assert.ok(tail.index > tail.before.commit);
      follower.start();
      let exit = await follower.waitForExit(15_000);
      assert.deepEqual(exit, { code: 1, signal: null }, 'it must not start');
      let message = fatalMessage(follower);
      assert.match(message, new RegExp(`^entry/${tail.index}: .*may have been acknowledged`));
      assert.ok(!follower.logLines().some((l) => l.msg === 'redraft server started'));

      // Undo the damage: the member starts and catches up, nothing else was harmed.
      await repair(follower.dataDir, tail);
      follower.start();
      await cluster.waitForLeader();
      await cluster.waitForApplied(follower, (await leader.raftInfo()).commit);
      await assertKeys(follower, 'k-', 300);

      // A committed entry.
      await other.kill();
      const pos = await logPosition(other.dataDir);
      assert.ok(pos.commit >= pos.firstIndex, `commit ${pos.commit}, log from ${pos.firstIndex}`);
      await garbleEntry(other.dataDir, pos.commit);
      other.start();
      exit = await other.waitForExit(15_000);
      assert.deepEqual(exit, { code: 1, signal: null }, 'it must not start');
      message = fatalMessage(other);
      assert.match(message, new RegExp(`^entry/${pos.commit}: cannot decode: .*committed`));

      // The other two carry on.
      await cluster.waitForLeader(10_000, [leader, follower]);
      await writeKeys(leader, 'after-', 50);
      await assertKeys(follower, 'after-', 50);
    },
  );

  it(
    'write-ahead records LevelDB had to drop stop the member, at that start and every later one',
    { timeout: 45_000 },
    async () => {
      const { cluster, leader, follower } = await loadedCluster('bad-wal', 300);
      const other = cluster.members.find((m) => m !== leader && m !== follower)!;
      await follower.kill();
      damageWriteAheadLog(follower.dataDir);

      // Before the fix this member opened its log as an empty directory and bootstrapped
      // itself as a new member: term, vote and acknowledged entries silently gone.
      follower.start();
      let exit = await follower.waitForExit(15_000);
      assert.deepEqual(exit, { code: 1, signal: null }, 'it must not start');
      assert.match(
        fatalMessage(follower),
        /^write-ahead-log: LevelDB discarded .*dropping \d+ bytes; Corruption: .*acknowledged may be lost/,
      );
      assert.ok(!follower.logLines().some((l) => l.msg === 'redraft server started'));

      // LevelDB deleted the damaged file at that open; the verdict was written down.
      follower.start();
      exit = await follower.waitForExit(15_000);
      assert.deepEqual(exit, { code: 1, signal: null }, 'it must not start the second time');
      assert.match(fatalMessage(follower), /found at an earlier start, recorded in /);

      // The other two carry on.
      await cluster.waitForLeader(10_000, [leader, other]);
      await writeKeys(leader, 'after-', 50);
      await assertKeys(other, 'after-', 50);
    },
  );
});
