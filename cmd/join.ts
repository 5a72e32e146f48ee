/**
 * `redraft server --join`: a node with an empty data directory asks a running member to add it
 * as a learner (the leader promotes it to voter once it has caught up). Members may start in
 * any order (pods of a StatefulSet do), so an unreachable member, a cluster without a leader or
 * a change already in progress is retried with backoff until the deadline, logging why.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectionOptions } from 'node:tls';
import type { Logger } from 'pino';
import { RedraftError, type ErrorCode } from '../src/errors.js';
import type { MemberInfo } from '../src/fsm/entry-codec.js';
import type { MemberStatus } from '../src/node/cluster-admin.js';
import { AdminClient, AdminConnectionError } from '../src/resp/admin-client.js';

/** Refusals that say nothing ran and the same request may succeed later. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'NOT_LEADER',
  'NO_LEADER',
  'CHANGE_IN_PROGRESS',
  'PROPOSAL_DROPPED',
  'TIMEOUT',
  'SHUTTING_DOWN',
  // The outcome is unknown; asking again is safe because a join is idempotent while the new
  // learner has received nothing.
  'LEADERSHIP_LOST',
  'OUTCOME_UNKNOWN',
]);

/** Whether a failed join attempt should be retried (true) or is final (false). */
export function retryableJoinError(err: unknown): boolean {
  if (err instanceof AdminConnectionError) return true;
  return err instanceof RedraftError && RETRYABLE.has(err.code);
}

/** Exponential backoff from 250 ms, doubling, capped at 5 s. */
export function joinBackoffMs(attempt: number): number {
  return Math.min(5000, 250 * 2 ** Math.min(attempt, 5));
}

export interface JoinOptions {
  /** Any running member's RESP address. */
  readonly address: string;
  readonly password: string;
  /** TLS options when the members' RESP ports speak TLS. */
  readonly tls?: ConnectionOptions | undefined;
  /** This node: its id and advertised addresses. */
  readonly self: MemberInfo;
  readonly logger: Logger;
  /** Give up after this long. */
  readonly timeoutMs: number;
  /** Aborted when the server is told to stop while it waits. */
  readonly signal: AbortSignal;
  /** Bounds one attempt (connect and request). */
  readonly requestTimeoutMs: number;
  /**
   * Whether this node already holds state the cluster sent it. An earlier attempt whose answer
   * was lost may have added it: then "already a member" means us, and the join is done.
   */
  readonly received: () => boolean;
}

/** Asks the cluster to add this node; resolves with the members, so that it can reach them. */
export async function requestJoin(options: JoinOptions): Promise<readonly MemberStatus[]> {
  const { self, logger } = options;
  const deadline = performance.now() + options.timeoutMs;
  const { id, ...addresses } = self;
  for (let attempt = 0; ; attempt++) {
    options.signal.throwIfAborted();
    let client: AdminClient | undefined;
    try {
      client = await AdminClient.connect(options.address, {
        password: options.password,
        timeoutMs: options.requestTimeoutMs,
        tls: options.tls,
      });
      const members = await client.change({ op: 'join', id, addresses });
      logger.info({ via: options.address, attempt }, 'joined the cluster as a learner');
      return members;
    } catch (err) {
      if (err instanceof RedraftError && err.code === 'MEMBER_EXISTS' && options.received()) {
        logger.info(
          { via: options.address, attempt },
          'already joined (an earlier answer was lost)',
        );
        // The members and their addresses arrive with the log.
        return [];
      }
      const left = deadline - performance.now();
      if (!retryableJoinError(err) || left <= 0) {
        throw new Error(
          `cannot join the cluster through ${options.address}: ${(err as Error).message}`,
          { cause: err },
        );
      }
      const waitMs = Math.min(joinBackoffMs(attempt), left);
      logger.warn(
        { err, via: options.address, attempt, retryInMs: waitMs },
        'join attempt failed; retrying',
      );
      await sleep(waitMs, undefined, { signal: options.signal });
    } finally {
      client?.close();
    }
  }
}
