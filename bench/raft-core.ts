/**
 * Throughput of the Raft core alone: a 3-node in-memory cluster on one thread, the leader
 * proposing 64-byte entries in batches, every Ready persisted to MemoryStorage, every message
 * delivered. Reports committed entries per second and CPU time per entry. Not a test: run it
 * with `npm run bench:raft` on a quiet machine.
 *
 *   REDRAFT_BENCH_SECONDS  duration of each measurement (default 5)
 *   REDRAFT_BENCH_BATCH    proposals between two Readies (default 256)
 */
import { cpuUsage, hrtime } from 'node:process';
import {
  MemoryStorage,
  RawNode,
  nodeId,
  seededRandom,
  type ConfState,
  type Message,
  type NodeId,
} from '../src/raft/index.js';

const seconds = Number(process.env.REDRAFT_BENCH_SECONDS ?? 5);
const batch = Number(process.env.REDRAFT_BENCH_BATCH ?? 256);
const payload = new Uint8Array(64).fill(7);

interface BenchNode {
  raw: RawNode;
  storage: MemoryStorage;
  applied: number;
}

function makeCluster(): Map<NodeId, BenchNode> {
  const voters = [nodeId(1), nodeId(2), nodeId(3)];
  const cs: ConfState = {
    voters,
    learners: [],
    votersOutgoing: [],
    learnersNext: [],
    autoLeave: false,
  };
  const nodes = new Map<NodeId, BenchNode>();
  for (const id of voters) {
    const storage = MemoryStorage.bootstrap(cs);
    const raw = new RawNode({
      id,
      storage,
      electionTick: 10,
      heartbeatTick: 1,
      maxSizePerMsg: 1024 * 1024,
      maxInflightMsgs: 256,
      checkQuorum: true,
      preVote: true,
      random: seededRandom(id),
    });
    nodes.set(id, { raw, storage, applied: 0 });
  }
  return nodes;
}

/** One round: every node handles its Ready; then every message is delivered. */
function pump(nodes: Map<NodeId, BenchNode>): boolean {
  let moved = false;
  const outbox: Message[] = [];
  for (const node of nodes.values()) {
    if (!node.raw.hasReady()) continue;
    moved = true;
    const rd = node.raw.ready();
    node.storage.append(rd.entries);
    if (rd.hardState !== undefined) node.storage.setHardState(rd.hardState);
    for (const m of rd.earlyMessages) outbox.push(m);
    for (const m of rd.messages) outbox.push(m);
    node.applied += rd.committedEntries.length;
    node.raw.advance(rd);
  }
  for (const m of outbox) nodes.get(m.to)!.raw.step(m);
  return moved || outbox.length > 0;
}

function compactIfLong(node: BenchNode): void {
  // Keep memory flat during long runs, as the real node does after snapshots.
  const applied = node.raw.raft.raftLog.applied;
  if (applied - node.storage.firstIndex() > 200_000) {
    node.storage.createSnapshot(applied, node.storage.initialState().confState);
    node.storage.compact(applied);
  }
}

function run(): void {
  const nodes = makeCluster();
  const leader = nodes.get(nodeId(1))!;
  leader.raw.campaign();
  while (pump(nodes));
  if (leader.raw.raft.role !== 'leader') throw new Error('node 1 did not become leader');

  const startApplied = leader.applied;
  const startCpu = cpuUsage();
  const start = hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  let rounds = 0;
  while (hrtime.bigint() < deadline) {
    for (let i = 0; i < 64; i++) {
      for (let j = 0; j < batch; j++) leader.raw.propose(payload);
      // Two pumps per batch: the leader's append reaches followers, acks come back and
      // the commit is applied one round later, as pipelined in a real cluster.
      pump(nodes);
      pump(nodes);
      rounds++;
    }
    for (const node of nodes.values()) compactIfLong(node);
  }
  while (pump(nodes));
  const elapsedSec = Number(hrtime.bigint() - start) / 1e9;
  const cpu = cpuUsage(startCpu);
  const committed = leader.applied - startApplied;
  const cpuSec = (cpu.user + cpu.system) / 1e6;
  const perSec = committed / elapsedSec;
  const cpuPerEntryUs = (cpuSec / committed) * 1e6;
  console.log(`raft core, 3 nodes on one thread, ${payload.length}-byte entries, batch ${batch}`);
  console.log(
    `  committed entries : ${committed} in ${elapsedSec.toFixed(2)} s (${rounds} batches)`,
  );
  console.log(`  throughput        : ${Math.round(perSec).toLocaleString('en-US')} entries/s`);
  console.log(`  CPU per entry     : ${cpuPerEntryUs.toFixed(2)} us (all three nodes, one core)`);
  for (const [id, node] of nodes) {
    if (node.applied < committed) throw new Error(`node ${id} applied only ${node.applied}`);
  }
}

run();
