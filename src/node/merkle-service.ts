/**
 * The node's side of verifiable state: the leader's checkpoints, tags and rollbacks (proposed
 * on the leader, forwarded from a follower), and the reads of the history — roots, the root
 * log with its consistency and inclusion proofs, tags, the audit view. Proofs of keys are
 * `KvService.prove`, the one every front end shares.
 *
 * Checkpoints. Every so often (`checkpointMs`) the leader proposes a CHECKPOINT entry carrying
 * the (index, root) of the latest root record it holds. Every replica applying the entry at
 * index j compares that root with the one it recorded at the same index — a mismatch raises
 * the alarm: logged here, reported by INFO and `status()`, and the member refuses reads — and
 * then records its own root at j. Roots are computed only where every replica computes them
 * (at CHECKPOINT, TAG and ROLLBACK entries), so no replica hashes at an index the others do
 * not. The leader proposes only when keys changed since the latest record or that record is not
 * yet confirmed, so an idle cluster adds nothing to its log.
 */
import type { Logger } from 'pino';
import { RedraftError } from '../errors.js';
import {
  encodeCheckpoint,
  encodeRollback,
  encodeTag,
  encodeUntag,
  isValidTagName,
} from '../fsm/merkle-entry-codec.js';
import { recordKindName, recordLeafData, type RootRecord } from '../fsm/merkle-history.js';
import type { MerkleState } from '../fsm/merkle-state.js';
import { CommandError, type Result } from '../fsm/result.js';
import { MAX_AUDIT_ENTRIES, readAudit, type AuditEntry } from './audit-log.js';
import type { KvService } from './kv-service.js';
import type { ReadConsistency } from './raft-node.js';

export interface MerkleServiceOptions {
  /** How often the leader considers proposing a checkpoint, in ms. */
  readonly checkpointMs: number;
  /** The most tagged versions the cluster keeps (stamped into each TAG entry). */
  readonly maxTags: number;
  readonly logger: Logger;
}

/** A root record with where it sits in the root log. */
export interface CheckpointView {
  readonly kind: 'checkpoint' | 'tag' | 'rollback';
  readonly index: number;
  readonly root: Buffer;
  /** The tag's name, for tags and rollbacks; '' for checkpoints. */
  readonly name: string;
  /** Its leaf number in the root log. */
  readonly leaf: number;
  /** The log up to and including this record: its size (leaf + 1) and root. */
  readonly logSize: number;
  readonly logRoot: Buffer;
  /** Whether this replica's root here is known to match the leader's. */
  readonly confirmed: boolean;
}

export interface ConsistencyProof {
  readonly size1: number;
  readonly size2: number;
  readonly root1: Buffer;
  readonly root2: Buffer;
  /** RFC 6962 PROOF(size1, D[size2]). */
  readonly proof: readonly Buffer[];
}

export interface InclusionProof {
  readonly leaf: number;
  readonly size: number;
  readonly record: RootRecord;
  /** The record's leaf data (merkle-history.ts), whose leaf hash the proof starts from. */
  readonly leafData: Buffer;
  readonly root: Buffer;
  /** RFC 6962 PATH(leaf, D[size]). */
  readonly proof: readonly Buffer[];
}

export interface TagView {
  readonly name: string;
  readonly index: number;
  readonly root: Buffer;
}

const buf = (s: string): Buffer => Buffer.from(s);

export class MerkleService {
  private readonly merkle: MerkleState;
  private checkpointInFlight = false;

  constructor(
    private readonly kv: KvService,
    private readonly options: MerkleServiceOptions,
  ) {
    const merkle = kv.fsm.merkle;
    if (merkle === undefined)
      throw new Error('MerkleService needs a state machine with Merkle state');
    this.merkle = merkle;
  }

  /** Starts the leader's checkpoints and the alarm's logging; returns a stop function. */
  start(): () => void {
    const stopAlarm = this.merkle.onDivergence((d) => {
      this.options.logger.error(
        {
          index: d.index,
          localRoot: d.localRoot.toString('hex'),
          leaderRoot: d.leaderRoot.toString('hex'),
          detectedAt: d.detectedAt,
        },
        "this member's Merkle root differs from the leader's at the same index: it refuses reads until it is rebuilt from the leader",
      );
    });
    const timer = setInterval(() => {
      this.maybeCheckpoint();
    }, this.options.checkpointMs);
    timer.unref();
    return () => {
      clearInterval(timer);
      stopAlarm();
    };
  }

