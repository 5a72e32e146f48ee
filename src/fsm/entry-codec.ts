/**
 * The payload of a normal Raft entry, as the state machine decodes it on every replica. The
 * format is binary and versioned by its first byte; never change the meaning of a kind.
 *
 *   COMMAND      u8 1 | f64 leader time (ms) | u8 db | u32 argc | argc x (u32 len | bytes)
 *   MEMBER       u8 2 | u32 len | UTF-8 JSON of MemberInfo (rare: the member table)
 *   NOOP         u8 3
 *   TRANSACTION  u8 4 | f64 leader time | u32 watch count | per watch: u8 db | u32 len | key
 *                | f64 version | u32 command count | per command: u8 db | u32 argc | argv
 *
 *   MERKLE       u8 5 | verifiable-state history: checkpoints, tags, rollbacks
 *                (merkle-entry-codec.ts)
 *
 * Time enters the state machine only through COMMAND entries (DESIGN.md section 4): the
 * leader stamps each with its clock, so TTL decisions are the same on every replica.
 */
import { MalformedEntryError } from './malformed-entry-error.js';
import { MERKLE_ENTRY_KIND, decodeMerkleEntry, type MerklePayload } from './merkle-entry-codec.js';

export { MalformedEntryError } from './malformed-entry-error.js';
export type { MerklePayload } from './merkle-entry-codec.js';

export const EntryKind = {
  Command: 1,
  Member: 2,
  Noop: 3,
  Transaction: 4,
  Merkle: MERKLE_ENTRY_KIND,
} as const;

export interface CommandPayload {
  readonly kind: typeof EntryKind.Command;
  readonly timeMs: number;
  readonly db: number;
  readonly argv: readonly Buffer[];
}

/** How a member can be reached; replicated so every node can point clients at the leader. */
export interface MemberInfo {
  readonly id: number;
  readonly peerAddr: string;
  readonly respAddr: string;
  readonly httpAddr: string;
  readonly grpcAddr: string;
}

export interface MemberPayload {
  readonly kind: typeof EntryKind.Member;
  readonly member: MemberInfo;
}

export interface NoopPayload {
  readonly kind: typeof EntryKind.Noop;
}

/** A key WATCHed by the client, with the version it had when watched (0: absent). */
export interface WatchedKey {
  readonly db: number;
  readonly key: Buffer;
  readonly version: number;
}

export interface QueuedCommand {
  readonly db: number;
  readonly argv: readonly Buffer[];
}

/**
 * MULTI ... EXEC as ONE entry: applied atomically, and aborted as a whole (result nil) if a
 * watched key's version changed — decided at apply time, so identically on every replica.
 */
export interface TransactionPayload {
  readonly kind: typeof EntryKind.Transaction;
  readonly timeMs: number;
  readonly watches: readonly WatchedKey[];
  readonly commands: readonly QueuedCommand[];
}

export type EntryPayload =
  CommandPayload | MemberPayload | NoopPayload | TransactionPayload | MerklePayload;

export function encodeCommand(timeMs: number, db: number, argv: readonly Buffer[]): Buffer {
  let size = 1 + 8 + 1 + 4;
  for (const a of argv) size += 4 + a.length;
  const out = Buffer.allocUnsafe(size);
  let off = out.writeUInt8(EntryKind.Command, 0);
  off = out.writeDoubleBE(timeMs, off);
  off = out.writeUInt8(db, off);
  off = out.writeUInt32BE(argv.length, off);
  for (const a of argv) {
    off = out.writeUInt32BE(a.length, off);
    off += a.copy(out, off);
  }
  return out;
}

export function encodeTransaction(
  timeMs: number,
  watches: readonly WatchedKey[],
  commands: readonly QueuedCommand[],
): Buffer {
  let size = 1 + 8 + 4 + 4;
  for (const w of watches) size += 1 + 4 + w.key.length + 8;
  for (const c of commands) {
    size += 1 + 4;
    for (const a of c.argv) size += 4 + a.length;
  }
  const out = Buffer.allocUnsafe(size);
  let off = out.writeUInt8(EntryKind.Transaction, 0);
  off = out.writeDoubleBE(timeMs, off);
  off = out.writeUInt32BE(watches.length, off);
  for (const w of watches) {
    off = out.writeUInt8(w.db, off);
    off = out.writeUInt32BE(w.key.length, off);
    off += w.key.copy(out, off);
    off = out.writeDoubleBE(w.version, off);
  }
  off = out.writeUInt32BE(commands.length, off);
  for (const c of commands) {
    off = out.writeUInt8(c.db, off);
    off = out.writeUInt32BE(c.argv.length, off);
    for (const a of c.argv) {
      off = out.writeUInt32BE(a.length, off);
      off += a.copy(out, off);
    }
  }
  return out;
}

export function encodeMember(member: MemberInfo): Buffer {
  const json = Buffer.from(JSON.stringify(member), 'utf8');
  const out = Buffer.allocUnsafe(5 + json.length);
  out.writeUInt8(EntryKind.Member, 0);
  out.writeUInt32BE(json.length, 1);
  json.copy(out, 5);
  return out;
}

export const NOOP_PAYLOAD = Buffer.from([EntryKind.Noop]);

