/**
 * Redis's INCRBYFLOAT / HINCRBYFLOAT arithmetic, bit for bit.
 *
 * Redis computes these in C `long double`, which on x86-64 is the x87 80-bit extended format
 * (64-bit significand, 15-bit exponent), parses with strtold and prints with "%.17Lf" minus
 * trailing zeros. Doing the same in JS doubles gives different answers users can see
 * (0.1 + 0.2 is "0.3" in Redis, 0.30000000000000004 in doubles; 1e30 prints as
 * 1000000000000000000024696061952). So this module emulates the format exactly with BigInt:
 * correctly rounded parsing (round half to even, as glibc), exact addition rounded once, and
 * exact decimal printing. Everything is integer arithmetic, hence deterministic on every
 * replica.
 */

/** A finite extended value: (-1)^neg * mant * 2^exp with 0 <= mant < 2^64. */
export interface F80 {
  readonly neg: boolean;
  readonly mant: bigint;
  readonly exp: number;
}

export type F80Value = F80 | 'inf' | '-inf';

const MANT_BITS = 64;
/** The exponent of the least significant bit of the smallest subnormal, 2^-16445. */
const MIN_LSB_EXP = -16445;
/** Values at or above 2^16384 overflow. */
const MAX_EXP_BOUND = 16384;
/** Redis's MAX_LONG_DOUBLE_CHARS: inputs this long or longer are rejected. */
const MAX_CHARS = 5 * 1024;

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/**
 * Rounds the exact value (-1)^neg * n * 2^e (plus a nonzero tail below the last bit of n
 * when `sticky`) to the extended format. Returns 'overflow' or the rounded value, which is
 * a zero when the value underflows.
 */