  private maybeCheckpoint(): void {
    if (this.checkpointInFlight || !this.kv.node.isLeader || !this.merkle.checkpointDue) return;
    this.checkpointInFlight = true;
    // Not checkpoint(): its reply needs the root now, and the timer can wait for it.
    this.proposeCheckpoint().then(
      (r) => {
        this.checkpointInFlight = false;
        if (r instanceof CommandError) {
          this.options.logger.warn({ reply: r.message }, 'checkpoint refused');
        }
      },
      (err: unknown) => {
        this.checkpointInFlight = false;
        // Leadership moved, or the node is stopping: the next leader checkpoints.
        this.options.logger.debug({ err }, 'checkpoint not committed');
      },
    );
  }

  // -------------------------------------------------------------------------------------
  // Writes: each is one log entry, built by the leader. Replies are RESP-shaped Results (a
  // follower relays the leader's reply as it came).

  /** Proposes a checkpoint now: [index, root hex, log size, log root hex] once applied. */
  async checkpoint(): Promise<Result> {
    // proposeOrForward decides on the same synchronous turn: proposed here iff leading now.
    const leading = this.kv.node.isLeader;
    const r = await this.proposeCheckpoint();
    // A follower relays the leader's reply as it is; the leader describes the record its
    // entry made (the entry's result is its index), finishing its root now if need be.
    if (!leading || typeof r !== 'number') return r;
    const view = this.viewAt(r);
    return view === undefined ? r : checkpointReply(view);
  }

  /** Proposes a checkpoint; the result is the entry's index (the leader's reply relayed). */
  private proposeCheckpoint(): Promise<Result> {
    return this.kv.proposeOrForward(
      () => {
        const latest = this.merkle.records.at(-1);
        return encodeCheckpoint(latest === undefined ? undefined : latest);
      },
      0,
      [buf('MERKLE'), buf('CHECKPOINT'), buf('NOW')],
    );
  }

  /** Tags the state as `name`: [index, root hex]. */
  tag(name: string): Promise<Result> {
    if (!isValidTagName(name)) return Promise.resolve(invalidTagName());
    return this.kv.proposeOrForward(() => encodeTag(name, this.options.maxTags), 0, [
      buf('MERKLE'),
      buf('TAG'),
      Buffer.from(name, 'latin1'),
    ]);
  }

  /** Drops the tag `name`: 1, or 0 if there was none. */
  untag(name: string): Promise<Result> {
    if (!isValidTagName(name)) return Promise.resolve(invalidTagName());
    return this.kv.proposeOrForward(() => encodeUntag(name), 0, [
      buf('MERKLE'),
      buf('UNTAG'),
      Buffer.from(name, 'latin1'),
    ]);
  }

  /** Rolls the whole key space back to the tagged version `name`: [index, root hex]. */
  rollback(name: string): Promise<Result> {
    if (!isValidTagName(name)) return Promise.resolve(invalidTagName());
    return this.kv.proposeOrForward(() => encodeRollback(name), 0, [
      buf('MERKLE'),
      buf('ROLLBACK'),
      Buffer.from(name, 'latin1'),
    ]);
  }

  // -------------------------------------------------------------------------------------
  // Reads of this member's copy of the history, at `consistency` (linearizable by default).
  // They describe roots the replicas agreed on, so a diverged member still answers them;
  // reads of the data itself (KvService.prove) it refuses.

  /** The state root now, and the applied index it is the state of (hashes what changed). */
  async root(
    consistency: ReadConsistency = 'linearizable',
  ): Promise<{ index: number; root: Buffer }> {
    await this.kv.node.read(consistency);
    return this.merkle.root();
  }

  /** The latest root record (checkpoint, tag or rollback), or undefined before the first. */
  async latestCheckpoint(
    consistency: ReadConsistency = 'linearizable',
  ): Promise<CheckpointView | undefined> {
    await this.kv.node.read(consistency);
    const latest = this.merkle.records.at(-1);
    return latest === undefined ? undefined : this.viewAt(latest.index);
  }

