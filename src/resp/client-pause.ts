/**
 * CLIENT PAUSE and CLIENT UNPAUSE: one member's clients stop being served for a while, as in
 * Redis, where operators use it to move clients between instances without losing a write.
 *
 * A pause holds a command at the moment its connection would run it, and everything behind it
 * on that connection (its replies keep their order); it does nothing to clients that send
 * nothing. WRITE holds only what would change the data (writes, a transaction that writes,
 * and WAIT, whose answer is about writes); ALL holds every command. A second pause never
 * weakens the first: the stronger mode and the later end win, as in Redis. Only this member
 * pauses: the pause is about its clients, not about the replicated state, so nothing goes
 * through the log (writes forwarded here from a follower's clients are held like any other).
 */
export type PauseMode = 'write' | 'all';

/** What a command would do, as far as a pause is concerned. */
export type PauseClass = 'write' | 'other';

export class ClientPause {
  private mode: PauseMode | undefined;
  private endsAt = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Resolved when the current pause ends; the connections it holds wait on it. */
  private ended: Promise<void> | undefined;
  private endNow: (() => void) | undefined;
  /** Connections held by the pause now (INFO clients: blocked_clients). */
  private held = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Pauses for `ms` from now, or extends and strengthens the current pause. */
  pause(ms: number, mode: PauseMode): void {
    const endsAt = this.now() + ms;
    if (this.mode === undefined) {
      this.ended = new Promise<void>((resolve) => {
        this.endNow = resolve;
      });
    }
    if (this.mode !== 'all') this.mode = mode;
    if (endsAt > this.endsAt) {
      this.endsAt = endsAt;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.unpause();
      }, ms);
      // A pause alone must not keep a stopping process alive.
      this.timer.unref();
    }
  }

  /** Ends the pause now (CLIENT UNPAUSE, or its timeout); held connections go on in order. */
  unpause(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.mode = undefined;
    this.endsAt = 0;
    const endNow = this.endNow;
    this.ended = undefined;
    this.endNow = undefined;
    endNow?.();
  }

  /** Whether a pause is on: the one check every command pays while there is none. */
  get paused(): boolean {
    return this.ended !== undefined;
  }

  /**
   * The promise a command of class `what` must wait for before it runs, or undefined when it
   * may run now. The caller counts itself held until the promise settles.
   */
  holds(what: PauseClass): Promise<void> | undefined {
    if (this.ended === undefined) return undefined;
    if (this.mode === 'write' && what !== 'write') return undefined;
    this.held++;
    return this.ended.then(() => {
      this.held--;
    });
  }

  /** INFO clients: how many connections the pause holds, and what it pauses for how long. */
  status(): { held: number; actions: 'none' | 'write' | 'all'; remainingMs: number } {
    if (this.mode === undefined) return { held: this.held, actions: 'none', remainingMs: 0 };
    return {
      held: this.held,
      actions: this.mode,
      remainingMs: Math.max(0, this.endsAt - this.now()),
    };
  }
}
