import {
  ConfChangeType,
  EMPTY_BYTES,
  EntryType,
  NONE,
  encodeConfChange,
  index,
  term,
  type Entry,
  type HardState,
  type NodeId,
} from '../raft/index.js';
import type { DurableLog } from './raft-node.js';

/**
 * The log of a brand-new cluster member: one committed entry per initial voter, each adding
 * that voter (etcd bootstraps the same way).
 *
 * The membership must live in the log, not in snapshot metadata at index 0. A member that joins
 * later starts with an empty log whose index 0 has term 0 and no members; the leader sees that
 * it "matches" at index 0 and sends entries from 1 on. Had the initial voters been recorded at
 * index 0 only, the newcomer would never learn them: applying its own AddLearner, and later its
 * promotion, onto an empty membership, it would believe itself the only voter, elect itself
 * and accept writes alone. With these entries every member's log means the same thing from
 * index 0 up, however it got there.
 *
 * Every initial member must write byte-identical entries: voters are added in ascending id
 * order, all at term 1, and the hard state records them committed (they are, by definition:
 * every member of the initial configuration holds them from the start).
 */
export function initialMembershipEntries(voters: readonly NodeId[]): Entry[] {
  const ids = [...new Set(voters)].sort((a, b) => a - b);
  if (ids.length === 0) throw new RangeError('a cluster needs at least one voter');
  return ids.map((id, k) => ({
    term: term(1),
    index: index(k + 1),
    type: EntryType.ConfChange,
    data: encodeConfChange({
      transition: 'auto',
      changes: [{ type: ConfChangeType.AddVoter, nodeId: id }],
      context: EMPTY_BYTES,
    }),
  }));
}

/** Writes the initial membership into an empty log (see {@link initialMembershipEntries}). */
export async function bootstrapLog(log: DurableLog, voters: readonly NodeId[]): Promise<void> {
  if (log.lastIndex() !== 0) throw new Error('cannot bootstrap a log that holds entries');
  const entries = initialMembershipEntries(voters);
  const hardState: HardState = {
    term: term(1),
    vote: NONE,
    commit: entries[entries.length - 1]!.index,
  };
  await log.persist({ hardState, entries }, true);
}
