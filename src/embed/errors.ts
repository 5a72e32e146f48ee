import { RedraftError } from '../errors.js';

/**
 * The options given to `startNode` or `startCluster` cannot work; the message names the
 * option and what was wrong with it. Nothing was started.
 */
export class InvalidOptionsError extends RedraftError {
  constructor(message: string) {
    super('BAD_REQUEST', message);
  }
}

/**
 * A command or query was refused before it reached the log: it could not be encoded, it is
 * larger than `maxCommandBytes`, or an argument has the wrong type. Nothing was proposed.
 * Also the rejection of a command that was committed but could not be decoded for `apply`.
 */
export class InvalidCommandError extends RedraftError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BAD_REQUEST', message, options);
  }
}
