/**
 * The state machine's verifiable state: a sparse Merkle tree over every key of every database
 * (src/merkle), kept in step with the key space, and the history of its roots (merkle-history.ts).
 *
 * Cost model. Applying a write only records which key changed and its new entry (an append to
 * a ChangeLog, through the key space's change hook): no encoding, no hashing. The tree catches
 * up when a root is needed, encoding and re-inserting each key changed since the previous root
 * once, however often it changed, and rehashing only the paths those keys dirtied. The write
 * path pays for the append; the rest is paid once per key per root. A checkpoint, the periodic root, does not
 * even pay it in its apply: it freezes the changed keys' states and a RootJob
 * (merkle-root-job.ts) computes the root between later applies. Anything else that needs the
 * tree or the history — a proof, a snapshot, a tag, INFO — finishes that job first, so what it
 * sees is the same as if the root had been computed in the apply.
 *
 * What a key maps to: tree key = database byte || key bytes, value = the canonical encoding of
 * the Redis value (type, contents with hash fields sorted, absolute expiry), both defined in
 * src/merkle/redis-value.ts, which the offline verifier shares. A key whose expiry has passed
 * but that the leader has not deleted yet is still in the state, and so in the tree, with its
 * expiry: every replica holds it until the deletion entry applies.
 *
 * Determinism: the tree is a function of the key space's contents, and the key space is a
 * function of the log, so every replica computes the same root at the same applied index,
 * whenever it happens to flush.
 */
import {
  SparseMerkleTree,
  decodeTreeKey,
  diffVersions,
  encodeTreeKey,
  proveKey,
  type SmtVersion,
} from '../merkle/index.js';
import type { Keyspace, StoredEntry } from './keyspace.js';
import { MerkleOp, isValidTagName, type MerklePayload } from './merkle-entry-codec.js';
import {
  MerkleHistory,
  RecordKind,
  type Divergence,
  type RootRecord,
  type RootRecordList,
  type Tag,
} from './merkle-history.js';
import { ChangeQueue } from './merkle-change-queue.js';
import { ChangeLog } from './merkle-change-log.js';
import { RootJob } from './merkle-root-job.js';
import { readMerkleSection, writeMerkleSection } from './merkle-snapshot-codec.js';
import { buildTree, storedEntryOf } from './merkle-values.js';
import { CommandError, type Result } from './result.js';
import { SnapshotFormatError } from './snapshot-codec.js';

/** A snapshot whose restored state does not hash to the root it recorded. */
export class SnapshotRootMismatchError extends Error {
  constructor(what: string, recorded: Uint8Array, computed: Uint8Array) {
    super(
      `refused snapshot: ${what} does not reproduce its recorded Merkle root (recorded ${Buffer.from(recorded).toString('hex')}, restored state hashes to ${Buffer.from(computed).toString('hex')})`,
    );
    this.name = 'SnapshotRootMismatchError';
  }
}

/** A proof as PROVE returns it. */
export interface ProvenValue {
  /** The canonical value bytes the proof commits to, or null when it proves absence. */
  readonly value: Buffer | null;
  readonly root: Buffer;
  /** The Raft index whose state `root` is. */
  readonly index: number;
  /** ICS-23 CommitmentProof bytes. */
  readonly proof: Uint8Array;
}

/** What INFO and the metrics report. */
export interface MerkleStatus {
  /** Keys in the tree as of the last flush. */
  readonly keys: number;
  /** Keys changed since the last flush. */
  readonly pendingKeys: number;
  readonly latest: RootRecord | undefined;
  readonly confirmedIndex: number;
  readonly logSize: number;
  readonly tags: number;
  readonly divergence: Divergence | undefined;
}

/** A restore checked and built, not yet in place (see KvStateMachine.restore). */
export interface PreparedRestore {
  readonly tree: SparseMerkleTree;
  readonly history: MerkleHistory;
}

/** Above this many pending changes, an empty tree is built in bulk rather than key by key. */
const BULK_FLUSH_KEYS = 4096;

/**
 * The shortest slice of a pending root's work between two turns of the event loop, in ms. A
 * slice is longer when the loop is busy: half of what the loop did since the previous slice.
 */
const ROOT_SLICE_MS = 1;

const hexOf = (root: Uint8Array): Buffer => Buffer.from(Buffer.from(root).toString('hex'));

