import * as grpc from '@grpc/grpc-js';
import type { TlsMaterial } from '../security/tls-material.js';

/**
 * Mutual TLS between members: every member presents its certificate and accepts only peers
 * whose certificate the cluster CA signed, in both directions. A peer without one fails the
 * handshake, before any gRPC call, so it can neither open a stream nor deliver a Raft message.
 * The dialled member's certificate must also name the host of its peer address (a DNS or IP
 * subject alternative name), as for any TLS server.
 */
export function mutualTlsCredentials(material: TlsMaterial & { readonly ca: Buffer }): {
  readonly server: grpc.ServerCredentials;
  readonly client: grpc.ChannelCredentials;
} {
  return {
    server: grpc.ServerCredentials.createSsl(
      material.ca,
      [{ private_key: material.key, cert_chain: material.cert }],
      true,
    ),
    client: grpc.credentials.createSsl(material.ca, material.key, material.cert),
  };
}
