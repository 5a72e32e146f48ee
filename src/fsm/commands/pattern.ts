/**
 * Redis's glob matching (util.c stringmatchlen), ported line for line so that KEYS, SCAN
 * MATCH and HSCAN MATCH select exactly what Redis selects, quirks included:
 *
 * - `*` any run of bytes, `?` one byte, `[abc]` a set, `[^abc]` its complement, `[a-z]` a
 *   range (reversed bounds are swapped), `\x` a literal x, inside or outside a set;
 * - an unterminated `[` set extends to the end of the pattern;
 * - range bounds compare bytes as C `char`, which is signed on x86-64 (the platform Redis
 *   ships on): bytes >= 0x80 sort below 0x00, so `[a-\xff]` is `[\xff-a]`;
 * - reads past the pattern's end see the C string terminator, 0.
 *
 * Patterns and subjects are latin1 strings of their bytes. Like Redis 7.2+, recursion through
 * `*` stops matching beyond 1000 levels, so no pattern can exhaust the stack.
 */

const MAX_NESTING = 1000;

/** True if `subject` matches the glob `pattern`. */
export function stringMatch(pattern: string, subject: string): boolean {
  const state = { skipLongerMatches: false };
  return matchImpl(pattern, 0, subject, 0, state, 0);
}

/** A pattern of exactly "*" matches everything; callers skip matching altogether. */
export function matchesAll(pattern: string): boolean {
  return pattern === '*';
}

function signed(c: number): number {
  return c >= 128 ? c - 256 : c;
}

function matchImpl(
  pat: string,
  p: number,
  str: string,
  s: number,
  state: { skipLongerMatches: boolean },
  nesting: number,
): boolean {
  if (nesting > MAX_NESTING) return false;
  const pend = pat.length;
  const send = str.length;
  // C reads the terminator past the end.
  const pc = (i: number): number => (i < pend ? pat.charCodeAt(i) : 0);
  const sc = (i: number): number => (i < send ? str.charCodeAt(i) : 0);

  while (p < pend && s < send) {
    switch (pc(p)) {
      case 0x2a /* '*' */: {
        while (p < pend && pc(p + 1) === 0x2a) p++;
        if (pend - p === 1) return true;
        while (s < send) {
          if (matchImpl(pat, p + 1, str, s, state, nesting + 1)) return true;
          if (state.skipLongerMatches) return false;
          s++;
        }
        // No match for the rest of the pattern anywhere in the rest of the string: earlier
        // stars cannot do better by matching more, so stop trying them.
        state.skipLongerMatches = true;
        return false;
      }
      case 0x3f /* '?' */:
        s++;
        break;
      case 0x5b /* '[' */: {
        p++;
        const not = pc(p) === 0x5e; /* '^' */
        if (not) p++;
        let match = false;
        for (;;) {
          if (pc(p) === 0x5c /* '\\' */ && pend - p >= 2) {
            p++;
            if (pc(p) === sc(s)) match = true;
          } else if (pc(p) === 0x5d /* ']' */) {
            break;
          } else if (p >= pend) {
            p--;
            break;
          } else if (pend - p >= 3 && pc(p + 1) === 0x2d /* '-' */) {
            let start = signed(pc(p));
            let end = signed(pc(p + 2));
            const c = signed(sc(s));
            if (start > end) [start, end] = [end, start];
            p += 2;
            if (c >= start && c <= end) match = true;
          } else if (pc(p) === sc(s)) {
            match = true;
          }
          p++;
        }
        if (not) match = !match;
        if (!match) return false;
        s++;
        break;
      }
      case 0x5c /* '\\' */:
        if (pend - p >= 2) p++;
        if (pc(p) !== sc(s)) return false;
        s++;
        break;
      default:
        if (pc(p) !== sc(s)) return false;
        s++;
        break;
    }
    p++;
    if (s >= send) {
      while (pc(p) === 0x2a) p++;
      break;
    }
  }
  return p >= pend && s >= send;
}
