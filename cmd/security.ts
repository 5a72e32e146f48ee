/**
 * The TLS settings of `redraft server`, read from the files the flags name. Defaults bind
 * every port to 127.0.0.1 (config.ts); these turn on encryption and authentication for the
 * ports a member exposes beyond the host.
 */
import * as grpc from '@grpc/grpc-js';
import { loadTlsMaterial, type TlsMaterial } from '../src/security/tls-material.js';
import { mutualTlsCredentials } from '../src/transport/peer-credentials.js';
import type { ServerConfig } from './config.js';

export interface ServerSecurity {
  /** The client ports' certificate (RESP here; the gateways take it too), if TLS is on. */
  readonly clientTls: TlsMaterial | undefined;
  /** Mutual TLS for the peer transport, if configured. */
  readonly peerCredentials:
    | { readonly server: grpc.ServerCredentials; readonly client: grpc.ChannelCredentials }
    | undefined;
}

/** Reads and checks the files; throws TlsConfigError naming the flag of a bad one. */
export async function loadServerSecurity(config: ServerConfig): Promise<ServerSecurity> {
  const clientTls = await loadTlsMaterial(
    { cert: config.tlsCert, key: config.tlsKey, ca: config.tlsCa },
    '--tls',
  );
  const peerTls = await loadTlsMaterial(
    { cert: config.peerTlsCert, key: config.peerTlsKey, ca: config.peerTlsCa },
    '--peer-tls',
  );
  return {
    clientTls,
    // config.ts accepts the peer flags only all together, so a loaded one has its CA.
    peerCredentials:
      peerTls?.ca === undefined ? undefined : mutualTlsCredentials({ ...peerTls, ca: peerTls.ca }),
  };
}