export class MerkleState {
  private tree = new SparseMerkleTree();
  /**
   * The keys changed since they were last brought into the tree, with their entries as of each
   * change (undefined once deleted): taking them for a root is swapping in an empty log,
   * however many keys changed.
   */
  private changeLog = new ChangeLog();
  /** Applied writes not yet decided (marked or found to change nothing). */
  private readonly queue = new ChangeQueue((db, key, entry) => this.mark(db, key, entry));
  /** Keys changed since the latest root record: the leader checkpoints only when there are some. */
  private changes = 0;
  private history = new MerkleHistory();
  /** Checkpoints' and snapshots' roots being computed between applies, oldest first. */
  private readonly jobs: RootJob[] = [];
  private stepScheduled = false;
  private readonly divergenceListeners = new Set<(d: Divergence) => void>();

  /**
   * @param dbs the key spaces, read at flush time (restore replaces the array).
   * @param appliedIndex the index whose state the key spaces hold.
   */
  constructor(
    private readonly dbs: () => readonly Keyspace[],
    private readonly appliedIndex: () => number,
    /** Told how long each recomputation of the root took, in ms (metrics). */
    private readonly onRecompute?: (durationMs: number) => void,
  ) {}

  /**
   * The hot path: called for every key a write changes, with its new entry (or undefined) and
   * the entry it replaced. A string rewritten with the bytes and expiry it already had (a cache
   * refreshing a value, a retried SET) changes nothing a root covers, so nothing is marked: if
   * the key is marked already, its mark holds an entry that encodes alike; if not, the tree
   * (once any root being computed is done) holds exactly that value.
   */
  markDirty(
    db: number,
    key: string,
    entry: StoredEntry | undefined,
    previous: StoredEntry | undefined,
  ): void {
    // Decided in batches (see merkle-change-queue.ts); everything below that reads the marks
    // or `changes` drains the queue first.
    this.queue.push(db, key, entry, previous);
  }

  /** A queued write that changes its key: logs the key with its new entry. */
  private mark(db: number, key: string, entry: StoredEntry | undefined): void {
    this.changeLog.push(db, key, entry);
    this.changes++;
  }

  /**
   * Changes not yet brought into the tree: the keys changed, except that a key changed again
   * after other keys counts again (see merkle-change-log.ts). Zero exactly when none are.
   */
  get pendingKeys(): number {
    this.queue.drain();
    return this.changeLog.length;
  }

  /** Brings the tree up to date with the key spaces. */
  flush(): void {
    this.finishJob();
    const pending = this.pendingKeys;
    if (pending === 0) return;
    if (this.tree.size === 0 && pending > BULK_FLUSH_KEYS) {
      // An empty tree and many changes (a node that just loaded a lot): build it whole.
      this.tree = buildTree(this.dbs().map((ks) => ks.entries));
      this.dropDirty();
      return;
    }
    new RootJob(this.appliedIndex(), this.tree, this.takeDirty()).finish();
  }

  /** Whether a root is being computed between applies (a checkpoint's or a snapshot's). */
  get computing(): boolean {
    return this.jobs.length > 0;
  }

  /**
   * Does about `budget` keys' worth of the pending root; returns whether work is left. The
   * state steps itself between applies (`startJob`); tests and benchmarks call this directly.
   */
  step(budget: number): boolean {
    const job = this.jobs[0];
    if (job === undefined) return false;
    if (job.step(budget)) this.completeJob(job);
    return this.jobs.length > 0;
  }

