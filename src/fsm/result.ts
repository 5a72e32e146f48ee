/**
 * What applying a command returns to its proposer. Neutral about the wire: the RESP, gRPC
 * and REST front ends each map it to their own encoding.
 */

/** A status reply such as OK or QUEUED (RESP simple string). */
export class Status {
  constructor(readonly text: string) {}
}

/**
 * A command-level error, carrying Redis's own text including its prefix
 * (`ERR ...`, `WRONGTYPE ...`): clients parse these.
 */
export class CommandError {
  constructor(readonly message: string) {}
}

export type Result = null | number | bigint | Buffer | Status | CommandError | readonly Result[];

export const OK = new Status('OK');
export const WRONGTYPE = new CommandError(
  'WRONGTYPE Operation against a key holding the wrong kind of value',
);
export const NOT_INTEGER = new CommandError('ERR value is not an integer or out of range');
export const SYNTAX_ERROR = new CommandError('ERR syntax error');

export function wrongArity(command: string): CommandError {
  return new CommandError(`ERR wrong number of arguments for '${command.toLowerCase()}' command`);
}
