import { ConfChangeType, type ConfChange, type ConfState } from '../raft/index.js';
import { COMMAND_DEFS, type CommandContext, type CommandDef } from './commands/index.js';
import {
  EntryKind,
  decodeEntry,
  parseMemberContext,
  type MemberInfo,
  type QueuedCommand,
  type TransactionPayload,
  type WatchedKey,
} from './entry-codec.js';
import {
  Keyspace,
  keyOf,
  type KeyObserver,
  type StoredEntry,
  type StringValue,
} from './keyspace.js';
import { MerkleState, type PreparedRestore } from './merkle-state.js';
import { CommandError, wrongArity, type Result } from './result.js';
import {
  freezeImage,
  readSnapshot,
  writeSnapshot,
  writeSnapshotInSlices,
} from './snapshot-codec.js';
import type { AppliedEntry, FsmSnapshot, StateMachine } from './state-machine.js';

export const DATABASES = 16;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A key of database `db` was written or deleted by the entry at `index`. */
export type KeyChangeListener = (
  db: number,
  key: string,
  index: number,
  /** The key's new entry, or undefined once deleted. */
  entry: StoredEntry | undefined,
) => void;

/** A small deterministic generator (mulberry32) for reads executed inside the log. */
function seededRandom(seed: number): (bound: number) => number {
  let a = seed >>> 0;
  return (bound: number): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * bound);
  };
}

const NO_RANDOM = (): number => {
  throw new Error('a write command drew a random number: writes must be deterministic');
};

/** Checks a command's name and arity against the registry; the error Redis would give. */
export function checkCommand(
  argv: readonly Buffer[],
  allowInternal = false,
): CommandError | undefined {
  const d = commandDefOf(argv, allowInternal);
  return d instanceof CommandError ? d : undefined;
}

/** The command `argv` names, if its name and arity are valid; else the error Redis would give. */
function commandDefOf(argv: readonly Buffer[], allowInternal: boolean): CommandDef | CommandError {
  const name = argv[0]?.toString('latin1').toLowerCase() ?? '';
  const d = COMMAND_DEFS.get(name);
  if (d === undefined || (d.flags.includes('internal') && !allowInternal)) {
    const args = argv
      .slice(1)
      .map((a) => `'${a.toString('latin1')}'`)
      .join(' ');
    return new CommandError(
      `ERR unknown command '${argv[0]?.toString('latin1') ?? ''}', with args beginning with: ${args}`,
    );
  }
  if ((d.arity > 0 && argv.length !== d.arity) || (d.arity < 0 && argv.length < -d.arity)) {
    return wrongArity(name);
  }
  return d;
}

export interface KvStateMachineOptions {
  /**
   * Keep the verifiable state (merkle-state.ts): on by default. Every member of a cluster must
   * agree, since rollbacks change the key space.
   */
  readonly merkle?: boolean;
  /** Told how long each Merkle root recomputation took, in ms (for the metrics). */
  readonly onMerkleRecompute?: (durationMs: number) => void;
}

/**
 * The key-value state machine: 16 Redis databases, the member table, the leader-stamped
 * clock and the verifiable state. Every replica applying the same log reaches the same state,
 * and the same Merkle root, at the same index.
 */
export class KvStateMachine implements StateMachine<Result> {
  /** The index being applied, shared by every database (tombstones record it). */
  private readonly writeClock = { index: 0 };
  private readonly keyListeners: KeyChangeListener[] = [];
  private readonly restoreListeners: (() => void)[] = [];
  dbs: Keyspace[] = Array.from({ length: DATABASES }, (_, i) => this.newKeyspace(i));
  members = new Map<number, MemberInfo>();
  /** Bumped whenever the member table changes, so watchers need not compare its contents. */
  membersVersion = 0;
  /** Learners that joined with `--join`: the leader promotes each once it has caught up. */
  autoPromote = new Set<number>();
  /** The latest leader time seen in the log. Kept monotonic: a new leader's clock may lag. */
  clock = 0;
  appliedIndex = 0;
  /** The authenticated map over every database and its history; undefined when turned off. */
  readonly merkle: MerkleState | undefined;

  constructor(options: KvStateMachineOptions = {}) {
    if (options.merkle !== false) {
      const merkle = new MerkleState(
        () => this.dbs,
        () => this.appliedIndex,
        options.onMerkleRecompute,
      );
      this.merkle = merkle;
    }
  }

