/** Errors raised by the core and by storage implementations it reads through. */

export class RaftError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The requested index lies below the first index still kept: it was compacted away. */
export class CompactedError extends RaftError {
  constructor(message = 'requested index is unavailable due to compaction') {
    super('RAFT_COMPACTED', message);
  }
}

/** The requested entries lie beyond the last index the storage holds. */
export class UnavailableError extends RaftError {
  constructor(message = 'requested entry at index is unavailable') {
    super('RAFT_UNAVAILABLE', message);
  }
}

/** A snapshot is being produced; ask again later. */
export class SnapshotTemporarilyUnavailableError extends RaftError {
  constructor() {
    super('RAFT_SNAPSHOT_UNAVAILABLE', 'snapshot is temporarily unavailable');
  }
}

/** A snapshot older than the storage's own was offered to it. */
export class SnapshotOutOfDateError extends RaftError {
  constructor() {
    super('RAFT_SNAPSHOT_OUT_OF_DATE', 'requested index is older than the existing snapshot');
  }
}

/**
 * The proposal was not accepted: no leader is known, a leadership transfer is under way, the
 * node was removed, or too much is uncommitted. The caller may retry elsewhere or later.
 */
export class ProposalDroppedError extends RaftError {
  constructor(reason: string) {
    super('RAFT_PROPOSAL_DROPPED', `raft proposal dropped: ${reason}`);
  }
}

/** A broken invariant: the log or the driver did something the protocol forbids. */
export class RaftInvariantError extends RaftError {
  constructor(message: string) {
    super('RAFT_INVARIANT', message);
  }
}
