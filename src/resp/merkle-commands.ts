/**
 * Verifiable state over RESP: `PROVE key [AT tag]` and the `MERKLE` command family.
 *
 *   PROVE key [AT tag]        [value | nil, root hex, raft index, proof bytes]
 *   MERKLE ROOT               [raft index, root hex]: the state root now
 *   MERKLE CHECKPOINT [NOW]   [raft index, root hex, log size, log root hex] of the latest root
 *                             record (nil before the first); NOW proposes a checkpoint first
 *   MERKLE LOG [leaf [count]] root records: [leaf, kind, raft index, root hex, tag name]...
 *   MERKLE CONSISTENCY size1 [size2]
 *                             [size1, size2, root1 hex, root2 hex, [hash hex...]]
 *   MERKLE INCLUSION leaf [size]
 *                             [leaf, size, leaf data hex, log root hex, [hash hex...]]
 *   MERKLE TAG name           [raft index, root hex]
 *   MERKLE UNTAG name         1, or 0 if there was no such tag
 *   MERKLE TAGS               [name, raft index, root hex]... oldest first
 *   MERKLE ROLLBACK name      [raft index, root hex]: the whole key space back to the tag
 *   MERKLE AUDIT from|- to|+ [COUNT n]
 *                             [raft index, term, kind, details...]... (audit-log.ts)
 *   MERKLE HELP
 *
 * The value PROVE returns is the key's canonical value bytes (src/merkle/redis-value.ts: type,
 * contents, absolute expiry), exactly what the proof commits to. Reads are served at the
 * connection's consistency (linearizable by default); TAG, UNTAG, ROLLBACK and CHECKPOINT NOW
 * are log entries, forwarded to the leader from a follower.
 */
import { NotLeaderError, RedraftError } from '../errors.js';
import type { MerkleStatus } from '../fsm/merkle-state.js';
import type { Result } from '../fsm/result.js';
import { MAX_AUDIT_ENTRIES, type AuditEntry } from '../node/audit-log.js';
import type { KvService } from '../node/kv-service.js';
import { sha256Backend } from '../merkle/sha256.js';
import { checkpointReply } from '../node/merkle-service.js';
import type { ReadConsistency } from '../node/raft-node.js';
import { keySlot } from './cluster-view.js';
import type { Connection, Outcome } from './connection.js';
import type { ReplyWriter } from './encoder.js';
import type { LocalContext, LocalDef } from './local-commands.js';
import { writeResult } from './result-writer.js';

type Emit = (w: ReplyWriter) => void;

