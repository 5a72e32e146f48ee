/**
 * A real `redis-server` on a free loopback port, without persistence, as the reference the
 * differential test compares Redraft with. The binary is REDRAFT_REDIS_SERVER or
 * /usr/bin/redis-server (CI installs the distribution's package).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { RespClient, freePorts, waitFor } from '../harness/index.js';

export const REDIS_SERVER = process.env.REDRAFT_REDIS_SERVER ?? '/usr/bin/redis-server';

export class RedisServer {
  private exited = false;
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly exit: Promise<void>,
  ) {}

  /** Starts the server and waits (polling PING) until it answers. */
  static async start(): Promise<RedisServer> {
    if (!existsSync(REDIS_SERVER)) {
      throw new Error(
        `${REDIS_SERVER} not found: install redis-server (Redis 7) or set REDRAFT_REDIS_SERVER`,
      );
    }
    const [port] = await freePorts(1);
    const child = spawn(
      REDIS_SERVER,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--databases',
        '16',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    // A redis-server must not outlive the test process, even when the test is aborted.
    const killOnExit = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    const exit = new Promise<void>((resolve) => {
      child.once('exit', () => {
        process.removeListener('exit', killOnExit);
        resolve();
      });
    });
    const server = new RedisServer(child, port!, exit);
    void exit.then(() => {
      server.exited = true;
    });
    const collect = (chunk: Buffer): void => {
      server.output = (server.output + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    try {
      await waitFor(
        `redis-server on port ${port!} to answer PING`,
        async () => {
          if (server.exited) throw new Error(`redis-server exited: ${server.output}`);
          const client = await RespClient.connect(port!, 500);
          try {
            const reply = await client.send(['PING'], 500);
            return reply.kind === 'simple' ? true : undefined;
          } finally {
            client.close();
          }
        },
        { timeoutMs: 10_000, intervalMs: 25 },
      );
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  /** The server's version, e.g. "7.0.15". */
  async version(): Promise<string> {
    const client = await RespClient.connect(this.port);
    try {
      const reply = await client.send(['INFO', 'server']);
      const text =
        reply.kind === 'bulk' || reply.kind === 'verbatim'
          ? Buffer.from(reply.value).toString('utf8')
          : '';
      return /redis_version:(\S+)/.exec(text)?.[1] ?? 'unknown';
    } finally {
      client.close();
    }
  }

  async stop(): Promise<void> {
    if (!this.exited) this.child.kill('SIGKILL');
    await this.exit;
  }
}
