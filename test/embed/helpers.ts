import type { ReplicatedStateMachine, StateSnapshot } from '../../src/index.js';

/** Commands of {@link OrderedLog}. */
export type LogCommand = { readonly append: string } | { readonly refuse: string };

/** The error OrderedLog's apply throws for a `refuse` command. */
export class Refused extends Error {
  constructor(reason: string) {
    super(`refused: ${reason}`);
    this.name = 'Refused';
  }
}

/**
 * A replicated append-only list of strings that records how the node drove it: the log
 * index of every apply, each restore and the size it restored to.
 */
export class OrderedLog implements ReplicatedStateMachine<LogCommand, number> {
  items: string[] = [];
  readonly indexes: number[] = [];
  /** The number of items after each restore(). */
  readonly restoredSizes: number[] = [];

  apply(command: LogCommand, position: { index: number }): number {
    if ('refuse' in command) throw new Refused(command.refuse);
    this.items.push(command.append);
    this.indexes.push(position.index);
    return this.items.length;
  }

  snapshot(): StateSnapshot {
    const items = this.items.slice();
    return { serialize: () => new TextEncoder().encode(JSON.stringify(items)) };
  }

  restore(data: Uint8Array): void {
    this.items = JSON.parse(new TextDecoder().decode(data)) as string[];
    this.restoredSizes.push(this.items.length);
  }
}

export function appends(prefix: string, count: number): LogCommand[] {
  return Array.from({ length: count }, (_, k) => ({ append: `${prefix}${k}` }));
}

/** The strings `appends(prefix, count)` appends. */
export function names(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, k) => `${prefix}${k}`);
}
