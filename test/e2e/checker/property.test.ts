/**
 * Properties of the checkers: a history made from a real sequential execution, with each
 * operation's interval stretched around the instant it took effect (so operations overlap at
 * random) and some outcomes hidden as unknown, is always accepted; and with intervals that do
 * not overlap, a single wrong read is always caught.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  TOKEN_END,
  checkAppends,
  checkCounters,
  checkRegisters,
  type AppendOperation,
  type CounterOperation,
  type RegisterInput,
  type RegisterOperation,
  type RegisterOutput,
} from './index.js';

const NUM_RUNS = Number(process.env.REDRAFT_PROPERTY_RUNS ?? 300);
/** Milliseconds between the instants two consecutive operations take effect. */
const SPACING = 10;

interface Step {
  readonly kind: 'read' | 'write' | 'cas-current' | 'cas-other';
  readonly key: number;
  readonly process: number;
  /** How far the interval reaches before and after the instant of effect. */
  readonly before: number;
  readonly after: number;
  /** Hide the outcome (writes and compare-and-sets only). */
  readonly unknown: boolean;
  /** For cas-other: which earlier value to compare against. */
  readonly pick: number;
}

const stepArb = (maxStretch: number, unknowns: boolean): fc.Arbitrary<Step> =>
  fc.record({
    kind: fc.constantFrom('read', 'write', 'cas-current', 'cas-other'),
    key: fc.nat(2),
    process: fc.nat(5),
    before: fc.double({ min: 0, max: maxStretch, noNaN: true }),
    after: fc.double({ min: 0, max: maxStretch, noNaN: true }),
    unknown: unknowns ? fc.boolean() : fc.constant(false),
    pick: fc.nat(),
  });

/** Runs the steps against a real register and records what each one saw. */
function execute(steps: readonly Step[]): RegisterOperation[] {
  const state = new Map<string, string | null>();
  const written: string[] = [];
  return steps.map((s, i): RegisterOperation => {
    const key = `k${s.key}`;
    const current = state.get(key) ?? null;
    let input: RegisterInput;
    let output: RegisterOutput;
    if (s.kind === 'read') {
      input = { f: 'read' };
      output = current;
    } else if (s.kind === 'write' || (s.kind === 'cas-current' && current === null)) {
      input = { f: 'write', value: `v${i}` };
      output = null;
      state.set(key, input.value);
    } else {
      const from =
        s.kind === 'cas-current' || written.length === 0
          ? (current ?? 'none')
          : written[s.pick % written.length]!;
      input = { f: 'cas', from, to: `v${i}` };
      output = current === from;
      if (output) state.set(key, input.to);
    }
    if (input.f !== 'read') written.push(input.f === 'write' ? input.value : input.to);
    const at = i * SPACING;
    const invoke = at - s.before;
    if (s.unknown && input.f !== 'read')
      return { process: s.process, key, input, status: 'unknown', invoke };
    return { process: s.process, key, input, status: 'ok', output, invoke, complete: at + s.after };
  });
}

describe('checker properties', () => {
  it('accepts every register history made from a sequential execution', () => {
    fc.assert(
      fc.property(
        fc.array(stepArb(4 * SPACING, true), { minLength: 1, maxLength: 40 }),
        (steps) => {
          const result = checkRegisters(execute(steps));
          assert.equal(result.result, 'ok', result.keys.map((k) => k.explanation ?? '').join('\n'));
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('rejects a sequential register history with one read changed', () => {
    fc.assert(
      fc.property(
        fc.array(stepArb(SPACING / 2 - 1, false), { minLength: 1, maxLength: 30 }),
        fc.nat(),
        (steps, which) => {
          const history = execute(steps);
          const reads = history.flatMap((op, i) => (op.input.f === 'read' ? [i] : []));
          fc.pre(reads.length > 0);
          const i = reads[which % reads.length]!;
          const op = history[i]!;
          if (op.status !== 'ok') throw new Error('unreachable');
          history[i] = { ...op, output: op.output === null ? 'never-written' : null };
          assert.equal(checkRegisters(history).result, 'illegal');
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('accepts every counter and append history made from a sequential execution', () => {
    const opArb = fc.record({
      read: fc.boolean(),
      before: fc.double({ min: 0, max: 4 * SPACING, noNaN: true }),
      after: fc.double({ min: 0, max: 4 * SPACING, noNaN: true }),
      unknown: fc.boolean(),
      effect: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (steps) => {
        let count = 0;
        let text = '';
        const counter: CounterOperation[] = [];
        const appends: AppendOperation[] = [];
        steps.forEach((s, i) => {
          const at = i * SPACING;
          const invoke = at - s.before;
          const complete = at + s.after;
          if (s.read) {
            counter.push({
              process: i,
              key: 'c',
              input: { f: 'read' },
              status: 'ok',
              output: count,
              invoke,
              complete,
            });
            appends.push({
              process: i,
              key: 'a',
              input: { f: 'read' },
              status: 'ok',
              output: text,
              invoke,
              complete,
            });
            return;
          }
          // An unknown operation may or may not have taken effect.
          const applies = !s.unknown || s.effect;
          if (applies) {
            count++;
            text += `t${i}${TOKEN_END}`;
          }
          if (s.unknown) {
            counter.push({ process: i, key: 'c', input: { f: 'incr' }, status: 'unknown', invoke });
            appends.push({
              process: i,
              key: 'a',
              input: { f: 'append', token: `t${i}` },
              status: 'unknown',
              invoke,
            });
          } else {
            counter.push({
              process: i,
              key: 'c',
              input: { f: 'incr' },
              status: 'ok',
              output: count,
              invoke,
              complete,
            });
            appends.push({
              process: i,
              key: 'a',
              input: { f: 'append', token: `t${i}` },
              status: 'ok',
              output: text.length,
              invoke,
              complete,
            });
          }
        });
        const counterResult = checkCounters(counter, new Map([['c', count]]));
        assert.ok(counterResult.ok, counterResult.keys.flatMap((k) => k.errors).join('\n'));
        const appendResult = checkAppends(appends, new Map([['a', text]]));
        assert.ok(appendResult.ok, appendResult.keys.flatMap((k) => k.errors).join('\n'));
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
