import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesCodec, jsonCodec, utf8Codec } from '../../src/index.js';
import { Rejection, adaptStateMachine, commandEntry } from '../../src/embed/command-log.js';
import { EntryType, index, term, type Entry } from '../../src/raft/index.js';
import { OrderedLog, Refused, type LogCommand } from './helpers.js';

function entry(i: number, data: Uint8Array): Entry {
  return { index: index(i), term: term(1), type: EntryType.Normal, data };
}

describe('codecs', () => {
  it('round-trip their values', () => {
    const json = jsonCodec<{ a: number[]; b: string | null }>();
    const value = { a: [1, 2], b: null };
    assert.deepEqual(json.decode(json.encode(value)), value);
    assert.equal(utf8Codec.decode(utf8Codec.encode('héllo ✓')), 'héllo ✓');
    const bytes = Uint8Array.of(0, 255, 7);
    assert.deepEqual(bytesCodec.decode(bytesCodec.encode(bytes)), bytes);
  });

  it('refuse values they cannot carry', () => {
    assert.throws(
      () => jsonCodec<undefined>().encode(undefined),
      /cannot encode undefined as JSON/,
    );
    assert.throws(() => utf8Codec.encode(5 as unknown as string), /expected a string, got number/);
    assert.throws(() => bytesCodec.encode('x' as unknown as Uint8Array), /expected a Uint8Array/);
    assert.throws(() => utf8Codec.decode(Uint8Array.of(0xff)), TypeError, 'not UTF-8');
    assert.throws(() => jsonCodec().decode(new TextEncoder().encode('{')), SyntaxError);
  });
});

describe('the command log adapter', () => {
  const codec = jsonCodec<LogCommand>();
  const encode = (c: LogCommand): Uint8Array => commandEntry(codec.encode(c));

  it('applies commands with their position, and tells an empty command from an empty entry', () => {
    const strings = new OrderedLog();
    const fsm = adaptStateMachine(
      {
        apply: (s: string, at) => strings.apply({ append: s }, at),
        snapshot: () => strings.snapshot(),
        restore: (d) => {
          strings.restore(d);
        },
      },
      utf8Codec,
    );
    assert.equal(fsm.apply(entry(3, commandEntry(new Uint8Array(0)))), 1, 'the empty string');
    assert.ok(fsm.apply(entry(4, new Uint8Array(0))) instanceof Rejection, 'a leader no-op');
    assert.deepEqual(strings.items, ['']);
    assert.deepEqual(strings.indexes, [3]);
  });

  it('turns a throwing apply or an undecodable command into a rejection', () => {
    const log = new OrderedLog();
    const fsm = adaptStateMachine(log, codec);
    const refused = fsm.apply(entry(1, encode({ refuse: 'no' })));
    assert.ok(refused instanceof Rejection && refused.error instanceof Refused);
    const garbled = fsm.apply(entry(2, commandEntry(Uint8Array.of(0x7b))));
    assert.ok(garbled instanceof Rejection);
    assert.match(String(garbled.error), /the command at log index 2 cannot be decoded/);
    assert.equal(fsm.apply(entry(3, encode({ append: 'ok' }))), 1);
  });

  it('stops on an entry kind it does not know rather than skipping it', () => {
    const fsm = adaptStateMachine(new OrderedLog(), codec);
    assert.throws(() => fsm.apply(entry(9, Uint8Array.of(0x02, 1))), /log entry 9 is of kind 2/);
  });

  it('snapshots and restores through the state machine', () => {
    const source = new OrderedLog();
    const fsm = adaptStateMachine(source, codec);
    fsm.apply(entry(1, encode({ append: 'a' })));
    const frozen = fsm.snapshot();
    fsm.apply(entry(2, encode({ append: 'b' })));
    const target = new OrderedLog();
    adaptStateMachine(target, codec).restore(frozen.serialize());
    assert.deepEqual(target.items, ['a'], 'the snapshot is the state when it was taken');
  });
});
