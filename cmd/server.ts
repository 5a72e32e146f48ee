/**
 * `redraft server`: opens the data directory, restores the state machine from its newest
 * valid snapshot, starts the Raft node with its gRPC peer transport and the client servers,
 * and stops gracefully on SIGTERM/SIGINT.
 */
import { randomInt } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { encodeMember, type MemberInfo } from '../src/fsm/entry-codec.js';
import { KvStateMachine } from '../src/fsm/kv-state-machine.js';
import type { Result } from '../src/fsm/result.js';
import { bootstrapLog } from '../src/node/bootstrap.js';
import { RaftClusterAdmin } from '../src/node/cluster-admin-service.js';
import { startGateways, type Gateways } from '../src/gateway/gateways.js';
import { KvService } from '../src/node/kv-service.js';
import { MerkleService } from '../src/node/merkle-service.js';
import { sha256Backend } from '../src/merkle/sha256.js';
import { RaftNode } from '../src/node/raft-node.js';
import { IntervalTicker } from '../src/node/ticker.js';
import { createRootLogger } from '../src/observe/logger.js';
import { NodeMetrics } from '../src/observe/metrics.js';
import { observeMember } from '../src/observe/observability.js';
import { nodeId, type Snapshot } from '../src/raft/index.js';
import { RespAdminForwarder } from '../src/resp/admin-forwarder.js';
import { respCommandNames } from '../src/resp/dispatcher.js';
import { RespLeaderForwarder, leaderTlsOptions } from '../src/resp/leader-forwarder.js';
import { ClientPause } from '../src/resp/client-pause.js';
import { RespServer } from '../src/resp/server.js';
import { LevelLogStorage, SnapshotStore, StorageCorruptError } from '../src/storage/index.js';
import { GrpcTransport } from '../src/transport/grpc-transport.js';
import { parseHostPort, type ServerConfig } from './config.js';
import { requestJoin } from './join.js';
import { loadServerSecurity } from './security.js';

/** How long a joining node keeps asking before it gives up (and exits non-zero). */
const JOIN_TIMEOUT_MS = 5 * 60_000;

