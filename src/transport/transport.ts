import type { Message, NodeId } from '../raft/index.js';

/** Receives every message that arrives from a peer, in arrival order. */
export type MessageHandler = (message: Message) => void;

/** What the transport tells the driver about delivery, so the core can adapt flow control. */
export interface TransportEvents {
  /** A message to `to` could not be delivered (connection down, stream broken). */
  unreachable(to: NodeId): void;
  /** A snapshot sent to `to` was fully received and acknowledged (ok) or failed (!ok). */
  snapshotStatus(to: NodeId, ok: boolean): void;
}

/**
 * Carries Raft messages between members. Sending never blocks and never throws for network
 * reasons: Raft tolerates loss and retries, so a message that cannot be delivered is dropped
 * and reported through {@link TransportEvents.unreachable}. Messages to one peer are delivered
 * in the order they were sent, or not at all.
 */
export interface Transport {
  /** Starts listening (when the transport has a listening side) and delivering to `handler`. */
  start(handler: MessageHandler, events: TransportEvents): Promise<void>;
  /** Queues messages for their `to` peers; batching per peer is the transport's business. */
  send(messages: readonly Message[]): void;
  /** Adds or updates a peer's address. */
  addPeer(id: NodeId, address: string): void;
  removePeer(id: NodeId): void;
  /** Stops sending and listening; pending messages are dropped. */
  close(): Promise<void>;
}
