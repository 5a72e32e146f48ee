import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BATCH_OK, runLoad, type KvConnection, type KvTarget } from '../../bench/load.js';

/**
 * A store that answers every request after a millisecond and counts what it was sent and what
 * is still unanswered: enough to see when the load generator sends.
 */
class CountingStore implements KvTarget {
  readonly name = 'counting store';
  readonly serverPids = [];
  sent = 0;
  unanswered = 0;

  connect(): Promise<KvConnection> {
    return Promise.resolve({
      run: async (_op, keys) => {
        this.sent += keys.length;
        this.unanswered += keys.length;
        await sleep(1);
        this.unanswered -= keys.length;
        return BATCH_OK;
      },
      close: () => Promise.resolve(),
    });
  }
}

describe('runLoad', () => {
  it('runs beforeWindow with every warm-up request answered, and sends nothing meanwhile', async () => {
    const store = new CountingStore();
    let sentBeforeWindow = -1;
    const result = await runLoad(
      store,
      { op: 'set', clients: 4, depth: 8 },
      {
        keyspace: 100,
        warmupMs: 30,
        durationMs: 60,
        beforeWindow: async () => {
          assert.equal(store.unanswered, 0, 'a warm-up request was still unanswered');
          assert.ok(store.sent > 0, 'the warm-up sent nothing');
          sentBeforeWindow = store.sent;
          await sleep(30);
          assert.equal(store.sent, sentBeforeWindow, 'a request was sent during beforeWindow');
        },
      },
    );
    assert.ok(sentBeforeWindow > 0, 'beforeWindow did not run');
    assert.equal(result.errors, 0);
    assert.ok(result.ops > 0, 'the window counted nothing');
    // Only requests sent after beforeWindow are counted (the last batches, answered after the
    // window closed, are sent but not counted).
    assert.ok(
      result.ops <= store.sent - sentBeforeWindow,
      `counted ${result.ops} of ${store.sent - sentBeforeWindow} sent in the window`,
    );
  });

  it('keeps the clients running from the warm-up into the window without beforeWindow', async () => {
    const store = new CountingStore();
    const result = await runLoad(
      store,
      { op: 'get', clients: 2, depth: 1 },
      { keyspace: 10, warmupMs: 20, durationMs: 40 },
    );
    assert.ok(result.ops > 0);
    assert.ok(result.ops < store.sent, 'warm-up requests were counted');
  });
});
