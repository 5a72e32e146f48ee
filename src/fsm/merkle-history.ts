/**
 * The history of the verifiable state: every (index, root) pair the replicas agreed to record —
 * checkpoints, tags and rollbacks — in an RFC 6962 log, the tagged versions themselves, and the
 * comparison of this replica's roots with the leader's.
 *
 * Everything here is replicated state, changed only by applying log entries (plus the alarm,
 * which is this replica's own verdict), so every replica holds the same log, with the same log
 * root at the same index.
 *
 * A record is one leaf of the log; its leaf data, what a client hashes to check inclusion, is
 *
 *   u8 kind (1 checkpoint, 2 tag, 3 rollback) | u64 big-endian Raft index | 32-byte state root
 *   | the tag's name (latin1; tags and rollbacks only)
 *
 * and its leaf hash SHA-256(0x00 || leaf data), as RFC 6962 prescribes.
 */
import { MerkleLog, type SmtVersion } from '../merkle/index.js';

export const RecordKind = { Checkpoint: 1, Tag: 2, Rollback: 3 } as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

export function recordKindName(kind: RecordKind): 'checkpoint' | 'tag' | 'rollback' {
  return kind === RecordKind.Checkpoint
    ? 'checkpoint'
    : kind === RecordKind.Tag
      ? 'tag'
      : 'rollback';
}

/** One leaf of the root log. */
export interface RootRecord {
  readonly kind: RecordKind;
  /** The Raft index of the entry that recorded it: the root is the state's after that entry. */
  readonly index: number;
  readonly root: Buffer;
  /** The tag's name, for tags and rollbacks; '' for checkpoints. */
  readonly name: string;
}

/** A tagged version of the state, kept until untagged. */
export interface Tag {
  readonly name: string;
  readonly index: number;
  readonly root: Buffer;
  readonly version: SmtVersion;
}

/** This replica's root differs from the one the leader recorded at the same index. */
export interface Divergence {
  readonly index: number;
  readonly localRoot: Buffer;
  readonly leaderRoot: Buffer;
  /** The checkpoint entry that carried the leader's root. */
  readonly detectedAt: number;
}

/** The leaf data of a record (see the file comment). */
export function recordLeafData(r: RootRecord): Buffer {
  const name = Buffer.from(r.name, 'latin1');
  const out = Buffer.allocUnsafe(1 + 8 + 32 + name.length);
  out[0] = r.kind;
  out.writeBigUInt64BE(BigInt(r.index), 1);
  r.root.copy(out, 9);
  name.copy(out, 41);
  return out;
}

export class MerkleHistory {
  private readonly recordList: RootRecord[] = [];
  /** Raft index -> root (latin1), for the comparison with the leader's roots. */
  private readonly rootsByIndex = new Map<number, string>();
  readonly log = new MerkleLog();
  readonly tags = new Map<string, Tag>();
  /**
   * The latest record index at which this replica's root is known to match the leader's: a
   * later checkpoint carried the leader's root for it, or nothing changed since one that did.
   */
  confirmedIndex = 0;
  divergence: Divergence | undefined;

  get records(): readonly RootRecord[] {
    return this.recordList;
  }

  get latest(): RootRecord | undefined {
    return this.recordList[this.recordList.length - 1];
  }

  /** The root this replica recorded at `index`, if it recorded one there. */
  rootAt(index: number): Buffer | undefined {
    const root = this.rootsByIndex.get(index);
    return root === undefined ? undefined : Buffer.from(root, 'latin1');
  }

  /** The leaf number of the record made at Raft index `index`, if any (records ascend). */
  leafOf(index: number): number | undefined {
    let lo = 0;
    let hi = this.recordList.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.recordList[mid]!.index;
      if (at === index) return mid;
      if (at < index) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  append(record: RootRecord): void {
    const previous = this.latest;
    this.recordList.push(record);
    this.rootsByIndex.set(record.index, record.root.toString('latin1'));
    this.log.append(recordLeafData(record));
    // Nothing changed since a confirmed record: this one is the same state, just as confirmed.
    if (
      previous !== undefined &&
      previous.index === this.confirmedIndex &&
      previous.root.equals(record.root)
    ) {
      this.confirmedIndex = record.index;
    }
  }

  /**
   * Compares the root the leader recorded at `index` with ours. Returns the divergence found,
   * if this is the first; undefined when the roots agree, when this replica recorded nothing at
   * `index`, or when an earlier divergence is already on record (the first one is the news).
   */
  compare(index: number, leaderRoot: Buffer, detectedAt: number): Divergence | undefined {
    const own = this.rootAt(index);
    if (own === undefined) return undefined;
    if (own.equals(leaderRoot)) {
      if (index > this.confirmedIndex) this.confirmedIndex = index;
      return undefined;
    }
    if (this.divergence !== undefined) return undefined;
    this.divergence = { index, localRoot: own, leaderRoot: Buffer.from(leaderRoot), detectedAt };
    return this.divergence;
  }

  /** Records listed from leaf number `from`, at most `count`. */
  slice(from: number, count: number): readonly RootRecord[] {
    return this.recordList.slice(from, from + count);
  }
}
