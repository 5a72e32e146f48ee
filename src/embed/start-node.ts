/**
 * `startNode`: one durable member of a Redraft cluster in this process, with its log and
 * snapshots in a data directory and the gRPC peer transport to the other members.
 */
import { randomInt } from 'node:crypto';
import type { ChannelCredentials, ServerCredentials } from '@grpc/grpc-js';
import { pino, type Logger } from 'pino';
import { EMPTY_CONF_STATE, nodeId } from '../raft/index.js';
import { openDataDir } from '../storage/data-dir.js';
import { GrpcTransport } from '../transport/grpc-transport.js';
import type { Codec } from './codec.js';
import { EmbeddedNode, type RedraftNode } from './node.js';
import {
  fail,
  optionalLogger,
  requireAddress,
  requireCodec,
  requireNodeId,
  requireObject,
  requireStateMachine,
  requireString,
  resolveTuning,
  type RaftTuning,
} from './options.js';
import type { AnyStateMachine, CommandOf } from './state-machine.js';

/** Credentials for the peer transport (mutual TLS between members). */
export interface PeerCredentials {
  readonly server: ServerCredentials;
  readonly client: ChannelCredentials;
}

/**
 * Options of {@link startNode}.
 *
 * @typeParam S - the application's state machine; its `apply` decides the command and result
 *   types of `propose`.
 */
export interface NodeOptions<S extends AnyStateMachine> extends RaftTuning {
  /** This member's id: a positive integer, unique in the cluster and never reused. */
  readonly id: number;
  /**
   * Every voter of the cluster and the `host:port` its peer transport listens on, this
   * member included. A new data directory is bootstrapped with these voters; a data
   * directory that already holds a log restarts with the membership it persisted, and takes
   * only the addresses from here.
   */
  readonly peers: ReadonlyMap<number, string> | Readonly<Record<number, string>>;
  /** Where to listen for peers, e.g. `0.0.0.0:7001`. Default: this member's entry in `peers`. */
  readonly listenAddress?: string;
  /** The directory for the Raft log (`raft/`) and snapshots (`snapshots/`); created if absent. */
  readonly dataDir: string;
  /**
   * The application's state machine, empty: the node restores it from the newest snapshot
   * and replays the log after it before serving.
   */
  readonly stateMachine: S;
  /** How commands are stored in the log. */
  readonly codec: Codec<CommandOf<S>>;
  /** Default: insecure. */
  readonly peerCredentials?: PeerCredentials;
  /** A pino logger for the node's own messages (elections, snapshots). Default: silent. */
  readonly logger?: Logger;
}

/**
 * Starts a durable member: opens (or creates) `dataDir`, restores the state machine from the
 * newest valid snapshot, starts listening for peers and ticking. Resolves once it runs; it
 * finds the leader (or is elected) on its own, see {@link RedraftNode.waitForLeader}.
 *
 * Throws {@link InvalidOptionsError} for options that cannot work, `StorageError` when the
 * data directory is in use by another node, `StorageCorruptError` when its contents cannot be
 * trusted, and the transport's error when the peer port cannot be bound. Nothing is left
 * running or locked after a throw.
 */
export async function startNode<S extends AnyStateMachine>(
  options: NodeOptions<S>,
): Promise<RedraftNode<S>> {
  requireObject('options', options);
  const id = requireNodeId('id', options.id);
  const peers = normalizePeers(options.peers);
  const ownAddress = peers.get(id);
  if (ownAddress === undefined) fail(`peers must include this node (id ${id})`);
  const listenAddress =
    options.listenAddress === undefined
      ? ownAddress
      : requireAddress('listenAddress', options.listenAddress, true);
  const dataDir = requireString('dataDir', options.dataDir);
  const stateMachine = requireStateMachine('stateMachine', options.stateMachine) as S;
  const codec = requireCodec('codec', options.codec) as Codec<CommandOf<S>>;
  const tuning = resolveTuning(options, 100);
  if (options.peerCredentials !== undefined)
    requireObject('peerCredentials', options.peerCredentials);
  const logger = (optionalLogger(options.logger) ?? pino({ level: 'silent' })).child({
    component: 'redraft',
    nodeId: id,
  });

  const voters = [...peers.keys()].sort((a, b) => a - b).map(nodeId);
  const opened = await openDataDir(dataDir, {
    logger,
    bootstrap: { ...EMPTY_CONF_STATE, voters },
    memberId: id,
  });
  let transport: GrpcTransport;
  try {
    if (opened.snapshot !== undefined) stateMachine.restore(opened.snapshot.data);
    transport = new GrpcTransport({
      id: nodeId(id),
      listenAddress,
      logger: logger.child({ component: 'transport' }),
      ...(options.peerCredentials === undefined ? {} : { credentials: options.peerCredentials }),
    });
  } catch (err) {
    await opened.log.close().catch(() => undefined);
    throw err;
  }
  for (const [peer, address] of peers) if (peer !== id) transport.addPeer(nodeId(peer), address);
  return EmbeddedNode.launch({
    id,
    stateMachine,
    codec,
    log: opened.log,
    snapshots: opened.snapshots,
    initialSnapshot: opened.snapshot,
    transport,
    peerAddress: () => boundAddress(transport),
    tuning,
    logger: logger.child({ component: 'node' }),
    random: (bound) => randomInt(bound),
  });
}

/** The address a gRPC transport listens on, or undefined before it is bound. */
export function boundAddress(transport: GrpcTransport): string | undefined {
  try {
    return transport.address;
  } catch {
    return undefined;
  }
}

/** `peers` as a map, every id and address checked. */
function normalizePeers(
  peers: ReadonlyMap<number, string> | Readonly<Record<number, string>> | undefined,
): Map<number, string> {
  requireObject('peers', peers);
  const entries: [unknown, unknown][] =
    peers instanceof Map ? [...peers.entries()] : Object.entries(peers as object);
  if (entries.length === 0) fail('peers must name at least this node');
  const normalized = new Map<number, string>();
  for (const [key, address] of entries) {
    if (typeof key === 'string' && !/^[1-9]\d*$/.test(key)) {
      fail(`peer ids must be positive integers, got ${JSON.stringify(key)}`);
    }
    const id = requireNodeId('a peer id', typeof key === 'string' ? Number(key) : key);
    normalized.set(id, requireAddress(`the address of peer ${id}`, address, false));
  }
  return normalized;
}
