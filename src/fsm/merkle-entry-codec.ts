/**
 * Log entries of the verifiable-state history (kind 5 in entry-codec.ts):
 *
 *   MERKLE      u8 5 | u8 op | op payload
 *     CHECKPOINT  op 1 | f64 index of the leader's latest checkpoint (0: none yet)
 *                 | 32-byte state root it recorded there (only when the index is not 0)
 *     TAG         op 2 | u16 tag limit | u8 name length | name
 *     UNTAG       op 3 | u8 name length | name
 *     ROLLBACK    op 4 | u8 name length | name
 *
 * Everything an entry's effect depends on travels in the entry or is replicated state, so
 * every replica applies it alike: the tag limit is the proposing leader's setting, stamped in,
 * not each replica's own.
 */
import { MalformedEntryError } from './malformed-entry-error.js';

/** The entry kind byte of these entries (MERKLE_ENTRY_KIND in entry-codec.ts). */
export const MERKLE_ENTRY_KIND = 5;

export const MerkleOp = { Checkpoint: 1, Tag: 2, Untag: 3, Rollback: 4 } as const;

/** Tag names: 1 to 128 printable ASCII characters, no spaces (they appear in INFO and logs). */
export const TAG_NAME_PATTERN = /^[\x21-\x7e]{1,128}$/;

export function isValidTagName(name: string): boolean {
  return TAG_NAME_PATTERN.test(name);
}

export type MerklePayload =
  | {
      readonly kind: typeof MERKLE_ENTRY_KIND;
      readonly op: typeof MerkleOp.Checkpoint;
      /** The leader's latest checkpoint when it proposed this one; undefined if it had none. */
      readonly previous: { readonly index: number; readonly root: Buffer } | undefined;
    }
  | {
      readonly kind: typeof MERKLE_ENTRY_KIND;
      readonly op: typeof MerkleOp.Tag;
      readonly name: string;
      readonly limit: number;
    }
  | {
      readonly kind: typeof MERKLE_ENTRY_KIND;
      readonly op: typeof MerkleOp.Untag | typeof MerkleOp.Rollback;
      readonly name: string;
    };

export function encodeCheckpoint(
  previous: { index: number; root: Uint8Array } | undefined,
): Buffer {
  if (previous === undefined) {
    const out = Buffer.alloc(10);
    out[0] = MERKLE_ENTRY_KIND;
    out[1] = MerkleOp.Checkpoint;
    return out;
  }
  if (previous.root.length !== 32) throw new RangeError('a state root is 32 bytes');
  const out = Buffer.allocUnsafe(42);
  out[0] = MERKLE_ENTRY_KIND;
  out[1] = MerkleOp.Checkpoint;
  out.writeDoubleBE(previous.index, 2);
  out.set(previous.root, 10);
  return out;
}

function encodeNamed(op: number, name: string, limit?: number): Buffer {
  if (!isValidTagName(name)) throw new RangeError(`invalid tag name "${name}"`);
  const nameBytes = Buffer.from(name, 'latin1');
  const head = limit === undefined ? 2 : 4;
  const out = Buffer.allocUnsafe(head + 1 + nameBytes.length);
  out[0] = MERKLE_ENTRY_KIND;
  out[1] = op;
  if (limit !== undefined) out.writeUInt16BE(limit, 2);
  out[head] = nameBytes.length;
  nameBytes.copy(out, head + 1);
  return out;
}

export function encodeTag(name: string, limit: number): Buffer {
  if (!Number.isInteger(limit) || limit < 0 || limit > 0xffff) {
    throw new RangeError('the tag limit is within 0..65535');
  }
  return encodeNamed(MerkleOp.Tag, name, limit);
}

export function encodeUntag(name: string): Buffer {
  return encodeNamed(MerkleOp.Untag, name);
}

export function encodeRollback(name: string): Buffer {
  return encodeNamed(MerkleOp.Rollback, name);
}

/** Decodes a MERKLE entry (`buf[0]` is MERKLE_ENTRY_KIND). Throws MalformedEntryError. */
export function decodeMerkleEntry(buf: Buffer): MerklePayload {
  if (buf.length < 2) throw new MalformedEntryError('short merkle entry');
  const op = buf[1];
  switch (op) {
    case MerkleOp.Checkpoint: {
      if (buf.length < 10) throw new MalformedEntryError('short checkpoint entry');
      const index = buf.readDoubleBE(2);
      if (!Number.isSafeInteger(index) || index < 0) {
        throw new MalformedEntryError('bad checkpoint index');
      }
      if (index === 0) {
        if (buf.length !== 10) throw new MalformedEntryError('trailing bytes after checkpoint');
        return { kind: MERKLE_ENTRY_KIND, op, previous: undefined };
      }
      if (buf.length !== 42) throw new MalformedEntryError('bad checkpoint length');
      return {
        kind: MERKLE_ENTRY_KIND,
        op,
        previous: { index, root: Buffer.from(buf.subarray(10, 42)) },
      };
    }
    case MerkleOp.Tag:
    case MerkleOp.Untag:
    case MerkleOp.Rollback: {
      const head = op === MerkleOp.Tag ? 4 : 2;
      if (buf.length < head + 1) throw new MalformedEntryError('short tag entry');
      const length = buf[head]!;
      if (buf.length !== head + 1 + length) throw new MalformedEntryError('bad tag name length');
      const name = buf.toString('latin1', head + 1);
      if (op === MerkleOp.Tag) {
        return { kind: MERKLE_ENTRY_KIND, op, name, limit: buf.readUInt16BE(2) };
      }
      return { kind: MERKLE_ENTRY_KIND, op, name };
    }
    default:
      throw new MalformedEntryError(`unknown merkle op ${String(op)}`);
  }
}
