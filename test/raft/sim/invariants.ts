/**
 * Checks Raft's safety properties (paper §5.2-§5.4, Figure 3) against everything the
 * simulated nodes do, as they do it:
 * - Election Safety: at most one leader per term, over the whole history (restarts included).
 * - Log Matching: entries with the same index and term are identical, and so are the logs up
 *   to them. Checked incrementally on every entry that enters any log (persisted or unstable)
 *   and, as a cross-check, pairwise over whole logs from time to time.
 * - Leader Completeness: an entry committed in a term is in the log of every leader of a later
 *   term (checked when the leader is elected, and again when a commit is first observed).
 * - State Machine Safety: no two nodes apply different entries at an index; every node
 *   applies a gapless prefix of one global sequence, also after restoring a snapshot.
 * - Membership agreement: applying the same conf change yields the same membership on every
 *   node, and a snapshot records the membership of the log it replaces.
 * - A node's commit index never decreases within one lifetime, and a restart brings it back
 *   to exactly what was persisted.
 * - ReadIndex: a read's index is at least the commit index of every entry known committed
 *   before the read was requested, and is itself committed.
 * A violation throws {@link InvariantViolation}.
 */
import {
  index,
  type ConfState,
  type Entry,
  type HardState,
  type NodeId,
  type ReadState,
  type Snapshot,
} from '../../../src/raft/index.js';
import type { RaftLog } from '../../../src/raft/raft-log.js';
import type { SimNode } from './sim-node.js';
import { entryKey } from './state-machine.js';

export class InvariantViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvariantViolation';
  }
}

function fail(message: string): never {
  throw new InvariantViolation(message);
}

interface CommitRecord {
  readonly term: number;
  /** An upper bound of the term in which the entry was committed: the observer's term. */
  readonly inTerm: number;
}

interface LeaderRecord {
  readonly id: NodeId;
  readonly incarnation: number;
  /** The leader's log when it was elected: terms[k] is the term at index base + k. */
  readonly base: number;
  readonly terms: readonly number[];
}

interface SeenEntry {
  readonly entry: Entry;
  readonly prevTerm: number | undefined;
  readonly node: NodeId;
}

interface ReadRequest {
  readonly node: NodeId;
  readonly bound: number;
}

function confKey(cs: ConfState): string {
  const ids = (xs: readonly NodeId[]): string => [...xs].sort((a, b) => a - b).join(',');
  return (
    `voters ${ids(cs.voters)} outgoing ${ids(cs.votersOutgoing)} learners ${ids(cs.learners)} ` +
    `next ${ids(cs.learnersNext)} auto ${cs.autoLeave}`
  );
}

function ctxKey(ctx: Uint8Array): string {
  return String.fromCharCode(...ctx);
}