  /**
   * Starts computing a root between applies: one slice of it per turn of the event loop, so
   * that client requests and Raft messages (heartbeats included) get in between. Inside the
   * apply that needs it, the keys changed since the previous root would stall the member, and
   * the whole cluster with it since every member applies the same entry, for as long as hashing
   * them takes. Nothing else needs to drive it, so a snapshot waiting on it always completes.
   * Jobs run in order: one started while another runs (a snapshot right after a checkpoint)
   * brings the tree from the earlier one's index to its own.
   *
   * Slices are timed, not counted in keys: a request waits for the slice in progress at each
   * of its hops (the leader's read, the followers' appends, the leader's commit). Steps of
   * 1,024 keys took 3-7 ms each, more with a collection inside. A slice of at least 1 ms, or
   * half of what the loop did since the previous one, bounds that wait and still gives the root
   * a third of a busy member's time, so it finishes within seconds under load. (On one machine
   * running all three members, as the benchmarks do, requests still slow down while the roots
   * of a snapshot are computed: every member computes one at about the same entry, and three
   * roots' CPU on two cores leaves little for requests, whatever the slices.)
   */
  private startJob(job: RootJob): void {
    this.jobs.push(job);
    if (this.stepScheduled) return;
    this.stepScheduled = true;
    let lastSliceEnd = performance.now();
    const turn = (): void => {
      const now = performance.now();
      const deadline = now + Math.max(ROOT_SLICE_MS, (now - lastSliceEnd) / 2);
      const more = this.stepUntil(deadline);
      lastSliceEnd = performance.now();
      if (more) setImmediate(turn);
      else this.stepScheduled = false;
    };
    setImmediate(turn);
  }

  /** Works on the pending roots until `deadline` (performance.now()); whether work is left. */
  private stepUntil(deadline: number): boolean {
    for (let job = this.jobs[0]; job !== undefined; job = this.jobs[0]) {
      if (!job.step(Number.POSITIVE_INFINITY, deadline)) return true;
      this.completeJob(job);
      if (performance.now() >= deadline) break;
    }
    return this.jobs.length > 0;
  }

  /** Computes what is left of the pending roots now: whatever needs the tree needs them. */
  private finishJob(): void {
    for (let job = this.jobs[0]; job !== undefined; job = this.jobs[0]) {
      job.finish();
      this.completeJob(job);
    }
  }

  private completeJob(job: RootJob): void {
    this.jobs.shift();
    job.done(job.root!);
    this.onRecompute?.(job.workMs);
  }

  /** The changes logged so far, their states frozen as they are now; an empty log in place. */
  private takeDirty(): ChangeLog {
    const taken = this.dropDirty();
    const dbs = this.dbs();
    return taken.freeze((db, key) => dbs[db]!.entries.get(key));
  }

  /** The changes logged so far, as they are; an empty log in place. */
  private dropDirty(): ChangeLog {
    this.queue.drain();
    const taken = this.changeLog;
    this.changeLog = new ChangeLog();
    return taken;
  }

  /** The root of the current state, and the index it is the state of. */
  root(): { index: number; root: Buffer } {
    return { index: this.appliedIndex(), root: this.currentRoot() };
  }

  /** Flushes and hashes what changed since the last root; the one place roots are computed. */
  private currentRoot(): Buffer {
    if (this.onRecompute === undefined || (this.pendingKeys === 0 && !this.tree.stale)) {
      this.flush();
      return Buffer.from(this.tree.root());
    }
    const started = performance.now();
    this.flush();
    const root = Buffer.from(this.tree.root());
    this.onRecompute(performance.now() - started);
    return root;
  }

  /**
   * Proves `key` of database `db` present or absent, in the current state or in the tagged
   * version `tag`. Undefined when there is no such tag.
   */
  prove(db: number, key: Uint8Array, tag?: string): ProvenValue | undefined {
    const treeKey = encodeTreeKey(db, key);
    let view: SparseMerkleTree | SmtVersion;
    let index: number;
    if (tag === undefined) {
      this.flush();
      view = this.tree;
      index = this.appliedIndex();
    } else {
      const t = this.history.tags.get(tag);
      if (t === undefined) return undefined;
      view = t.version;
      index = t.index;
    }
    const p = proveKey(view, treeKey);
    return {
      value: p.exists ? Buffer.from(p.value) : null,
      root: Buffer.from(p.root),
      index,
      proof: p.proof,
    };
  }

  // The history's readers finish a pending checkpoint first: its record belongs in it.

  get records(): RootRecordList {
    this.finishJob();
    return this.history.records;
  }

  get log(): MerkleHistory['log'] {
    this.finishJob();
    return this.history.log;
  }

  get tags(): ReadonlyMap<string, Tag> {
    return this.history.tags;
  }

  /** The leaf number of the root record made at Raft index `index`, if any. */
  leafOf(index: number): number | undefined {
    this.finishJob();
    return this.history.leafOf(index);
  }