function round(neg: boolean, n: bigint, e: number, sticky: boolean): F80 | 'overflow' {
  if (n === 0n) return { neg, mant: 0n, exp: 0 };
  const len = bitLength(n);
  const shift = Math.max(len - MANT_BITS, MIN_LSB_EXP - e);
  let mant = n;
  let exp = e;
  // Far below the last representable bit (and below half of it): zero. Also spares
  // building enormous shift masks for absurd exponents.
  if (shift > len) return { neg, mant: 0n, exp: 0 };
  if (shift > 0) {
    mant = n >> BigInt(shift);
    const rem = n - (mant << BigInt(shift));
    const half = 1n << BigInt(shift - 1);
    if (rem > half || (rem === half && (sticky || (mant & 1n) === 1n))) mant += 1n;
    exp += shift;
    if (bitLength(mant) > MANT_BITS) {
      mant >>= 1n;
      exp += 1;
    }
  }
  if (mant !== 0n && bitLength(mant) + exp > MAX_EXP_BOUND) return 'overflow';
  return { neg, mant, exp };
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INF = /^([+-]?)(inf|infinity)$/i;

/** An exponent string as a number, clamped far beyond any value that could matter. */
function clampExp(s: string | undefined): number {
  if (s === undefined) return 0;
  const v = Number(s);
  return Math.max(-1e9, Math.min(1e9, v));
}

/**
 * Redis's string2ld: strtold over the whole string, no leading space, no NaN, no overflow
 * to infinity, no underflow to zero. Accepts decimal, hexadecimal ("0x1.8p3") and
 * "inf"/"infinity". Returns undefined when Redis would reject the string.
 */
export function parseF80(b: Buffer | string): F80Value | undefined {
  const s = typeof b === 'string' ? b : b.toString('latin1');
  if (s.length === 0 || s.length >= MAX_CHARS) return undefined;
  const inf = INF.exec(s);
  if (inf !== null) return inf[1] === '-' ? '-inf' : 'inf';
  const hex = HEX.exec(s);
  if (hex !== null) {
    const intPart = hex[2]!;
    const frac = hex[3] ?? '';
    if (intPart.length + frac.length === 0) return undefined;
    const n = BigInt('0x' + (intPart + frac || '0'));
    const e = clampExp(hex[4]) - 4 * frac.length;
    return finish(hex[1] === '-', n, e, 1);
  }
  const dec = DECIMAL.exec(s);
  if (dec === null) return undefined;
  const intPart = dec[2]!;
  const frac = dec[3] ?? '';
  if (intPart.length + frac.length === 0) return undefined;
  const digits = (intPart + frac).replace(/^0+/, '');
  const neg = dec[1] === '-';
  if (digits === '') return { neg, mant: 0n, exp: 0 };
  const d = clampExp(dec[4]) - frac.length; // value = digits * 10^d
  const magnitude = digits.length + d; // value < 10^magnitude
  if (magnitude > 4933) return undefined; // >= 10^4933 > the largest finite value: overflow
  if (magnitude < -4950) return undefined; // < 10^-4951, below half the smallest subnormal
  const m = BigInt(digits);
  if (d >= 0) return finish(neg, m * 10n ** BigInt(d), 0, 1);
  const den = 10n ** BigInt(-d);
  // Scale so the quotient carries at least 66 significant bits, then round once.
  const scale = Math.max(0, 66 + bitLength(den) - bitLength(m));
  const num = m << BigInt(scale);
  const q = num / den;
  return finish(neg, q, -scale, num % den === 0n ? 0 : 2);
}

/** Rounds a parsed value; `tail` 2 marks an inexact quotient. Underflow to zero rejects. */
function finish(neg: boolean, n: bigint, e: number, tail: number): F80 | undefined {
  if (n === 0n) return { neg, mant: 0n, exp: 0 };
  const r = round(neg, n, e, tail === 2);
  if (r === 'overflow' || r.mant === 0n) return undefined;
  return r;
}

/** a + b rounded to the extended format, or 'overflow'. Infinities are the caller's. */
export function addF80(a: F80, b: F80): F80 | 'overflow' {
  const e = Math.min(a.exp, b.exp);
  const x = (a.neg ? -a.mant : a.mant) << BigInt(a.exp - e);
  const y = (b.neg ? -b.mant : b.mant) << BigInt(b.exp - e);
  const sum = x + y;
  // Round to nearest: an exact zero sum is +0 unless both operands are -0.
  if (sum === 0n)
    return { neg: a.neg && b.neg && a.mant === 0n && b.mant === 0n, mant: 0n, exp: 0 };
  return round(sum < 0n, sum < 0n ? -sum : sum, e, false);
}

const TEN17 = 10n ** 17n;

/**
 * printf("%.17Lf") with trailing zeros (and a trailing point) removed and "-0" printed as
 * "0": Redis's ld2string in LD_STR_HUMAN mode. Ties round to even, as glibc does.
 */
export function formatF80(v: F80Value): string {
  if (v === 'inf') return 'inf';
  if (v === '-inf') return '-inf';
  let scaled: bigint;
  if (v.exp >= 0) {
    scaled = (v.mant << BigInt(v.exp)) * TEN17;
  } else {
    const num = v.mant * TEN17;
    const sh = BigInt(-v.exp);
    scaled = num >> sh;
    const rem = num - (scaled << sh);
    const half = 1n << (sh - 1n);
    if (rem > half || (rem === half && (scaled & 1n) === 1n)) scaled += 1n;
  }
  const digits = scaled.toString().padStart(18, '0');
  const out = `${digits.slice(0, -17)}.${digits.slice(-17)}`.replace(/0+$/, '').replace(/\.$/, '');
  if (out === '0') return '0';
  return v.neg ? `-${out}` : out;
}

/** A finite value from an int64 (exact: 64 significant bits suffice). */
export function f80FromBigInt(n: bigint): F80 {
  const r = round(n < 0n, n < 0n ? -n : n, 0, false);
  if (r === 'overflow') throw new RangeError('unreachable: int64 fits the extended format');
  return r;
}
