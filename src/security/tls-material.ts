/**
 * Certificates and keys for TLS, read once at start from PEM files. The same material serves
 * node:tls (RESP, HTTPS) and @grpc/grpc-js (peer and gRPC ports).
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';

export interface TlsMaterial {
  /** PEM certificate chain presented by this side. */
  readonly cert: Buffer;
  readonly key: Buffer;
  /**
   * PEM bundle of the CA(s) trusted for the other side's certificate. On a server it makes
   * client certificates required.
   */
  readonly ca: Buffer | undefined;
}

/** Paths as the flags give them; '' means not set. */
export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

/** A TLS file that cannot be read or used; the message names the flag and the file. */
export class TlsConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TlsConfigError';
  }
}

/**
 * Reads the files (undefined when no certificate is configured) and checks that they form a
 * usable context — PEM that parses, a key that matches the certificate — so that a mistake
 * stops the server at start with the flag's name instead of failing every handshake later.
 * `flag` is the flags' common prefix for messages, e.g. `--tls` or `--peer-tls`.
 */
export async function loadTlsMaterial(
  files: TlsFiles,
  flag: string,
): Promise<TlsMaterial | undefined> {
  if (files.cert === '' && files.key === '' && files.ca === '') return undefined;
  if (files.cert === '' || files.key === '') {
    throw new TlsConfigError(`${flag}-cert and ${flag}-key must be given together`);
  }
  const read = async (path: string, which: string): Promise<Buffer> => {
    try {
      return await readFile(path);
    } catch (err) {
      throw new TlsConfigError(
        `cannot read ${flag}-${which} file ${path}: ${(err as Error).message}`,
        { cause: err },
      );
    }
  };
  const material: TlsMaterial = {
    cert: await read(files.cert, 'cert'),
    key: await read(files.key, 'key'),
    ca: files.ca === '' ? undefined : await read(files.ca, 'ca'),
  };
  try {
    createSecureContext({ cert: material.cert, key: material.key });
  } catch (err) {
    throw new TlsConfigError(
      `${flag}-cert ${files.cert} and ${flag}-key ${files.key} are not a usable certificate and key: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (material.ca !== undefined) checkCertificateBundle(material.ca, `${flag}-ca ${files.ca}`);
  return material;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** node:tls silently ignores a CA file holding no certificate; that would refuse every peer. */
function checkCertificateBundle(pem: Buffer, what: string): void {
  const blocks = pem.toString('latin1').match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    throw new TlsConfigError(`${what} is not a PEM certificate bundle: no certificate in it`);
  }
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw new TlsConfigError(
        `${what} is not a PEM certificate bundle: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }
}