  /** Whether the leader should propose a checkpoint: something changed, or is unconfirmed. */
  get checkpointDue(): boolean {
    this.finishJob();
    this.queue.drain();
    const latest = this.history.latest;
    return this.changes > 0 || (latest !== undefined && latest.index > this.history.confirmedIndex);
  }

  /** This replica's own root differs from the leader's: it must not serve reads. */
  get divergence(): Divergence | undefined {
    return this.history.divergence;
  }

  /** Called once, when this replica first finds its root differs from the leader's. */
  onDivergence(listener: (d: Divergence) => void): () => void {
    this.divergenceListeners.add(listener);
    return () => this.divergenceListeners.delete(listener);
  }

  status(): MerkleStatus {
    this.finishJob();
    return {
      keys: this.tree.size,
      pendingKeys: this.pendingKeys,
      latest: this.history.latest,
      confirmedIndex: this.history.confirmedIndex,
      logSize: this.history.log.size,
      tags: this.history.tags.size,
      divergence: this.history.divergence,
    };
  }

  /**
   * Applies a MERKLE entry at `index`. Deterministic: the result and the state depend only on
   * the entry and the replicated state. Rollbacks write the key spaces through their `set` and
   * `delete`, so the caller must have set the key spaces' write clock to `index`.
   */
  apply(payload: MerklePayload, index: number): Result {
    switch (payload.op) {
      case MerkleOp.Checkpoint: {
        // The previous checkpoint's root, if it is still being computed (they are seconds
        // apart, so rarely): the comparison below may need it, and records stay in order.
        this.finishJob();
        if (payload.previous !== undefined) {
          const found = this.history.compare(payload.previous.index, payload.previous.root, index);
          if (found !== undefined) for (const listener of this.divergenceListeners) listener(found);
        }
        // The root at this index is computed between the next applies; its record is made
        // when it is known, or as soon as anything reads the history.
        this.startJob(
          new RootJob(index, this.tree, this.takeDirty(), (root) => {
            this.history.append({ kind: RecordKind.Checkpoint, index, root, name: '' });
          }),
        );
        this.changes = 0;
        return index;
      }
      case MerkleOp.Tag:
        return this.tag(payload.name, payload.limit, index);
      case MerkleOp.Untag:
        return this.history.tags.delete(payload.name) ? 1 : 0;
      case MerkleOp.Rollback:
        return this.rollback(payload.name, index);
    }
  }

  private record(kind: RootRecord['kind'], index: number, root: Buffer, name: string): void {
    this.history.append({ kind, index, root, name });
    this.changes = 0;
  }

  private tag(name: string, limit: number, index: number): Result {
    const tags = this.history.tags;
    if (!isValidTagName(name)) return new CommandError('ERR invalid tag name');
    if (tags.has(name)) return new CommandError(`ERR tag '${name}' already exists`);
    if (tags.size >= limit) {
      return new CommandError(
        `ERR the limit of ${limit} tags is reached: untag a version before tagging another`,
      );
    }
    const root = this.currentRoot();
    const version = this.tree.snapshot();
    tags.set(name, { name, index, root, version });
    this.record(RecordKind.Tag, index, root, name);
    return [index, hexOf(root)];
  }

  /** Writes the key spaces back to the tagged version, key by key, as the entry at `index`. */
  private rollback(name: string, index: number): Result {
    const tag = this.history.tags.get(name);
    if (tag === undefined) return new CommandError(`ERR no such tag '${name}'`);
    this.flush();
    const dbs = this.dbs();
    // Ascending key-hash order: the same on every replica, so tombstones are pruned alike.
    for (const change of diffVersions(this.tree, tag.version)) {
      const { db, key } = decodeTreeKey(change.key);
      const keyspace = dbs[db]!;
      const k = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
      if (change.value === undefined) keyspace.delete(k);
      else keyspace.set(k, storedEntryOf(change.value, index));
    }
    const { root } = this.root();
    if (!root.equals(tag.root)) {
      // The rollback rewrote exactly the keys that differ; anything else is a bug worth
      // stopping for, identically on every replica.
      throw new Error(
        `rollback to '${name}' produced root ${root.toString('hex')}, not the tag's ${tag.root.toString('hex')}`,
      );
    }
    this.record(RecordKind.Rollback, index, root, name);
    return [index, hexOf(root)];
  }

