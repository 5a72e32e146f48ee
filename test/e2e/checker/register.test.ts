import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRegisters, type RegisterOperation } from './index.js';

/** Builders for hand-written histories: [invoke, complete] in milliseconds. */
function write(
  p: number,
  value: string,
  invoke: number,
  complete: number,
  key = 'k',
): RegisterOperation {
  return {
    process: p,
    key,
    input: { f: 'write', value },
    status: 'ok',
    output: null,
    invoke,
    complete,
  };
}
function read(
  p: number,
  value: string | null,
  invoke: number,
  complete: number,
  key = 'k',
): RegisterOperation {
  return { process: p, key, input: { f: 'read' }, status: 'ok', output: value, invoke, complete };
}
function cas(
  p: number,
  from: string,
  to: string,
  ok: boolean,
  invoke: number,
  complete: number,
  key = 'k',
): RegisterOperation {
  return {
    process: p,
    key,
    input: { f: 'cas', from, to },
    status: 'ok',
    output: ok,
    invoke,
    complete,
  };
}
function unknownWrite(p: number, value: string, invoke: number, key = 'k'): RegisterOperation {
  return { process: p, key, input: { f: 'write', value }, status: 'unknown', invoke };
}
function unknownCas(p: number, from: string, to: string, invoke: number): RegisterOperation {
  return { process: p, key: 'k', input: { f: 'cas', from, to }, status: 'unknown', invoke };
}

function verdict(history: RegisterOperation[]): string {
  return checkRegisters(history).result;
}

describe('register linearizability: classic examples', () => {
  it('accepts a read concurrent with a write seeing either value (Porcupine, ok case)', () => {
    assert.equal(
      verdict([write(0, '100', 0, 100), read(1, '100', 25, 75), read(2, null, 30, 60)]),
      'ok',
    );
  });

  it('rejects new-then-old reads around a write (Porcupine, illegal case)', () => {
    // The first read sees the new value and returns before the second starts, which sees the old.
    const result = checkRegisters([
      write(0, '200', 0, 100),
      read(1, '200', 10, 30),
      read(2, null, 40, 90),
    ]);
    assert.equal(result.result, 'illegal');
    assert.match(result.keys[0]!.explanation ?? '', /no linearization/);
  });

  it('rejects a stale read after a write completed', () => {
    assert.equal(verdict([write(0, 'a', 0, 10), read(1, null, 20, 30)]), 'illegal');
  });

  it('rejects a lost write', () => {
    assert.equal(
      verdict([write(0, 'a', 0, 10), write(1, 'b', 20, 30), read(2, 'a', 40, 50)]),
      'illegal',
    );
  });

  it('rejects a value nobody wrote', () => {
    assert.equal(verdict([write(0, 'a', 0, 10), read(1, 'z', 5, 15)]), 'illegal');
  });

  it('accepts concurrent writes in either order, but only one order at a time', () => {
    const writes = [write(0, 'a', 0, 100), write(1, 'b', 0, 100)];
    assert.equal(verdict([...writes, read(2, 'a', 110, 120)]), 'ok');
    assert.equal(verdict([...writes, read(2, 'b', 110, 120)]), 'ok');
    // a, then b, then a again: the register would have to flip back.
    assert.equal(
      verdict([...writes, read(2, 'a', 110, 120), read(2, 'b', 130, 140), read(2, 'a', 150, 160)]),
      'illegal',
    );
  });

  it('treats operations that touch at an instant as concurrent', () => {
    assert.equal(verdict([write(0, 'a', 0, 10), read(1, null, 10, 20)]), 'ok');
  });

  it('accepts compare-and-set chains and rejects two winners from one value (Knossos)', () => {
    assert.equal(
      verdict([
        write(0, 'a', 0, 10),
        cas(1, 'a', 'b', true, 20, 30),
        cas(2, 'b', 'c', true, 40, 50),
        read(0, 'c', 60, 70),
      ]),
      'ok',
    );
    assert.equal(
      verdict([
        write(0, 'a', 0, 10),
        cas(1, 'a', 'b', true, 20, 30),
        cas(2, 'a', 'c', true, 40, 50),
      ]),
      'illegal',
    );
    // Concurrent CASes from the same value: at most one can win.
    assert.equal(
      verdict([
        write(0, 'a', 0, 10),
        cas(1, 'a', 'b', true, 20, 50),
        cas(2, 'a', 'c', true, 20, 50),
      ]),
      'illegal',
    );
    assert.equal(
      verdict([
        write(0, 'a', 0, 10),
        cas(1, 'a', 'b', true, 20, 50),
        cas(2, 'a', 'c', false, 20, 50),
      ]),
      'ok',
    );
  });

  it('rejects a failed compare-and-set when nothing else could have changed the value', () => {
    assert.equal(verdict([write(0, 'a', 0, 10), cas(1, 'a', 'b', false, 20, 30)]), 'illegal');
    // With a concurrent write it may have failed.
    assert.equal(
      verdict([write(0, 'a', 0, 10), cas(1, 'a', 'b', false, 20, 30), write(2, 'x', 25, 26)]),
      'ok',
    );
  });
});