export function decodeEntry(data: Uint8Array): EntryPayload {
  // One copy per entry: the decoded arguments become stored values, and as views into a
  // network or disk buffer they would keep that whole (possibly large) buffer alive.
  const buf = Buffer.from(data);
  if (buf.length === 0) throw new MalformedEntryError('empty payload');
  const kind = buf[0];
  switch (kind) {
    case EntryKind.Command: {
      if (buf.length < 14) throw new MalformedEntryError('short command header');
      const timeMs = buf.readDoubleBE(1);
      const db = buf.readUInt8(9);
      const argc = buf.readUInt32BE(10);
      let off = 14;
      const argv: Buffer[] = new Array<Buffer>(argc);
      for (let i = 0; i < argc; i++) {
        if (off + 4 > buf.length) throw new MalformedEntryError('truncated argument length');
        const len = buf.readUInt32BE(off);
        off += 4;
        if (off + len > buf.length) throw new MalformedEntryError('truncated argument');
        argv[i] = buf.subarray(off, off + len);
        off += len;
      }
      if (off !== buf.length) throw new MalformedEntryError('trailing bytes after command');
      return { kind: EntryKind.Command, timeMs, db, argv };
    }
    case EntryKind.Member: {
      if (buf.length < 5) throw new MalformedEntryError('short member header');
      const len = buf.readUInt32BE(1);
      if (5 + len !== buf.length) throw new MalformedEntryError('bad member length');
      return { kind: EntryKind.Member, member: parseMemberJson(buf.subarray(5).toString('utf8')) };
    }
    case EntryKind.Noop:
      return { kind: EntryKind.Noop };
    case EntryKind.Transaction:
      return decodeTransaction(buf);
    case EntryKind.Merkle:
      return decodeMerkleEntry(buf);
    default:
      throw new MalformedEntryError(`unknown kind ${String(kind)}`);
  }
}

/** Parses and validates a MemberInfo (entries and conf change contexts carry it as JSON). */
export function parseMemberJson(json: string): MemberInfo {
  return memberContextOf(JSON.parse(json)).member;
}

/**
 * The context of a conf change that adds a member: its addresses, and whether the leader should
 * promote it to voter once it has caught up (a member that joined with `--join`).
 */
export interface MemberContext {
  readonly member: MemberInfo;
  readonly autoPromote: boolean;
}

export function encodeMemberContext(context: MemberContext): Buffer {
  const json = context.autoPromote ? { ...context.member, autoPromote: true } : context.member;
  return Buffer.from(JSON.stringify(json), 'utf8');
}

export function parseMemberContext(json: string): MemberContext {
  return memberContextOf(JSON.parse(json));
}

/** Validates a parsed member object: a MemberInfo, and the autoPromote flag if present. */
export function memberContextOf(v: unknown): MemberContext {
  if (typeof v !== 'object' || v === null) throw new MalformedEntryError('member is not an object');
  const o = v as Record<string, unknown>;
  const str = (k: string): string => {
    const x = o[k];
    if (typeof x !== 'string') throw new MalformedEntryError(`member.${k} is not a string`);
    return x;
  };
  if (typeof o.id !== 'number') throw new MalformedEntryError('member.id is not a number');
  if (o.autoPromote !== undefined && typeof o.autoPromote !== 'boolean') {
    throw new MalformedEntryError('member.autoPromote is not a boolean');
  }
  return {
    member: {
      id: o.id,
      peerAddr: str('peerAddr'),
      respAddr: str('respAddr'),
      httpAddr: str('httpAddr'),
      grpcAddr: str('grpcAddr'),
    },
    autoPromote: o.autoPromote === true,
  };
}

function decodeTransaction(buf: Buffer): TransactionPayload {
  let off = 1;
  const need = (n: number): void => {
    if (off + n > buf.length) throw new MalformedEntryError('truncated transaction');
  };
  need(12);
  const timeMs = buf.readDoubleBE(off);
  off += 8;
  const watchCount = buf.readUInt32BE(off);
  off += 4;
  const watches: WatchedKey[] = [];
  for (let i = 0; i < watchCount; i++) {
    need(5);
    const db = buf.readUInt8(off);
    const len = buf.readUInt32BE(off + 1);
    off += 5;
    need(len + 8);
    const key = buf.subarray(off, off + len);
    off += len;
    const version = buf.readDoubleBE(off);
    off += 8;
    watches.push({ db, key, version });
  }
  need(4);
  const commandCount = buf.readUInt32BE(off);
  off += 4;
  const commands: QueuedCommand[] = [];
  for (let i = 0; i < commandCount; i++) {
    need(5);
    const db = buf.readUInt8(off);
    const argc = buf.readUInt32BE(off + 1);
    off += 5;
    const argv: Buffer[] = [];
    for (let j = 0; j < argc; j++) {
      need(4);
      const len = buf.readUInt32BE(off);
      off += 4;
      need(len);
      argv.push(buf.subarray(off, off + len));
      off += len;
    }
    commands.push({ db, argv });
  }
  if (off !== buf.length) throw new MalformedEntryError('trailing bytes after transaction');
  return { kind: EntryKind.Transaction, timeMs, watches, commands };
}