  private newKeyspace(dbIndex: number): Keyspace {
    return new Keyspace(this.writeClock).observe(this.keyObserver(dbIndex));
  }

  private keyObserver(dbIndex: number): KeyObserver {
    return (key, entry, previous) => {
      // Called directly rather than as one more listener: a write's hottest call, kept out of
      // the listener loop, whose call site sees several listeners and cannot inline any.
      this.merkle?.markDirty(dbIndex, key, entry, previous);
      for (const listener of this.keyListeners)
        listener(dbIndex, key, this.writeClock.index, entry);
    };
  }

  /**
   * Calls `listener` synchronously for every key written or deleted as entries apply, after
   * the change (read the key's new state from `dbs`). Keys are latin1 strings of their bytes.
   * Not called for a restore: see `onRestore`.
   */
  onKeyChange(listener: KeyChangeListener): () => void {
    this.keyListeners.push(listener);
    return () => {
      const i = this.keyListeners.indexOf(listener);
      if (i >= 0) this.keyListeners.splice(i, 1);
    };
  }

  /** Calls `listener` after `restore` replaced the whole state (e.g. from a leader's snapshot). */
  onRestore(listener: () => void): () => void {
    this.restoreListeners.push(listener);
    return () => {
      const i = this.restoreListeners.indexOf(listener);
      if (i >= 0) this.restoreListeners.splice(i, 1);
    };
  }

  apply(entry: AppliedEntry): Result {
    this.appliedIndex = entry.index;
    if (entry.data.length === 0) return null; // a new leader's empty entry
    const payload = decodeEntry(entry.data);
    switch (payload.kind) {
      case EntryKind.Command:
        this.advanceClock(payload.timeMs);
        return this.run({ db: payload.db, argv: payload.argv }, entry.index);
      case EntryKind.Transaction:
        this.advanceClock(payload.timeMs);
        return this.applyTransaction(payload, entry.index);
      case EntryKind.Member:
        this.members.set(payload.member.id, payload.member);
        this.membersVersion++;
        return null;
      case EntryKind.Noop:
        return null;
      case EntryKind.Merkle:
        if (this.merkle === undefined) {
          return new CommandError('ERR this node keeps no Merkle state (started with --no-merkle)');
        }
        this.writeClock.index = entry.index;
        return this.merkle.apply(payload, entry.index);
    }
  }

  private advanceClock(timeMs: number): void {
    if (timeMs > this.clock) this.clock = timeMs;
  }

  private run(
    cmd: QueuedCommand,
    index: number,
    random: (bound: number) => number = NO_RANDOM,
    argumentValues?: Set<StringValue>,
  ): Result {
    // Internal commands (the leader's expiry sweep) are allowed from the log only.
    const d = commandDefOf(cmd.argv, true);
    if (d instanceof CommandError) return d;
    const db = this.dbs[cmd.db];
    if (db === undefined) return new CommandError('ERR DB index is out of range');
    const ctx: CommandContext = {
      db,
      dbs: this.dbs,
      dbIndex: cmd.db,
      now: this.clock,
      index,
      random,
      argumentValues,
    };
    this.writeClock.index = index;
    return d.fn(ctx, cmd.argv);
  }

  private applyTransaction(tx: TransactionPayload, index: number): Result {
    if (!this.watchesHold(tx.watches)) return null; // EXEC -> nil: a watched key changed
    // A read inside a transaction runs in the log, on every replica: RANDOMKEY and
    // HRANDFIELD draw from a generator seeded by the entry's index, so all replicas agree.
    const random = seededRandom(index);
    const argumentValues = new Set<StringValue>();
    const results: Result[] = [];
    for (const cmd of tx.commands) {
      const kind = COMMAND_DEFS.get(cmd.argv[0]?.toString('latin1').toLowerCase() ?? '')?.kind;
      results.push(this.run(cmd, index, kind === 'read' ? random : NO_RANDOM, argumentValues));
    }
    return results;
  }

  /** The current version of a key as WATCH sees it: 0 when absent or expired. */
  versionOf(db: number, key: Buffer, now: number): number {
    return this.dbs[db]?.versionOf(keyOf(key), now) ?? 0;
  }

  private watchesHold(watches: readonly WatchedKey[]): boolean {
    for (const w of watches) {
      if (this.versionOf(w.db, w.key, this.clock) !== w.version) return false;
    }
    return true;
  }

