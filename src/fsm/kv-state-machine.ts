import {
  ConfChangeType,
  type ConfChange,
  type ConfState,
  type Entry,
} from '../raft/index.js';
import { EntryKind, decodeEntry, parseMemberJson, type MemberInfo } from './entry-codec.js';
import { Keyspace, keyOf, type StoredEntry } from './keyspace.js';
import { CommandError, type Result } from './result.js';
import { readSnapshot, writeSnapshot } from './snapshot-codec.js';
import type { AppliedEntry, FsmSnapshot, StateMachine } from './state-machine.js';
import { READ_COMMANDS, WRITE_COMMANDS, type CommandContext } from './commands.js';

export const DATABASES = 16;

/**
 * The key-value state machine: 16 Redis databases, the member table, and the leader-stamped
 * clock. Every replica applying the same log reaches the same state at the same index.
 */
export class KvStateMachine implements StateMachine<Result> {
  dbs: Keyspace[] = Array.from({ length: DATABASES }, () => new Keyspace());
  members = new Map<number, MemberInfo>();
  /** The latest leader time seen in the log. Kept monotonic: a new leader's clock may lag. */
  clock = 0;
  appliedIndex = 0;

  apply(entry: AppliedEntry): Result {
    this.appliedIndex = entry.index;
    if (entry.data.length === 0) return null; // a new leader's empty entry
    const payload = decodeEntry(entry.data);
    switch (payload.kind) {
      case EntryKind.Command: {
        if (payload.timeMs > this.clock) this.clock = payload.timeMs;
        const db = this.dbs[payload.db];
        if (db === undefined) return new CommandError('ERR DB index is out of range');
        const name = payload.argv[0]?.toString('latin1').toLowerCase() ?? '';
        const command = WRITE_COMMANDS.get(name);
        if (command === undefined) {
          return new CommandError(`ERR unknown command '${name}'`);
        }
        const ctx: CommandContext = { db, now: this.clock, index: entry.index };
        return command(ctx, payload.argv);
      }
      case EntryKind.Member:
        this.members.set(payload.member.id, payload.member);
        return null;
      case EntryKind.Noop:
        return null;
    }
  }

  /**
   * Keeps the member table in step with the membership: an added member's addresses travel
   * in the conf change's context; a removed member is forgotten.
   */
  applyConfChange(change: ConfChange, _confState: ConfState): void {
    for (const c of change.changes) {
      if (c.type === ConfChangeType.Remove) this.members.delete(c.nodeId);
    }
    if (change.context.length > 0) {
      const member = parseMemberJson(Buffer.from(change.context).toString('utf8'));
      this.members.set(member.id, member);
    }
  }

  /** Adapter for the node's apply loop. */
  applyEntry(entry: Entry): Result {
    return this.apply(entry);
  }

  /**
   * Executes a read-only command against local state at time `now` (the reading node's
   * clock: expired keys are invisible at once, even before the leader deletes them).
   */
  read(dbIndex: number, argv: readonly Buffer[], now: number): Result {
    const db = this.dbs[dbIndex];
    if (db === undefined) return new CommandError('ERR DB index is out of range');
    const name = argv[0]?.toString('latin1').toLowerCase() ?? '';
    const command = READ_COMMANDS.get(name);
    if (command === undefined) return new CommandError(`ERR unknown command '${name}'`);
    return command({ db, now, index: this.appliedIndex }, argv);
  }

  /** A direct lookup for tests and the gateways. */
  getString(dbIndex: number, key: Buffer, now: number): Buffer | undefined {
    const e: StoredEntry | undefined = this.dbs[dbIndex]?.get(keyOf(key), now);
    return e?.value.type === 'string' ? e.value.value : undefined;
  }

  snapshot(): FsmSnapshot {
    // Entries are immutable, so copying the maps' references freezes the state.
    const dbs = this.dbs.map((db) => new Map(db.entries));
    const members = [...this.members.values()];
    const clock = this.clock;
    return { serialize: () => writeSnapshot({ dbs, members, clock }) };
  }

  restore(data: Uint8Array): void {
    const image = readSnapshot(data);
    this.dbs = image.dbs.map((entries) => {
      const ks = new Keyspace();
      for (const [k, v] of entries) ks.set(k, v);
      return ks;
    });
    this.members = new Map(image.members.map((m) => [m.id, m]));
    this.clock = image.clock;
  }
}
