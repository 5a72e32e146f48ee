/**
 * The single-key register the fault tests drive through GET, SET and compare-and-set
 * (WATCH k, GET k, MULTI, SET k new, EXEC), as a model for the linearizability checker.
 *
 * A key that does not exist reads as `null`. A compare-and-set succeeds iff the register holds
 * `from`; a failed one (EXEC answered nil because the key changed after WATCH) is modelled as
 * "the register did not hold `from`". That is exact when every written value is unique, as
 * the workloads make them: a change after WATCH then always leaves a different value for a
 * while, and that while lies inside the operation's interval.
 */
import type { Operation } from './history.js';
import {
  checkLinearizable,
  type CheckOptions,
  type LinearizabilityResult,
  type Model,
} from './linearizability.js';

export type RegisterInput =
  | { readonly f: 'read' }
  | { readonly f: 'write'; readonly value: string }
  | { readonly f: 'cas'; readonly from: string; readonly to: string };

/** read: the value seen; write: nothing; cas: whether it took effect. */
export type RegisterOutput = string | null | boolean;

export type RegisterOperation = Operation<RegisterInput, RegisterOutput>;

export const registerModel: Model<string | null, RegisterInput, RegisterOutput> = {
  init: () => null,
  step: (state, input, output) => {
    switch (input.f) {
      case 'read':
        // An unknown read says nothing (the checker drops those anyway).
        return output === undefined || output === state ? { state } : undefined;
      case 'write':
        return { state: input.value };
      case 'cas':
        if (output === undefined) return { state: state === input.from ? input.to : state };
        if (output === true) return state === input.from ? { state: input.to } : undefined;
        return state !== input.from ? { state } : undefined;
    }
  },
  // A distinct prefix keeps "absent" apart from any string value.
  stateKey: (state) => (state === null ? 'n' : `v${state}`),
  readOnly: (input) => input.f === 'read',
  describeOp: (input, output) => {
    const out = output === undefined ? '?' : JSON.stringify(output);
    switch (input.f) {
      case 'read':
        return `read -> ${out}`;
      case 'write':
        return `write ${JSON.stringify(input.value)} -> ${output === undefined ? '?' : 'ok'}`;
      case 'cas':
        return `cas ${JSON.stringify(input.from)} -> ${JSON.stringify(input.to)} : ${out}`;
    }
  },
  describeState: (state) => JSON.stringify(state),
};

/** Checks a register history (any number of keys). */
export function checkRegisters(
  history: readonly RegisterOperation[],
  options: CheckOptions = {},
): LinearizabilityResult {
  return checkLinearizable(registerModel, history, options);
}
