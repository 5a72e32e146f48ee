import { keyOf } from '../keyspace.js';
import type { Result } from '../result.js';
import { def, type CommandContext, type CommandDef } from './context.js';

/**
 * `__index`: the log index of the entry being applied. Queued last in a gateway transaction,
 * it tells the caller at which index its writes were applied: their new version.
 * Not callable by clients (flag `internal`).
 */
function entryIndex(ctx: CommandContext): Result {
  return ctx.index;
}

const STRING_TYPE = Buffer.from('string');
const HASH_TYPE = Buffer.from('hash');

/**
 * `__entry key`: a key as the gateways present it, read inside the log (a transaction's get
 * sees the writes queued before it): nil when absent or expired, else
 * [type, value (nil for a hash), version, expireAt].
 */
function entryOf(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const e = ctx.db.get(keyOf(argv[1]!), ctx.now);
  if (e === undefined) return null;
  return e.value.type === 'string'
    ? [STRING_TYPE, e.value.value, e.version, e.expireAt]
    : [HASH_TYPE, null, e.version, e.expireAt];
}

export const ENTRY_INDEX = '__index';
export const ENTRY_OF = '__entry';

export const INTROSPECTION_COMMANDS: readonly CommandDef[] = [
  def(ENTRY_INDEX, 1, 'read', ['readonly', 'internal'], [0, 0, 0], entryIndex),
  def(ENTRY_OF, 2, 'read', ['readonly', 'internal'], [1, 1, 1], entryOf),
];
