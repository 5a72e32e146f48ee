/**
 * How an application's commands are laid out in log entries, and the adapter that feeds
 * committed entries to its {@link ReplicatedStateMachine}.
 *
 * Entry layout: one kind byte, then the codec's bytes. The kind byte keeps a command that
 * encodes to nothing apart from the empty entry every new leader appends (which is not a
 * command), and leaves room for entry kinds of later versions: an entry of a kind this
 * version does not know stops the node rather than being skipped, because a replica that
 * skipped it would diverge from one that applied it.
 */
import type { ConfChange, ConfState, Entry } from '../raft/index.js';
import type { NodeStateMachine } from '../node/raft-node.js';
import type { Codec } from './codec.js';
import { InvalidCommandError } from './errors.js';
import type { ReplicatedStateMachine } from './state-machine.js';

const KIND_COMMAND = 0x01;

/** The entry bytes for an encoded command (a copy: the log keeps them by reference). */
export function commandEntry(encoded: Uint8Array): Uint8Array {
  const data = new Uint8Array(encoded.length + 1);
  data[0] = KIND_COMMAND;
  data.set(encoded, 1);
  return data;
}

/** The overhead `commandEntry` adds to an encoded command. */
export const COMMAND_ENTRY_OVERHEAD = 1;

/**
 * What the adapter hands the node for an entry whose command was rejected (by `apply`
 * throwing, or by the codec) or that is no command at all. The node passes it to the
 * proposer's waiter, which turns it into a rejection with `error`.
 */
export class Rejection {
  constructor(readonly error: unknown) {}
}

const NOT_A_COMMAND = new Rejection(new Error('not a command entry'));

/** The result a proposer receives: the state machine's, or a rejection. */
export type ApplyOutcome<Res> = Res | Rejection;

/**
 * Adapts an application's state machine to the node's contract. Membership changes are
 * tracked by the Raft core itself; the application never sees them.
 */
export function adaptStateMachine<Cmd, Res>(
  stateMachine: ReplicatedStateMachine<Cmd, Res>,
  codec: Codec<Cmd>,
): NodeStateMachine<ApplyOutcome<Res>> {
  return {
    apply(entry: Entry): ApplyOutcome<Res> {
      const data = entry.data;
      if (data.length === 0) return NOT_A_COMMAND;
      if (data[0] !== KIND_COMMAND) {
        throw new Error(
          `log entry ${entry.index} is of kind ${data[0]}, which this version does not know; stopping rather than diverging from replicas that apply it`,
        );
      }
      let command: Cmd;
      try {
        command = codec.decode(data.subarray(1));
      } catch (err) {
        return new Rejection(
          new InvalidCommandError(
            `the command at log index ${entry.index} cannot be decoded: ${messageOf(err)}`,
            { cause: err },
          ),
        );
      }
      try {
        // The entry is a CommandPosition (index, term): passed as it is, nothing allocated.
        return stateMachine.apply(command, entry);
      } catch (err) {
        return new Rejection(err);
      }
    },
    snapshot() {
      const view = stateMachine.snapshot();
      return {
        serialize(): Buffer {
          const bytes = view.serialize();
          if (!(bytes instanceof Uint8Array)) {
            throw new TypeError('the state snapshot must serialize to a Uint8Array');
          }
          return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        },
      };
    },
    restore(data: Uint8Array): void {
      stateMachine.restore(data);
    },
    applyConfChange(_change: ConfChange, _confState: ConfState): void {
      // Nothing: the application's state does not depend on membership.
    },
  };
}

/** The message of a thrown value, which need not be an Error. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