describe('register linearizability: unknown outcomes', () => {
  it('lets an unknown write take effect long after its client gave up', () => {
    assert.equal(
      verdict([unknownWrite(0, 'a', 0), read(1, null, 100, 110), read(1, 'a', 500, 510)]),
      'ok',
    );
  });

  it('lets an unknown write never take effect', () => {
    assert.equal(verdict([unknownWrite(0, 'a', 0), read(1, null, 100, 110)]), 'ok');
  });

  it('never lets an unknown write take effect before it was sent', () => {
    assert.equal(verdict([read(1, 'a', 0, 10), unknownWrite(0, 'a', 20)]), 'illegal');
  });

  it('does not let an unknown write be undone once seen', () => {
    assert.equal(
      verdict([unknownWrite(0, 'a', 0), read(1, 'a', 10, 20), read(1, null, 30, 40)]),
      'illegal',
    );
  });

  it('lets an unknown compare-and-set succeed or fail', () => {
    const base = [write(0, 'a', 0, 10), unknownCas(1, 'a', 'b', 20)];
    assert.equal(verdict([...base, read(2, 'b', 30, 40)]), 'ok');
    assert.equal(verdict([...base, read(2, 'a', 30, 40)]), 'ok');
    assert.equal(verdict([...base, read(2, 'b', 30, 40), read(2, 'a', 50, 60)]), 'illegal');
  });

  it('ignores refused operations and unknown reads', () => {
    const refused: RegisterOperation = {
      process: 3,
      key: 'k',
      input: { f: 'write', value: 'z' },
      status: 'fail',
      error: 'CLUSTERDOWN',
      invoke: 0,
      complete: 1,
    };
    const lostRead: RegisterOperation = {
      process: 4,
      key: 'k',
      input: { f: 'read' },
      status: 'unknown',
      invoke: 0,
    };
    assert.equal(verdict([refused, lostRead, read(1, null, 10, 20)]), 'ok');
    assert.equal(verdict([refused, read(1, 'z', 10, 20)]), 'illegal');
  });

  it('copes with many unknown writes on one key', () => {
    const ops: RegisterOperation[] = [];
    for (let i = 0; i < 14; i++) ops.push(unknownWrite(i, `u${i}`, i));
    ops.push(read(99, 'u3', 100, 110), read(99, 'u7', 120, 130), read(99, 'u3', 140, 150));
    // u3 can take effect only once: it cannot come back after u7.
    assert.equal(verdict(ops), 'illegal');
    ops.pop();
    assert.equal(verdict(ops), 'ok');
  });
});

describe('register linearizability: keys are independent', () => {
  it('checks each key on its own and names the bad one', () => {
    const result = checkRegisters([
      write(0, 'a', 0, 10, 'good'),
      read(1, 'a', 20, 30, 'good'),
      write(0, 'a', 0, 10, 'bad'),
      read(1, null, 20, 30, 'bad'),
    ]);
    assert.equal(result.result, 'illegal');
    assert.deepEqual(
      result.keys.map((k) => [k.key, k.result]),
      [
        ['good', 'ok'],
        ['bad', 'illegal'],
      ],
    );
  });

  it('mixing two keys into one would be wrong: a read of one key does not see the other', () => {
    // Per key this is linearizable; as one register it would not be.
    assert.equal(verdict([write(0, 'a', 0, 10, 'x'), read(1, null, 20, 30, 'y')]), 'ok');
  });

  it('says undecided, not ok, when the search budget runs out', () => {
    const ops: RegisterOperation[] = [];
    for (let i = 0; i < 16; i++) ops.push(unknownWrite(i, `u${i}`, 0));
    for (let i = 0; i < 16; i++) ops.push(read(100 + i, `u${i}`, 10 + 20 * i, 20 + 20 * i));
    assert.equal(checkRegisters(ops, { maxSteps: 50 }).result, 'undecided');
  });
});
