import { connect, type Socket } from 'node:net';
import type { Reply } from '../../../src/resp/encoder.js';
import { ReplyParser, encodeCommand } from '../../../src/resp/reply-parser.js';

/** The request could not be answered: connection refused or lost, or no reply in time. */
export class RespTransportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RespTransportError';
  }
}

interface Pending {
  readonly resolve: (reply: Reply) => void;
  readonly reject: (err: Error) => void;
}

/**
 * A deliberately plain RESP client for the end-to-end tests: no reconnection, no retries, no
 * offline queue, so a test sees exactly what the server did. Requests may be pipelined; replies
 * are matched in order. A request that times out breaks the connection (a late reply would
 * otherwise be matched to the next request), and every request still waiting fails with it.
 */
/**
 * Something a test client can open RESP connections to: a member, or a Service in front of
 * several (the deploy simulation's). The workload and the checks need nothing more.
 */
export interface RespEndpoint {
  /** Named in messages (a member's id; 0 for a Service). */
  readonly id: number;
  connect(timeoutMs?: number): Promise<RespClient>;
}

export class RespClient {
  private readonly parser = new ReplyParser();
  private readonly pending: Pending[] = [];
  private broken: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly port: number,
  ) {
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

  static connect(port: number, timeoutMs = 2000, host = '127.0.0.1'): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new RespTransportError(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new RespClient(socket, port));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        socket.destroy();
        reject(
          new RespTransportError(`connect to ${host}:${port}: ${err.message}`, { cause: err }),
        );
      });
    });
  }

  get usable(): boolean {
    return this.broken === undefined;
  }

  /** Sends one command; resolves with its reply (error replies included, as values). */
  send(argv: readonly (string | Buffer)[], timeoutMs = 5000): Promise<Reply> {
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

/** Opens a connection, sends one command, closes. */
export async function respCommand(
  port: number,
  argv: readonly (string | Buffer)[],
  timeoutMs = 2000,
): Promise<Reply> {
  const client = await RespClient.connect(port, timeoutMs);
  try {
    return await client.send(argv, timeoutMs);
  } finally {
    client.close();
  }
}

/** The text of a simple, bulk or verbatim reply; null for a null reply; throws otherwise. */
export function replyText(reply: Reply): string | null {
  switch (reply.kind) {
    case 'simple':
      return reply.value;
    case 'bulk':
    case 'verbatim':
      return typeof reply.value === 'string' ? reply.value : reply.value.toString('utf8');
    case 'null':
      return null;
    case 'error':
      throw new Error(`error reply: ${reply.message}`);
    default:
      throw new Error(`unexpected ${reply.kind} reply`);
  }
}

/** Parses an INFO reply into its `field:value` pairs (section headers are skipped). */
export function parseInfo(reply: Reply): Map<string, string> {
  const out = new Map<string, string>();
  const text = replyText(reply) ?? '';
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.indexOf(':');
    if (at > 0) out.set(line.slice(0, at), line.slice(at + 1));
  }
  return out;
}
