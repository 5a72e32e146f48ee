import { RaftInvariantError } from './errors.js';
import {
  ConfChangeType,
  nodeId,
  type ConfChange,
  type ConfChangeSingle,
  type ConfChangeTransition,
} from './types.js';

/**
 * The wire form of a {@link ConfChange} inside a log entry. Every replica decodes it while
 * applying, so the format is fixed and versioned:
 *
 *   u8 version (1) | u8 transition | u32 count | count x (u8 type | f64 node id)
 *   | u32 context length | context bytes
 *
 * Node ids are carried as float64 because they are JavaScript safe integers (up to 2^53).
 */
const VERSION = 1;
const TRANSITIONS: readonly ConfChangeTransition[] = ['auto', 'implicit', 'explicit'];

export function encodeConfChange(cc: ConfChange): Uint8Array {
  const size = 1 + 1 + 4 + cc.changes.length * 9 + 4 + cc.context.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let off = 0;
  view.setUint8(off++, VERSION);
  view.setUint8(off++, TRANSITIONS.indexOf(cc.transition));
  view.setUint32(off, cc.changes.length);
  off += 4;
  for (const c of cc.changes) {
    view.setUint8(off++, c.type);
    view.setFloat64(off, c.nodeId);
    off += 8;
  }
  view.setUint32(off, cc.context.length);
  off += 4;
  out.set(cc.context, off);
  return out;
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const fail = (why: string): never => {
    throw new RaftInvariantError(`malformed conf change entry: ${why}`);
  };
  if (data.length < 10) fail('too short');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let off = 0;
  const version = view.getUint8(off++);
  if (version !== VERSION) fail(`unknown version ${version}`);
  const transition = TRANSITIONS[view.getUint8(off++)] ?? fail('unknown transition');
  const count = view.getUint32(off);
  off += 4;
  if (data.length < off + count * 9 + 4) fail('truncated changes');
  const changes: ConfChangeSingle[] = [];
  for (let i = 0; i < count; i++) {
    const type = view.getUint8(off++);
    const id = view.getFloat64(off);
    off += 8;
    if (type > ConfChangeType.Remove) fail(`unknown change type ${type}`);
    if (!Number.isSafeInteger(id) || id <= 0) fail(`invalid node id ${id}`);
    changes.push({ type: type as ConfChangeType, nodeId: nodeId(id) });
  }
  const contextLength = view.getUint32(off);
  off += 4;
  if (data.length !== off + contextLength) fail('bad context length');
  return { transition, changes, context: data.slice(off, off + contextLength) };
}
