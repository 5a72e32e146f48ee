/**
 * Bad input to the embedding API: every option that cannot work is refused by name with an
 * InvalidOptionsError before anything is opened, bound or created.
 */
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  InvalidOptionsError,
  RedraftError,
  jsonCodec,
  startCluster,
  startNode,
  type ClusterOptions,
  type NodeOptions,
} from '../../src/index.js';
import { tempDir } from '../storage/helpers.js';
import { OrderedLog, type LogCommand } from './helpers.js';

let root = '';
let cleanup: () => Promise<void> = () => Promise.resolve();

before(async () => {
  ({ dir: root, cleanup } = await tempDir('embed-options'));
});

after(async () => {
  await cleanup();
});

function nodeOptions(): NodeOptions<OrderedLog> {
  return {
    id: 1,
    peers: { 1: '127.0.0.1:7001', 2: '127.0.0.1:7002', 3: '127.0.0.1:7003' },
    dataDir: join(root, 'never-created'),
    stateMachine: new OrderedLog(),
    codec: jsonCodec<LogCommand>(),
  };
}

/** Starts a node with `change` applied to valid options; it must be refused with `message`. */
async function refusedNode(change: Record<string, unknown>, message: RegExp): Promise<void> {
  const options = { ...nodeOptions(), ...change } as NodeOptions<OrderedLog>;
  await assert.rejects(startNode(options), (err: unknown) => {
    assert.ok(err instanceof InvalidOptionsError, `got ${String(err)}`);
    assert.equal(err.code, 'BAD_REQUEST');
    assert.match(err.message, message);
    return true;
  });
  await assert.rejects(access(join(root, 'never-created')), 'nothing was created on disk');
}

function clusterOptions(): ClusterOptions<OrderedLog> {
  return { size: 3, stateMachine: () => new OrderedLog(), codec: jsonCodec<LogCommand>() };
}

async function refusedCluster(change: Record<string, unknown>, message: RegExp): Promise<void> {
  const options = { ...clusterOptions(), ...change } as ClusterOptions<OrderedLog>;
  await assert.rejects(startCluster(options), (err: unknown) => {
    assert.ok(err instanceof InvalidOptionsError, `got ${String(err)}`);
    assert.match(err.message, message);
    return true;
  });
}

describe('startNode refuses options that cannot work', () => {
  it('without an options object', async () => {
    await assert.rejects(
      startNode(undefined as unknown as NodeOptions<OrderedLog>),
      /options must be an object/,
    );
  });

  it('with a bad id', async () => {
    await refusedNode({ id: 0 }, /^id must be an integer >= 1, got 0$/);
    await refusedNode({ id: 1.5 }, /^id must be an integer >= 1, got 1.5$/);
    await refusedNode({ id: '1' }, /^id must be an integer >= 1, got "1"$/);
  });

  it('with peers that are missing, empty, without this node, or badly addressed', async () => {
    await refusedNode({ peers: undefined }, /^peers must be an object$/);
    await refusedNode({ peers: {} }, /peers must name at least this node/);
    await refusedNode({ id: 4 }, /^peers must include this node \(id 4\)$/);
    await refusedNode(
      { peers: { 1: '127.0.0.1:7001', x: 'h:1' } },
      /peer ids must be positive integers, got "x"/,
    );
    await refusedNode(
      { peers: new Map([[1, 'localhost']]) },
      /^the address of peer 1 must be "host:port" with a port 1\.\.65535, got "localhost"$/,
    );
    await refusedNode({ peers: { 1: 'h:70000' } }, /address of peer 1 must be "host:port"/);
    await refusedNode({ peers: { 1: 'h:0' } }, /address of peer 1 must be "host:port"/);
    await refusedNode(
      { peers: { 1: 7001 } },
      /address of peer 1 must be a "host:port" string, got 7001/,
    );
    await refusedNode({ listenAddress: 'nowhere' }, /^listenAddress must be "host:port"/);
  });

  it('without a data directory, state machine or codec', async () => {
    await refusedNode({ dataDir: '' }, /^dataDir must be a non-empty string, got ""$/);
    await refusedNode({ stateMachine: undefined }, /^stateMachine must be an object$/);
    await refusedNode(
      { stateMachine: { apply: () => 1, snapshot: () => ({}) } },
      /^stateMachine must have a method restore\(\)$/,
    );
    await refusedNode(
      { codec: { encode: () => new Uint8Array() } },
      /^codec must have a method decode\(\)$/,
    );
  });

  it('with timing or limits that cannot work', async () => {
    await refusedNode({ tickMs: 0 }, /^tickMs must be an integer 1\.\.60000, got 0$/);
    await refusedNode(
      { electionTicks: 3, heartbeatTicks: 3 },
      /heartbeatTicks \(3\) must be below electionTicks \(3\)/,
    );
    await refusedNode({ snapshotEntries: -1 }, /^snapshotEntries must be an integer >= 1/);
    await refusedNode(
      { maxCommandBytes: 64 * 1024 * 1024 },
      /^maxCommandBytes must be an integer 1\.\.66060288/,
    );
    await refusedNode({ sync: 'yes' }, /^sync must be a boolean, got "yes"$/);
    await refusedNode({ logger: console }, /^logger must be a pino logger/);
  });
});

describe('startCluster refuses options that cannot work', () => {
  it('with a bad size, factory, transport or storage', async () => {
    await refusedCluster({ size: 0 }, /^size must be an integer 1\.\.15, got 0$/);
    await refusedCluster({ size: 16 }, /^size must be an integer 1\.\.15, got 16$/);
    await refusedCluster({ stateMachine: new OrderedLog() }, /^stateMachine must be a function/);
    await refusedCluster({ codec: null }, /^codec must be an object$/);
    await refusedCluster({ transport: 'tcp' }, /^transport must be "memory" or "grpc", got "tcp"$/);
    await refusedCluster({ storage: 'ssd' }, /^storage must be "memory" or "disk", got "ssd"$/);
    await refusedCluster({ dataDir: root }, /^dataDir needs storage: "disk"$/);
    await refusedCluster({ host: '0.0.0.0' }, /^host needs transport: "grpc"$/);
    await refusedCluster(
      { electionTicks: 1 },
      /^electionTicks must be an integer 2\.\.10000, got 1$/,
    );
  });

  it('with a factory that makes something other than a state machine', async () => {
    await refusedCluster(
      { stateMachine: () => ({ apply: () => 0 }) },
      /^the state machine made for node 1 must have a method snapshot\(\)$/,
    );
  });

  it('and its methods refuse unknown members and misuse', async () => {
    const cluster = await startCluster({ ...clusterOptions(), size: 1 });
    try {
      assert.throws(
        () => cluster.node(2),
        (err: unknown) =>
          err instanceof RedraftError &&
          err.code === 'BAD_REQUEST' &&
          err.message === 'no node 2 in this cluster (ids 1..1)',
      );
      await assert.rejects(cluster.restartNode(1), /node 1 is running; stop it first/);
      assert.throws(() => cluster.partition([1], [5]), /no node 5 in this cluster/);
    } finally {
      await cluster.stop();
    }
    const grpc = await startCluster({ ...clusterOptions(), size: 1, transport: 'grpc' });
    try {
      assert.throws(
        () => grpc.isolate(1),
        /^InvalidOptionsError: isolate needs transport: "memory"$/,
      );
    } finally {
      await grpc.stop();
    }
  });
});