async function packageVersion(): Promise<string> {
  try {
    const pkg = JSON.parse(
      await readFile(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Creates the data directory if needed; a path that is not a directory is said plainly. */
async function makeDataDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new Error(`--data-dir ${dir}: exists and is not a directory`, { cause: err });
    }
    if (code === 'ENOTDIR') {
      throw new Error(`--data-dir ${dir}: part of that path is a file, not a directory`, {
        cause: err,
      });
    }
    throw new Error(`--data-dir ${dir}: cannot create it: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Runs one member until it is told to stop. Resolves with the process exit code. */
export async function runServer(config: ServerConfig): Promise<number> {
  const logger = createRootLogger({ level: config.logLevel, nodeId: config.id });
  try {
    return await serve(config, logger);
  } catch (err) {
    logger.fatal({ err }, 'redraft server failed to start');
    logger.flush();
    // Also in plain words on stderr: whoever started it by hand reads this, not the JSON.
    process.stderr.write(
      `redraft: cannot start: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    return 1;
  }
}

/** Why a serving member stops cleanly: a signal, or a client's SHUTDOWN. */
type StopReason = NodeJS.Signals | 'SHUTDOWN';

async function serve(config: ServerConfig, logger: Logger): Promise<number> {
  // Listen for signals from the start: one that arrives while the log is being opened or the
  // servers are starting is honoured (a clean shutdown once started), not the default
  // action of dying mid-write. A client's SHUTDOWN (once serving) asks for the same stop.
  let requestStop: (reason: StopReason) => void = () => undefined;
  const stopRequested = new Promise<StopReason>((resolve) => {
    requestStop = resolve;
    process.once('SIGTERM', () => {
      resolve('SIGTERM');
    });
    process.once('SIGINT', () => {
      resolve('SIGINT');
    });
  });
  const id = nodeId(config.id);
  const version = await packageVersion();
  // Metrics: storage, node and RESP report to this member's registry; observeMember (below)
  // adds health. TLS material is read now so that a bad file stops the start at once.
  const metrics = new NodeMetrics({ commandNames: respCommandNames() });
  const security = await loadServerSecurity(config);
  await makeDataDir(config.dataDir);
  const log = await LevelLogStorage.open(join(config.dataDir, 'raft'), {
    logger: logger.child({ component: 'storage' }),
    observer: metrics.log,
    // A damaged entry past the commit index may still have been acknowledged; dropping it
    // leaves this member stuck behind a leader that will never re-send it (see the header of
    // level-log-storage.ts). LevelDB itself discards a torn, never-acknowledged last batch.
    damagedTail: 'refuse',
    memberId: config.id,
  });
  const snapshots = await SnapshotStore.open(join(config.dataDir, 'snapshots'), {
    logger: logger.child({ component: 'snapshots' }),
    observer: metrics.snapshots,
  });
  // A new node either bootstraps the cluster's first membership or joins a running cluster
  // with an empty log, which the leader fills (from entry 1, or with a snapshot). A node whose
  // directory holds a log restarts with it and ignores both flags.
  const joining = log.isEmpty() && config.join !== '';
  if (log.isEmpty() && !joining) {
    const voters = [...config.initialCluster.keys()].map(nodeId);
    await bootstrapLog(log, voters);
    logger.info({ voters }, 'bootstrapped a new cluster member');
  } else if (!log.isEmpty() && config.join !== '') {
    logger.info({ join: config.join }, 'the data directory holds a log: --join is ignored');
  }

  const fsm = new KvStateMachine({
    merkle: config.merkle,
    onMerkleRecompute: metrics.recordMerkleRecompute,
  });
  let snapshot: Snapshot | undefined = await snapshots.loadLatest();
  const recorded = log.snapshotMetadata().index;
  if (snapshot === undefined && recorded > 0) {
    // Starting from an empty state machine would replay a log that no longer starts at 1.
    throw new StorageCorruptError(
      'snapshot-meta',
      `the log recorded a snapshot at index ${recorded} but ${join(config.dataDir, 'snapshots')} holds no valid snapshot file`,
    );
  }
  if (snapshot !== undefined) {
    const how = await log.adoptSnapshot(snapshot);
    fsm.restore(snapshot.data);
    snapshot = log.snapshot();
    logger.info(
      {
        index: snapshot.metadata.index,
        how,
        ...(fsm.merkle === undefined ? {} : { root: fsm.merkle.root().root.toString('hex') }),
      },
      'restored state machine from snapshot',
    );
  }

  const transport = new GrpcTransport({
    id,
    listenAddress: config.peerAddr,
    logger: logger.child({ component: 'transport' }),
    credentials: security.peerCredentials,
  });
  const peers = new Map<number, string>(config.initialCluster);
  for (const m of fsm.members.values()) peers.set(m.id, m.peerAddr);
  for (const [peer, address] of peers)
    if (peer !== config.id) transport.addPeer(nodeId(peer), address);

  const node = new RaftNode<Result>({
    id,
    log,
    snapshots,
    initialSnapshot: snapshot,
    transport,
    fsm,
    ticker: new IntervalTicker(config.tickMs),
    logger: logger.child({ component: 'node' }),
    random: (bound) => randomInt(bound),
    tickMs: config.tickMs,
    electionTicks: config.electionTicks,
    heartbeatTicks: config.heartbeatTicks,
    snapshotEntries: config.snapshotEntries,
    sync: config.sync,
    observer: metrics.raft,
  });
  // The HTTP gateway serves `observed.gateway` (metrics, livez, readyz).
  const observed = observeMember(metrics, {
    node,
    transport,
    merkleDiverged: () => fsm.merkle?.divergence !== undefined,
  });

  const self: MemberInfo = {
    id: config.id,
    peerAddr: config.advertisePeerAddr,
    respAddr: config.advertiseRespAddr,
    httpAddr: config.advertiseHttpAddr,
    grpcAddr: config.advertiseGrpcAddr,
  };
  const forwarder =
    config.routing === 'forward'
      ? new RespLeaderForwarder(
          config.requirepass,
          // Generous: a deep pipeline queued behind others on the shared connection must not
          // be mistaken for a dead leader (a dead connection fails at once anyway).
          Math.max(30_000, config.tickMs * config.electionTicks * 3),
          security.clientTls,
        )
      : undefined;
  const kv = new KvService(node, fsm, forwarder, Date.now, config.maxEntryBytes);
  // One pause for the member: CLIENT PAUSE holds its clients and its expiry sweep alike.
  const clientPause = new ClientPause();
  const stopSweeper = kv.startExpirySweeper(() => clientPause.paused);
  const electionTimeoutMs = config.tickMs * config.electionTicks;
  // A leader removing itself hands leadership over before it answers: allow for that.
  const adminForwarder = new RespAdminForwarder(
    config.requirepass,
    Math.max(30_000, electionTimeoutMs * 6),
    security.clientTls,
  );
  const admin = new RaftClusterAdmin({
    kv,
    forwarder: adminForwarder,
    logger: logger.child({ component: 'admin' }),
    electionTimeoutMs,
  });
  const stopPromotion = admin.startAutoPromotion(electionTimeoutMs / 2);
  const merkle =
    fsm.merkle === undefined
      ? undefined
      : new MerkleService(kv, {
          checkpointMs: config.merkleCheckpointMs,
          maxTags: config.merkleMaxTags,
          logger: logger.child({ component: 'merkle' }),
        });
  const stopMerkle = merkle?.start();

  // Keep the transport's peers in step with the replicated member table, and publish our
  // own addresses until the table holds them (the leader may change before it commits).
  let knownMembers = -1;
  const syncMembers = (): void => {
    if (fsm.membersVersion !== knownMembers) {
      knownMembers = fsm.membersVersion;
      for (const m of fsm.members.values()) {
        if (
          m.id !== config.id &&
          node.currentConfState.voters.concat(node.currentConfState.learners).includes(nodeId(m.id))
        ) {
          transport.addPeer(nodeId(m.id), m.peerAddr);
        }
      }
    }
  };
  const published = (): boolean =>
    JSON.stringify(fsm.members.get(config.id)) === JSON.stringify(self);
  // Only a member publishes: a removed node must not put itself back into the table.
  const isMember = (): boolean => {
    const cs = node.currentConfState;
    return cs.voters.includes(id) || cs.learners.includes(id);
  };
  const publish = (): void => {
    if (node.leader !== 0 && isMember() && !published()) {
      node.proposeForwarded(encodeMember(self));
    }
  };
  node.onApplied(syncMembers);
  node.onStateChange(publish);
  let wasMember = false;
  node.onApplied(() => {
    if (isMember()) wasMember = true;
    else if (wasMember) {
      wasMember = false;
      logger.warn(
        {},
        'this node was removed from the cluster and takes no further part: stop it, and empty its data directory before it joins again',
      );
    }
  });

  const failed = new Promise<number>((resolve) => {
    node.onFailure(() => {
      resolve(1);
    });
  });

  const respListen = parseHostPort(config.respAddr, '--resp-addr');
  const resp = new RespServer({
    host: respListen.host,
    port: respListen.port,
    kv,
    logger: logger.child({ component: 'resp' }),
    nodeId: config.id,
    version,
    requirepass: config.requirepass,
    routing: config.routing,
    consistency: config.readConsistency,
    limits: { maxBulkLength: config.protoMaxBulkLen },
    clientPause,
    slowlog: { slowerThanUs: config.slowlogLogSlowerThan, maxLen: config.slowlogMaxLen },
    tls: security.clientTls,
    observer: metrics.resp,
    admin,
    merkle,
    shutdown: () => {
      requestStop('SHUTDOWN');
    },
  });
  let bound: { host: string; port: number };
  try {
    await node.start();
    bound = await resp.listen();
  } catch (err) {
    // E.g. a port in use. A member that cannot serve clients must not linger as a voter, and
    // its ticker and peer server would keep the process alive after "cannot start".
    stopSweeper();
    stopPromotion();
    adminForwarder.close();
    stopMerkle?.();
    await node.stop().catch(() => undefined);
    throw err;
  }
  // REST and gRPC (src/gateway) over the same KvService and ClusterAdmin; up before a join
  // so that probes (/livez, /readyz) answer while this member catches up.
  const httpListen = parseHostPort(config.httpAddr, '--http-addr');
  const grpcListen = parseHostPort(config.grpcAddr, '--grpc-addr');
  let gateways: Gateways;
  try {
    gateways = await startGateways({
      kv,
      logger,
      http: httpListen,
      grpc: grpcListen,
      defaultConsistency: config.readConsistency,
      tls: security.clientTls,
      authToken: config.authToken,
      version,
      metrics: observed.gateway.metrics,
      health: observed.gateway.health,
      admin,
      prove: fsm.merkle === undefined ? undefined : (db, key, tag) => kv.prove(db, key, tag),
    });
  } catch (err) {
    stopSweeper();
    stopPromotion();
    adminForwarder.close();
    await resp.close();
    forwarder?.close();
    await node.stop().catch(() => undefined);
    throw err;
  }
  if (joining) {
    // Serving already: once added, the leader replicates to us at once.
    const stopJoining = new AbortController();
    void stopRequested.then(() => {
      stopJoining.abort();
    });
    try {
      const members = await requestJoin({
        address: config.join,
        password: config.requirepass,
        tls: security.clientTls === undefined ? undefined : leaderTlsOptions(security.clientTls),
        self,
        logger: logger.child({ component: 'join' }),
        timeoutMs: JOIN_TIMEOUT_MS,
        requestTimeoutMs: Math.max(10_000, electionTimeoutMs * 8),
        signal: stopJoining.signal,
        received: () => !log.isEmpty(),
      });
      // Our log is empty, so the member table cannot tell us where the others are yet.
      for (const m of members) {
        if (m.id !== config.id && m.peerAddr !== '') transport.addPeer(nodeId(m.id), m.peerAddr);
      }
    } catch (err) {
      stopSweeper();
      stopPromotion();
      adminForwarder.close();
      await gateways.close();
      await resp.close();
      forwarder?.close();
      await node.stop().catch(() => undefined);
      if (stopJoining.signal.aborted) return 0;
      throw err;
    }
  }
  const republish = setInterval(publish, config.tickMs * config.electionTicks);
  logger.info(
    {
      resp: `${bound.host}:${bound.port}`,
      http: `${httpListen.host}:${gateways.httpPort}`,
      grpc: `${grpcListen.host}:${gateways.grpcPort}`,
      peer: config.peerAddr,
      version,
      respTls:
        security.clientTls === undefined
          ? 'off'
          : security.clientTls.ca === undefined
            ? 'on'
            : 'mutual',
      peerTls: security.peerCredentials === undefined ? 'off' : 'mutual',
      // Which SHA-256 the Merkle tree uses, and why node:crypto when it is.
      merkleSha256: fsm.merkle === undefined ? 'off' : sha256Backend,
    },
    'redraft server started',
  );

  const outcome = await Promise.race([stopRequested, failed]);
  observed.health.markStopping();
  clearInterval(republish);
  stopSweeper();
  stopPromotion();
  adminForwarder.close();
  stopMerkle?.();
  if (typeof outcome === 'number') {
    // Fail-stop: the node could not persist; do not serve anything further, and let the
    // process end (the peer server would keep it alive).
    await gateways.close();
    await resp.close();
    forwarder?.close();
    await node.stop().catch(() => undefined);
    logger.flush();
    return outcome;
  }
  logger.info({ reason: outcome }, 'shutting down');
  // Stop taking new work, hand over leadership so the cluster does not wait for an
  // election timeout, then flush and close the log.
  await gateways.close();
  await resp.close();
  forwarder?.close();
  if (node.isLeader) {
    const handed = await node.handOverLeadership(config.tickMs * config.electionTicks);
    logger.info({ handed }, 'leadership handover');
  }
  await node.stop();
  logger.info({}, 'stopped');
  logger.flush();
  return 0;
}
