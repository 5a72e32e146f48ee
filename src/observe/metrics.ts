/**
 * The Prometheus metrics of one member, in a registry of its own (several members may share a
 * process, e.g. in tests). Storage, the driver and the RESP server are handed the observers
 * below; the gauges that describe state (role, term, indexes, replication lag, transport
 * counters) are read from their sources when scraped, so they cost nothing in between.
 *
 * What /metrics exposes (all names start with `redraft_` except the process metrics):
 *   raft_role{role}, raft_term, raft_leader_id, raft_commit_index, raft_applied_index,
 *   raft_first_index, raft_last_index, raft_voters, raft_learners,
 *   raft_replication_lag_entries{follower} (on the leader: its last index - the follower's
 *   match index), raft_leader_changes_total, raft_proposals_total,
 *   raft_proposals_failed_total, raft_proposals_pending, raft_proposal_duration_seconds
 *   (propose -> applied on this node), raft_apply_duration_seconds (one entry through the state
 *   machine), snapshot_duration_seconds (local: freeze -> log compacted),
 *   snapshot_size_bytes{source} (latest, local or from the leader),
 *   snapshots_installed_total, storage_persist_duration_seconds{synced} (one Ready's LevelDB
 *   write, fsync included when synced), storage_persist_entries, storage_persist_bytes,
 *   storage_snapshot_save_duration_seconds, resp_commands_total{command},
 *   resp_command_duration_seconds{command} (arrival -> reply ready), resp_connected_clients,
 *   resp_connections_total, resp_tls_handshake_failures_total, peer_* (transport counters),
 *   merkle_recompute_duration_seconds, merkle_diverged (1 when this member's root differs from
 *   the leader's), ready (1 when /readyz would say ready), and prom-client's
 *   default process and Node.js metrics (CPU, memory, event loop lag, GC, handles).
 */
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { RaftNodeObserver } from '../node/node-observer.js';
import type { RaftNode } from '../node/raft-node.js';
import type { CommandRecorder, RespObserver } from '../resp/resp-observer.js';
import type { LogStorageObserver, SnapshotStoreObserver } from '../storage/index.js';
import type { GrpcTransportStats } from '../transport/grpc-transport.js';
import {
  CollectedMetric,
  CounterCell,
  FastCounter,
  FastHistogram,
  LATENCY_BUCKETS_SECONDS,
  powerBuckets,
  type HistogramCell,
  type Sample,
} from './fast-metrics.js';

/** Records one recomputation of the Merkle root: how long it took, in milliseconds. */
export type MerkleRecomputeRecorder = (durationMs: number) => void;

/** The parts of a running member the scrape-time gauges read. */
export interface MetricSources {
  readonly node: Pick<RaftNode<unknown>, 'status' | 'applied'>;
  readonly transport?: { stats(): GrpcTransportStats };
  /** 1 when the member would answer ready (health.ts). */
  readonly ready?: () => boolean;
  /** True when this member's Merkle root differs from the leader's (it refuses reads). */
  readonly merkleDiverged?: () => boolean;
}

export interface NodeMetricsOptions {
  /** Every command name the RESP server knows (lower-case): each gets its own series; any
   *  other name a client sends is counted under `unknown`, so clients cannot grow the table. */
  readonly commandNames: Iterable<string>;
  /** prom-client's process and Node.js metrics. Default true. */
  readonly processMetrics?: boolean;
}

const ROLES = ['follower', 'pre-candidate', 'candidate', 'leader'] as const;
const UNKNOWN_COMMAND = 'unknown';
const MS = 0.001;

function gauge(value: number): Sample[] {
  return [{ value, labels: {} }];
}

export class NodeMetrics {
  readonly registry = new Registry();
  /** For LevelLogStorage's `observer` option. */
  readonly log: LogStorageObserver;
  /** For SnapshotStore's `observer` option. */
  readonly snapshots: SnapshotStoreObserver;
  /** For RaftNode's `observer` option. */
  readonly raft: RaftNodeObserver;
  /** For RespServer's `observer` option. */
  readonly resp: RespObserver;
  /** For the Merkle tree: call it after each root recomputation. */
  readonly recordMerkleRecompute: MerkleRecomputeRecorder;

  private sources: MetricSources | undefined;

