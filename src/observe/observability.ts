import type { GrpcTransportStats } from '../transport/grpc-transport.js';
import { NodeHealth, type HealthSource, type Readiness } from './health.js';
import type { MetricSources, NodeMetrics } from './metrics.js';

/** What the HTTP gateway mounts: /metrics, /livez and /readyz (the BRIEF's shared contract). */
export interface GatewayObservability {
  readonly metrics: () => Promise<{ contentType: string; body: string }>;
  readonly health: { live(): boolean; ready(): Readiness };
}

export interface ObservedMember {
  readonly health: NodeHealth;
  readonly gateway: GatewayObservability;
}

/**
 * Points a member's metrics at its running node and transport and builds its health checks.
 * Call once the node exists (its metrics observers were given to storage, node and RESP when
 * they were built); the result's `gateway` goes to the HTTP gateway's options.
 */
export function observeMember(
  metrics: NodeMetrics,
  sources: {
    readonly node: HealthSource & MetricSources['node'];
    readonly transport?: { stats(): GrpcTransportStats };
    readonly merkleDiverged?: () => boolean;
  },
): ObservedMember {
  const health = new NodeHealth(sources.node);
  metrics.watch({
    node: sources.node,
    transport: sources.transport,
    ready: () => health.ready().ready,
    merkleDiverged: sources.merkleDiverged,
  });
  return {
    health,
    gateway: {
      metrics: () => metrics.scrape(),
      health: {
        live: () => health.live(),
        ready: () => health.ready(),
      },
    },
  };
}
