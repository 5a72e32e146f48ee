import { RedraftError } from '../errors.js';
import type { MemberInfo } from '../fsm/entry-codec.js';
import { CommandError } from '../fsm/result.js';
import {
  decodeAdminReply,
  encodeAdminRequest,
  type AdminForwarder,
  type AdminRequest,
  type AdminResult,
} from '../node/admin-request.js';
import type { TlsMaterial } from '../security/tls-material.js';
import { RespLeaderForwarder } from './leader-forwarder.js';

const FORWARDED_RAFT = Buffer.from('__raft');
const LEADER_ONLY = Buffer.from('LEADER');

/**
 * Hands a follower's cluster change to the leader over the leader's RESP port, as the internal
 * `__raft` command (src/resp/raft-commands.ts). It has a connection of its own, so that a
 * change never queues behind the clients' forwarded writes, and it works whatever the client
 * routing mode.
 */
export class RespAdminForwarder implements AdminForwarder {
  private readonly connection: RespLeaderForwarder;

  /**
   * `timeoutMs` bounds one request (a leader removing itself first hands leadership over);
   * `tls`: the member's RESP TLS material, when the RESP ports speak TLS.
   */
  constructor(password: string, timeoutMs: number, tls?: TlsMaterial) {
    this.connection = new RespLeaderForwarder(password, timeoutMs, tls);
  }

  async forward<R extends AdminRequest>(leader: MemberInfo, request: R): Promise<AdminResult<R>> {
    const reply = await this.connection.forward(leader, 0, [
      FORWARDED_RAFT,
      Buffer.from(encodeAdminRequest(request)),
      LEADER_ONLY,
    ]);
    if (reply instanceof CommandError) {
      // E.g. NOAUTH: the members do not share a password.
      throw new RedraftError('INTERNAL', `the leader refused the request: ${reply.message}`);
    }
    if (!Buffer.isBuffer(reply)) {
      throw new RedraftError('INTERNAL', 'the leader answered the request with a non-bulk reply');
    }
    return decodeAdminReply(request, reply.toString('utf8'));
  }

  close(): void {
    this.connection.close();
  }
}
