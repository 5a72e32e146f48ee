/**
 * The cluster network of the simulation, on loopback: every pod gets an address of its own in
 * 127.0.0.0/8 (Linux routes the whole block to lo), the client Service another, and the DNS
 * names the chart renders map to them. Processes can therefore all listen on the same ports,
 * as pods do, without a network namespace.
 *
 * Substituting the names is the only change made to what the chart renders (besides volume
 * paths): the simulation cannot make the machine's resolver answer for cluster DNS names.
 */
import { randomInt } from 'node:crypto';

export class LoopbackNetwork {
  /** The first three octets, e.g. "127.183.41". */
  private readonly prefix: string;
  private readonly names = new Map<string, string>();
  private pattern: RegExp | undefined;

  constructor() {
    // A block of its own, so that simulations running at once do not meet.
    this.prefix = `127.${randomInt(16, 250)}.${randomInt(0, 256)}`;
  }

  /** Pod `ordinal`'s address. */
  podIp(ordinal: number): string {
    if (ordinal > 200) throw new Error('too many pods for one loopback block');
    return `${this.prefix}.${ordinal + 10}`;
  }

  get serviceIp(): string {
    return `${this.prefix}.2`;
  }

  /** Makes `name` resolve to `ip`. */
  register(name: string, ip: string): void {
    this.names.set(name.toLowerCase(), ip);
    this.pattern = undefined;
  }

  /** `text` with every registered name that stands alone as a host replaced by its address. */
  resolveNames(text: string): string {
    if (this.names.size === 0) return text;
    this.pattern ??= new RegExp(
      `(?<![A-Za-z0-9.-])(${[...this.names.keys()]
        .sort((a, b) => b.length - a.length)
        .map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('|')})(?![A-Za-z0-9-]|\\.[A-Za-z0-9])`,
      'gi',
    );
    return text.replace(this.pattern, (name) => this.names.get(name.toLowerCase())!);
  }
}
