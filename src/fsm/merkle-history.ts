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

/** Read access to the first `length` records of a RootRecordList (snapshots keep one). */
export interface RecordSource {
  readonly length: number;
  get(leaf: number): RootRecord;
}

const RECORD_BYTES = 1 + 8 + 32;

/**
 * The root records, append-only, in 41 bytes each (kind, index, root) plus the names of the
 * few that have one: a long-running cluster adds one per checkpoint, so they are packed rather
 * than kept as objects (~525 bytes each as objects, ~41 here, plus the log's ~100 bytes of
 * hashes). Records are made on demand.
 */
export class RootRecordList implements RecordSource, Iterable<RootRecord> {
  private bytes = Buffer.alloc(RECORD_BYTES * 64);
  private count = 0;
  private readonly names = new Map<number, string>();

  get length(): number {
    return this.count;
  }

  push(r: RootRecord): void {
    if (this.count > 0 && r.index <= this.indexAt(this.count - 1)) {
      throw new Error(`root records must ascend: ${r.index} after ${this.indexAt(this.count - 1)}`);
    }
    if ((this.count + 1) * RECORD_BYTES > this.bytes.length) {
      const grown = Buffer.alloc(this.bytes.length * 2);
      this.bytes.copy(grown);
      this.bytes = grown;
    }
    const at = this.count * RECORD_BYTES;
    this.bytes[at] = r.kind;
    this.bytes.writeDoubleBE(r.index, at + 1);
    r.root.copy(this.bytes, at + 9);
    if (r.name !== '') this.names.set(this.count, r.name);
    this.count++;
  }

  indexAt(leaf: number): number {
    return this.bytes.readDoubleBE(leaf * RECORD_BYTES + 1);
  }

  get(leaf: number): RootRecord {
    if (!Number.isInteger(leaf) || leaf < 0 || leaf >= this.count) {
      throw new RangeError(`no root record ${leaf}`);
    }
    const at = leaf * RECORD_BYTES;
    return {
      kind: this.bytes[at] as RecordKind,
      index: this.indexAt(leaf),
      root: Buffer.from(this.bytes.subarray(at + 9, at + RECORD_BYTES)),
      name: this.names.get(leaf) ?? '',
    };
  }

  /** Like Array#at: negative counts from the end; undefined out of range. */
  at(leaf: number): RootRecord | undefined {
    const i = leaf < 0 ? this.count + leaf : leaf;
    return i >= 0 && i < this.count ? this.get(i) : undefined;
  }

  /** The leaf number of the record made at Raft index `index`, if any. */
  find(index: number): number | undefined {
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.indexAt(mid);
      if (at === index) return mid;
      if (at < index) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** The first `length` records as they are now (later appends do not show). */
  prefix(length: number = this.count): RecordSource {
    return { length, get: (leaf) => this.get(leaf) };
  }

  *[Symbol.iterator](): Iterator<RootRecord> {
    for (let i = 0; i < this.count; i++) yield this.get(i);
  }
}

export class MerkleHistory {
  private readonly recordList = new RootRecordList();
  readonly log = new MerkleLog();
  readonly tags = new Map<string, Tag>();
  /**
   * The latest record index at which this replica's root is known to match the leader's: a
   * later checkpoint carried the leader's root for it, or nothing changed since one that did.
   */
  confirmedIndex = 0;
  divergence: Divergence | undefined;

  get records(): RootRecordList {
    return this.recordList;
  }

  get latest(): RootRecord | undefined {
    return this.recordList.at(-1);
  }

  /** The root this replica recorded at `index`, if it recorded one there. */
  rootAt(index: number): Buffer | undefined {
    const leaf = this.recordList.find(index);
    return leaf === undefined ? undefined : this.recordList.get(leaf).root;
  }

  /** The leaf number of the record made at Raft index `index`, if any (records ascend). */
  leafOf(index: number): number | undefined {
    return this.recordList.find(index);
  }

  append(record: RootRecord): void {
    const previous = this.latest;
    this.recordList.push(record);
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
}
