import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { joinBackoffMs, retryableJoinError } from '../../cmd/join.js';
import { RedraftError } from '../../src/errors.js';
import { AdminConnectionError } from '../../src/resp/admin-client.js';

describe('redraft server --join retries', () => {
  it('retries while the cluster cannot answer yet, and stops at a refusal', () => {
    assert.equal(retryableJoinError(new AdminConnectionError('ECONNREFUSED')), true);
    for (const code of [
      'NO_LEADER',
      'NOT_LEADER',
      'CHANGE_IN_PROGRESS',
      'LEADERSHIP_LOST',
    ] as const) {
      assert.equal(retryableJoinError(new RedraftError(code, 'x')), true, code);
    }
    for (const code of ['MEMBER_EXISTS', 'INVALID_CHANGE', 'BAD_REQUEST', 'INTERNAL'] as const) {
      assert.equal(retryableJoinError(new RedraftError(code, 'x')), false, code);
    }
    assert.equal(retryableJoinError(new Error('bug')), false);
  });

  it('backs off exponentially up to a few seconds', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 50].map(joinBackoffMs),
      [250, 500, 1000, 2000, 4000, 5000, 5000, 5000],
    );
  });
});
