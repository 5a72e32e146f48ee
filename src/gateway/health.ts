import type { MemberInfo } from '../fsm/entry-codec.js';
import type { KvService } from '../node/kv-service.js';

/** Liveness and readiness as the observe helper provides them (the gateways mount them). */
export interface HealthProbe {
  live(): boolean;
  ready(): { ready: boolean; reason: string };
}

/** Prometheus exposition, as the observe helper provides it. */
export type MetricsSource = () => Promise<{ contentType: string; body: string }>;

/**
 * Health from the Raft node alone, for when no richer probe is wired in. Live while the
 * process answers. Ready when a leader is known and this node has applied everything it
 * knows to be committed: its reads are then no staler than the leader's heartbeat.
 */
export function raftHealth(kv: KvService): HealthProbe {
  return {
    live: () => true,
    ready: () => {
      if (kv.node.leader === 0) return { ready: false, reason: 'no leader is known' };
      const commit = kv.node.commitIndex;
      const applied = kv.node.applied;
      if (applied < commit) {
        return {
          ready: false,
          reason: `applied index ${applied} is behind the commit index ${commit}`,
        };
      }
      return { ready: true, reason: `leader ${kv.node.leader}, applied through ${applied}` };
    },
  };
}

/**
 * The leader's published addresses when a client should go there instead: a leader is known
 * and it is not this node.
 */
export function leaderHint(kv: KvService): MemberInfo | undefined {
  if (kv.node.isLeader) return undefined;
  return kv.leaderInfo();
}
