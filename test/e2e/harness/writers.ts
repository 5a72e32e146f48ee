import { setTimeout as sleep } from 'node:timers/promises';
import type { RespClient, RespEndpoint } from './resp-client.js';

/**
 * Concurrent clients that each SET fresh keys in a loop against the members of a cluster,
 * recording a write as acknowledged only when the server answered +OK. Any other outcome
 * (error reply, lost connection, timeout) leaves the write "unknown": it may or may not have
 * been applied, and a later check must accept either. Keys are never reused, so the check is
 * simply: every acknowledged key has its value; every unknown key has its value or none.
 */
export class WriterPool {
  readonly acked = new Map<string, string>();
  readonly unknown = new Map<string, string>();
  readonly errors = new Map<string, number>();
  /** The first message seen of each kind of error, for failure reports. */
  readonly samples = new Map<string, string>();
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly members: () => readonly RespEndpoint[],
    private readonly clients: number,
    private readonly tag: string,
    private readonly requestTimeoutMs = 3000,
  ) {}

  start(): void {
    this.running = true;
    this.loops = Array.from({ length: this.clients }, (_, c) => this.loop(c));
  }

  /** Stops the loops after their current request and waits for them. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private note(kind: string, message: string): void {
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
    if (!this.samples.has(kind)) this.samples.set(kind, message);
  }

  private async loop(c: number): Promise<void> {
    let n = 0;
    let target = c;
    let client: RespClient | undefined;
    while (this.running) {
      const members = this.members();
      const member = members[target % members.length]!;
      try {
        if (client === undefined || !client.usable) client = await member.connect(500);
      } catch {
        this.note('connect', `node ${member.id} refused`);
        client = undefined;
        target++;
        // Pace retries against a member that is down; this is not a synchronization point.
        await sleep(10);
        continue;
      }
      const key = `${this.tag}-c${c}-${n++}`;
      const value = `${key}=${Date.now()}`;
      try {
        const reply = await client.send(['SET', key, value], this.requestTimeoutMs);
        if (reply.kind === 'simple' && reply.value === 'OK') {
          this.acked.set(key, value);
          continue;
        }
        this.unknown.set(key, value);
        const message = reply.kind === 'error' ? reply.message : JSON.stringify(reply);
        this.note(
          reply.kind === 'error' ? (reply.message.split(' ')[0] ?? 'error') : reply.kind,
          message,
        );
        await sleep(10);
      } catch (err) {
        this.unknown.set(key, value);
        this.note('transport', (err as Error).message);
        client.close();
        client = undefined;
        target++;
        await sleep(10);
      }
    }
    client?.close();
  }
}
