import type { Index, Term } from '../raft/index.js';

/** A committed entry as the state machine sees it. */
export interface AppliedEntry {
  readonly index: Index;
  readonly term: Term;
  readonly data: Uint8Array;
}

/**
 * The contract between the node and its state machine (hashicorp/raft's FSM is the model):
 * - `apply` is synchronous and deterministic: no wall clock, no randomness, no iteration
 *   order that could differ between replicas. The same log gives the same state everywhere.
 * - `snapshot` is cheap: it freezes a view; `serialize` on that view may run while later
 *   entries are applied.
 * - `restore` replaces the whole state.
 */
export interface StateMachine<R> {
  apply(entry: AppliedEntry): R;
  snapshot(): FsmSnapshot;
  restore(data: Uint8Array): void;
}

export interface FsmSnapshot {
  serialize(): Buffer;
  /**
   * Optional: the same image, for a state machine with work it can finish later (the Merkle
   * root). What must be captured now is captured in the call, like `serialize`; the bytes
   * resolve when the rest is done, while later entries apply.
   */
  serializeDeferred?(): Promise<Buffer>;
}
