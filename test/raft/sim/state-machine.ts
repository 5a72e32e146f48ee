/**
 * The replicated state machine of the simulation: the sequence of applied entries itself,
 * each reduced to a key that names its term and content. It is the strictest state machine
 * there is (two replicas agree only if they applied exactly the same entries), and it is
 * what snapshots carry, so restoring from a snapshot really rebuilds the applied state.
 */
import { EntryType, decodeConfChange, type Entry } from '../../../src/raft/index.js';

const decoder = new TextDecoder();
const encoder = new TextEncoder();

const CHANGE_NAMES = ['+v', '+l', '-'] as const;

/** A printable identity for an entry: equal keys mean equal term, type and data. */
export function entryKey(e: Entry): string {
  if (e.type === EntryType.ConfChange) {
    const cc = decodeConfChange(e.data);
    const changes = cc.changes.map((c) => `${CHANGE_NAMES[c.type]}${c.nodeId}`).join(',');
    return `${e.term}:cc:${cc.transition}:${changes}`;
  }
  return `${e.term}:${decoder.decode(e.data)}`;
}

/** Snapshot data: the applied keys of entries 1..n, in order. */
export function encodeAppliedState(applied: readonly string[]): Uint8Array<ArrayBuffer> {
  return encoder.encode(JSON.stringify(applied));
}

export function decodeAppliedState(data: Uint8Array): string[] {
  if (data.length === 0) return [];
  const parsed: unknown = JSON.parse(decoder.decode(data));
  if (!Array.isArray(parsed) || !parsed.every((k): k is string => typeof k === 'string')) {
    throw new Error('malformed snapshot data');
  }
  return parsed;
}
