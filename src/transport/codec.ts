/**
 * Raft messages <-> protobuf bytes of proto/raft.proto.
 *
 * The coders themselves are hand-written (wire.ts explains why). raft.proto stays the source of
 * truth: it is loaded with protobufjs when this module loads, and every field number and enum
 * value wire.ts relies on is checked against it, as is the absence of fields wire.ts does not
 * know. Editing the .proto without the coders therefore fails at startup, not on the wire.
 *
 * Decoded byte fields (entry data, context, snapshot data) are views into the received buffer,
 * not copies: a batch is mostly entry payload, so keeping it alive through its entries costs
 * little, and copying every entry would cost a lot.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { EntryType, type Message, type MessageType } from '../raft/index.js';
import { FIELDS, WIRE_TO_TYPE, BatchWriter } from './wire.js';

export {
  BatchWriter,
  TransportDecodeError,
  decodeBatch,
  decodeMessage,
  decodeSnapshotAck,
  decodeSnapshotChunk,
  encodeMessage,
  encodeSnapshotAck,
  encodeSnapshotChunk,
  framedSize,
  messageSize,
  type SnapshotChunk,
} from './wire.js';

/**
 * Where raft.proto lives: the package root's proto/ folder (shipped through package.json
 * "files"), reached from this file's compiled location (dist/src/transport/codec.js) or, when
 * run from source, from src/transport/codec.ts.
 */
export const RAFT_PROTO_PATH: string = (() => {
  const candidates = ['../../../proto/raft.proto', '../../proto/raft.proto'].map((rel) =>
    fileURLToPath(new URL(rel, import.meta.url)),
  );
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) throw new Error(`raft.proto not found at ${candidates.join(' or ')}`);
  return found;
})();

export const RAFT_PROTO_PACKAGE = 'redraft.raft.v1';
export const STREAM_METHOD_PATH = `/${RAFT_PROTO_PACKAGE}.RaftTransport/Stream`;
export const SEND_SNAPSHOT_METHOD_PATH = `/${RAFT_PROTO_PACKAGE}.RaftTransport/SendSnapshot`;

/** StreamAck has no fields. */
export const EMPTY_STREAM_ACK: Buffer = Buffer.alloc(0);

/** Every message type the codec knows, in wire order. */
export const ALL_MESSAGE_TYPES: readonly MessageType[] = WIRE_TO_TYPE.filter(
  (t): t is MessageType => t !== undefined,
);

/** raft.proto as protobufjs reflection (camelCase field names), for tools and tests. */
export function loadRaftProto(): protobuf.Root {
  const root = new protobuf.Root().loadSync(RAFT_PROTO_PATH, { keepCase: false });
  root.resolveAll();
  return root;
}

/** 'MsgReadIndexResp' -> 'MSG_READ_INDEX_RESP', the .proto enum naming. */
function enumName(t: MessageType): string {
  return t.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
}

/** Throws when raft.proto and the coders disagree. Runs once, when this module loads. */
function checkSchema(root: protobuf.Root): void {
  const problems: string[] = [];
  for (const [typeName, fields] of Object.entries(FIELDS)) {
    const type = root.lookupType(`${RAFT_PROTO_PACKAGE}.${typeName}`);
    const known: Record<string, number> = fields;
    for (const [name, id] of Object.entries(known)) {
      const field = type.fields[name];
      if (field?.id !== id) problems.push(`${typeName}.${name} is not field ${id}`);
    }
    for (const field of type.fieldsArray) {
      if (!(field.name in known)) problems.push(`${typeName}.${field.name} is not encoded`);
    }
  }
  const messageType = root.lookupEnum(`${RAFT_PROTO_PACKAGE}.MessageType`);
  WIRE_TO_TYPE.forEach((t, i) => {
    if (t !== undefined && messageType.values[enumName(t)] !== i) {
      problems.push(`MessageType.${enumName(t)} is not ${i}`);
    }
  });
  if (Object.keys(messageType.values).length !== WIRE_TO_TYPE.length) {
    problems.push('MessageType has values the codec does not know');
  }
  const entryType = root.lookupEnum(`${RAFT_PROTO_PACKAGE}.EntryType`);
  if (
    entryType.values.ENTRY_TYPE_NORMAL !== EntryType.Normal ||
    entryType.values.ENTRY_TYPE_CONF_CHANGE !== EntryType.ConfChange ||
    Object.keys(entryType.values).length !== 2
  ) {
    problems.push('EntryType differs from the core');
  }
  if (problems.length > 0) {
    throw new Error(`raft.proto and src/transport/wire.ts disagree: ${problems.join('; ')}`);
  }
}

checkSchema(loadRaftProto());

export function encodeBatch(messages: readonly Message[]): Buffer {
  const w = new BatchWriter();
  for (const m of messages) w.append(m);
  return w.finish();
}
