import { connect, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { RedraftError } from '../errors.js';
import {
  decodeAdminReply,
  encodeAdminRequest,
  type AdminRequest,
  type AdminResult,
} from '../node/admin-request.js';
import type { Reply } from './encoder.js';
import { ReplyParser, encodeCommand } from './reply-parser.js';

/** The member could not be asked: connection refused or lost, or no answer in time. */
export class AdminConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AdminConnectionError';
  }
}

export interface AdminClientOptions {
  readonly password?: string;
  /** Bounds the connection and each request. */
  readonly timeoutMs: number;
  /** Speak TLS with these options (the member's RESP port serves TLS only). */
  readonly tls?: ConnectionOptions | undefined;
}

/**
 * A RESP connection to one member for cluster administration (`redraft admin`, and a joining
 * node asking to be added). It speaks RESP3, so that the RAFT replies keep their maps. One
 * request at a time; a request that times out breaks the connection, since a late reply would
 * otherwise answer the next request.
 */
export class AdminClient {
  private readonly parser = new ReplyParser();
  private waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;
  private broken: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly address: string,
    private readonly timeoutMs: number,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      for (const reply of this.parser.feed(chunk)) {
        const w = this.waiting;
        this.waiting = undefined;
        w?.resolve(reply);
      }
      if (this.parser.error !== null) this.fail(new AdminConnectionError(this.parser.error));
    });
    socket.on('error', (err) => {
      this.fail(new AdminConnectionError(`${address}: ${err.message}`, { cause: err }));
    });
    socket.on('close', () => {
      this.fail(new AdminConnectionError(`${address}: connection closed`));
    });
  }

  /** Connects to `address` (host:port), authenticating when a password is given. */
  static async connect(address: string, options: AdminClientOptions): Promise<AdminClient> {
    const sep = address.lastIndexOf(':');
    const host = address.slice(0, sep).replace(/^\[|\]$/g, '');
    const port = Number(address.slice(sep + 1));
    const tls = options.tls;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = tls === undefined ? connect({ host, port }) : connectTls({ ...tls, host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new AdminConnectionError(`${address}: connect timed out`));
      }, options.timeoutMs);
      // Over TLS the member is usable once its certificate checked out, not at TCP connect.
      s.once(tls === undefined ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err: Error) => {
        clearTimeout(timer);
        reject(new AdminConnectionError(`${address}: ${err.message}`, { cause: err }));
      });
    });
    const client = new AdminClient(socket, address, options.timeoutMs);
    const password = options.password ?? '';
    const hello = await client
      .command(password === '' ? ['HELLO', '3'] : ['HELLO', '3', 'AUTH', 'default', password])
      .catch((err: unknown) => {
        client.close();
        throw err;
      });
    if (hello.kind === 'error') {
      client.close();
      throw new RedraftError('BAD_REQUEST', `${address} refused the connection: ${hello.message}`);
    }
    return client;
  }

  /** Sends one command and resolves with its reply (an error reply is a reply, not a throw). */
  command(argv: readonly (string | Buffer)[]): Promise<Reply> {
    if (this.broken !== undefined) return Promise.reject(this.broken);
    if (this.waiting !== undefined) return Promise.reject(new Error('one request at a time'));
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new AdminConnectionError(`${this.address}: no answer in ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiting = {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.socket.write(encodeCommand(argv));
    });
  }

  /**
   * Runs a change through this member (forwarded to the leader if need be) with the JSON form
   * of RAFT (`__raft`), which keeps the error's stable code: resolves with the result, throws
   * the cluster's refusal as a {@link RedraftError}.
   */
  async change<R extends AdminRequest>(request: R): Promise<AdminResult<R>> {
    const reply = await this.command(['__raft', encodeAdminRequest(request)]);
    if (reply.kind === 'error') {
      throw new RedraftError('INTERNAL', `${this.address} refused the request: ${reply.message}`);
    }
    if (reply.kind !== 'bulk') {
      throw new RedraftError('INTERNAL', `${this.address} answered with a ${reply.kind} reply`);
    }
    const text = typeof reply.value === 'string' ? reply.value : reply.value.toString('utf8');
    return decodeAdminReply(request, text);
  }

  close(): void {
    this.fail(new AdminConnectionError(`${this.address}: connection closed by the client`));
  }

  private fail(err: Error): void {
    if (this.broken !== undefined) return;
    this.broken = err;
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(err);
    this.socket.destroy();
  }
}

/** A reply as plain data: maps become objects, errors throw (for printing and JSON output). */
export function replyValue(r: Reply): unknown {
  switch (r.kind) {
    case 'error':
      throw new RedraftError('INTERNAL', r.message);
    case 'simple':
      return r.value;
    case 'bulk':
    case 'verbatim':
      return typeof r.value === 'string' ? r.value : r.value.toString('utf8');
    case 'integer':
      return typeof r.value === 'bigint' ? Number(r.value) : r.value;
    case 'double':
    case 'boolean':
      return r.value;
    case 'bignum':
      return r.value.toString();
    case 'null':
      return null;
    case 'array':
    case 'set':
    case 'push':
      return r.items.map(replyValue);
    case 'map': {
      const out: Record<string, unknown> = {};
      for (let i = 0; i + 1 < r.items.length; i += 2) {
        out[String(replyValue(r.items[i]!))] = replyValue(r.items[i + 1]!);
      }
      return out;
    }
  }
}
