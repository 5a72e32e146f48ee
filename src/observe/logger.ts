import { pino, destination, stdTimeFunctions, type Logger } from 'pino';

/**
 * The process's one root logger (DESIGN.md section 7). Components take
 * `root.child({ component })`; nothing is logged per request on a hot path.
 */
export function createRootLogger(options: { level: string; nodeId?: number; fd?: number }): Logger {
  return pino(
    {
      level: options.level,
      base: options.nodeId === undefined ? { pid: process.pid } : { nodeId: options.nodeId },
      timestamp: stdTimeFunctions.isoTime,
    },
    destination({ fd: options.fd ?? 1, sync: false }),
  );
}