  constructor(options: NodeMetricsOptions) {
    const r = this.registry;
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: r });

    // --- Raft state, read at scrape time -----------------------------------------------------
    const status = (): ReturnType<RaftNode<unknown>['status']> | undefined =>
      this.sources?.node.status();
    new CollectedMetric(
      'redraft_raft_role',
      'Raft role of this member (1 for the current one)',
      'gauge',
      () => {
        const role = status()?.role;
        return ROLES.map((r) => ({ value: r === role ? 1 : 0, labels: { role: r } }));
      },
    ).registerIn(r);
    const fromStatus = (
      name: string,
      help: string,
      pick: (s: NonNullable<ReturnType<typeof status>>) => number,
    ): void => {
      new CollectedMetric(name, help, 'gauge', () => {
        const s = status();
        return s === undefined ? [] : gauge(pick(s));
      }).registerIn(r);
    };
    fromStatus('redraft_raft_term', 'Current Raft term', (s) => s.term);
    fromStatus(
      'redraft_raft_leader_id',
      'Id of the leader this member knows (0: none)',
      (s) => s.lead,
    );
    fromStatus('redraft_raft_commit_index', 'Highest log index known committed', (s) => s.commit);
    fromStatus('redraft_raft_first_index', 'First log index still held', (s) => s.firstIndex);
    fromStatus('redraft_raft_last_index', 'Last log index held', (s) => s.lastIndex);
    fromStatus(
      'redraft_raft_voters',
      'Voting members in the configuration',
      (s) => s.config.voters.length,
    );
    fromStatus(
      'redraft_raft_learners',
      'Learners in the configuration',
      (s) => s.config.learners.length,
    );
    new CollectedMetric(
      'redraft_raft_applied_index',
      'Highest log index applied to the state machine',
      'gauge',
      () => (this.sources === undefined ? [] : gauge(this.sources.node.applied)),
    ).registerIn(r);
    new CollectedMetric(
      'redraft_raft_replication_lag_entries',
      "Leader's last index minus each follower's match index (only on the leader)",
      'gauge',
      () => {
        const s = status();
        if (s?.progress === undefined) return [];
        const out: Sample[] = [];
        for (const [id, pr] of s.progress) {
          if (id !== s.id) out.push({ value: s.lastIndex - pr.match, labels: { follower: id } });
        }
        return out;
      },
    ).registerIn(r);

    // --- The driver ----------------------------------------------------------------------------
    const leaderChanges = new FastCounter(
      'redraft_raft_leader_changes_total',
      'Times the known leader changed to a new one',
    ).registerIn(r);
    const proposals = new FastCounter(
      'redraft_raft_proposals_total',
      'Proposals this member made as leader',
    ).registerIn(r);
    const proposalsFailed = new FastCounter(
      'redraft_raft_proposals_failed_total',
      'Proposals abandoned (leadership lost, overwritten, or shutdown); their clients got errors',
    ).registerIn(r);
    const proposalDuration = new FastHistogram({
      name: 'redraft_raft_proposal_duration_seconds',
      help: 'From proposing an entry to applying it on this member',
      buckets: LATENCY_BUCKETS_SECONDS,
      scale: MS,
    }).registerIn(r);
    new CollectedMetric(
      'redraft_raft_proposals_pending',
      'Proposals waiting to be applied',
      'gauge',
      () =>
        gauge(proposals.cell.value - proposalDuration.cell().count - proposalsFailed.cell.value),
    ).registerIn(r);
    const applyDuration = new FastHistogram({
      name: 'redraft_raft_apply_duration_seconds',
      help: 'Time one committed entry takes through the state machine',
      buckets: LATENCY_BUCKETS_SECONDS,
      scale: MS,
    }).registerIn(r);
    const snapshotDuration = new FastHistogram({
      name: 'redraft_snapshot_duration_seconds',
      help: 'A local snapshot from freezing the state to the compacted log',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      scale: MS,
    }).registerIn(r);
    const snapshotSize = { local: 0, leader: 0 };
    new CollectedMetric(
      'redraft_snapshot_size_bytes',
      'Size of the latest snapshot taken here (local) or installed from the leader (leader)',
      'gauge',
      () => [
        { value: snapshotSize.local, labels: { source: 'local' } },
        { value: snapshotSize.leader, labels: { source: 'leader' } },
      ],
    ).registerIn(r);
    const installed = new FastCounter(
      'redraft_snapshots_installed_total',
      'Snapshots from the leader that replaced the local state',
    ).registerIn(r);
    this.raft = new RaftMetrics({
      leaderChanges: leaderChanges.cell,
      proposals: proposals.cell,
      failed: proposalsFailed.cell,
      proposalDuration: proposalDuration.cell(),
      applyDuration: applyDuration.cell(),
      snapshotDuration: snapshotDuration.cell(),
      installed: installed.cell,
      snapshotSize,
    });

    // --- Storage -------------------------------------------------------------------------------
    const persistDuration = new FastHistogram({
      name: 'redraft_storage_persist_duration_seconds',
      help: "One Ready's atomic LevelDB write, fsync included when synced",
      buckets: LATENCY_BUCKETS_SECONDS,
      scale: MS,
      labelName: 'synced',
      initialLabels: ['true', 'false'],
    }).registerIn(r);
    const persistEntries = new FastHistogram({
      name: 'redraft_storage_persist_entries',
      help: 'Log entries appended per durable write (group commit batch size)',
      buckets: powerBuckets(4, 8),
    }).registerIn(r);
    const persistBytes = new FastHistogram({
      name: 'redraft_storage_persist_bytes',
      help: 'Encoded bytes of the entries appended per durable write',
      buckets: powerBuckets(4, 13),
    }).registerIn(r);
    this.log = new StorageMetrics(
      persistDuration.cell('true'),
      persistDuration.cell('false'),
      persistEntries.cell(),
      persistBytes.cell(),
    );
    const snapshotSave = new FastHistogram({
      name: 'redraft_storage_snapshot_save_duration_seconds',
      help: 'Writing a snapshot file durably (write, fsync, rename, directory fsync)',
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      scale: MS,
    }).registerIn(r);
    const saveCell = snapshotSave.cell();
    this.snapshots = {
      saved: (durationMs) => {
        saveCell.observe(durationMs);
      },
    };

    // --- RESP ----------------------------------------------------------------------------------
    const commandDuration = new FastHistogram({
      name: 'redraft_resp_command_duration_seconds',
      help: 'From the arrival of a command to its reply being ready, by command',
      buckets: LATENCY_BUCKETS_SECONDS,
      scale: MS,
      labelName: 'command',
    }).registerIn(r);
    new CollectedMetric(
      'redraft_resp_commands_total',
      'Commands received, by command',
      'counter',
      () => {
        const out: Sample[] = [];
        for (const [command, cell] of commandDuration.entries()) {
          if (cell.count > 0) out.push({ value: cell.count, labels: { command } });
        }
        return out;
      },
    ).registerIn(r);
    const connected = { value: 0 };
    const connections = new FastCounter(
      'redraft_resp_connections_total',
      'Client connections accepted',
    ).registerIn(r);
    new CollectedMetric('redraft_resp_connected_clients', 'Clients connected now', 'gauge', () =>
      gauge(connected.value),
    ).registerIn(r);
    const handshakeFailures = new FastCounter(
      'redraft_resp_tls_handshake_failures_total',
      'TLS handshakes refused (plain-text clients, missing or untrusted client certificates)',
    ).registerIn(r);
    this.resp = new RespMetrics(
      commandDuration,
      options.commandNames,
      connected,
      connections.cell,
      handshakeFailures.cell,
    );

    // --- Peer transport, read at scrape time ---------------------------------------------------
    const transportCounter = (
      name: string,
      help: string,
      pick: (s: GrpcTransportStats) => number,
    ): void => {
      new CollectedMetric(name, help, 'counter', () => {
        const t = this.sources?.transport;
        return t === undefined ? [] : gauge(pick(t.stats()));
      }).registerIn(r);
    };
    transportCounter(
      'redraft_peer_messages_sent_total',
      'Raft messages written to peers',
      (s) => s.messagesSent,
    );
    transportCounter(
      'redraft_peer_bytes_sent_total',
      'Bytes of message batches written to peers',
      (s) => s.bytesSent,
    );
    transportCounter(
      'redraft_peer_messages_received_total',
      'Raft messages received from peers',
      (s) => s.messagesReceived,
    );
    transportCounter(
      'redraft_peer_messages_dropped_total',
      'Raft messages dropped before sending (peer down, queue full)',
      (s) => s.messagesDropped,
    );
    transportCounter(
      'redraft_peer_inbound_rejected_total',
      'Inbound peer streams or transfers refused for bad input',
      (s) => s.inboundRejected,
    );
    transportCounter(
      'redraft_peer_snapshots_sent_total',
      'Snapshots sent to peers',
      (s) => s.snapshotsSent,
    );
    transportCounter(
      'redraft_peer_snapshots_failed_total',
      'Snapshot transfers to peers that failed',
      (s) => s.snapshotsFailed,
    );
    transportCounter(
      'redraft_peer_snapshots_received_total',
      'Snapshots received from the leader',
      (s) => s.snapshotsReceived,
    );

    // --- Merkle and health ---------------------------------------------------------------------
    const merkle = new FastHistogram({
      name: 'redraft_merkle_recompute_duration_seconds',
      help: 'Recomputing the Merkle root over the keys changed since the last one',
      buckets: LATENCY_BUCKETS_SECONDS,
      scale: MS,
    }).registerIn(r);
    const merkleCell = merkle.cell();
    this.recordMerkleRecompute = (durationMs) => {
      merkleCell.observe(durationMs);
    };
    new CollectedMetric(
      'redraft_merkle_diverged',
      "1 when this member's Merkle root differs from the leader's at a checkpoint (it refuses reads)",
      'gauge',
      () => {
        const diverged = this.sources?.merkleDiverged;
        return diverged === undefined ? [] : gauge(diverged() ? 1 : 0);
      },
    ).registerIn(r);
    new CollectedMetric(
      'redraft_ready',
      '1 when this member is ready to serve (see /readyz)',
      'gauge',
      () => {
        const ready = this.sources?.ready;
        return ready === undefined ? [] : gauge(ready() ? 1 : 0);
      },
    ).registerIn(r);
  }

  /** Tells the scrape-time gauges where to read; until then they print nothing. */
  watch(sources: MetricSources): void {
    this.sources = sources;
  }

  /** The exposition, as the HTTP gateway serves it on /metrics. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

interface RaftCells {
  readonly leaderChanges: CounterCell;
  readonly proposals: CounterCell;
  readonly failed: CounterCell;
  readonly proposalDuration: HistogramCell;
  readonly applyDuration: HistogramCell;
  readonly snapshotDuration: HistogramCell;
  readonly installed: CounterCell;
  readonly snapshotSize: { local: number; leader: number };
}

class RaftMetrics implements RaftNodeObserver {
  constructor(private readonly cells: RaftCells) {}

  proposed(): void {
    this.cells.proposals.value++;
  }

  proposalApplied(latencyMs: number): void {
    this.cells.proposalDuration.observe(latencyMs);
  }

  proposalFailed(count: number): void {
    this.cells.failed.value += count;
  }

  entryApplied(durationMs: number): void {
    this.cells.applyDuration.observe(durationMs);
  }

  leaderChanged(): void {
    this.cells.leaderChanges.value++;
  }

  snapshotTaken(durationMs: number, bytes: number): void {
    this.cells.snapshotDuration.observe(durationMs);
    this.cells.snapshotSize.local = bytes;
  }

  snapshotInstalled(bytes: number): void {
    this.cells.installed.value++;
    this.cells.snapshotSize.leader = bytes;
  }
}

class StorageMetrics implements LogStorageObserver {
  constructor(
    private readonly synced: HistogramCell,
    private readonly unsynced: HistogramCell,
    private readonly entries: HistogramCell,
    private readonly bytes: HistogramCell,
  ) {}

  persisted(durationMs: number, entries: number, bytes: number, synced: boolean): void {
    (synced ? this.synced : this.unsynced).observe(durationMs);
    if (entries > 0) {
      this.entries.observe(entries);
      this.bytes.observe(bytes);
    }
  }
}

class RespMetrics implements RespObserver {
  /** Every known command's recorder, made up front: lookups never allocate. */
  private readonly recorders = new Map<string, CommandRecorder>();
  private readonly unknown: CommandRecorder;

  constructor(
    histogram: FastHistogram,
    commandNames: Iterable<string>,
    private readonly connected: { value: number },
    private readonly connections: CounterCell,
    private readonly handshakeFailures: CounterCell,
  ) {
    const recorder = (cell: HistogramCell): CommandRecorder => ({
      record: (durationMs) => {
        cell.observe(durationMs);
      },
    });
    for (const name of commandNames) this.recorders.set(name, recorder(histogram.cell(name)));
    this.unknown = recorder(histogram.cell(UNKNOWN_COMMAND));
  }

  command(name: string): CommandRecorder {
    return this.recorders.get(name) ?? this.unknown;
  }

  connectionOpened(): void {
    this.connected.value++;
    this.connections.value++;
  }

  connectionClosed(): void {
    this.connected.value--;
  }

  handshakeFailed(): void {
    this.handshakeFailures.value++;
  }
}
