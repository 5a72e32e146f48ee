/**
 * What the RESP server reports, for metrics (src/observe implements it). Optional: a server
 * without one takes no timings.
 */
export interface RespObserver {
  connectionOpened(): void;
  connectionClosed(): void;
  /** A TLS handshake failed: a plain-text client on a TLS port, or a missing or untrusted
   *  client certificate. */
  handshakeFailed(): void;
  /**
   * The recorder for one command, by its lower-cased name (any name a client sends, known or
   * not). Called for every command: must be a lookup that neither allocates nor grows with
   * the names clients invent.
   */
  command(name: string): CommandRecorder;
}

export interface CommandRecorder {
  /** The command's reply is ready, `durationMs` after its bytes arrived (performance.now()). */
  record(durationMs: number): void;
}
