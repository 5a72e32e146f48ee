/**
 * What the simulation found in src/raft, kept from coming back in two ways:
 * - the seeds whose schedules found each bug, rerun as they are. A seed replays its schedule
 *   exactly only while the simulation and the core stay the same, so a later change to
 *   either may turn one into an ordinary passing schedule; when that happens, search for a new
 *   seed with the fix reverted (REDRAFT_SIM_SEED_BASE, REDRAFT_SIM_SCHEDULES);
 * - the behaviour each fix relies on, stated directly on a RawNode, which does not depend on
 *   any schedule.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EntryType,
  MemoryStorage,
  RawNode,
  index,
  message,
  nodeId,
  seededRandom,
  term,
  type Message,
  type MessageType,
} from '../../../src/raft/index.js';
import { runSchedule } from './simulation.js';

// REDRAFT_SIM_SEED reruns one schedule of simulation.test.ts and nothing else.
const skip = process.env.REDRAFT_SIM_SEED !== undefined && process.env.REDRAFT_SIM_SEED !== '';

const SEEDS: readonly { readonly seed: number; readonly found: string }[] = [
  {
    seed: 45,
    found:
      'a leader that removes or demotes itself steps down before the remaining voters learn ' +
      'the change committed; the old leader refuses their votes (its log is longer) and, no ' +
      'longer a voter, cannot campaign: no leader ever again',
  },
  {
    seed: 17781,
    found:
      'a candidate that learned a commit index from a vote rejection applied a conf change ' +
      'removing itself mid-election, then won it: a leader outside its own configuration',
  },
  {
    seed: 15163,
    found:
      'a vote request one term too low was ignored, so a candidate that the voter never ' +
      'sends to (a learner in its view) kept asking one term behind it, forever',
  },
];

/** A node of a 3-voter cluster whose log holds entries of the given terms from index 1. */
function node(id: number, terms: readonly number[], hs: { term: number; commit: number }): RawNode {
  const storage = MemoryStorage.bootstrap({
    voters: [nodeId(1), nodeId(2), nodeId(3)],
    learners: [],
    votersOutgoing: [],
    learnersNext: [],
    autoLeave: false,
  });
  storage.append(
    terms.map((t, i) => ({
      term: term(t),
      index: index(i + 1),
      type: EntryType.Normal,
      data: new Uint8Array(0),
    })),
  );
  storage.setHardState({ term: term(hs.term), vote: nodeId(3), commit: index(hs.commit) });
  return new RawNode({
    id: nodeId(id),
    storage,
    electionTick: 10,
    heartbeatTick: 1,
    random: seededRandom(id),
  });
}

/** Handles one Ready (without persisting: these nodes are thrown away) and returns its messages. */
function drain(n: RawNode): Message[] {
  if (!n.hasReady()) return [];
  const rd = n.ready();
  n.advance(rd);
  return [...rd.earlyMessages, ...rd.messages];
}

function only(msgs: readonly Message[], type: MessageType): Message {
  const found = msgs.filter((m) => m.type === type);
  assert.equal(found.length, 1, `expected one ${type} in ${msgs.map((m) => m.type).join(',')}`);
  return found[0]!;
}

describe('simulation regressions', { skip }, () => {
  describe('seeds that found a bug', () => {
    for (const { seed, found } of SEEDS) {
      it(`seed ${seed}: ${found}`, () => {
        runSchedule(seed);
      });
    }
  });

  describe('the behaviour behind each fix', () => {
    it('a vote rejection tells the candidate what the voter knows committed', () => {
      // Node 2 committed 4 entries of term 1; candidate 1 has only 3 of them.
      const voter = node(2, [1, 1, 1, 1], { term: 1, commit: 4 });
      voter.step(
        message({
          type: 'MsgVote',
          from: nodeId(1),
          to: nodeId(2),
          term: term(2),
          index: index(3),
          logTerm: term(1),
        }),
      );
      const resp = only(drain(voter), 'MsgVoteResp');
      assert.equal(resp.reject, true);
      // Capped at the candidate's last index, with the voter's term there.
      assert.equal(resp.commit, 3);
      assert.equal(resp.logTerm, 1);
    });

    it('a candidate that learns a commit index from a rejection commits it and stops campaigning', () => {
      const candidate = node(1, [1, 1, 1], { term: 1, commit: 1 });
      candidate.campaign();
      drain(candidate);
      assert.equal(candidate.raft.role, 'candidate');
      const reject = message({
        type: 'MsgVoteResp',
        from: nodeId(2),
        to: nodeId(1),
        term: candidate.raft.term,
        reject: true,
        commit: index(3),
        logTerm: term(1),
      });
      candidate.step(reject);
      assert.equal(candidate.raft.raftLog.committed, 3);
      // The entries it now applies may change the membership the election was counted in.
      assert.equal(candidate.raft.role, 'follower');
    });

    it('a commit hint whose term does not match the log is ignored', () => {
      const candidate = node(1, [1, 1, 1], { term: 1, commit: 1 });
      candidate.campaign();
      drain(candidate);
      candidate.step(
        message({
          type: 'MsgVoteResp',
          from: nodeId(2),
          to: nodeId(1),
          term: candidate.raft.term,
          reject: true,
          commit: index(3),
          logTerm: term(2),
        }),
      );
      assert.equal(candidate.raft.raftLog.committed, 1);
    });

    it('a vote request of a stale term is rejected with the current term', () => {
      const voter = node(2, [1], { term: 5, commit: 1 });
      voter.step(
        message({
          type: 'MsgVote',
          from: nodeId(1),
          to: nodeId(2),
          term: term(3),
          index: index(1),
          logTerm: term(1),
        }),
      );
      const resp = only(drain(voter), 'MsgVoteResp');
      assert.equal(resp.reject, true);
      assert.equal(resp.term, 5);
    });

    for (const type of ['MsgApp', 'MsgHeartbeat'] as const) {
      it(`a ${type} of a stale term is answered with the current term, without check-quorum or pre-vote`, () => {
        const follower = node(2, [1], { term: 5, commit: 1 });
        assert.equal(follower.raft.checkQuorum || follower.raft.preVote, false);
        follower.step(message({ type, from: nodeId(1), to: nodeId(2), term: term(3) }));
        const resp = only(drain(follower), 'MsgAppResp');
        assert.equal(resp.term, 5);
      });
    }
  });
});