  /**
   * Freezes the verifiable state with the key spaces (KvStateMachine.snapshot): the root is
   * computed now; the tags' deltas are computed by `serialize`, which may run later.
   */
  snapshot(): { serialize(): Buffer } {
    const root = this.currentRoot();
    const history = this.history;
    return this.section(root, history.records.prefix(), history.confirmedIndex, [
      ...history.tags.values(),
    ]);
  }

  /**
   * The snapshot section of the state as it is now, without computing its root now: the
   * changed keys are frozen and the root computed between the next applies, like a
   * checkpoint's. A snapshot is taken every so many entries on every member, and the keys
   * changed since the last root are most of the state under a steady write load: computed in
   * the call, they stalled each member for a few hundred ms (100k keys).
   */
  snapshotDeferred(): Promise<Buffer> {
    // As they are now: an UNTAG applied before the root is known must not reach back.
    const tags = [...this.history.tags.values()];
    return new Promise((resolve, reject) => {
      this.startJob(
        new RootJob(this.appliedIndex(), this.tree, this.takeDirty(), (root) => {
          try {
            // Now, while the tree is the state at the snapshot's index (the tags' deltas). The
            // history is as it was then too: the jobs before this one (a checkpoint's) have
            // added their records, and anything that adds a later one (a checkpoint's
            // comparison, a tag) finishes this job first.
            const history = this.history;
            const view = this.section(root, history.records.prefix(), history.confirmedIndex, tags);
            resolve(view.serialize());
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        }),
      );
    });
  }

  /** The snapshot section for `root`, the root of the tree as it is now. */
  private section(
    root: Buffer,
    records: ReturnType<RootRecordList['prefix']>,
    confirmedIndex: number,
    tags: readonly Tag[],
  ): { serialize(): Buffer } {
    // A version of the live tree only when a tag needs a delta against it: taking one makes the
    // next writes copy the paths they change.
    const live = tags.length > 0 ? this.tree.snapshot() : undefined;
    return {
      serialize: () =>
        writeMerkleSection({
          root,
          records,
          confirmedIndex,
          tags: tags.map((t) => ({
            name: t.name,
            index: t.index,
            root: t.root,
            changes: diffVersions(live!, t.version),
          })),
        }),
    };
  }

  /**
   * Builds the verifiable state of a snapshot image and checks it against the roots the
   * snapshot recorded, without touching the current state. Throws SnapshotRootMismatchError
   * (or SnapshotFormatError). Without a section (a version 2 image) the state is rebuilt
   * unchecked, with an empty history.
   */
  prepareRestore(
    dbs: readonly ReadonlyMap<string, StoredEntry>[],
    section: Uint8Array | undefined,
  ): PreparedRestore {
    const tree = buildTree(dbs);
    const history = new MerkleHistory();
    if (section === undefined) return { tree, history };
    const image = readMerkleSection(section);
    const root = tree.root();
    if (!Buffer.from(root).equals(image.root)) {
      throw new SnapshotRootMismatchError('the snapshot state', image.root, root);
    }
    for (const r of image.records) history.append(r);
    history.confirmedIndex = image.confirmedIndex;
    if (image.tags.length === 0) return { tree, history };
    const base = tree.snapshot();
    for (const t of image.tags) {
      const work = SparseMerkleTree.fromVersion(base);
      try {
        for (const c of t.changes) {
          if (c.value === undefined) work.delete(c.key);
          else work.set(c.key, c.value);
        }
      } catch (err) {
        throw new SnapshotFormatError(`tag '${t.name}': ${(err as Error).message}`);
      }
      const version = work.snapshot();
      const tagRoot = version.root();
      if (!Buffer.from(tagRoot).equals(t.root)) {
        throw new SnapshotRootMismatchError(`tag '${t.name}'`, t.root, tagRoot);
      }
      history.tags.set(t.name, { name: t.name, index: t.index, root: t.root, version });
    }
    return { tree, history };
  }

  /** Puts a prepared restore in place (the key spaces were replaced with the same image). */
  adopt(prepared: PreparedRestore): void {
    // A pending root belongs to the state being replaced (a snapshot may wait on it).
    this.finishJob();
    this.tree = prepared.tree;
    this.history = prepared.history;
    this.dropDirty();
    this.changes = 0;
  }
}
