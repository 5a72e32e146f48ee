import { ERROR_REGISTRY, RedraftError, type ErrorCode } from '../errors.js';
import type { MemberInfo } from '../fsm/entry-codec.js';
import type { MemberAddresses, MemberStatus } from './cluster-admin.js';

/**
 * A membership or leadership change as a follower hands it to the leader. The leader runs it
 * and answers with the result or with the error's stable code, so the follower's caller sees
 * exactly what it would have seen on the leader (and each front door maps the code its way).
 */
export type AdminRequest =
  | { readonly op: 'addLearner'; readonly id: number; readonly addresses: MemberAddresses }
  | { readonly op: 'join'; readonly id: number; readonly addresses: MemberAddresses }
  | { readonly op: 'promote'; readonly id: number }
  | { readonly op: 'remove'; readonly id: number }
  | { readonly op: 'transferLeader'; readonly to: number };

/** What each request resolves with. */
export interface AdminResults {
  readonly addLearner: MemberStatus;
  /** The members after the join, so that the new member can reach them all. */
  readonly join: readonly MemberStatus[];
  readonly promote: null;
  readonly remove: null;
  /** The new leader's id. */
  readonly transferLeader: number;
}

export type AdminResult<R extends AdminRequest> = AdminResults[R['op']];

/** Hands a request to the leader and resolves with its answer (src/resp implements it). */
export interface AdminForwarder {
  /** Throws the leader's error as a {@link RedraftError} with the same code. */
  forward<R extends AdminRequest>(leader: MemberInfo, request: R): Promise<AdminResult<R>>;
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):(\d{1,5})$/;

/** Whether `s` is `host:port` (an IPv6 host in brackets), the form every address takes. */
export function isHostPort(s: string): boolean {
  const m = HOST_PORT.exec(s);
  return m !== null && Number(m[2]) <= 65535;
}

/** A member id: a positive safe integer, or 0 where the caller lets the leader choose. */
export function checkMemberId(id: number, what: string, allowZero = false): void {
  if (!Number.isSafeInteger(id) || id < (allowZero ? 0 : 1)) {
    throw new RedraftError(
      'BAD_REQUEST',
      `${what} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${String(id)}`,
    );
  }
}

export function checkAddresses(addresses: MemberAddresses): void {
  for (const [name, value] of Object.entries(addresses) as [keyof MemberAddresses, unknown][]) {
    if (typeof value !== 'string' || !isHostPort(value)) {
      throw new RedraftError(
        'BAD_REQUEST',
        `invalid ${name} ${JSON.stringify(value)}: expected host:port`,
      );
    }
  }
}

function bad(why: string): RedraftError {
  return new RedraftError('BAD_REQUEST', `malformed administrative request: ${why}`);
}

function field(o: Record<string, unknown>, key: string): number {
  const v = o[key];
  if (typeof v !== 'number') throw bad(`${key} is not a number`);
  return v;
}

function addressesOf(o: Record<string, unknown>): MemberAddresses {
  const a = o.addresses;
  if (typeof a !== 'object' || a === null) throw bad('addresses is not an object');
  const r = a as Record<string, unknown>;
  const addresses = {
    peerAddr: r.peerAddr,
    respAddr: r.respAddr,
    httpAddr: r.httpAddr,
    grpcAddr: r.grpcAddr,
  } as MemberAddresses;
  checkAddresses(addresses);
  return addresses;
}

export function encodeAdminRequest(request: AdminRequest): string {
  return JSON.stringify(request);
}

/** Parses and validates a request; throws BAD_REQUEST. Peer input: trust nothing. */
export function decodeAdminRequest(text: string): AdminRequest {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  if (typeof v !== 'object' || v === null) throw bad('not an object');
  const o = v as Record<string, unknown>;
  switch (o.op) {
    case 'addLearner':
    case 'join': {
      const id = field(o, 'id');
      checkMemberId(id, 'member id', o.op === 'addLearner');
      return { op: o.op, id, addresses: addressesOf(o) };
    }
    case 'promote':
    case 'remove': {
      const id = field(o, 'id');
      checkMemberId(id, 'member id');
      return { op: o.op, id };
    }
    case 'transferLeader': {
      const to = field(o, 'to');
      checkMemberId(to, 'transferee id', true);
      return { op: 'transferLeader', to };
    }
    default:
      throw bad(`unknown op ${JSON.stringify(o.op)}`);
  }
}

/** The leader's answer: the result, or the error with its stable code. */
export function encodeAdminReply(outcome: { ok: unknown } | { error: unknown }): string {
  if ('ok' in outcome) return JSON.stringify({ ok: outcome.ok });
  const err = outcome.error;
  const code: ErrorCode = err instanceof RedraftError ? err.code : 'INTERNAL';
  const message = err instanceof Error ? err.message : String(err);
  return JSON.stringify({ error: { code, message } });
}

/**
 * Reads the leader's answer to `request`: resolves with the result, throws its error as a
 * {@link RedraftError} with the leader's code.
 */
export function decodeAdminReply<R extends AdminRequest>(request: R, text: string): AdminResult<R> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new RedraftError('INTERNAL', 'the leader answered with something that is not JSON');
  }
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  if (typeof o.error === 'object' && o.error !== null) {
    const e = o.error as Record<string, unknown>;
    const code =
      typeof e.code === 'string' && e.code in ERROR_REGISTRY ? (e.code as ErrorCode) : 'INTERNAL';
    throw new RedraftError(code, typeof e.message === 'string' ? e.message : 'leader error');
  }
  if (!('ok' in o)) throw new RedraftError('INTERNAL', 'the leader sent neither result nor error');
  const ok = o.ok;
  const valid = (() => {
    switch (request.op) {
      case 'addLearner':
        return isMemberStatus(ok);
      case 'join':
        return Array.isArray(ok) && ok.every(isMemberStatus);
      case 'promote':
      case 'remove':
        return ok === null;
      case 'transferLeader':
        return typeof ok === 'number' && Number.isSafeInteger(ok);
    }
  })();
  if (!valid) {
    throw new RedraftError('INTERNAL', `the leader's answer to ${request.op} has the wrong shape`);
  }
  return ok as AdminResult<R>;
}

function isMemberStatus(v: unknown): v is MemberStatus {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.id === 'number' &&
    (o.role === 'voter' || o.role === 'learner') &&
    typeof o.isLeader === 'boolean' &&
    typeof o.peerAddr === 'string' &&
    typeof o.respAddr === 'string' &&
    typeof o.httpAddr === 'string' &&
    typeof o.grpcAddr === 'string' &&
    (o.matchIndex === undefined || typeof o.matchIndex === 'number')
  );
}
