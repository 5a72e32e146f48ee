import { encodeCommand, encodeTransaction, type WatchedKey } from '../../src/fsm/entry-codec.js';
import { KvStateMachine } from '../../src/fsm/kv-state-machine.js';
import { CommandError, Status, type Result } from '../../src/fsm/result.js';
import { index, term } from '../../src/raft/index.js';

/** Drives a KvStateMachine through encoded log entries, as every replica would. */
export class FsmDriver {
  readonly fsm = new KvStateMachine();
  nextIndex = 1;
  now = 1_000_000;

  apply(data: Buffer): Result {
    return this.fsm.apply({ index: index(this.nextIndex++), term: term(1), data });
  }

  /** Applies one command as a log entry stamped with the current time. */
  run(...argv: (string | Buffer)[]): Result {
    return this.apply(
      encodeCommand(
        this.now,
        0,
        argv.map((a) => (typeof a === 'string' ? Buffer.from(a) : a)),
      ),
    );
  }

  runIn(db: number, ...argv: string[]): Result {
    return this.apply(
      encodeCommand(
        this.now,
        db,
        argv.map((a) => Buffer.from(a)),
      ),
    );
  }

  /** A read at the current time, as a node serves it from local state. */
  read(...argv: string[]): Result {
    return this.fsm.read(
      0,
      argv.map((a) => Buffer.from(a)),
      this.now,
    );
  }

  transaction(watches: WatchedKey[], commands: string[][]): Result {
    return this.apply(
      encodeTransaction(
        this.now,
        watches,
        commands.map((argv) => ({ db: 0, argv: argv.map((a) => Buffer.from(a)) })),
      ),
    );
  }

  watch(key: string): WatchedKey {
    return {
      db: 0,
      key: Buffer.from(key),
      version: this.fsm.versionOf(0, Buffer.from(key), this.now),
    };
  }
}

/** Renders a result for compact assertions: bulk -> string, errors -> "!message". */
export function show(r: Result): unknown {
  if (r === null || typeof r === 'number' || typeof r === 'bigint') return r;
  if (Buffer.isBuffer(r)) return r.toString('latin1');
  if (r instanceof Status) return `+${r.text}`;
  if (r instanceof CommandError) return `!${r.message}`;
  return r.map(show);
}
