/**
 * The audit view: the committed operations between two Raft indexes, read from this member's
 * log. Every member holds the same committed entries, so any member gives the same answer for
 * the indexes it still holds. Entries before the log's first index were compacted into a
 * snapshot: their effect is in the snapshot's state (and its Merkle root) but the operations
 * themselves are gone, and asking for them is an error that names the first index still held.
 */
import { RedraftError } from '../errors.js';
import { EntryKind, decodeEntry, type MemberInfo } from '../fsm/entry-codec.js';
import { MerkleOp } from '../fsm/merkle-entry-codec.js';
import { ConfChangeType, EntryType, decodeConfChange, index, type Entry } from '../raft/index.js';
import type { RaftNode } from './raft-node.js';

export type AuditOperation =
  | {
      readonly kind: 'command';
      readonly db: number;
      /** The leader's clock when it proposed the entry (ms since the epoch). */
      readonly timeMs: number;
      readonly argv: readonly Buffer[];
    }
  | {
      readonly kind: 'transaction';
      readonly timeMs: number;
      /** Keys WATCHed: the transaction applied only if none had changed. */
      readonly watches: number;
      readonly commands: readonly { readonly db: number; readonly argv: readonly Buffer[] }[];
    }
  | { readonly kind: 'member'; readonly member: MemberInfo }
  /** A new leader's empty entry, or an explicit no-op. */
  | { readonly kind: 'noop' }
  | { readonly kind: 'checkpoint'; readonly previousIndex: number }
  | { readonly kind: 'tag' | 'untag' | 'rollback'; readonly name: string }
  | { readonly kind: 'membership'; readonly changes: string }
  /** Bytes this build cannot decode (a newer member wrote them, or they are damaged). */
  | { readonly kind: 'undecodable'; readonly reason: string };

export type AuditEntry = AuditOperation & { readonly index: number; readonly term: number };

/** The most entries one audit request returns (a bound on the reply, not on the log). */
export const MAX_AUDIT_ENTRIES = 10_000;
/** Entries are read from the log in slices of at most this many bytes. */
const SLICE_BYTES = 4 * 1024 * 1024;

function describeMembership(entry: Entry): string {
  const change = decodeConfChange(entry.data);
  if (change.changes.length === 0) return 'leave joint configuration';
  return change.changes
    .map((c) => {
      const what =
        c.type === ConfChangeType.AddVoter
          ? 'add voter'
          : c.type === ConfChangeType.AddLearner
            ? 'add learner'
            : 'remove';
      return `${what} ${c.nodeId}`;
    })
    .join(', ');
}

/** What one committed entry did. */
export function describeEntry(entry: Entry): AuditEntry {
  const at = { index: entry.index, term: entry.term };
  try {
    if (entry.type === EntryType.ConfChange) {
      return { ...at, kind: 'membership', changes: describeMembership(entry) };
    }
    if (entry.data.length === 0) return { ...at, kind: 'noop' };
    const payload = decodeEntry(entry.data);
    switch (payload.kind) {
      case EntryKind.Command:
        return {
          ...at,
          kind: 'command',
          db: payload.db,
          timeMs: payload.timeMs,
          argv: payload.argv,
        };
      case EntryKind.Transaction:
        return {
          ...at,
          kind: 'transaction',
          timeMs: payload.timeMs,
          watches: payload.watches.length,
          commands: payload.commands,
        };
      case EntryKind.Member:
        return { ...at, kind: 'member', member: payload.member };
      case EntryKind.Noop:
        return { ...at, kind: 'noop' };
      case EntryKind.Merkle:
        switch (payload.op) {
          case MerkleOp.Checkpoint:
            return { ...at, kind: 'checkpoint', previousIndex: payload.previous?.index ?? 0 };
          case MerkleOp.Tag:
            return { ...at, kind: 'tag', name: payload.name };
          case MerkleOp.Untag:
            return { ...at, kind: 'untag', name: payload.name };
          case MerkleOp.Rollback:
            return { ...at, kind: 'rollback', name: payload.name };
        }
    }
  } catch (err) {
    return { ...at, kind: 'undecodable', reason: (err as Error).message };
  }
}

/**
 * The committed entries with `from <= index <= to`, at most `limit` of them. `from` below the
 * log's first index is an error (COMPACTED) naming that index; `to` past the commit index
 * stops at the commit index.
 */
export function readAudit(
  node: Pick<RaftNode<unknown>, 'committedEntries'>,
  from: number,
  to: number,
  limit: number,
): AuditEntry[] {
  const out: AuditEntry[] = [];
  let next = from;
  while (out.length < limit && next <= to) {
    const { firstIndex, entries } = node.committedEntries(
      index(next),
      index(Math.min(to, next + (limit - out.length) - 1) + 1),
      SLICE_BYTES,
    );
    if (next < firstIndex) {
      throw new RedraftError(
        'COMPACTED',
        `the log starts at index ${firstIndex}: the entries before it were compacted into a snapshot (their effect is in its state and Merkle root, the operations are gone)`,
      );
    }
    if (entries.length === 0) break;
    for (const e of entries) out.push(describeEntry(e));
    next = entries[entries.length - 1]!.index + 1;
  }
  return out;
}
