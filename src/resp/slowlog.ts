/**
 * SLOWLOG: the commands this member took longest to answer, newest first, as Redis keeps them.
 *
 * What "took" means here: from the moment the command's bytes arrived to the moment its reply
 * was known. Redis times only a command's execution; a Redraft write's execution is its trip
 * through the log (the leader's fsync, a quorum of followers', the apply), so that is what an
 * operator looking for slow commands needs to see, and what this records. A transaction is
 * one log entry, so EXEC is logged as one command (Redis logs the commands inside it instead).
 *
 * Each entry is Redis's: an id, the Unix time in seconds, the duration in microseconds, the
 * arguments (at most 32, the last standing for the rest, each cut to 128 bytes), the client's
 * address and name. Passwords given to AUTH and HELLO are redacted, as in Redis.
 */

/** Redis's SLOWLOG_ENTRY_MAX_ARGC and SLOWLOG_ENTRY_MAX_STRING. */
const MAX_ARGS = 32;
const MAX_ARG_BYTES = 128;
const REDACTED = Buffer.from('(redacted)');
/** Invisible entries allowed beyond twice slowlog-max-len before they are dropped (max-len 0). */
const TRIM_SLACK = 16;

/** Redis's defaults for slowlog-log-slower-than (µs) and slowlog-max-len. */
export const DEFAULT_SLOWLOG_SLOWER_THAN_US = 10_000;
export const DEFAULT_SLOWLOG_MAX_LEN = 128;

export interface SlowLogEntry {
  readonly id: number;
  /** Unix time in seconds when the reply was known. */
  readonly time: number;
  readonly durationUs: number;
  readonly args: readonly Buffer[];
  /** The client's address, ip:port. */
  readonly peer: string;
  readonly clientName: string;
}

export class SlowLog {
  /**
   * Newest last (SLOWLOG GET reverses). Only the newest `maxLength` are visible; older ones are
   * dropped in bulk once as many again have piled up. Why: under a pipelined write load nearly
   * every command waits longer than the default 10 ms for its quorum, so every command is
   * logged, and dropping the oldest entry one at a time (a splice of the whole array) was half
   * of what the slow log cost the leader (profiled under redis-benchmark SET -c 50 -P 16).
   */
  private entries: SlowLogEntry[] = [];
  private nextId = 0;

  /**
   * @param slowerThanUs log commands that took at least this many µs; 0 logs every command,
   *   a negative value none (Redis's slowlog-log-slower-than).
   * @param maxLength the most entries kept (slowlog-max-len).
   */
  constructor(
    public slowerThanUs = DEFAULT_SLOWLOG_SLOWER_THAN_US,
    private maxLength = DEFAULT_SLOWLOG_MAX_LEN,
  ) {}

  get maxLen(): number {
    return this.maxLength;
  }

  /** Sets slowlog-max-len; entries beyond it go at once, oldest first. */
  set maxLen(n: number) {
    // First the entries already invisible: a larger max-len must not bring them back.
    this.trim();
    this.maxLength = n;
    this.trim();
  }

  /** Whether a command that took `durationUs` is to be logged: a comparison, nothing more. */
  wants(durationUs: number): boolean {
    return this.slowerThanUs >= 0 && durationUs >= this.slowerThanUs;
  }

  /** Logs a command that `wants` accepted. `argv[0]` is the command name as the client sent it. */
  add(argv: readonly Buffer[], durationUs: number, peer: string, clientName: string): void {
    this.entries.push({
      id: this.nextId++,
      time: Math.floor(Date.now() / 1000),
      durationUs: Math.floor(durationUs),
      args: loggedArgs(argv),
      peer,
      clientName,
    });
    if (this.entries.length >= 2 * this.maxLength + TRIM_SLACK) this.trim();
  }

  get length(): number {
    return Math.min(this.entries.length, this.maxLength);
  }

  /** The newest `count` entries, newest first. */
  newest(count: number): SlowLogEntry[] {
    const n = Math.max(0, Math.min(count, this.length));
    return this.entries.slice(this.entries.length - n).reverse();
  }

  reset(): void {
    this.entries = [];
  }

  private trim(): void {
    const over = this.entries.length - this.maxLength;
    if (over > 0) this.entries.splice(0, over);
  }
}

/** The arguments as logged: redacted, at most MAX_ARGS, each at most MAX_ARG_BYTES (copied). */
function loggedArgs(argv: readonly Buffer[]): Buffer[] {
  const secret = secretArgs(argv);
  const n = Math.min(argv.length, MAX_ARGS);
  const cutAt = n !== argv.length ? n - 1 : n; // the slot that says how many more there are
  const keptWhole = (i: number): boolean =>
    i !== cutAt && secret?.has(i) !== true && argv[i]!.length <= MAX_ARG_BYTES;
  // Copied: the entry outlives the request, and must not pin the buffer it was parsed from.
  // One allocation for every argument kept whole: under load every command is logged.
  let wholeBytes = 0;
  for (let i = 0; i < n; i++) if (keptWhole(i)) wholeBytes += argv[i]!.length;
  const copy = Buffer.allocUnsafe(wholeBytes);
  let at = 0;
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const a = argv[i]!;
    if (keptWhole(i)) {
      a.copy(copy, at);
      out.push(copy.subarray(at, at + a.length));
      at += a.length;
    } else if (i === cutAt) {
      out.push(Buffer.from(`... (${argv.length - n + 1} more arguments)`));
    } else if (secret?.has(i) === true) {
      out.push(REDACTED);
    } else {
      out.push(
        Buffer.concat([
          a.subarray(0, MAX_ARG_BYTES),
          Buffer.from(`... (${a.length - MAX_ARG_BYTES} more bytes)`),
        ]),
      );
    }
  }
  return out;
}

/**
 * Which arguments carry credentials: all of AUTH's, and the two after HELLO's AUTH; undefined
 * for any other command (nearly all of them), told from the name's length before anything else.
 */
function secretArgs(argv: readonly Buffer[]): Set<number> | undefined {
  const first = argv[0]!;
  if (first.length !== 4 && first.length !== 5) return undefined;
  const name = first.toString('latin1').toLowerCase();
  if (name === 'auth') {
    const secret = new Set<number>();
    for (let i = 1; i < argv.length; i++) secret.add(i);
    return secret;
  }
  if (name !== 'hello') return undefined;
  const secret = new Set<number>();
  for (let i = 2; i < argv.length; i++) {
    if (argv[i]!.toString('latin1').toUpperCase() === 'AUTH') {
      secret.add(i + 1).add(i + 2);
      i += 2;
    }
  }
  return secret;
}
