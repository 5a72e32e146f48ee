import { readFile } from 'node:fs/promises';

/** PEM material for a TLS server; with `ca`, clients must present a certificate it signed. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer | undefined;
}

/**
 * Reads the client ports' certificate, key and optional client CA (`--tls-cert`,
 * `--tls-key`, `--tls-ca`). No certificate and no key: plaintext (undefined). One without
 * the other, or a CA without both, is a configuration error, refused rather than ignored.
 */
export async function readTlsMaterial(paths: {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}): Promise<TlsMaterial | undefined> {
  if (paths.cert === '' && paths.key === '') {
    if (paths.ca !== '') throw new Error('--tls-ca needs --tls-cert and --tls-key');
    return undefined;
  }
  if (paths.cert === '' || paths.key === '') {
    throw new Error('--tls-cert and --tls-key go together');
  }
  const read = async (path: string, flag: string): Promise<Buffer> => {
    try {
      return await readFile(path);
    } catch (err) {
      throw new Error(`cannot read ${flag} ${path}: ${(err as Error).message}`);
    }
  };
  const [cert, key, ca] = await Promise.all([
    read(paths.cert, '--tls-cert'),
    read(paths.key, '--tls-key'),
    paths.ca === '' ? Promise.resolve(undefined) : read(paths.ca, '--tls-ca'),
  ]);
  return { cert, key, ca };
}
