/**
 * A plain RESP client for the fault workloads. Like the e2e harness's RespClient (no retries,
 * no reconnection, replies matched in order, a timeout breaks the connection so a late reply
 * is never matched to the next request), but it also reaches a member through a Unix socket:
 * in network-namespace mode the members are only reachable through the proxy's sockets.
 */
import { connect, type NetConnectOpts, type Socket } from 'node:net';
import type { Reply } from '../../../../src/resp/encoder.js';
import { ReplyParser, encodeCommand } from '../../../../src/resp/reply-parser.js';
import { RespTransportError } from '../../harness/index.js';
import { CONNECTED } from './proxy-protocol.js';

export type Endpoint = { readonly host: string; readonly port: number } | { readonly path: string };

export function describeEndpoint(e: Endpoint): string {
  return 'path' in e ? e.path : `${e.host}:${e.port}`;
}

interface Pending {
  readonly resolve: (reply: Reply) => void;
  readonly reject: (err: Error) => void;
}

export class RespConnection {
  private readonly parser = new ReplyParser();
  private readonly pending: Pending[] = [];
  private broken: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      for (const reply of this.parser.feed(chunk)) this.pending.shift()?.resolve(reply);
      if (this.parser.error !== null)
        this.fail(new RespTransportError(`bad reply: ${this.parser.error}`));
    });
    socket.on('error', (err) => {
      this.fail(new RespTransportError(`connection error: ${err.message}`, { cause: err }));
    });
    socket.on('close', () => {
      this.fail(new RespTransportError('connection closed'));
    });
  }

  static connect(endpoint: Endpoint, timeoutMs: number): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const options: NetConnectOpts =
        'path' in endpoint ? { path: endpoint.path } : { host: endpoint.host, port: endpoint.port };
      const socket = connect(options);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new RespTransportError(`connect to ${describeEndpoint(endpoint)} timed out`));
      }, timeoutMs);
      const connected = (rest: Buffer | undefined): void => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.removeAllListeners('close');
        socket.removeAllListeners('data');
        const conn = new RespConnection(socket);
        if (rest !== undefined && rest.length > 0) socket.emit('data', rest);
        resolve(conn);
      };
      const refused = (why: string, cause?: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(
          new RespTransportError(`connect to ${describeEndpoint(endpoint)}: ${why}`, { cause }),
        );
      };
      socket.once('error', (err) => {
        refused(err.message, err);
      });
      if ('path' in endpoint) {
        // Through the namespace proxy: connected once it says the member accepted.
        socket.once('close', () => {
          refused('the member refused the connection');
        });
        socket.once('data', (chunk: Buffer) => {
          if (chunk[0] === CONNECTED) connected(chunk.subarray(1));
          else refused('bad handshake from the namespace proxy');
        });
      } else {
        socket.once('connect', () => {
          connected(undefined);
        });
      }
    });
  }

  get usable(): boolean {
    return this.broken === undefined;
  }

  /** Resolves with the reply (error replies included); rejects on transport failure or timeout. */
  send(argv: readonly (string | Buffer)[], timeoutMs: number): Promise<Reply> {
    if (this.broken !== undefined) return Promise.reject(this.broken);
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new RespTransportError(`${String(argv[0])} got no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.push({
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.socket.write(encodeCommand(argv));
    });
  }

  close(): void {
    this.fail(new RespTransportError('client closed'));
  }

  private fail(err: Error): void {
    if (this.broken !== undefined) return;
    this.broken = err;
    for (const p of this.pending.splice(0)) p.reject(err);
    this.socket.destroy();
  }
}

/** One command on a fresh connection. */
export async function commandAt(
  endpoint: Endpoint,
  argv: readonly string[],
  timeoutMs: number,
): Promise<Reply> {
  const conn = await RespConnection.connect(endpoint, timeoutMs);
  try {
    return await conn.send(argv, timeoutMs);
  } finally {
    conn.close();
  }
}