function sameEntry(a: Entry, b: Entry): boolean {
  if (a === b) return true;
  if (a.type !== b.type || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}

/** What a node's log holds: terms from `base` (the snapshot/dummy entry) to the last index. */
interface LogView {
  readonly base: number;
  readonly entries: readonly Entry[];
  readonly baseTerm: number;
}

function raftLogView(log: RaftLog): LogView {
  const base = log.firstIndex() - 1;
  return { base, baseTerm: log.termOrUndefined(index(base)) ?? 0, entries: log.allEntries() };
}

export class InvariantChecker {
  /** term -> its leader, for the whole run. */
  private readonly leaders = new Map<number, LeaderRecord>();
  /** committed[i] for every i in 1..maxCommit. */
  private readonly committed: CommitRecord[] = [];
  /** The highest index any node has persisted as committed. */
  maxCommit = 0;
  /** history[i]: the key of the entry every node must apply at index i. */
  private readonly history: string[] = [];
  /** "index/term" -> the first copy of that entry seen in any log. */
  private readonly seen = new Map<string, SeenEntry>();
  /** Per node: its commit index as last observed in its current lifetime. */
  private readonly lastCommit = new Map<NodeId, number>();
  /** Per node: the commit index it last persisted. */
  private readonly persistedCommit = new Map<NodeId, number>();
  /** Per node: the unstable entries already checked (same array and length: nothing new). */
  private readonly unstableChecked = new Map<NodeId, { ents: readonly Entry[]; n: number }>();
  private readonly reads = new Map<string, ReadRequest>();
  /** Applied index of each conf change (0: the initial membership) -> the membership after it. */
  private readonly confs = new Map<number, string>();
  readonly counts = { leaders: 0, commits: 0, reads: 0, readStates: 0 };

  constructor(initial: ConfState) {
    this.confs.set(0, confKey(initial));
  }

  /** After every call into a node's RawNode: roles, commit index and new log entries. */
  afterCall(node: SimNode): void {
    const raw = node.raw;
    if (raw === undefined) return;
    const r = raw.raft;
    const log = r.raftLog;

    const commit = log.committed;
    const prev = this.lastCommit.get(node.id) ?? 0;
    if (commit < prev) fail(`node ${node.id}: commit index went back from ${prev} to ${commit}`);
    this.lastCommit.set(node.id, commit);

    if (r.role === 'leader') {
      const rec = this.leaders.get(r.term);
      if (rec === undefined) {
        this.onNewLeader(node);
      } else if (rec.id !== node.id || rec.incarnation !== node.incarnation) {
        fail(
          `election safety: term ${r.term} has two leaders, ` +
            `${rec.id} (lifetime ${rec.incarnation}) and ${node.id} (lifetime ${node.incarnation})`,
        );
      }
    }

    const ents = log.unstable.entries;
    const done = this.unstableChecked.get(node.id);
    const from = done !== undefined && done.ents === ents ? done.n : 0;
    for (let k = from; k < ents.length; k++) {
      const e = ents[k]!;
      this.checkLogEntry(node.id, e, log.termOrUndefined(index(e.index - 1)));
    }
    this.unstableChecked.set(node.id, { ents, n: ents.length });
  }

  /**
   * Log Matching, incrementally: if every (index, term) has one content and one preceding
   * term wherever it appears, then by induction two logs sharing an (index, term) agree on
   * everything before it.
   */
  private checkLogEntry(node: NodeId, e: Entry, prevTerm: number | undefined): void {
    const key = `${e.index}/${e.term}`;
    const first = this.seen.get(key);
    if (first === undefined) {
      this.seen.set(key, { entry: e, prevTerm, node });
      return;
    }
    if (!sameEntry(first.entry, e)) {
      fail(
        `log matching: entry ${key} differs between node ${first.node} ` +
          `(${entryKey(first.entry)}) and node ${node} (${entryKey(e)})`,
      );
    }
    if (prevTerm !== undefined && first.prevTerm !== undefined && prevTerm !== first.prevTerm) {
      fail(
        `log matching: entry ${key} follows term ${first.prevTerm} on node ${first.node} ` +
          `but term ${prevTerm} on node ${node}`,
      );
    }
  }

  private onNewLeader(node: SimNode): void {
    const r = node.raw!.raft;
    const log = r.raftLog;
    const base = log.firstIndex() - 1;
    const terms: number[] = [];
    for (let i = base; i <= log.lastIndex(); i++) terms.push(log.termOrUndefined(index(i)) ?? -1);
    const rec: LeaderRecord = { id: node.id, incarnation: node.incarnation, base, terms };
    this.leaders.set(r.term, rec);
    this.counts.leaders++;
    for (let i = 1; i <= this.maxCommit; i++) {
      const c = this.committed[i]!;
      if (c.inTerm < r.term) this.checkLeaderHas(r.term, rec, i, c);
    }
  }

  private checkLeaderHas(leaderTerm: number, rec: LeaderRecord, i: number, c: CommitRecord): void {
    // Below the leader's snapshot the entry is covered by it; State Machine Safety checks
    // that the snapshot's content is right.
    if (i < rec.base) return;
    const t = rec.terms[i - rec.base];
    if (t !== c.term) {
      fail(
        `leader completeness: entry ${i} (term ${c.term}) was committed by term ${c.inTerm}, ` +
          `but leader ${rec.id} of term ${leaderTerm} has ${t === undefined ? 'no entry' : `term ${t}`} there`,
      );
    }
  }

  /** A Ready's hard state was persisted: the entries up to its commit are now known committed. */
  onPersistedHardState(node: SimNode, hs: HardState): void {
    const from = (this.persistedCommit.get(node.id) ?? 0) + 1;
    for (let i = from; i <= hs.commit; i++) {
      let t: number | undefined;
      try {
        t = node.storage.term(index(i));
      } catch {
        t = undefined; // compacted: covered by the snapshot it restored
      }
      const known = this.committed[i];
      if (known !== undefined) {
        if (t !== undefined && t !== known.term) {
          fail(
            `committed entry ${i} has term ${known.term}, but node ${node.id} committed term ${t}`,
          );
        }
        continue;
      }
      if (t === undefined) fail(`node ${node.id} committed entry ${i}, which nobody has`);
      if (i !== this.maxCommit + 1) fail(`commit records have a gap before ${i}`);
      const c: CommitRecord = { term: t, inTerm: hs.term };
      this.committed[i] = c;
      this.maxCommit = i;
      this.counts.commits++;
      for (const [lt, rec] of this.leaders) if (lt > c.inTerm) this.checkLeaderHas(lt, rec, i, c);
    }
    if (hs.commit >= from) this.persistedCommit.set(node.id, hs.commit);
  }

  /** State Machine Safety: the entry applied at an index is the same everywhere, and committed. */
  onApply(node: SimNode, e: Entry): void {
    const expected = node.applied.length + 1;
    if (e.index !== expected) {
      fail(`node ${node.id} applied entry ${e.index}, expected ${expected} (gap or repeat)`);
    }
    const c = this.committed[e.index];
    if (c === undefined) fail(`node ${node.id} applied entry ${e.index}, which is not committed`);
    if (c.term !== e.term) {
      fail(`node ${node.id} applied entry ${e.index} of term ${e.term}; committed was ${c.term}`);
    }
    const key = entryKey(e);
    const h = this.history[e.index];
    if (h === undefined) {
      this.history[e.index] = key;
    } else if (h !== key) {
      fail(`state machine safety: node ${node.id} applied ${key} at ${e.index}, others ${h}`);
    }
  }

  /** The state machine was rebuilt from a snapshot: it must equal the applied history. */
  onSnapshotRestored(node: SimNode, snap: Snapshot): void {
    const at = snap.metadata.index;
    if (node.applied.length !== at) {
      fail(`node ${node.id}: snapshot at ${at} holds ${node.applied.length} applied entries`);
    }
    const c = this.committed[at];
    if (c === undefined || c.term !== snap.metadata.term) {
      fail(`node ${node.id}: snapshot ${at}/${snap.metadata.term} is not a committed entry`);
    }
    const conf = this.confAsOf(at);
    if (conf !== undefined && conf !== confKey(snap.metadata.confState)) {
      fail(
        `node ${node.id}: snapshot at ${at} records membership ` +
          `${confKey(snap.metadata.confState)}, but the log says ${conf}`,
      );
    }
    for (let i = 1; i <= at; i++) {
      if (this.history[i] !== node.applied[i - 1]) {
        fail(
          `state machine safety: node ${node.id} restored ${node.applied[i - 1]} at ${i} ` +
            `from a snapshot, others applied ${this.history[i]}`,
        );
      }
    }
  }

  /**
   * Every node that applies the conf change at `at` must end up with the same membership
   * (the configuration is a function of the applied log).
   */
  onConfChangeApplied(node: SimNode, at: number, after: ConfState): void {
    const key = confKey(after);
    const known = this.confs.get(at);
    if (known === undefined) this.confs.set(at, key);
    else if (known !== key) {
      fail(`node ${node.id} has membership ${key} after entry ${at}; others had ${known}`);
    }
  }

  /** The membership a snapshot at `at` must record: that of the last conf change up to it. */
  private confAsOf(at: number): string | undefined {
    let best = -1;
    for (const i of this.confs.keys()) if (i <= at && i > best) best = i;
    return this.confs.get(best);
  }

  /** A node restarted: its commit index must be exactly what it persisted. */
  onRestart(node: SimNode): void {
    const raw = node.raw!;
    const hs = node.storage.getHardState();
    const expected = Math.max(hs.commit, node.storage.snapshot().metadata.index);
    const commit = raw.raft.raftLog.committed;
    if (commit !== expected) {
      fail(`node ${node.id} restarted with commit ${commit}, but had persisted ${expected}`);
    }
    this.lastCommit.set(node.id, commit);
    this.persistedCommit.set(node.id, commit);
    this.unstableChecked.delete(node.id);
    this.afterCall(node);
  }

  onReadRequest(node: SimNode, ctx: Uint8Array): void {
    this.reads.set(ctxKey(ctx), { node: node.id, bound: this.maxCommit });
    this.counts.reads++;
  }

  onReadState(node: SimNode, rs: ReadState): void {
    const req = this.reads.get(ctxKey(rs.context));
    if (req === undefined) fail(`node ${node.id} got a read state for an unknown request`);
    if (req.node !== node.id) {
      fail(`node ${node.id} got the read state of a request made on node ${req.node}`);
    }
    if (rs.index < req.bound) {
      fail(
        `read index ${rs.index} on node ${node.id} is below ${req.bound}, ` +
          'the commit index known before the read was requested (stale read)',
      );
    }
    if (rs.index > this.maxCommit) {
      fail(`read index ${rs.index} on node ${node.id} is not committed (max ${this.maxCommit})`);
    }
    this.counts.readStates++;
  }

  /**
   * Log Matching over whole logs, pairwise: wherever two logs share an (index, term), they
   * hold identical entries up to it. The incremental check implies this; doing it directly
   * guards against a hole in that reasoning. Down nodes are compared by their storage.
   */
  checkLogsPairwise(nodes: readonly SimNode[]): void {
    const views = nodes.map((n) => ({ id: n.id, view: logViewOf(n) }));
    for (let a = 0; a < views.length; a++) {
      for (let b = a + 1; b < views.length; b++) {
        compareLogs(views[a]!.id, views[a]!.view, views[b]!.id, views[b]!.view);
      }
    }
  }
}

function logViewOf(n: SimNode): LogView {
  if (n.raw !== undefined) return raftLogView(n.raw.raft.raftLog);
  const s = n.storage;
  const first = s.firstIndex();
  const last = s.lastIndex();
  return {
    base: first - 1,
    baseTerm: s.term(index(first - 1)),
    entries: last >= first ? s.entries(first, index(last + 1), Number.MAX_SAFE_INTEGER) : [],
  };
}

function termIn(v: LogView, i: number): number | undefined {
  if (i === v.base) return v.baseTerm;
  return v.entries[i - v.base - 1]?.term;
}

function compareLogs(ida: NodeId, a: LogView, idb: NodeId, b: LogView): void {
  const lo = Math.max(a.base, b.base);
  const hi = Math.min(a.base + a.entries.length, b.base + b.entries.length);
  let match = -1;
  for (let i = hi; i >= lo; i--) {
    if (termIn(a, i) === termIn(b, i)) {
      match = i;
      break;
    }
  }
  for (let i = lo; i <= match; i++) {
    const ta = termIn(a, i);
    const tb = termIn(b, i);
    if (ta !== tb) {
      fail(
        `log matching: nodes ${ida} and ${idb} agree at ${match} but differ at ${i} ` +
          `(terms ${ta} and ${tb})`,
      );
    }
    if (i > a.base && i > b.base) {
      const ea = a.entries[i - a.base - 1]!;
      const eb = b.entries[i - b.base - 1]!;
      if (!sameEntry(ea, eb)) {
        fail(`log matching: nodes ${ida} and ${idb} hold different entries at ${i}`);
      }
    }
  }
}
