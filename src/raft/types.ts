/**
 * The data the Raft core exchanges with its driver: entries, hard state, membership,
 * snapshots and messages. Everything here is plain data so that it can be persisted,
 * sent over a wire or compared in a test without knowing anything about the core.
 */

declare const nodeIdBrand: unique symbol;
declare const termBrand: unique symbol;
declare const indexBrand: unique symbol;

/** A member's identity. Never 0: 0 ({@link NONE}) means "no node". */
export type NodeId = number & { readonly [nodeIdBrand]: true };
/** A Raft term. Terms only grow. */
export type Term = number & { readonly [termBrand]: true };
/** A position in the replicated log. The first real entry has index 1. */
export type Index = number & { readonly [indexBrand]: true };

export const NONE = 0 as NodeId;

export function nodeId(n: number): NodeId {
  if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`invalid node id: ${n}`);
  return n as NodeId;
}
export function term(n: number): Term {
  return n as Term;
}
export function index(n: number): Index {
  return n as Index;
}

export const EntryType = {
  /** Application data, or empty data for the entry a new leader appends. */
  Normal: 0,
  /** An encoded {@link ConfChange}; see conf-change-codec.ts. */
  ConfChange: 1,
} as const;
export type EntryType = (typeof EntryType)[keyof typeof EntryType];

export interface Entry {
  readonly term: Term;
  readonly index: Index;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** What must be durable before any message that depends on it is sent. */
export interface HardState {
  readonly term: Term;
  /** Whom this node voted for in `term`, or NONE. */
  readonly vote: NodeId;
  readonly commit: Index;
}

export const EMPTY_HARD_STATE: HardState = { term: term(0), vote: NONE, commit: index(0) };

export function isEmptyHardState(hs: HardState): boolean {
  return hs.term === 0 && hs.vote === NONE && hs.commit === 0;
}

export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/**
 * The membership as of some log position. Outside a joint configuration `votersOutgoing` is
 * empty. During one, decisions need a majority of `voters` AND a majority of `votersOutgoing`.
 */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly votersOutgoing: readonly NodeId[];
  /** Voters of the outgoing config that become learners when the joint config is left. */
  readonly learnersNext: readonly NodeId[];
  /** Leave the joint configuration automatically once it is committed. */
  readonly autoLeave: boolean;
}

export const EMPTY_CONF_STATE: ConfState = {
  voters: [],
  learners: [],
  votersOutgoing: [],
  learnersNext: [],
  autoLeave: false,
};

export interface SnapshotMetadata {
  readonly index: Index;
  readonly term: Term;
  readonly confState: ConfState;
}

/** A state-machine image as of `metadata.index`. `data` is opaque to the core. */
export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Uint8Array;
}

export const EMPTY_SNAPSHOT: Snapshot = {
  metadata: { index: index(0), term: term(0), confState: EMPTY_CONF_STATE },
  data: new Uint8Array(0),
};

export function isEmptySnapshot(s: Snapshot | undefined): boolean {
  return s === undefined || s.metadata.index === 0;
}

export const ConfChangeType = {
  AddVoter: 0,
  AddLearner: 1,
  Remove: 2,
} as const;
export type ConfChangeType = (typeof ConfChangeType)[keyof typeof ConfChangeType];

export interface ConfChangeSingle {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
}

/**
 * How a multi-change is carried out.
 * - `auto`: a single voter change is applied directly; anything else goes through a joint
 *   configuration that the leader leaves by itself once it is committed.
 * - `implicit`: always joint, left automatically.
 * - `explicit`: always joint; the application leaves it by proposing an empty change.
 */
export type ConfChangeTransition = 'auto' | 'implicit' | 'explicit';

export interface ConfChange {
  readonly transition: ConfChangeTransition;
  readonly changes: readonly ConfChangeSingle[];
  /** Opaque to the core; the node layer carries member addresses here. */
  readonly context: Uint8Array;
}

/** An empty change: the request to leave a joint configuration. */
export function isLeaveJoint(cc: ConfChange): boolean {
  return cc.changes.length === 0 && cc.transition === 'auto';
}

/** Whether applying `cc` enters a joint configuration, and whether it is left automatically. */
export function entersJoint(cc: ConfChange): { joint: boolean; autoLeave: boolean } {
  if (cc.transition !== 'auto' || cc.changes.length > 1) {
    return { joint: true, autoLeave: cc.transition !== 'explicit' };
  }
  return { joint: false, autoLeave: false };
}

