/**
 * The core's logging hook, shaped like pino's (object first, message second) so the node can
 * pass a child logger straight through. The core logs only state transitions, never per entry.
 */
export interface RaftLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export const silentLogger: RaftLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
};
