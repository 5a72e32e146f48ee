/**
 * A real cluster inside the test process: each member has its LevelDB log and snapshot files
 * in a temporary directory, a gRPC peer transport on loopback, the Raft driver, the key-value
 * state machine and a RESP server — assembled as cmd/server.ts does, with the same metrics
 * observers and health. In-process, so a test reads each member's metrics registry and health
 * directly (the HTTP gateway that serves them lives elsewhere).
 */
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { encodeMember, type MemberInfo } from '../../src/fsm/entry-codec.js';
import { KvStateMachine } from '../../src/fsm/kv-state-machine.js';
import type { Result } from '../../src/fsm/result.js';
import { KvService } from '../../src/node/kv-service.js';
import { RaftNode } from '../../src/node/raft-node.js';
import { IntervalTicker } from '../../src/node/ticker.js';
import { NodeMetrics } from '../../src/observe/metrics.js';
import { observeMember, type ObservedMember } from '../../src/observe/observability.js';
import { EMPTY_CONF_STATE, nodeId } from '../../src/raft/index.js';
import { respCommandNames } from '../../src/resp/dispatcher.js';
import { ClientPause } from '../../src/resp/client-pause.js';
import { RespLeaderForwarder } from '../../src/resp/leader-forwarder.js';
import { RespServer } from '../../src/resp/server.js';
import { LevelLogStorage, SnapshotStore } from '../../src/storage/index.js';
import { GrpcTransport } from '../../src/transport/grpc-transport.js';
import { freePorts } from '../e2e/harness/index.js';
import { waitFor } from '../e2e/harness/wait.js';

const TICK_MS = 25;
const ELECTION_TICKS = 10;

export interface InProcessMember {
  readonly id: number;
  readonly respPort: number;
  readonly metrics: NodeMetrics;
  readonly observed: ObservedMember;
  readonly node: RaftNode<Result>;
  readonly fsm: KvStateMachine;
  /** Whether stop() was called. */
  readonly stopped: boolean;
  stop(): Promise<void>;
}

export class InProcessCluster {
  private constructor(
    readonly dir: string,
    readonly members: readonly InProcessMember[],
  ) {}

  /**
   * `observe: false` leaves the observers out of storage, node and RESP (the registry still
   * exists, with nothing feeding it): the baseline for measuring what metrics cost.
   */
  static async start(
    size: number,
    options: { snapshotEntries?: number; observe?: boolean; sync?: boolean } = {},
  ) {
    const dir = mkdtempSync(join(tmpdir(), 'redraft-observe-'));
    const ports = await freePorts(size * 2);
    const peerAddr = (k: number): string => `127.0.0.1:${ports[k * 2]!}`;
    const voters = Array.from({ length: size }, (_, k) => nodeId(k + 1));
    const members: InProcessMember[] = [];
    try {
      for (let k = 0; k < size; k++) {
        members.push(
          await startMember(k + 1, join(dir, `node-${k + 1}`), {
            peerAddr: peerAddr(k),
            respPort: ports[k * 2 + 1]!,
            peers: voters.filter((v) => v !== k + 1).map((v) => [v, peerAddr(v - 1)] as const),
            voters,
            snapshotEntries: options.snapshotEntries ?? 10_000,
            observe: options.observe ?? true,
            sync: options.sync ?? true,
          }),
        );
      }
    } catch (err) {
      await Promise.all(members.map((m) => m.stop()));
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return new InProcessCluster(dir, members);
  }

  get running(): InProcessMember[] {
    return this.members.filter((m) => !m.stopped);
  }

  /** Waits until every running member names the same leader and knows its RESP address. */
  waitForLeader(timeoutMs = 15_000): Promise<InProcessMember> {
    return waitFor(
      'a leader known by every running member',
      () => {
        const running = this.running;
        const lead = running[0]?.node.leader ?? 0;
        const leader = running.find((m) => m.id === lead);
        if (leader === undefined || !leader.node.isLeader) return undefined;
        if (running.some((m) => m.node.leader !== lead || m.fsm.members.get(lead) === undefined))
          return undefined;
        return leader;
      },
      { timeoutMs, intervalMs: 10 },
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function startMember(
  id: number,
  dataDir: string,
  layout: {
    peerAddr: string;
    respPort: number;
    peers: readonly (readonly [number, string])[];
    voters: ReturnType<typeof nodeId>[];
    snapshotEntries: number;
    observe: boolean;
    sync: boolean;
  },
): Promise<InProcessMember> {
  const logger = pino({ level: 'silent' });
  const metrics = new NodeMetrics({ commandNames: respCommandNames(), processMetrics: false });
  const observers = layout.observe ? metrics : undefined;
  const log = await LevelLogStorage.open(join(dataDir, 'raft'), {
    logger,
    damagedTail: 'refuse',
    observer: observers?.log,
  });
  const snapshots = await SnapshotStore.open(join(dataDir, 'snapshots'), {
    logger,
    observer: observers?.snapshots,
  });
  await log.bootstrap({ ...EMPTY_CONF_STATE, voters: layout.voters });
  const fsm = new KvStateMachine();
  const transport = new GrpcTransport({ id: nodeId(id), listenAddress: layout.peerAddr, logger });
  for (const [peer, address] of layout.peers) transport.addPeer(nodeId(peer), address);
  const node = new RaftNode<Result>({
    id: nodeId(id),
    log,
    snapshots,
    initialSnapshot: undefined,
    transport,
    fsm,
    ticker: new IntervalTicker(TICK_MS),
    logger,
    random: (bound) => randomInt(bound),
    tickMs: TICK_MS,
    electionTicks: ELECTION_TICKS,
    snapshotEntries: layout.snapshotEntries,
    sync: layout.sync,
    observer: observers?.raft,
  });
  const observed = observeMember(metrics, { node, transport });
  const forwarder = new RespLeaderForwarder('', 10_000);
  const kv = new KvService(node, fsm, forwarder);
  // As cmd/server.ts: one pause for the member's clients and its expiry sweep.
  const clientPause = new ClientPause();
  const stopSweeper = kv.startExpirySweeper(() => clientPause.paused);
  const resp = new RespServer({
    host: '127.0.0.1',
    port: layout.respPort,
    kv,
    logger,
    nodeId: id,
    version: 'test',
    requirepass: '',
    routing: 'forward',
    consistency: 'linearizable',
    observer: observers?.resp,
    clientPause,
  });
  // Publishes this member's addresses in the replicated member table, as cmd/server.ts does.
  const self: MemberInfo = {
    id,
    peerAddr: layout.peerAddr,
    respAddr: `127.0.0.1:${layout.respPort}`,
    httpAddr: '127.0.0.1:0',
    grpcAddr: '127.0.0.1:0',
  };
  const publish = (): void => {
    if (node.leader !== 0 && fsm.members.get(id) === undefined) {
      node.proposeForwarded(encodeMember(self));
    }
  };
  node.onStateChange(publish);
  const republish = setInterval(publish, TICK_MS * ELECTION_TICKS);
  await node.start();
  await resp.listen();
  let stopped = false;
  return {
    id,
    respPort: layout.respPort,
    metrics,
    observed,
    node,
    fsm,
    get stopped() {
      return stopped;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(republish);
      stopSweeper();
      observed.health.markStopping();
      await resp.close();
      forwarder.close();
      await node.stop();
    },
  };
}
