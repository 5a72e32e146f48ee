import type { ReplicatedStateMachine, StateSnapshot } from '../../../src/index.js';

/** The smallest state machine: one number, which each command replaces. */
export class Register implements ReplicatedStateMachine<number, number> {
  value = 0;
  apply(command: number): number {
    this.value = command;
    return command;
  }
  snapshot(): StateSnapshot {
    const value = this.value;
    return { serialize: () => new TextEncoder().encode(String(value)) };
  }
  restore(data: Uint8Array): void {
    this.value = Number(new TextDecoder().decode(data));
  }
}
