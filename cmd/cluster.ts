/**
 * `redraft cluster --nodes N`: a local cluster of N `redraft server` child processes for
 * development (what `npm start` runs). Node i listens on RESP 6378+i, HTTP 8079+i,
 * gRPC 9089+i and peer 7000+i, with data under <data-dir>/node-i. Ctrl-C (or SIGTERM) stops
 * every node gracefully and waits for them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from './config.js';

export interface ClusterLayout {
  id: number;
  respAddr: string;
  httpAddr: string;
  grpcAddr: string;
  peerAddr: string;
  dataDir: string;
}

export function clusterLayout(nodes: number, host: string, dataDir: string): ClusterLayout[] {
  return Array.from({ length: nodes }, (_, k) => {
    const id = k + 1;
    return {
      id,
      respAddr: `${host}:${6378 + id}`,
      httpAddr: `${host}:${8079 + id}`,
      grpcAddr: `${host}:${9089 + id}`,
      peerAddr: `${host}:${7000 + id}`,
      dataDir: join(dataDir, `node-${id}`),
    };
  });
}

export async function runCluster(argv: readonly string[], script: string): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        nodes: { type: 'string', default: '3' },
        'data-dir': { type: 'string', default: './data' },
        host: { type: 'string', default: '127.0.0.1' },
        'log-level': { type: 'string', default: 'info' },
      },
      strict: true,
    }));
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const nodes = Number(values.nodes);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 9)
    throw new ConfigError('--nodes must be 1 to 9');
  const layout = clusterLayout(nodes, values.host, values['data-dir']);
  const initialCluster = layout.map((n) => `${n.id}=${n.peerAddr}`).join(',');
  const children: ChildProcess[] = [];
  for (const n of layout) {
    mkdirSync(n.dataDir, { recursive: true });
    const child = spawn(
      process.execPath,
      [
        script,
        'server',
        '--id',
        String(n.id),
        '--data-dir',
        n.dataDir,
        '--peer-addr',
        n.peerAddr,
        '--resp-addr',
        n.respAddr,
        '--http-addr',
        n.httpAddr,
        '--grpc-addr',
        n.grpcAddr,
        '--initial-cluster',
        initialCluster,
        '--log-level',
        values['log-level'],
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    children.push(child);
    console.error(
      `node ${n.id}: redis-cli -p ${n.respAddr.split(':')[1]}  (http ${n.httpAddr}, grpc ${n.grpcAddr})`,
    );
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.error(`stopping ${nodes} nodes...`);
    for (const c of children)
      if (c.exitCode === null) c.kill(signal === 'SIGINT' ? 'SIGTERM' : signal);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const codes = await Promise.all(
    children.map(
      (c) =>
        new Promise<number>((resolve) => {
          c.on('exit', (code, signal) => {
            resolve(code ?? (signal === null ? 1 : 0));
            // One node dying on its own takes the others down: a dev cluster is all or nothing.
            if (!stopping) stop('SIGTERM');
          });
        }),
    ),
  );
  return codes.every((c) => c === 0) ? 0 : 1;
}
