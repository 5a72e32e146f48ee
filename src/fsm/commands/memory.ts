/**
 * MEMORY USAGE | DOCTOR | MALLOC-STATS | PURGE | HELP. Redraft's memory is V8's heap, not an
 * allocator's arenas: USAGE estimates what a key costs there, and the allocator reports have
 * nothing to say. MEMORY STATS, whose fields describe Redis's allocator and buffers, is not
 * offered (INFO memory has what Redraft can tell).
 */
import { keyOf, type StoredEntry } from '../keyspace.js';
import { CommandError, NOT_INTEGER, OK, SYNTAX_ERROR, Status, type Result } from '../result.js';
import { formatError } from './args.js';
import { def, str, upper, type CommandContext, type CommandDef } from './context.js';

/**
 * What holding a key costs in the heap besides its bytes, measured on Node 20 (x64) by filling
 * a Map with 200,000 entries shaped as the key space's and dividing heap plus external memory
 * by the count: a string entry (Map slot, key string, entry and value objects, a pooled
 * Buffer) about 240 bytes; a hash entry about 300, plus about 160 per field (Map slot, name
 * string, Buffer).
 */
const STRING_ENTRY_BYTES = 240;
const HASH_ENTRY_BYTES = 300;
const HASH_FIELD_BYTES = 160;

/** What `key` and its entry take in the heap, approximately. */
export function memoryUsage(key: string, entry: StoredEntry): number {
  const v = entry.value;
  if (v.type === 'string') return STRING_ENTRY_BYTES + key.length + v.value.length;
  let bytes = HASH_ENTRY_BYTES + key.length;
  for (const [field, value] of v.fields) bytes += HASH_FIELD_BYTES + field.length + value.length;
  return bytes;
}

const MEMORY_HELP = [
  'MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'DOCTOR',
  '    Return memory problems reports.',
  'MALLOC-STATS',
  '    Return internal statistics report from the memory allocator.',
  'PURGE',
  '    Attempt to purge dirty pages for reclamation by the allocator.',
  'USAGE <key> [SAMPLES <count>]',
  '    Return memory in bytes used by <key> and its value (an estimate of what Redraft',
  '    holds for it in the V8 heap; <count> is accepted and ignored: every field counts).',
  'HELP',
  '    Prints this help.',
].map((line) => new Status(line));

const DOCTOR_REPORT = Buffer.from(
  "Redraft keeps its data in V8's garbage-collected heap: there is no allocator fragmentation " +
    'or peak to diagnose. INFO memory gives used_memory (heap and buffers) and ' +
    'used_memory_rss; the Prometheus metrics add the Node.js heap and GC figures.\n',
);

/** Redis's own reply when its allocator has no report (libc malloc). */
const NO_MALLOC_STATS = Buffer.from('Stats not supported for the current allocator');

/** USAGE's options: SAMPLES <count> with count >= 0, checked as Redis checks them. */
function usageOptionsError(argv: readonly Buffer[]): CommandError | undefined {
  for (let i = 3; i < argv.length; i += 2) {
    if (upper(argv[i]) !== 'SAMPLES' || i + 1 >= argv.length) return SYNTAX_ERROR;
    const count = str(argv[i + 1]);
    if (!/^-?\d+$/.test(count) || !Number.isSafeInteger(Number(count))) return NOT_INTEGER;
    if (Number(count) < 0) return SYNTAX_ERROR;
  }
  return undefined;
}

function memory(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const sub = upper(argv[1]);
  switch (sub) {
    case 'USAGE': {
      if (argv.length < 3)
        return new CommandError("ERR wrong number of arguments for 'memory|usage' command");
      const invalid = usageOptionsError(argv);
      if (invalid !== undefined) return invalid;
      const key = keyOf(argv[2]!);
      const e = ctx.db.get(key, ctx.now);
      return e === undefined ? null : memoryUsage(key, e);
    }
    case 'DOCTOR':
    case 'MALLOC-STATS':
    case 'PURGE':
    case 'HELP':
      if (argv.length !== 2) {
        return new CommandError(
          `ERR wrong number of arguments for 'memory|${sub.toLowerCase()}' command`,
        );
      }
      if (sub === 'DOCTOR') return DOCTOR_REPORT;
      if (sub === 'MALLOC-STATS') return NO_MALLOC_STATS;
      return sub === 'PURGE' ? OK : MEMORY_HELP;
    default:
      return formatError(`unknown subcommand '${str(argv[1]).slice(0, 128)}'. Try MEMORY HELP.`);
  }
}

export const MEMORY_COMMANDS: readonly CommandDef[] = [
  def('memory', -2, 'read', ['readonly'], [0, 0, 0], memory),
];