  /**
   * Keeps the member table in step with the membership: an added member's addresses travel
   * in the conf change's context (with whether to promote it automatically); a removed member
   * is forgotten, and a promoted one needs no promotion any more.
   */
  applyConfChange(change: ConfChange, _confState: ConfState): void {
    for (const c of change.changes) {
      if (c.type === ConfChangeType.Remove) {
        if (this.members.delete(c.nodeId)) this.membersVersion++;
        this.autoPromote.delete(c.nodeId);
      } else if (c.type === ConfChangeType.AddVoter) {
        this.autoPromote.delete(c.nodeId);
      }
    }
    if (change.context.length > 0) {
      const { member, autoPromote } = parseMemberContext(
        Buffer.from(change.context).toString('utf8'),
      );
      this.members.set(member.id, member);
      this.membersVersion++;
      if (autoPromote) this.autoPromote.add(member.id);
    }
  }

  /**
   * Executes a read-only command against local state at time `now` (the reading node's
   * clock: expired keys are invisible at once, even before the leader deletes them).
   */
  read(dbIndex: number, argv: readonly Buffer[], now: number): Result {
    const invalid = checkCommand(argv);
    if (invalid !== undefined) return invalid;
    const db = this.dbs[dbIndex];
    if (db === undefined) return new CommandError('ERR DB index is out of range');
    const d = COMMAND_DEFS.get(argv[0]!.toString('latin1').toLowerCase())!;
    if (d.kind !== 'read') return new CommandError(`ERR '${d.name}' is not a read command`);
    return d.fn(
      {
        db,
        dbs: this.dbs,
        dbIndex,
        now,
        index: this.appliedIndex,
        random: (bound) => Math.floor(Math.random() * bound),
      },
      argv,
    );
  }

  /**
   * Freezes the state for a snapshot. `serialize` must be called before the next apply: hash
   * field maps are shared with the live state (the node serializes at once, then writes the
   * bytes to disk while applies continue).
   */
  snapshot(): FsmSnapshot {
    const dbs = this.dbs.map((db) => db.entries);
    const tombstones = this.dbs.map((db) => db.tombstones);
    const members = [...this.members.values()];
    const autoPromote = [...this.autoPromote];
    const clock = this.clock;
    const image = { dbs, tombstones, members, autoPromote, clock };
    return {
      serialize: () => writeSnapshot({ ...image, merkle: this.merkle?.snapshot().serialize() }),
      serializeDeferred: () => {
        // Both frozen now, at this index; hashed, then written, between the next applies. The
        // image waits for its Merkle section so that it is written once, section included:
        // appending the section afterwards copied the whole image.
        const frozen = freezeImage(image);
        const section = this.merkle?.snapshotDeferred();
        if (section === undefined) return writeSnapshotInSlices(frozen, nextTurn);
        return section.then((merkle) => writeSnapshotInSlices({ ...frozen, merkle }, nextTurn));
      },
    };
  }

  /**
   * Replaces the state with a snapshot image. An image whose state does not reproduce the
   * Merkle roots it recorded is refused (SnapshotRootMismatchError) and the state left as it was.
   */
  restore(data: Uint8Array): void {
    this.prepareRestore(data).commit();
  }

  /**
   * The checks of `restore` without touching the state: throws as `restore` would, else returns
   * what puts the image in place. A node receiving a snapshot from the leader checks it before
   * it writes it to disk, so that a refused image never becomes this member's own.
   */
  prepareRestore(data: Uint8Array): { commit(): void } {
    const image = readSnapshot(data);
    const merkle = this.merkle?.prepareRestore(image.dbs, image.merkle);
    return {
      commit: () => {
        this.adoptImage(image, merkle);
      },
    };
  }

  private adoptImage(
    image: ReturnType<typeof readSnapshot>,
    merkle: PreparedRestore | undefined,
  ): void {
    this.dbs = Array.from({ length: DATABASES }, (_, i) => {
      const ks = new Keyspace(this.writeClock);
      for (const [k, v] of image.dbs[i] ?? []) ks.set(k, v);
      for (const [k, v] of image.tombstones[i] ?? []) ks.tombstones.set(k, v);
      return ks.observe(this.keyObserver(i));
    });
    this.members = new Map(image.members.map((m) => [m.id, m]));
    this.autoPromote = new Set(image.autoPromote);
    this.membersVersion++;
    this.clock = image.clock;
    if (merkle !== undefined) this.merkle!.adopt(merkle);
    for (const listener of this.restoreListeners) listener();
  }
}
