/**
 * LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]: the longest common subsequence of
 * two strings, as Redis 7 computes and reports it.
 *
 * The classic dynamic programme: table[i][j] is the LCS length of the first i bytes of a and
 * the first j bytes of b, (len(a)+1) * (len(b)+1) 32-bit cells. Walking back from the end
 * recovers one LCS; which one depends on how ties are broken, and clients compare the string
 * and the match ranges with Redis's, so ties go the way Redis's walk goes: on a mismatch, up
 * (drop a byte of a) only when that keeps a strictly longer LCS, else left. Matches that are
 * contiguous in both strings form one range; ranges are reported from the end backwards, as
 * the walk finds them.
 *
 * The table is transient but can be large; like Redis, a table above the bulk-length limit
 * (512 MB) is refused rather than allocated. Missing keys read as empty strings.
 */
import { keyOf } from '../keyspace.js';
import { CommandError, NOT_INTEGER, SYNTAX_ERROR, type Result } from '../result.js';
import { def, parseInt64, upper, type CommandContext, type CommandDef } from './context.js';

/** Redis's default proto-max-bulk-len, its bound on the table's bytes. */
const MAX_TABLE_BYTES = 512 * 1024 * 1024;

const NOT_STRINGS = new CommandError('ERR The specified keys must contain string values');
const LEN_AND_IDX = new CommandError(
  'ERR If you want both the length and indexes, please just use IDX.',
);
const TABLE_TOO_BIG = new CommandError(
  'ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len',
);

const MATCHES = Buffer.from('matches');
const LEN = Buffer.from('len');

interface LcsOptions {
  len: boolean;
  idx: boolean;
  minMatchLen: number;
  withMatchLen: boolean;
}

function parseOptions(argv: readonly Buffer[]): LcsOptions | CommandError {
  const opts: LcsOptions = { len: false, idx: false, minMatchLen: 0, withMatchLen: false };
  for (let i = 3; i < argv.length; i++) {
    const opt = upper(argv[i]);
    if (opt === 'LEN') opts.len = true;
    else if (opt === 'IDX') opts.idx = true;
    else if (opt === 'WITHMATCHLEN') opts.withMatchLen = true;
    else if (opt === 'MINMATCHLEN' && i + 1 < argv.length) {
      const n = parseInt64(argv[++i]);
      if (n === undefined) return NOT_INTEGER;
      // Negative means no minimum; anything past a string's length filters everything.
      opts.minMatchLen = n < 0n ? 0 : n > 0xffffffffn ? 0xffffffff : Number(n);
    } else return SYNTAX_ERROR;
  }
  if (opts.len && opts.idx) return LEN_AND_IDX;
  return opts;
}

/** The string at `key`, empty if absent, or undefined if it holds another type. */
function stringAt(ctx: CommandContext, key: Buffer): Buffer | undefined {
  const e = ctx.db.get(keyOf(key), ctx.now);
  if (e === undefined) return Buffer.alloc(0);
  return e.value.type === 'string' ? e.value.value : undefined;
}

function lcs(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const a = stringAt(ctx, argv[1]!);
  const b = stringAt(ctx, argv[2]!);
  if (a === undefined || b === undefined) return NOT_STRINGS;
  const opts = parseOptions(argv);
  if (opts instanceof CommandError) return opts;

  const width = b.length + 1;
  if ((a.length + 1) * width * 4 > MAX_TABLE_BYTES) return TABLE_TOO_BIG;
  // Row 0 and column 0 stay 0: the LCS with an empty prefix is empty.
  const table = new Uint32Array((a.length + 1) * width);
  for (let i = 1; i <= a.length; i++) {
    const row = i * width;
    const up = row - width;
    const ai = a[i - 1];
    for (let j = 1; j <= b.length; j++) {
      table[row + j] =
        ai === b[j - 1] ? table[up + j - 1]! + 1 : Math.max(table[up + j]!, table[row + j - 1]!);
    }
  }
  const total = table[a.length * width + b.length]!;
  if (opts.len) return total;

  // Walk back from the end, filling the LCS from its last byte and closing a range of
  // matches whenever the walk leaves the diagonal or reaches the start of either string.
  const common = Buffer.alloc(total);
  const ranges: Result[] = [];
  let filled = total;
  let i = a.length;
  let j = b.length;
  let rangeEndA = -1; // -1: no range open
  let rangeEndB = 0;
  const close = (startA: number, startB: number): void => {
    const length = rangeEndA - startA + 1;
    if (opts.idx && length >= opts.minMatchLen) {
      const range: Result[] = [
        [startA, rangeEndA],
        [startB, rangeEndB],
      ];
      if (opts.withMatchLen) range.push(length);
      ranges.push(range);
    }
    rangeEndA = -1;
  };
  while (i > 0 && j > 0) {
    if (a[i - 1] === b[j - 1]) {
      common[--filled] = a[i - 1]!;
      if (rangeEndA < 0) {
        rangeEndA = i - 1;
        rangeEndB = j - 1;
      }
      i--;
      j--;
      if (i === 0 || j === 0) close(i, j);
    } else {
      if (rangeEndA >= 0) close(i, j);
      if (table[(i - 1) * width + j]! > table[i * width + j - 1]!) i--;
      else j--;
    }
  }
  if (!opts.idx) return common;
  return [MATCHES, ranges, LEN, total];
}

export const LCS_COMMANDS: readonly CommandDef[] = [
  def('lcs', -3, 'read', ['readonly'], [1, 2, 1], lcs),
];
