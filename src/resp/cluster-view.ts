import { createHash } from 'node:crypto';
import type { MemberInfo } from '../fsm/entry-codec.js';

/**
 * Redraft speaks just enough of the Redis Cluster protocol for cluster-aware clients to
 * follow the leader by themselves: one shard owns all 16384 slots; the leader is its master
 * and the other members are its replicas.
 */
export const SLOT_COUNT = 16384;

/** The 40-hex-character node id Redis Cluster clients expect, stable per member id. */
export function clusterNodeId(memberId: number): string {
  return createHash('sha1').update(`redraft-member-${memberId}`).digest('hex');
}

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let j = 0; j < 8; j++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

function crc16(buf: Buffer, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++)
    crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ buf[i]!) & 0xff]!;
  return crc;
}

/** The hash slot of a key, hash tags ({...}) included, as Redis Cluster computes it. */
export function keySlot(key: Buffer): number {
  const open = key.indexOf(0x7b);
  if (open >= 0) {
    const close = key.indexOf(0x7d, open + 1);
    if (close > open + 1) return crc16(key, open + 1, close) % SLOT_COUNT;
  }
  return crc16(key, 0, key.length) % SLOT_COUNT;
}

export function splitAddress(address: string): { host: string; port: number } {
  const sep = address.lastIndexOf(':');
  return {
    host: address.slice(0, sep).replace(/^\[|\]$/g, ''),
    port: Number(address.slice(sep + 1)),
  };
}

export interface ClusterMember {
  readonly info: MemberInfo;
  readonly isLeader: boolean;
}

/** CLUSTER NODES text: one line per member, the leader flagged master. */
export function clusterNodesText(
  members: readonly ClusterMember[],
  selfId: number,
  epoch: number,
): string {
  const leader = members.find((m) => m.isLeader);
  return members
    .map((m) => {
      const { host, port } = splitAddress(m.info.respAddr);
      const flags = [m.info.id === selfId ? 'myself' : '', m.isLeader ? 'master' : 'slave']
        .filter((f) => f !== '')
        .join(',');
      const master = m.isLeader || leader === undefined ? '-' : clusterNodeId(leader.info.id);
      const slots = m.isLeader ? ` 0-${SLOT_COUNT - 1}` : '';
      return `${clusterNodeId(m.info.id)} ${host}:${port}@${port + 10000} ${flags} ${master} 0 0 ${epoch} connected${slots}`;
    })
    .join('\n')
    .concat('\n');
}