export type MessageType =
  // Local messages: never sent over the wire, stepped into a node by itself.
  | 'MsgHup' // start an election
  | 'MsgBeat' // leader: send heartbeats
  | 'MsgCheckQuorum' // leader: step down unless a quorum was heard from recently
  | 'MsgProp' // a proposal; a follower forwards it to the leader
  | 'MsgUnreachable' // the transport failed to reach `from`
  | 'MsgSnapStatus' // the transport finished (or failed, reject) sending a snapshot
  // Wire messages.
  | 'MsgApp'
  | 'MsgAppResp'
  | 'MsgVote'
  | 'MsgVoteResp'
  | 'MsgPreVote'
  | 'MsgPreVoteResp'
  | 'MsgSnap'
  | 'MsgHeartbeat'
  | 'MsgHeartbeatResp'
  | 'MsgTransferLeader'
  | 'MsgTimeoutNow'
  | 'MsgReadIndex'
  | 'MsgReadIndexResp';

export const LOCAL_MESSAGE_TYPES: ReadonlySet<MessageType> = new Set<MessageType>([
  'MsgHup',
  'MsgBeat',
  'MsgCheckQuorum',
  'MsgUnreachable',
  'MsgSnapStatus',
]);

export function isResponseMessage(type: MessageType): boolean {
  return (
    type === 'MsgAppResp' ||
    type === 'MsgVoteResp' ||
    type === 'MsgPreVoteResp' ||
    type === 'MsgHeartbeatResp' ||
    type === 'MsgReadIndexResp' ||
    type === 'MsgUnreachable'
  );
}

/**
 * One message. Every message has every field (a single shape keeps the hot path monomorphic);
 * a field a type does not use holds its zero value.
 */
export interface Message {
  type: MessageType;
  to: NodeId;
  from: NodeId;
  term: Term;
  /** MsgApp: term of the entry at `index`. Vote requests: the candidate's last term.
   *  A rejecting MsgAppResp: the term at `rejectHint`. A rejecting vote response: the term
   *  at `commit`. */
  logTerm: Term;
  /** MsgApp: the index preceding `entries`. Vote requests: the candidate's last index.
   *  MsgAppResp: the last index the follower now matches (or the rejected index). */
  index: Index;
  entries: Entry[];
  /** MsgApp and heartbeats: the leader's commit index. A rejecting vote response: an index
   *  the voter knows committed (at most the candidate's last index). */
  commit: Index;
  snapshot: Snapshot | undefined;
  reject: boolean;
  rejectHint: Index;
  /** Heartbeats and read requests: the ReadIndex round this belongs to. Vote requests:
   *  {@link CAMPAIGN_TRANSFER} when the election was asked for by the leader. */
  context: Uint8Array;
  /** MsgReadIndex: answer from the leader's lease instead of a heartbeat round. */
  leaseRead: boolean;
}

export const EMPTY_BYTES = new Uint8Array(0);

/** Context of vote requests that follow a leadership transfer (they bypass leases). */
export const CAMPAIGN_TRANSFER = new Uint8Array([0x74, 0x72, 0x61, 0x6e, 0x73, 0x66, 0x65, 0x72]);

export function message(fields: Partial<Message> & Pick<Message, 'type'>): Message {
  return {
    type: fields.type,
    to: fields.to ?? NONE,
    from: fields.from ?? NONE,
    term: fields.term ?? term(0),
    logTerm: fields.logTerm ?? term(0),
    index: fields.index ?? index(0),
    entries: fields.entries ?? [],
    commit: fields.commit ?? index(0),
    snapshot: fields.snapshot,
    reject: fields.reject ?? false,
    rejectHint: fields.rejectHint ?? index(0),
    context: fields.context ?? EMPTY_BYTES,
    leaseRead: fields.leaseRead ?? false,
  };
}

export type Role = 'follower' | 'candidate' | 'pre-candidate' | 'leader';

/** Volatile state worth telling the driver about; not persisted. */
export interface SoftState {
  readonly lead: NodeId;
  readonly role: Role;
}

/**
 * The answer to a read request: reads that asked with `context` may be served from local
 * state once the state machine has applied `index`.
 */
export interface ReadState {
  readonly index: Index;
  readonly context: Uint8Array;
}

export type ReadMode = 'safe' | 'lease';