const str = (b: Buffer | undefined): string => (b === undefined ? '' : b.toString('latin1'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A reply that is always asynchronous: these commands are ordered with reads and writes. */
function later(value: Promise<Emit> | Emit): Outcome {
  return { kind: 'custom', value: Promise.resolve(value) };
}

const fail = (message: string): Outcome => later((w) => w.error(message));

function consistencyOf(conn: Connection): ReadConsistency {
  return conn.readonlyMode ? 'stale' : conn.consistency;
}

/** The error line for a failure, as the dispatcher words routing errors. */
function errorLine(err: unknown, kv: KvService, key: Buffer | undefined): string {
  if (err instanceof NotLeaderError) {
    if (err.leaderId === 0) return 'CLUSTERDOWN No leader is known at the moment';
    const info = kv.leaderInfo();
    if (info === undefined) return 'CLUSTERDOWN The leader has not published its address yet';
    return `MOVED ${key === undefined ? 0 : keySlot(key)} ${info.respAddr}`;
  }
  if (err instanceof RedraftError) return `${err.mapping.resp} ${err.message}`;
  return `ERR ${err instanceof Error ? err.message : String(err)}`;
}

function run(ctx: LocalContext, key: Buffer | undefined, work: () => Promise<Emit>): Outcome {
  return later(
    work().catch((err: unknown): Emit => {
      const line = errorLine(err, ctx.kv, key);
      return (w) => w.error(line);
    }),
  );
}

function result(r: Result): Emit {
  return (w) => writeResult(w, r);
}

/** A count or size argument: a non-negative integer Redis would parse. */
function parseCount(arg: Buffer | undefined): number | undefined {
  const s = str(arg);
  if (!/^(0|[1-9]\d{0,14})$/.test(s)) return undefined;
  return Number(s);
}

const NOT_INTEGER = 'ERR value is not an integer or out of range';

// ---------------------------------------------------------------------------------------------
// PROVE

function prove(ctx: LocalContext, argv: Buffer[]): Outcome {
  if (argv.length !== 2 && argv.length !== 4) {
    return fail("ERR wrong number of arguments for 'prove' command");
  }
  let tag: string | undefined;
  if (argv.length === 4) {
    if (str(argv[2]).toUpperCase() !== 'AT') return fail('ERR syntax error');
    tag = str(argv[3]);
  }
  const key = argv[1]!;
  return run(ctx, key, async () => {
    const p = await ctx.kv.prove(ctx.db, key, tag, consistencyOf(ctx.conn));
    return (w) => {
      w.arrayHeader(4);
      if (p.value === null) w.null();
      else w.bulk(p.value);
      w.bulk(hex(p.root));
      w.integer(p.index);
      w.bulk(Buffer.from(p.proof.buffer, p.proof.byteOffset, p.proof.byteLength));
    };
  });
}

// ---------------------------------------------------------------------------------------------
// MERKLE

const HELP = [
  'MERKLE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ROOT',
  '    The state root now: [raft index, root hex].',
  'CHECKPOINT [NOW]',
  '    The latest root record: [raft index, root hex, log size, log root hex]; NOW',
  '    proposes a checkpoint first.',
  'LOG [<leaf> [<count>]]',
  '    Root records from leaf number <leaf>: [leaf, kind, raft index, root hex, name].',
  'CONSISTENCY <size1> [<size2>]',
  '    RFC 6962 consistency proof between two sizes of the root log.',
  'INCLUSION <leaf> [<size>]',
  '    RFC 6962 inclusion proof of a root record in the root log.',
  'TAG <name>',
  '    Tags the current state: [raft index, root hex].',
  'UNTAG <name>',
  '    Drops a tag.',
  'TAGS',
  '    Lists tags: [name, raft index, root hex].',
  'ROLLBACK <name>',
  '    Rolls every database back to a tagged version, as a new log entry.',
  'AUDIT <from>|- <to>|+ [COUNT <count>]',
  '    Committed log entries between two raft indexes.',
  'HELP',
  '    Prints this help.',
];

function writeAudit(w: ReplyWriter, e: AuditEntry): void {
  const head = (extra: number): void => {
    w.arrayHeader(3 + extra);
    w.integer(e.index);
    w.integer(e.term);
    w.bulk(e.kind);
  };
  const argvOf = (argv: readonly Buffer[]): void => {
    w.arrayHeader(argv.length);
    for (const a of argv) w.bulk(a);
  };
  switch (e.kind) {
    case 'command':
      head(3);
      w.integer(e.db);
      w.integer(e.timeMs);
      argvOf(e.argv);
      return;
    case 'transaction':
      head(3);
      w.integer(e.timeMs);
      w.integer(e.watches);
      w.arrayHeader(e.commands.length);
      for (const c of e.commands) {
        w.arrayHeader(2);
        w.integer(c.db);
        argvOf(c.argv);
      }
      return;
    case 'member':
      head(1);
      w.bulk(JSON.stringify(e.member));
      return;
    case 'noop':
      head(0);
      return;
    case 'checkpoint':
      head(1);
      w.integer(e.previousIndex);
      return;
    case 'tag':
    case 'untag':
    case 'rollback':
      head(1);
      w.bulk(e.name);
      return;
    case 'membership':
      head(1);
      w.bulk(e.changes);
      return;
    case 'undecodable':
      head(1);
      w.bulk(e.reason);
      return;
  }
}

function hashList(w: ReplyWriter, hashes: readonly Buffer[]): void {
  w.arrayHeader(hashes.length);
  for (const h of hashes) w.bulk(hex(h));
}

/** Parses AUDIT's bounds: an index, or '-' (the log's start) / '+' (the commit index). */
function auditBound(arg: Buffer | undefined, open: '-' | '+'): number | undefined | null {
  if (str(arg) === open) return undefined;
  const n = parseCount(arg);
  return n === undefined || n === 0 ? null : n;
}

function merkle(ctx: LocalContext, argv: Buffer[]): Outcome {
  const sub = str(argv[1]).toUpperCase();
  if (sub === 'HELP') {
    return later((w) => {
      w.arrayHeader(HELP.length);
      for (const line of HELP) w.simple(line);
    });
  }
  const service = ctx.server.merkle;
  if (service === undefined) {
    return fail('ERR this node keeps no Merkle state (started with --no-merkle)');
  }
  const consistency = consistencyOf(ctx.conn);
  const arity = (min: number, max: number): boolean => argv.length >= min && argv.length <= max;
  const wrongArity = `ERR wrong number of arguments for 'merkle|${sub.toLowerCase()}' command`;
  switch (sub) {
    case 'ROOT':
      if (!arity(2, 2)) return fail(wrongArity);
      return run(ctx, undefined, async () => {
        const { index, root } = await service.root(consistency);
        return (w) => {
          w.arrayHeader(2);
          w.integer(index);
          w.bulk(hex(root));
        };
      });
    case 'CHECKPOINT': {
      if (!arity(2, 3)) return fail(wrongArity);
      if (argv.length === 3) {
        if (str(argv[2]).toUpperCase() !== 'NOW') return fail('ERR syntax error');
        return run(ctx, undefined, async () => result(await service.checkpoint()));
      }
      return run(ctx, undefined, async () => {
        const view = await service.latestCheckpoint(consistency);
        return view === undefined ? (w) => w.nullArray() : result(checkpointReply(view));
      });
    }
    case 'LOG': {
      if (!arity(2, 4)) return fail(wrongArity);
      const from = argv.length > 2 ? parseCount(argv[2]) : 0;
      const count = argv.length > 3 ? parseCount(argv[3]) : 100;
      if (from === undefined || count === undefined) return fail(NOT_INTEGER);
      return run(ctx, undefined, async () => {
        const views = await service.records(from, Math.min(count, MAX_AUDIT_ENTRIES), consistency);
        return (w) => {
          w.arrayHeader(views.length);
          for (const v of views) {
            w.arrayHeader(5);
            w.integer(v.leaf);
            w.bulk(v.kind);
            w.integer(v.index);
            w.bulk(hex(v.root));
            w.bulk(v.name);
          }
        };
      });
    }
    case 'CONSISTENCY': {
      if (!arity(3, 4)) return fail(wrongArity);
      const size1 = parseCount(argv[2]);
      const size2 = argv.length > 3 ? parseCount(argv[3]) : undefined;
      if (size1 === undefined || (argv.length > 3 && size2 === undefined)) return fail(NOT_INTEGER);
      return run(ctx, undefined, async () => {
        const p = await service.consistencyProof(size1, size2, consistency);
        return (w) => {
          w.arrayHeader(5);
          w.integer(p.size1);
          w.integer(p.size2);
          w.bulk(hex(p.root1));
          w.bulk(hex(p.root2));
          hashList(w, p.proof);
        };
      });
    }
    case 'INCLUSION': {
      if (!arity(3, 4)) return fail(wrongArity);
      const leaf = parseCount(argv[2]);
      const size = argv.length > 3 ? parseCount(argv[3]) : undefined;
      if (leaf === undefined || (argv.length > 3 && size === undefined)) return fail(NOT_INTEGER);
      return run(ctx, undefined, async () => {
        const p = await service.inclusionProof(leaf, size, consistency);
        return (w) => {
          w.arrayHeader(5);
          w.integer(p.leaf);
          w.integer(p.size);
          w.bulk(hex(p.leafData));
          w.bulk(hex(p.root));
          hashList(w, p.proof);
        };
      });
    }
    case 'TAG':
    case 'UNTAG':
    case 'ROLLBACK': {
      if (!arity(3, 3)) return fail(wrongArity);
      const name = str(argv[2]);
      return run(ctx, undefined, async () => {
        const r =
          sub === 'TAG'
            ? await service.tag(name)
            : sub === 'UNTAG'
              ? await service.untag(name)
              : await service.rollback(name);
        return result(r);
      });
    }
    case 'TAGS':
      if (!arity(2, 2)) return fail(wrongArity);
      return run(ctx, undefined, async () => {
        const tags = await service.tags(consistency);
        return (w) => {
          w.arrayHeader(tags.length);
          for (const t of tags) {
            w.arrayHeader(3);
            w.bulk(t.name);
            w.integer(t.index);
            w.bulk(hex(t.root));
          }
        };
      });
    case 'AUDIT': {
      if (argv.length !== 4 && argv.length !== 6) return fail(wrongArity);
      const from = auditBound(argv[2], '-');
      const to = auditBound(argv[3], '+');
      if (from === null || to === null) {
        return fail('ERR AUDIT bounds are raft indexes (from 1), or - and +');
      }
      let count = 100;
      if (argv.length === 6) {
        const n = parseCount(argv[5]);
        if (str(argv[4]).toUpperCase() !== 'COUNT') return fail('ERR syntax error');
        if (n === undefined || n < 1 || n > MAX_AUDIT_ENTRIES) {
          return fail(`ERR COUNT must be within 1..${MAX_AUDIT_ENTRIES}`);
        }
        count = n;
      }
      return run(ctx, undefined, async () => {
        const entries = await service.audit(from, to, count, consistency);
        return (w) => {
          w.arrayHeader(entries.length);
          for (const e of entries) writeAudit(w, e);
        };
      });
    }
    default:
      return fail(
        `ERR unknown subcommand '${str(argv[1]).replace(/[\r\n]/g, ' ')}'. Try MERKLE HELP.`,
      );
  }
}

/** How the connection orders a MERKLE command with the reads and writes around it. */
function merkleOrder(argv: readonly Buffer[]): 'read' | 'write' {
  const sub = str(argv[1]).toUpperCase();
  if (sub === 'TAG' || sub === 'UNTAG' || sub === 'ROLLBACK') return 'write';
  if (sub === 'CHECKPOINT' && argv.length === 3) return 'write';
  return 'read';
}

/** Registered in LOCAL_COMMANDS (local-commands.ts). */
export const MERKLE_COMMANDS: ReadonlyMap<string, LocalDef> = new Map<string, LocalDef>([
  ['prove', { arity: -2, flags: ['readonly'], fn: prove, order: () => 'read' }],
  ['merkle', { arity: -2, flags: [], fn: merkle, order: merkleOrder }],
]);

/** The `# Merkle` section of INFO. */
export function merkleInfoLines(status: MerkleStatus | undefined): string[] {
  if (status === undefined) return ['merkle_enabled:0'];
  const latest = status.latest;
  const d = status.divergence;
  return [
    'merkle_enabled:1',
    // Which SHA-256 the tree uses (sha256.ts): 'native', or 'node:crypto' where the native
    // module was not built; the roots are the same, the cost per changed key is not.
    `merkle_sha256:${sha256Backend.name}`,
    `merkle_keys:${status.keys}`,
    `merkle_pending_keys:${status.pendingKeys}`,
    `merkle_checkpoint_index:${latest?.index ?? 0}`,
    `merkle_checkpoint_root:${latest === undefined ? '' : hex(latest.root)}`,
    `merkle_confirmed_index:${status.confirmedIndex}`,
    `merkle_log_size:${status.logSize}`,
    `merkle_tags:${status.tags}`,
    `merkle_diverged:${d === undefined ? 0 : 1}`,
    ...(d === undefined
      ? []
      : [
          `merkle_divergence_index:${d.index}`,
          `merkle_divergence_local_root:${hex(d.localRoot)}`,
          `merkle_divergence_leader_root:${hex(d.leaderRoot)}`,
        ]),
  ];
}
