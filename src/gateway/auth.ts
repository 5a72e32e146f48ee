import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The bearer token REST and gRPC callers present (`authorization: Bearer <token>`).
 * Compared in constant time over digests, so neither the token's content nor its length
 * leaks through response timing.
 */
export class BearerToken {
  private readonly digest: Buffer;

  constructor(token: string) {
    if (token === '') throw new Error('an empty bearer token would admit everyone');
    this.digest = sha256(token);
  }

  /** Whether an `authorization` header value carries this token. */
  admits(authorization: string | undefined): boolean {
    if (authorization === undefined) return false;
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (match === null) return false;
    return timingSafeEqual(sha256(match[1]!), this.digest);
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

export const UNAUTHENTICATED_MESSAGE =
  'missing or wrong bearer token: send "authorization: Bearer <token>"';