  /** Root records from leaf number `from`, at most `count`. */
  async records(
    from: number,
    count: number,
    consistency: ReadConsistency = 'linearizable',
  ): Promise<CheckpointView[]> {
    await this.kv.node.read(consistency);
    const records = this.merkle.records;
    const out: CheckpointView[] = [];
    for (let leaf = from; leaf < Math.min(records.length, from + count); leaf++) {
      out.push(this.view(records.get(leaf), leaf));
    }
    return out;
  }

  /** Proves the root log of `size2` leaves (default: all) extends the one of `size1`. */
  async consistencyProof(
    size1: number,
    size2: number | undefined,
    consistency: ReadConsistency = 'linearizable',
  ): Promise<ConsistencyProof> {
    await this.kv.node.read(consistency);
    const log = this.merkle.log;
    const n = size2 ?? log.size;
    if (n > log.size) throw new RedraftError('BAD_REQUEST', `the root log has ${log.size} leaves`);
    if (size1 > n) throw new RedraftError('BAD_REQUEST', 'size1 must not exceed size2');
    return {
      size1,
      size2: n,
      root1: Buffer.from(log.root(size1)),
      root2: Buffer.from(log.root(n)),
      proof: log.consistencyProof(size1, n).map((h) => Buffer.from(h)),
    };
  }

  /** Proves the record at leaf number `leaf` is in the root log of `size` leaves (default: all). */
  async inclusionProof(
    leaf: number,
    size: number | undefined,
    consistency: ReadConsistency = 'linearizable',
  ): Promise<InclusionProof> {
    await this.kv.node.read(consistency);
    const log = this.merkle.log;
    const n = size ?? log.size;
    if (n > log.size) throw new RedraftError('BAD_REQUEST', `the root log has ${log.size} leaves`);
    if (leaf >= n) throw new RedraftError('BAD_REQUEST', `leaf ${leaf} is not below size ${n}`);
    const record = this.merkle.records.get(leaf);
    return {
      leaf,
      size: n,
      record,
      leafData: recordLeafData(record),
      root: Buffer.from(log.root(n)),
      proof: log.inclusionProof(leaf, n).map((h) => Buffer.from(h)),
    };
  }

  /** Tagged versions, oldest first. */
  async tags(consistency: ReadConsistency = 'linearizable'): Promise<TagView[]> {
    await this.kv.node.read(consistency);
    return [...this.merkle.tags.values()]
      .sort((a, b) => a.index - b.index)
      .map((t) => ({ name: t.name, index: t.index, root: t.root }));
  }

  /**
   * The committed operations with `from <= index <= to` (`to` undefined: up to the commit
   * index), at most `limit` (<= MAX_AUDIT_ENTRIES). See audit-log.ts for compacted entries.
   */
  async audit(
    from: number | undefined,
    to: number | undefined,
    limit: number,
    consistency: ReadConsistency = 'linearizable',
  ): Promise<AuditEntry[]> {
    if (limit < 1 || limit > MAX_AUDIT_ENTRIES) {
      throw new RedraftError('BAD_REQUEST', `COUNT must be within 1..${MAX_AUDIT_ENTRIES}`);
    }
    await this.kv.node.read(consistency);
    const status = this.kv.node.status();
    return readAudit(this.kv.node, from ?? status.firstIndex, to ?? status.commit, limit);
  }

  /** Facts for INFO (and the metrics): the alarm, the latest record, the log. */
  status(): ReturnType<MerkleState['status']> {
    return this.merkle.status();
  }

  private viewAt(index: number): CheckpointView | undefined {
    const leaf = this.merkle.leafOf(index);
    return leaf === undefined ? undefined : this.view(this.merkle.records.get(leaf), leaf);
  }

  private view(record: RootRecord, leaf: number): CheckpointView {
    return {
      kind: recordKindName(record.kind),
      index: record.index,
      root: record.root,
      name: record.name,
      leaf,
      logSize: leaf + 1,
      logRoot: Buffer.from(this.merkle.log.root(leaf + 1)),
      confirmed: record.index <= this.merkle.status().confirmedIndex,
    };
  }
}

/** MERKLE CHECKPOINT's reply: [index, root hex, log size, log root hex]. */
export function checkpointReply(view: CheckpointView): Result {
  return [
    view.index,
    Buffer.from(view.root.toString('hex')),
    view.logSize,
    Buffer.from(view.logRoot.toString('hex')),
  ];
}

function invalidTagName(): CommandError {
  return new CommandError(
    'ERR invalid tag name: 1 to 128 printable ASCII characters, without spaces',
  );
}
