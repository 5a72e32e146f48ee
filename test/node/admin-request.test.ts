import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RedraftError } from '../../src/errors.js';
import {
  checkAddresses,
  checkMemberId,
  decodeAdminReply,
  decodeAdminRequest,
  encodeAdminReply,
  encodeAdminRequest,
  isHostPort,
  type AdminRequest,
} from '../../src/node/admin-request.js';
import type { MemberStatus } from '../../src/node/cluster-admin.js';

const ADDRESSES = {
  peerAddr: '10.0.0.4:7000',
  respAddr: 'redraft-3.redraft:6379',
  httpAddr: '[::1]:8080',
  grpcAddr: '0.0.0.0:9090',
};

const MEMBER: MemberStatus = {
  id: 4,
  role: 'learner',
  isLeader: false,
  ...ADDRESSES,
  matchIndex: 12,
};

function badRequest(fn: () => unknown, text: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof RedraftError);
    assert.equal(err.code, 'BAD_REQUEST');
    assert.match(err.message, text);
    return true;
  });
}

describe('administrative requests between members', () => {
  it('round-trip every request', () => {
    const requests: AdminRequest[] = [
      { op: 'addLearner', id: 0, addresses: ADDRESSES },
      { op: 'join', id: 4, addresses: ADDRESSES },
      { op: 'promote', id: 4 },
      { op: 'remove', id: 1 },
      { op: 'transferLeader', to: 0 },
      { op: 'transferLeader', to: 3 },
    ];
    for (const r of requests) assert.deepEqual(decodeAdminRequest(encodeAdminRequest(r)), r);
  });

  it('refuse malformed requests (peer input) with BAD_REQUEST', () => {
    badRequest(() => decodeAdminRequest('{'), /not JSON/);
    badRequest(() => decodeAdminRequest('[]'), /unknown op/);
    badRequest(() => decodeAdminRequest('{"op":"explode"}'), /unknown op "explode"/);
    badRequest(() => decodeAdminRequest('{"op":"promote","id":"4"}'), /id is not a number/);
    badRequest(() => decodeAdminRequest('{"op":"remove","id":0}'), /positive integer/);
    badRequest(() => decodeAdminRequest('{"op":"join","id":0,"addresses":{}}'), /positive/);
    badRequest(
      () => decodeAdminRequest('{"op":"join","id":4,"addresses":{"peerAddr":"a:1"}}'),
      /invalid respAddr undefined/,
    );
    badRequest(() => decodeAdminRequest('{"op":"transferLeader","to":-1}'), /non-negative/);
  });

  it('carry the result, or the error with its stable code', () => {
    const add: AdminRequest = { op: 'addLearner', id: 4, addresses: ADDRESSES };
    assert.deepEqual(decodeAdminReply(add, encodeAdminReply({ ok: MEMBER })), MEMBER);
    const join: AdminRequest = { op: 'join', id: 4, addresses: ADDRESSES };
    assert.deepEqual(decodeAdminReply(join, encodeAdminReply({ ok: [MEMBER] })), [MEMBER]);
    const transfer: AdminRequest = { op: 'transferLeader', to: 0 };
    assert.equal(decodeAdminReply(transfer, encodeAdminReply({ ok: 2 })), 2);
    const remove: AdminRequest = { op: 'remove', id: 2 };
    assert.equal(decodeAdminReply(remove, encodeAdminReply({ ok: null })), null);

    const refused = encodeAdminReply({
      error: new RedraftError('CHANGE_IN_PROGRESS', 'another change is in progress'),
    });
    assert.throws(
      () => decodeAdminReply(remove, refused),
      (err: unknown) =>
        err instanceof RedraftError &&
        err.code === 'CHANGE_IN_PROGRESS' &&
        err.message === 'another change is in progress',
    );
    // An error that is not a RedraftError is internal; an unknown code too.
    const plain = encodeAdminReply({ error: new Error('boom') });
    assert.throws(
      () => decodeAdminReply(remove, plain),
      (err: unknown) => err instanceof RedraftError && err.code === 'INTERNAL',
    );
    assert.throws(
      () => decodeAdminReply(remove, '{"error":{"code":"NO_SUCH_CODE","message":"x"}}'),
      (err: unknown) => err instanceof RedraftError && err.code === 'INTERNAL',
    );
  });

  it('refuse answers of the wrong shape', () => {
    const transfer: AdminRequest = { op: 'transferLeader', to: 0 };
    for (const text of ['nope', '{}', '{"ok":"2"}', '{"ok":1.5}']) {
      assert.throws(
        () => decodeAdminReply(transfer, text),
        (err: unknown) => err instanceof RedraftError && err.code === 'INTERNAL',
        text,
      );
    }
    const add: AdminRequest = { op: 'addLearner', id: 4, addresses: ADDRESSES };
    assert.throws(() => decodeAdminReply(add, '{"ok":{"id":4}}'), /wrong shape/);
  });

  it('validate ids and addresses', () => {
    assert.equal(isHostPort('127.0.0.1:6379'), true);
    assert.equal(isHostPort('[2001:db8::1]:7000'), true);
    assert.equal(isHostPort('redraft-0.redraft.default.svc:6379'), true);
    for (const bad of ['', 'host', ':6379', 'host:', 'host:65536', 'a b:1', '2001:db8::1:7000']) {
      assert.equal(isHostPort(bad), false, bad);
    }
    checkMemberId(1, 'id');
    checkMemberId(0, 'id', true);
    badRequest(() => checkMemberId(0, 'member id'), /member id must be a positive integer, got 0/);
    badRequest(() => checkMemberId(2 ** 53, 'member id'), /positive integer/);
    badRequest(() => checkMemberId(Number.NaN, 'member id'), /got NaN/);
    checkAddresses(ADDRESSES);
    badRequest(
      () => checkAddresses({ ...ADDRESSES, grpcAddr: 'grpc' }),
      /invalid grpcAddr "grpc": expected host:port/,
    );
  });
});
