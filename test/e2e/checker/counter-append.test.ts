import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  TOKEN_END,
  checkAppends,
  checkCounters,
  type AppendOperation,
  type CounterOperation,
} from './index.js';

function incr(p: number, value: number, invoke: number, complete: number): CounterOperation {
  return {
    process: p,
    key: 'c',
    input: { f: 'incr' },
    status: 'ok',
    output: value,
    invoke,
    complete,
  };
}
function lostIncr(p: number, invoke: number): CounterOperation {
  return { process: p, key: 'c', input: { f: 'incr' }, status: 'unknown', invoke };
}
function readCounter(
  p: number,
  value: number | null,
  invoke: number,
  complete: number,
): CounterOperation {
  return {
    process: p,
    key: 'c',
    input: { f: 'read' },
    status: 'ok',
    output: value,
    invoke,
    complete,
  };
}

describe('counter checker', () => {
  it('accepts acknowledged and unknown increments within bounds', () => {
    const history = [
      incr(0, 1, 0, 10),
      lostIncr(1, 5),
      incr(0, 3, 20, 30),
      readCounter(2, 3, 40, 50),
    ];
    assert.equal(checkCounters(history, new Map([['c', 3]])).ok, true);
    // The unknown one may also never have happened.
    const without = [incr(0, 1, 0, 10), lostIncr(1, 5), incr(0, 2, 20, 30)];
    assert.equal(checkCounters(without, new Map([['c', 2]])).ok, true);
  });

  it('flags a lost acknowledged increment', () => {
    const result = checkCounters([incr(0, 1, 0, 10), incr(1, 2, 20, 30)], new Map([['c', 1]]));
    assert.equal(result.ok, false);
    assert.match(result.keys[0]!.errors.join('\n'), /increments lost/);
  });

  it('flags an invented increment', () => {
    const result = checkCounters([incr(0, 1, 0, 10)], new Map([['c', 2]]));
    assert.equal(result.ok, false);
    assert.match(result.keys[0]!.errors.join('\n'), /invented/);
  });

  it('flags two INCRs returning the same count', () => {
    const result = checkCounters([incr(0, 1, 0, 10), incr(1, 1, 5, 15)], new Map([['c', 2]]));
    assert.equal(result.ok, false);
    assert.match(result.keys[0]!.errors.join('\n'), /same count/);
  });

  it('flags an INCR whose count ignores increments acknowledged before it', () => {
    const result = checkCounters(
      [incr(0, 1, 0, 10), incr(0, 2, 20, 30), incr(1, 2, 40, 50)],
      new Map(),
    );
    assert.equal(result.ok, false);
  });

  it('flags a read that goes back, or counts increments not yet sent', () => {
    const back = checkCounters(
      [incr(0, 1, 0, 10), incr(0, 2, 20, 30), readCounter(1, 1, 40, 50)],
      new Map(),
    );
    assert.match(back.keys[0]!.errors.join('\n'), /went back/);
    const ahead = checkCounters([readCounter(1, 1, 0, 10), incr(0, 1, 20, 30)], new Map());
    assert.match(ahead.keys[0]!.errors.join('\n'), /had been sent/);
  });

  it('reads an absent key as zero', () => {
    assert.equal(checkCounters([lostIncr(0, 0)], new Map([['c', null]])).ok, true);
    assert.equal(checkCounters([incr(0, 1, 0, 1)], new Map([['c', null]])).ok, false);
  });
});

function app(
  p: number,
  token: string,
  length: number,
  invoke: number,
  complete: number,
): AppendOperation {
  return {
    process: p,
    key: 'a',
    input: { f: 'append', token },
    status: 'ok',
    output: length,
    invoke,
    complete,
  };
}
function lostApp(p: number, token: string, invoke: number): AppendOperation {
  return { process: p, key: 'a', input: { f: 'append', token }, status: 'unknown', invoke };
}
function readApp(
  p: number,
  value: string | null,
  invoke: number,
  complete: number,
): AppendOperation {
  return {
    process: p,
    key: 'a',
    input: { f: 'read' },
    status: 'ok',
    output: value,
    invoke,
    complete,
  };
}
const joined = (...tokens: string[]): string => tokens.map((t) => t + TOKEN_END).join('');

function appendErrors(history: AppendOperation[], final: string | null): string {
  const result = checkAppends(history, new Map([['a', final]]));
  return result.ok ? '' : result.keys.flatMap((k) => k.errors).join('\n');
}

describe('append checker', () => {
  it('accepts concurrent appends in either order, unknown ones present or not', () => {
    const history = [
      app(0, 'x', 2, 0, 10),
      app(1, 'y', 4, 5, 30),
      app(2, 'z', 6, 6, 31),
      lostApp(3, 'u', 40),
      readApp(4, joined('x', 'y'), 30.5, 30.6),
    ];
    assert.equal(appendErrors(history, joined('x', 'y', 'z')), '');
    assert.equal(appendErrors(history, joined('x', 'y', 'z', 'u')), '');
  });

  it('flags a lost acknowledged append', () => {
    assert.match(
      appendErrors([app(0, 'x', 2, 0, 10), app(1, 'y', 4, 20, 30)], joined('y')),
      /missing/,
    );
  });

  it('flags a duplicated append', () => {
    assert.match(appendErrors([app(0, 'x', 2, 0, 10)], joined('x', 'x')), /appears twice/);
  });

  it('flags an append nobody sent and one that was refused', () => {
    assert.match(appendErrors([app(0, 'x', 2, 0, 10)], joined('x', 'q')), /no client appended/);
    const refused: AppendOperation = {
      process: 1,
      key: 'a',
      input: { f: 'append', token: 'r' },
      status: 'fail',
      error: 'CLUSTERDOWN',
      invoke: 0,
      complete: 1,
    };
    assert.match(appendErrors([refused], joined('r')), /refused/);
  });

  it('flags appends reordered against the order clients observed', () => {
    // x acknowledged before y was sent, yet y comes first.
    const errors = appendErrors([app(0, 'x', 4, 0, 10), app(1, 'y', 2, 20, 30)], joined('y', 'x'));
    assert.match(errors, /acknowledged before it was sent/);
  });

  it('flags an append whose reply length disagrees with the final value', () => {
    assert.match(
      appendErrors([app(0, 'x', 2, 0, 10), app(1, 'y', 2, 0, 10)], joined('x', 'y')),
      /replied length/,
    );
  });

  it('flags reads that are not prefixes, that miss acknowledged appends, or see the future', () => {
    const base = [app(0, 'x', 2, 0, 10), app(0, 'y', 4, 20, 30)];
    assert.match(
      appendErrors([...base, readApp(1, joined('y'), 40, 50)], joined('x', 'y')),
      /not a prefix/,
    );
    assert.match(
      appendErrors([...base, readApp(1, joined('x'), 40, 50)], joined('x', 'y')),
      /misses/,
    );
    assert.match(
      appendErrors([...base, readApp(1, joined('x', 'y'), 12, 15)], joined('x', 'y')),
      /sent only after/,
    );
  });

  it('flags a value cut in the middle of a token', () => {
    assert.match(appendErrors([app(0, 'xyz', 4, 0, 10)], 'xyz;xy'), /whole token/);
  });
});
