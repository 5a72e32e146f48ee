/**
 * The namespace proxy (ns-proxy.ts) sends this one byte to a client once the member has
 * accepted the proxied connection; the client (resp-connection.ts) counts the connection as
 * made only then. Without it a refused connection would look like one lost after the
 * request was sent, and every request to a dead member would count as an unknown outcome.
 */
export const CONNECTED = 0x06;
