/**
 * The application's side of an embedded Redraft node: a deterministic state machine that
 * the node feeds every committed command, in log order, on every replica.
 */

/** Where a command sits in the log. */
export interface CommandPosition {
  /** The log index of the entry; strictly increasing across `apply` calls. */
  readonly index: number;
  /** The Raft term of the leader that appended it. */
  readonly term: number;
}

/** A frozen view of the state, turned into bytes later (see {@link ReplicatedStateMachine}). */
export interface StateSnapshot {
  /** The whole state as of the moment `snapshot()` was called. */
  serialize(): Uint8Array;
}

/**
 * The contract between a Redraft node and the state it replicates (hashicorp/raft's FSM is
 * the model).
 *
 * - `apply` is synchronous and deterministic: it never reads the wall clock, draws random
 *   numbers or depends on iteration order that could differ between replicas, so that the
 *   same log yields the same state everywhere. Time and randomness a command needs travel
 *   inside the command (the proposer picks them).
 * - `apply` may reject a command by throwing, before it changes anything: every replica
 *   throws the same way, so the entry is a no-op everywhere, and the proposer's `propose`
 *   rejects with the thrown error. A throw after a partial change leaves the replicas as
 *   consistent as the change was deterministic, so validate first.
 * - `snapshot` is cheap: it freezes a view (a copy, or a copy-on-write reference), and the
 *   node may call `serialize` on that view while later commands are applied.
 * - `restore` replaces the whole state with one that `serialize` produced, on this replica
 *   or another (a lagging follower is sent the leader's snapshot).
 * - Reads (`RedraftNode.read`) call into the same object between applies; they must not
 *   change it.
 *
 * @typeParam Cmd - the commands it applies (encoded in the log by a {@link Codec}).
 * @typeParam Res - what applying one returns to the proposer.
 */
export interface ReplicatedStateMachine<Cmd, Res> {
  apply(command: Cmd, position: CommandPosition): Res;
  snapshot(): StateSnapshot;
  restore(data: Uint8Array): void;
}

/**
 * Any state machine, whatever its command and result types: the constraint of the generic
 * parameters below. (`never` accepts every command type: a function of `Cmd` is a function
 * of `never`.)
 */
export type AnyStateMachine = ReplicatedStateMachine<never, unknown>;

/** The command type of state machine `S`. */
export type CommandOf<S extends AnyStateMachine> = Parameters<S['apply']>[0];

/** The result type of state machine `S`. */
export type ResultOf<S extends AnyStateMachine> = ReturnType<S['apply']>;
