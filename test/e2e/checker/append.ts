/**
 * Checks a string grown by APPEND (and read with GET): no acknowledged append lost, none
 * applied twice, none reordered relative to the order clients observed, nothing appended
 * that was never sent.
 *
 * Each append adds a unique token followed by {@link TOKEN_END}, so the final value parses
 * back into the sequence of appends that took effect. Checked per key:
 *  - the final value parses, every token in it was sent (and not refused), none appears twice;
 *  - every acknowledged token is in it;
 *  - APPEND replies the length after appending: the final value's prefix of that length ends
 *    with the token (what was there then is still there, in the same order);
 *  - if append A was acknowledged before append B was sent, A comes before B;
 *  - every read is a prefix of the final value, holds every append acknowledged before the
 *    read was sent, and holds none sent after the read returned.
 */
import { partitionByKey, type Operation } from './history.js';

export const TOKEN_END = ';';

export type AppendInput = { readonly f: 'append'; readonly token: string } | { readonly f: 'read' };
/** append: the length APPEND returned; read: the value read (null: key absent). */
export type AppendOutput = number | string | null;
export type AppendOperation = Operation<AppendInput, AppendOutput>;

export interface AppendVerdict {
  readonly key: string;
  readonly ok: boolean;
  readonly acknowledged: number;
  readonly attempted: number;
  /** Tokens in the final value. */
  readonly present: number;
  readonly errors: readonly string[];
}

export interface AppendResult {
  readonly ok: boolean;
  readonly keys: readonly AppendVerdict[];
}

/** `finals` maps each key to its value read after the run, with the cluster healed. */
export function checkAppends(
  history: readonly AppendOperation[],
  finals: ReadonlyMap<string, string | null>,
): AppendResult {
  const keys: AppendVerdict[] = [];
  for (const [key, ops] of partitionByKey(history)) {
    const final = finals.get(key);
    keys.push(
      final === undefined
        ? {
            key,
            ok: false,
            acknowledged: 0,
            attempted: 0,
            present: 0,
            errors: [`no final read of ${key}`],
          }
        : checkAppendKey(key, ops, final ?? ''),
    );
  }
  return { ok: keys.every((k) => k.ok), keys };
}

function tokenOf(op: AppendOperation): string | undefined {
  return op.input.f === 'append' ? op.input.token : undefined;
}

function checkAppendKey(
  key: string,
  ops: readonly AppendOperation[],
  final: string,
): AppendVerdict {
  const errors: string[] = [];
  const appends = ops.filter((o) => o.input.f === 'append');
  const byToken = new Map<string, AppendOperation>();
  for (const op of appends) {
    const token = tokenOf(op)!;
    if (token.includes(TOKEN_END) || token === '')
      throw new Error(`bad token ${JSON.stringify(token)}`);
    if (byToken.has(token))
      throw new Error(`token ${token} sent twice: the workload must make them unique`);
    byToken.set(token, op);
  }
  const describe = (op: AppendOperation): string => {
    const end = op.status === 'unknown' ? 'unknown' : op.complete.toFixed(1);
    const out = op.status === 'ok' ? ` -> ${JSON.stringify(op.output)}` : ` (${op.status})`;
    return `${op.input.f === 'append' ? `append ${op.input.token}` : 'read'} by p${op.process} [${op.invoke.toFixed(1)}, ${end}]${out}`;
  };

  // 1. Parse the final value.
  const position = new Map<string, number>();
  const order: string[] = [];
  if (final !== '') {
    if (!final.endsWith(TOKEN_END))
      errors.push(
        `final value does not end with a whole token: ...${JSON.stringify(final.slice(-40))}`,
      );
    const parts = final.split(TOKEN_END);
    parts.pop();
    for (const token of parts) {
      const op = byToken.get(token);
      if (op === undefined) {
        errors.push(`final value holds ${JSON.stringify(token)}, which no client appended`);
      } else if (op.status === 'fail') {
        errors.push(`final value holds ${token}, whose append was refused: ${describe(op)}`);
      }
      if (position.has(token)) {
        errors.push(
          `${token} appears twice in the final value (positions ${position.get(token)!} and ${order.length})`,
        );
      } else {
        position.set(token, order.length);
      }
      order.push(token);
    }
  }

  // 2. Acknowledged appends: present, and where their reply said.
  const acked = appends.filter((o) => o.status === 'ok');
  for (const op of acked) {
    const token = tokenOf(op)!;
    if (!position.has(token)) {
      errors.push(`acknowledged ${describe(op)} is missing from the final value`);
      continue;
    }
    const length = typeof op.output === 'number' ? op.output : Number.NaN;
    if (!final.slice(0, length).endsWith(token + TOKEN_END) || length > final.length) {
      errors.push(
        `${describe(op)}: APPEND replied length ${length}, but the final value's prefix of that length ends with ${JSON.stringify(final.slice(Math.max(0, length - 30), length))}`,
      );
    }
  }

  // 3. Real-time order: an append acknowledged before another was sent comes first.
  const ackedByComplete = acked
    .filter((o) => position.has(tokenOf(o)!))
    .map((o) => ({
      op: o,
      complete: o.complete,
      pos: position.get(tokenOf(o)!)!,
    }))
    .sort((a, b) => a.complete - b.complete);
  // prefixMax[i]: the acknowledged append placed last among the first i acknowledged.
  const prefixMax: { pos: number; op: AppendOperation | undefined }[] = [
    { pos: -1, op: undefined },
  ];
  for (const a of ackedByComplete) {
    const prev = prefixMax[prefixMax.length - 1]!;
    prefixMax.push(a.pos > prev.pos ? { pos: a.pos, op: a.op } : prev);
  }
  const ackedBefore = (t: number): number => {
    let lo = 0;
    let hi = ackedByComplete.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ackedByComplete[mid]!.complete < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  for (const [token, pos] of position) {
    const op = byToken.get(token);
    if (op === undefined) continue;
    const latest = prefixMax[ackedBefore(op.invoke)]!;
    if (latest.pos > pos && latest.op !== undefined) {
      errors.push(
        `${describe(op)} sits at position ${pos}, before ${describe(latest.op)} (position ${latest.pos}), which was acknowledged before it was sent`,
      );
    }
  }

  // 4. Reads.
  const appendsByInvoke = appends.map((o) => ({ token: tokenOf(o)!, invoke: o.invoke }));
  for (const op of ops) {
    if (op.input.f !== 'read' || op.status !== 'ok') continue;
    const value = typeof op.output === 'string' ? op.output : '';
    if (!final.startsWith(value)) {
      errors.push(`${describe(op)} is not a prefix of the final value`);
      continue;
    }
    const seen = new Set(value.split(TOKEN_END).slice(0, -1));
    const missing =
      prefixMax.length > 1
        ? ackedByComplete.slice(0, ackedBefore(op.invoke)).find((a) => !seen.has(tokenOf(a.op)!))
        : undefined;
    if (missing !== undefined) {
      errors.push(
        `${describe(op)} misses ${describe(missing.op)}, acknowledged before the read was sent`,
      );
    }
    const early = appendsByInvoke.find((a) => a.invoke > op.complete && seen.has(a.token));
    if (early !== undefined) {
      errors.push(`${describe(op)} holds ${early.token}, sent only after the read returned`);
    }
  }
  return {
    key,
    ok: errors.length === 0,
    acknowledged: acked.length,
    attempted: appends.filter((o) => o.status !== 'fail').length,
    present: order.length,
    errors: errors.slice(0, 50),
  };
}
