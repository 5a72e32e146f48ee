/** The long-lived streams (watches) in progress, so that closing a gateway can end them. */
export class OpenStreams {
  private readonly stops = new Set<() => void>();

  /** Registers a stream's stop function; returns the function that unregisters it. */
  add(stop: () => void): () => void {
    this.stops.add(stop);
    return () => this.stops.delete(stop);
  }

  stopAll(): void {
    for (const stop of [...this.stops]) stop();
    this.stops.clear();
  }
}
