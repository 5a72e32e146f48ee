import { connect, type Socket } from 'node:net';
import { connect as connectTls, rootCertificates, type ConnectionOptions } from 'node:tls';
import { RedraftError } from '../errors.js';
import type { MemberInfo } from '../fsm/entry-codec.js';
import { CommandError, Status, type Result } from '../fsm/result.js';
import type { LeaderForwarder } from '../node/kv-service.js';
import type { TlsMaterial } from '../security/tls-material.js';
import type { Reply } from './encoder.js';
import { ReplyParser, encodeCommand } from './reply-parser.js';

interface Pending {
  readonly resolve: (r: Reply) => void;
  readonly reject: (err: Error) => void;
}

/**
 * One pipelined RESP connection to the leader. Requests are written as they come and replies
 * matched in order, so a follower's clients share one connection and their pipelines keep
 * their order. SELECT is sent only when the database changes.
 */
class LeaderConnection {
  private readonly socket: Socket;
  private readonly parser = new ReplyParser();
  private readonly pending: Pending[] = [];
  private db = 0;
  private broken: Error | undefined;
  readonly ready: Promise<void>;

  constructor(
    readonly address: string,
    password: string,
    tls: ConnectionOptions | undefined,
  ) {
    const sep = address.lastIndexOf(':');
    const host = address.slice(0, sep).replace(/^\[|\]$/g, '');
    const port = Number(address.slice(sep + 1));
    this.socket = tls === undefined ? connect({ host, port }) : connectTls({ ...tls, host, port });
    this.socket.setNoDelay(true);
    this.ready = new Promise((resolve, reject) => {
      // Over TLS the leader is usable once its certificate checked out, not at TCP connect.
      this.socket.once(tls === undefined ? 'connect' : 'secureConnect', () => {
        resolve();
      });
      this.socket.once('error', reject);
    });
    this.socket.on('data', (chunk: Buffer) => {
      for (const reply of this.parser.feed(chunk)) this.pending.shift()?.resolve(reply);
      if (this.parser.error !== null)
        this.fail(new Error(`bad reply from leader: ${this.parser.error}`));
    });
    this.socket.on('error', (err) => {
      this.fail(err);
    });
    this.socket.on('close', () => {
      this.fail(new Error('connection to the leader closed'));
    });
    if (password !== '') void this.send(['AUTH', password]).catch(() => undefined);
  }

  get usable(): boolean {
    return this.broken === undefined;
  }

  send(argv: readonly (Buffer | string)[]): Promise<Reply> {
    if (this.broken !== undefined) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.socket.write(encodeCommand(argv));
    });
  }

  async execute(db: number, argv: readonly Buffer[]): Promise<Reply> {
    if (db !== this.db) {
      this.db = db;
      void this.send(['SELECT', String(db)]).catch(() => undefined);
    }
    return this.send(argv);
  }

  private fail(err: Error): void {
    if (this.broken !== undefined) return;
    this.broken = err;
    // A request in flight may or may not have been applied by the leader.
    const uncertain = new RedraftError(
      'LEADERSHIP_LOST',
      `lost the connection to the leader: ${err.message}; outcome unknown`,
    );
    for (const p of this.pending.splice(0)) p.reject(uncertain);
    this.socket.destroy();
  }

  close(): void {
    this.fail(new Error('forwarder closed'));
  }
}

/**
 * How a follower dials the leader's TLS RESP port. It trusts the CA of `--tls-ca` when there is
 * one (members' certificates are signed by it, and the leader then also wants ours); without
 * one, the CAs Node trusts plus this member's own certificate, which covers members sharing a
 * self-signed certificate. The leader's certificate must name the host of its RESP address.
 */
export function leaderTlsOptions(material: TlsMaterial): ConnectionOptions {
  return {
    ca: material.ca ?? [...rootCertificates, material.cert.toString('latin1')],
    cert: material.cert,
    key: material.key,
  };
}

/** Forwards a follower's writes to the leader's RESP port over one pooled connection. */
export class RespLeaderForwarder implements LeaderForwarder {
  private conn: LeaderConnection | undefined;
  private readonly tls: ConnectionOptions | undefined;

  /** `tls`: the member's RESP TLS material, when the RESP ports speak TLS. */
  constructor(
    private readonly password: string,
    private readonly timeoutMs: number,
    tls?: TlsMaterial,
  ) {
    this.tls = tls === undefined ? undefined : leaderTlsOptions(tls);
  }

  async forward(leader: MemberInfo, db: number, argv: readonly Buffer[]): Promise<Result> {
    const conn = this.connection(leader.respAddr);
    try {
      await conn.ready;
    } catch (err) {
      // Nothing was sent: safe to retry, once a reachable leader is known.
      throw new RedraftError(
        'NO_LEADER',
        `the leader at ${leader.respAddr} is unreachable (${(err as Error).message})`,
      );
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // The command was already written to the leader: it may still be applied.
        reject(
          new RedraftError(
            'OUTCOME_UNKNOWN',
            'no answer from the leader in time; the command may or may not have been applied',
          ),
        );
      }, this.timeoutMs);
    });
    try {
      return toResult(await Promise.race([conn.execute(db, argv), timeout]));
    } finally {
      clearTimeout(timer);
    }
  }

  private connection(address: string): LeaderConnection {
    if (this.conn === undefined || !this.conn.usable || this.conn.address !== address) {
      this.conn?.close();
      this.conn = new LeaderConnection(address, this.password, this.tls);
    }
    return this.conn;
  }

  close(): void {
    this.conn?.close();
    this.conn = undefined;
  }
}

function toResult(r: Reply): Result {
  switch (r.kind) {
    case 'simple':
      return new Status(r.value);
    case 'error':
      return new CommandError(r.message);
    case 'integer':
      return r.value;
    case 'bulk':
    case 'verbatim':
      // Parsed bulk payloads are views into the socket's chunk: copy what outlives it.
      return Buffer.from(r.value);
    case 'null':
      return null;
    case 'array':
    case 'set':
    case 'map':
    case 'push':
      return r.items.map(toResult);
    case 'double':
      return Buffer.from(String(r.value));
    case 'boolean':
      return r.value ? 1 : 0;
    case 'bignum':
      return r.value;
  }
}
