import { keyOf } from '../keyspace.js';
import type { Result } from '../result.js';
import { def, type CommandContext, type CommandDef } from './context.js';

/**
 * `__expire key...`: the deletion the leader proposes for keys it found expired. Applied with
 * the entry's (leader) time, it removes a key only if it is still expired then: a client may
 * have written the key again between the leader's scan and this entry.
 * Not callable by clients (flag `internal`).
 */
function expireSweep(ctx: CommandContext, argv: readonly Buffer[]): Result {
  let removed = 0;
  for (let i = 1; i < argv.length; i++) {
    const key = keyOf(argv[i]!);
    const e = ctx.db.entries.get(key);
    if (e !== undefined && e.expireAt !== 0 && e.expireAt <= ctx.now) {
      ctx.db.delete(key);
      removed++;
    }
  }
  return removed;
}

export const EXPIRE_SWEEP = '__expire';

export const SERVER_COMMANDS: readonly CommandDef[] = [
  def(EXPIRE_SWEEP, -1, 'write', ['write', 'internal'], [1, -1, 1], expireSweep),
];
