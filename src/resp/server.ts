import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Logger } from 'pino';
import type { ClusterMembership } from '../node/cluster-admin-service.js';
import type { KvService } from '../node/kv-service.js';
import type { MerkleService } from '../node/merkle-service.js';
import type { ReadConsistency } from '../node/raft-node.js';
import type { TlsMaterial } from '../security/tls-material.js';
import { Connection } from './connection.js';
import { ClientPause } from './client-pause.js';
import { CommandDispatcher, type ServerInfo } from './dispatcher.js';
import type { ServerStats } from './local-commands.js';
import { DEFAULT_MAX_BULK_LENGTH, RespParser, type RespParserOptions } from './parser.js';
import type { RespObserver } from './resp-observer.js';
import { SlowLog } from './slowlog.js';

/** A client that has not finished its TLS handshake by then is dropped. */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

export interface RespServerOptions {
  readonly host: string;
  readonly port: number;
  readonly kv: KvService;
  readonly logger: Logger;
  readonly nodeId: number;
  readonly version: string;
  readonly requirepass: string;
  readonly routing: 'forward' | 'redirect';
  readonly consistency: ReadConsistency;
  readonly limits?: RespParserOptions;
  /**
   * The member's CLIENT PAUSE state. Pass one to share it with the expiry sweeper, which stops
   * proposing deletions while a pause is on, as Redis stops expiring keys; without it the
   * server keeps its own.
   */
  readonly clientPause?: ClientPause;
  /**
   * Serve TLS only (no plain-text fallback). With a CA, clients must present a certificate it
   * signed.
   */
  readonly tls?: TlsMaterial | undefined;
  readonly observer?: RespObserver | undefined;
  /** SLOWLOG's starting settings (CONFIG SET changes them); Redis's defaults without. */
  readonly slowlog?: { readonly slowerThanUs: number; readonly maxLen: number };
  /** Serves the RAFT command family when given. */
  readonly admin?: ClusterMembership;
  /** Serves the MERKLE commands; without it they answer that Merkle state is off. */
  readonly merkle?: MerkleService;
  /**
   * Stops this member as SIGTERM does (leadership handed over, log closed): SHUTDOWN calls
   * it. Without it (an embedded node, whose owner decides when it stops), SHUTDOWN is refused.
   */
  readonly shutdown?: () => void;
}

/** The Redis front door: a TCP server speaking RESP2/RESP3 to any Redis client. */
export class RespServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private readonly stats: ServerStats = { connectionsReceived: 0, commandsProcessed: 0 };
  private readonly dispatcher: CommandDispatcher;
  private readonly slowlog: SlowLog;
  private readonly clientPause: ClientPause;

  constructor(private readonly options: RespServerOptions) {
    this.slowlog = new SlowLog(options.slowlog?.slowerThanUs, options.slowlog?.maxLen);
    this.clientPause = options.clientPause ?? new ClientPause();
    const info: ServerInfo = {
      nodeId: options.nodeId,
      version: options.version,
      stats: this.stats,
      startedAt: Date.now(),
      requirepass: options.requirepass,
      routing: options.routing,
      tcpPort: options.port,
      maxBulkLength: options.limits?.maxBulkLength ?? DEFAULT_MAX_BULK_LENGTH,
      slowlog: this.slowlog,
      clientPause: this.clientPause,
      connections: () => [...this.connections],
      kill: (conn) => {
        conn.socket.destroy();
      },
      admin: options.admin,
      merkle: options.merkle,
      shutdown: options.shutdown,
    };
    this.dispatcher = new CommandDispatcher(options.kv, info);
    const tls = options.tls;
    if (tls === undefined) {
      this.server = createServer((socket) => {
        this.accept(socket);
      });
    } else {
      const requireClientCert = tls.ca !== undefined;
      this.server = createTlsServer(
        {
          cert: tls.cert,
          key: tls.key,
          ca: tls.ca,
          requestCert: requireClientCert,
          rejectUnauthorized: requireClientCert,
          minVersion: 'TLSv1.2',
          handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
        },
        (socket) => {
          this.accept(socket);
        },
      );
      // Refused handshakes are the client's problem, and may come in floods: counted, and
      // logged only at debug level.
      this.server.on('tlsClientError', (err: Error) => {
        options.observer?.handshakeFailed();
        options.logger.debug({ err }, 'RESP TLS handshake failed');
      });
    }
    this.server.on('error', (err) => {
      options.logger.error({ err }, 'RESP server error');
    });
  }

  private accept(socket: Socket): void {
    const observer = this.options.observer;
    this.stats.connectionsReceived++;
    const conn = new Connection(socket, this.dispatcher, {
      requirepass: this.options.requirepass,
      consistency: this.options.consistency,
      parser: new RespParser(this.options.limits),
      observer,
      slowlog: this.slowlog,
      stats: this.stats,
      pause: this.clientPause,
    });
    this.connections.add(conn);
    observer?.connectionOpened();
    socket.on('close', () => {
      this.connections.delete(conn);
      observer?.connectionClosed();
    });
  }

  /** Clients connected now. */
  get connectionCount(): number {
    return this.connections.size;
  }

  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        if (addr === null || typeof addr === 'string') {
          reject(new Error('RESP server has no TCP address'));
          return;
        }
        resolve({ host: addr.address, port: addr.port });
      });
    });
  }

  /** Stops accepting; existing connections are closed. */
  close(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    return new Promise((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }
}
