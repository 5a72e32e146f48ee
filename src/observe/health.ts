/**
 * Liveness and readiness of one member, as the HTTP gateway serves them on /livez and /readyz
 * (and Kubernetes probes them).
 *
 * Live: the process works — the node has not stopped itself after a storage or apply failure
 * (fail-stop). A member that is merely behind or without a leader is live: restarting it would
 * not help.
 *
 * Ready: worth sending clients to. A leader is known, this member has applied every entry up
 * to the commit index it last heard of (its reads are as fresh as the cluster's), it is not
 * shutting down, and no alarm is raised. The node applies committed entries as soon as it
 * learns of them, so a healthy member is behind only for the moment of a catch-up (restart
 * replay, snapshot install), not under ordinary load.
 */
import type { RaftNode } from '../node/raft-node.js';

export interface Readiness {
  readonly ready: boolean;
  /** Why not, or what "ready" rests on; for operators reading /readyz. */
  readonly reason: string;
}

/** The parts of the node health reads; all cheap getters. */
export type HealthSource = Pick<
  RaftNode<unknown>,
  'leader' | 'applied' | 'commitIndex' | 'failure'
>;

export class NodeHealth {
  private stopping = false;
  /** Raised alarms by name, with their reasons. */
  private readonly alarms = new Map<string, string>();

  constructor(private readonly node: HealthSource) {}

  live(): boolean {
    return this.node.failure === undefined;
  }

  ready(): Readiness {
    const failure = this.node.failure;
    if (failure !== undefined) return { ready: false, reason: `node failed: ${failure.message}` };
    if (this.stopping) return { ready: false, reason: 'shutting down' };
    const alarm = this.alarms.entries().next();
    if (alarm.done !== true) {
      const [name, reason] = alarm.value;
      return { ready: false, reason: `alarm ${name}: ${reason}` };
    }
    const leader = this.node.leader;
    if (leader === 0) return { ready: false, reason: 'no leader known' };
    const applied = this.node.applied;
    const commit = this.node.commitIndex;
    if (applied < commit) {
      return {
        ready: false,
        reason: `catching up: applied index ${applied} is behind commit index ${commit}`,
      };
    }
    return { ready: true, reason: `leader ${leader}; applied up to commit index ${commit}` };
  }

  /** The member is shutting down: stop sending it clients. Not undone. */
  markStopping(): void {
    this.stopping = true;
  }

  /**
   * Makes the member unready until {@link clearAlarm} with the same name: for a component
   * that finds the state it serves untrustworthy, e.g. the Merkle tree finding a root that
   * disagrees with the cluster's. Raising it again replaces the reason.
   */
  raiseAlarm(name: string, reason: string): void {
    this.alarms.set(name, reason);
  }

  clearAlarm(name: string): void {
    this.alarms.delete(name);
  }

  /** Alarms raised now, by name. */
  activeAlarms(): ReadonlyMap<string, string> {
    return this.alarms;
  }
}
